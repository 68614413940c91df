from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.extra_data import ExtraData
    from ..models.prompt import Prompt


T = TypeVar("T", bound="PromptRequest")


@_attrs_define
class PromptRequest:
    """
    Attributes:
        prompt (Prompt): An API-format workflow (ComfyUI's "Save (API Format)"): node id -> node.
        client_id (str | Unset): The websocket sid that receives this prompt's events.
        prompt_id (str | Unset): Use this id instead of a new uuid (400 if a queued prompt has it).
        extra_data (ExtraData | Unset):
        number (float | Unset): Queue priority (lower runs first); by default a counter.
        front (bool | Unset): Queue in front of the others.
        partial_execution_targets (list[str] | Unset): Run only these output nodes.
    """

    prompt: Prompt
    client_id: str | Unset = UNSET
    prompt_id: str | Unset = UNSET
    extra_data: ExtraData | Unset = UNSET
    number: float | Unset = UNSET
    front: bool | Unset = UNSET
    partial_execution_targets: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt.to_dict()

        client_id = self.client_id

        prompt_id = self.prompt_id

        extra_data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.extra_data, Unset):
            extra_data = self.extra_data.to_dict()

        number = self.number

        front = self.front

        partial_execution_targets: list[str] | Unset = UNSET
        if not isinstance(self.partial_execution_targets, Unset):
            partial_execution_targets = self.partial_execution_targets

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
            }
        )
        if client_id is not UNSET:
            field_dict["client_id"] = client_id
        if prompt_id is not UNSET:
            field_dict["prompt_id"] = prompt_id
        if extra_data is not UNSET:
            field_dict["extra_data"] = extra_data
        if number is not UNSET:
            field_dict["number"] = number
        if front is not UNSET:
            field_dict["front"] = front
        if partial_execution_targets is not UNSET:
            field_dict["partial_execution_targets"] = partial_execution_targets

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.extra_data import ExtraData
        from ..models.prompt import Prompt

        d = dict(src_dict)
        prompt = Prompt.from_dict(d.pop("prompt"))

        client_id = d.pop("client_id", UNSET)

        prompt_id = d.pop("prompt_id", UNSET)

        _extra_data = d.pop("extra_data", UNSET)
        extra_data: ExtraData | Unset
        if isinstance(_extra_data, Unset):
            extra_data = UNSET
        else:
            extra_data = ExtraData.from_dict(_extra_data)

        number = d.pop("number", UNSET)

        front = d.pop("front", UNSET)

        partial_execution_targets = cast(
            list[str], d.pop("partial_execution_targets", UNSET)
        )

        prompt_request = cls(
            prompt=prompt,
            client_id=client_id,
            prompt_id=prompt_id,
            extra_data=extra_data,
            number=number,
            front=front,
            partial_execution_targets=partial_execution_targets,
        )

        prompt_request.additional_properties = d
        return prompt_request

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

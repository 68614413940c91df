from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.extra_data import ExtraData
    from ..models.prompt import Prompt


T = TypeVar("T", bound="WrappedPrompt")


@_attrs_define
class WrappedPrompt:
    """`{"prompt": {...}}`, as the documentation's examples send it.

    Attributes:
        prompt (Prompt): An API-format workflow (ComfyUI's "Save (API Format)"): node id -> node.
        client_id (str | Unset):
        extra_data (ExtraData | Unset):
    """

    prompt: Prompt
    client_id: str | Unset = UNSET
    extra_data: ExtraData | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt.to_dict()

        client_id = self.client_id

        extra_data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.extra_data, Unset):
            extra_data = self.extra_data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
            }
        )
        if client_id is not UNSET:
            field_dict["client_id"] = client_id
        if extra_data is not UNSET:
            field_dict["extra_data"] = extra_data

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.extra_data import ExtraData
        from ..models.prompt import Prompt

        d = dict(src_dict)
        prompt = Prompt.from_dict(d.pop("prompt"))

        client_id = d.pop("client_id", UNSET)

        _extra_data = d.pop("extra_data", UNSET)
        extra_data: ExtraData | Unset
        if isinstance(_extra_data, Unset):
            extra_data = UNSET
        else:
            extra_data = ExtraData.from_dict(_extra_data)

        wrapped_prompt = cls(
            prompt=prompt,
            client_id=client_id,
            extra_data=extra_data,
        )

        wrapped_prompt.additional_properties = d
        return wrapped_prompt

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

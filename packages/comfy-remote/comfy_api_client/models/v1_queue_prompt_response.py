from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.outputs import Outputs


T = TypeVar("T", bound="V1QueuePromptResponse")


@_attrs_define
class V1QueuePromptResponse:
    """
    Attributes:
        urls (list[str]): Two `/view` URLs per image (this server's address, then `--external-address`).
        outputs (Outputs): Node id -> UI output.
        prompt_id (str):
    """

    urls: list[str]
    outputs: Outputs
    prompt_id: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        urls = self.urls

        outputs = self.outputs.to_dict()

        prompt_id = self.prompt_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "urls": urls,
                "outputs": outputs,
                "prompt_id": prompt_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.outputs import Outputs

        d = dict(src_dict)
        urls = cast(list[str], d.pop("urls"))

        outputs = Outputs.from_dict(d.pop("outputs"))

        prompt_id = d.pop("prompt_id")

        v1_queue_prompt_response = cls(
            urls=urls,
            outputs=outputs,
            prompt_id=prompt_id,
        )

        v1_queue_prompt_response.additional_properties = d
        return v1_queue_prompt_response

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

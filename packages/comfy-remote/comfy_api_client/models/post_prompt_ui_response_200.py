from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.node_errors import NodeErrors


T = TypeVar("T", bound="PostPromptUiResponse200")


@_attrs_define
class PostPromptUiResponse200:
    """
    Attributes:
        prompt_id (str):
        number (float):
        node_errors (NodeErrors): Node id -> the reasons that node failed validation.
    """

    prompt_id: str
    number: float
    node_errors: NodeErrors
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        prompt_id = self.prompt_id

        number = self.number

        node_errors = self.node_errors.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt_id": prompt_id,
                "number": number,
                "node_errors": node_errors,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.node_errors import NodeErrors

        d = dict(src_dict)
        prompt_id = d.pop("prompt_id")

        number = d.pop("number")

        node_errors = NodeErrors.from_dict(d.pop("node_errors"))

        post_prompt_ui_response_200 = cls(
            prompt_id=prompt_id,
            number=number,
            node_errors=node_errors,
        )

        post_prompt_ui_response_200.additional_properties = d
        return post_prompt_ui_response_200

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

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.node_errors import NodeErrors
    from ..models.validation_error_dict import ValidationErrorDict


T = TypeVar("T", bound="PromptError")


@_attrs_define
class PromptError:
    """
    Attributes:
        error (ValidationErrorDict):
        node_errors (NodeErrors): Node id -> the reasons that node failed validation.
    """

    error: ValidationErrorDict
    node_errors: NodeErrors
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        error = self.error.to_dict()

        node_errors = self.node_errors.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "error": error,
                "node_errors": node_errors,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.node_errors import NodeErrors
        from ..models.validation_error_dict import ValidationErrorDict

        d = dict(src_dict)
        error = ValidationErrorDict.from_dict(d.pop("error"))

        node_errors = NodeErrors.from_dict(d.pop("node_errors"))

        prompt_error = cls(
            error=error,
            node_errors=node_errors,
        )

        prompt_error.additional_properties = d
        return prompt_error

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

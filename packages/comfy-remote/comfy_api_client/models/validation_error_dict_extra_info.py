from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.node_errors import NodeErrors


T = TypeVar("T", bound="ValidationErrorDictExtraInfo")


@_attrs_define
class ValidationErrorDictExtraInfo:
    """
    Attributes:
        exception_type (str | Unset):
        traceback (list[str] | Unset):
        node_errors (NodeErrors | Unset): Node id -> the reasons that node failed validation.
    """

    exception_type: str | Unset = UNSET
    traceback: list[str] | Unset = UNSET
    node_errors: NodeErrors | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        exception_type = self.exception_type

        traceback: list[str] | Unset = UNSET
        if not isinstance(self.traceback, Unset):
            traceback = self.traceback

        node_errors: dict[str, Any] | Unset = UNSET
        if not isinstance(self.node_errors, Unset):
            node_errors = self.node_errors.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if exception_type is not UNSET:
            field_dict["exception_type"] = exception_type
        if traceback is not UNSET:
            field_dict["traceback"] = traceback
        if node_errors is not UNSET:
            field_dict["node_errors"] = node_errors

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.node_errors import NodeErrors

        d = dict(src_dict)
        exception_type = d.pop("exception_type", UNSET)

        traceback = cast(list[str], d.pop("traceback", UNSET))

        _node_errors = d.pop("node_errors", UNSET)
        node_errors: NodeErrors | Unset
        if isinstance(_node_errors, Unset):
            node_errors = UNSET
        else:
            node_errors = NodeErrors.from_dict(_node_errors)

        validation_error_dict_extra_info = cls(
            exception_type=exception_type,
            traceback=traceback,
            node_errors=node_errors,
        )

        validation_error_dict_extra_info.additional_properties = d
        return validation_error_dict_extra_info

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

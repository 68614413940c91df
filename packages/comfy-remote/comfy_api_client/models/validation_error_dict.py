from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.validation_error_dict_extra_info import ValidationErrorDictExtraInfo


T = TypeVar("T", bound="ValidationErrorDict")


@_attrs_define
class ValidationErrorDict:
    """
    Attributes:
        type_ (str):
        message (str):
        details (str):
        extra_info (ValidationErrorDictExtraInfo):
    """

    type_: str
    message: str
    details: str
    extra_info: ValidationErrorDictExtraInfo
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        message = self.message

        details = self.details

        extra_info = self.extra_info.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "message": message,
                "details": details,
                "extra_info": extra_info,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.validation_error_dict_extra_info import (
            ValidationErrorDictExtraInfo,
        )

        d = dict(src_dict)
        type_ = d.pop("type")

        message = d.pop("message")

        details = d.pop("details")

        extra_info = ValidationErrorDictExtraInfo.from_dict(d.pop("extra_info"))

        validation_error_dict = cls(
            type_=type_,
            message=message,
            details=details,
            extra_info=extra_info,
        )

        validation_error_dict.additional_properties = d
        return validation_error_dict

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

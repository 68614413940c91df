from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.execution_status_as_dict_status_str import ExecutionStatusAsDictStatusStr
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.execution_status_as_dict_error_details import (
        ExecutionStatusAsDictErrorDetails,
    )


T = TypeVar("T", bound="ExecutionStatusAsDict")


@_attrs_define
class ExecutionStatusAsDict:
    """
    Attributes:
        status_str (ExecutionStatusAsDictStatusStr):
        completed (bool):
        messages (list[str]):
        error_details (ExecutionStatusAsDictErrorDetails | Unset): The `execution_error` (or `execution_interrupted`)
            event's data.
    """

    status_str: ExecutionStatusAsDictStatusStr
    completed: bool
    messages: list[str]
    error_details: ExecutionStatusAsDictErrorDetails | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status_str = self.status_str.value

        completed = self.completed

        messages = self.messages

        error_details: dict[str, Any] | Unset = UNSET
        if not isinstance(self.error_details, Unset):
            error_details = self.error_details.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status_str": status_str,
                "completed": completed,
                "messages": messages,
            }
        )
        if error_details is not UNSET:
            field_dict["error_details"] = error_details

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.execution_status_as_dict_error_details import (
            ExecutionStatusAsDictErrorDetails,
        )

        d = dict(src_dict)
        status_str = ExecutionStatusAsDictStatusStr(d.pop("status_str"))

        completed = d.pop("completed")

        messages = cast(list[str], d.pop("messages"))

        _error_details = d.pop("error_details", UNSET)
        error_details: ExecutionStatusAsDictErrorDetails | Unset
        if isinstance(_error_details, Unset):
            error_details = UNSET
        else:
            error_details = ExecutionStatusAsDictErrorDetails.from_dict(_error_details)

        execution_status_as_dict = cls(
            status_str=status_str,
            completed=completed,
            messages=messages,
            error_details=error_details,
        )

        execution_status_as_dict.additional_properties = d
        return execution_status_as_dict

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

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.file_output_type import FileOutputType
from ..types import UNSET, Unset

T = TypeVar("T", bound="FileOutput")


@_attrs_define
class FileOutput:
    """
    Attributes:
        filename (str):
        subfolder (str):
        type_ (FileOutputType):
        abs_path (str | Unset):
    """

    filename: str
    subfolder: str
    type_: FileOutputType
    abs_path: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        filename = self.filename

        subfolder = self.subfolder

        type_ = self.type_.value

        abs_path = self.abs_path

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "filename": filename,
                "subfolder": subfolder,
                "type": type_,
            }
        )
        if abs_path is not UNSET:
            field_dict["abs_path"] = abs_path

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        filename = d.pop("filename")

        subfolder = d.pop("subfolder")

        type_ = FileOutputType(d.pop("type"))

        abs_path = d.pop("abs_path", UNSET)

        file_output = cls(
            filename=filename,
            subfolder=subfolder,
            type_=type_,
            abs_path=abs_path,
        )

        file_output.additional_properties = d
        return file_output

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

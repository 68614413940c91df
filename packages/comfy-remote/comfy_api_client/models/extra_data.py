from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.extra_data_extra_pnginfo import ExtraDataExtraPnginfo


T = TypeVar("T", bound="ExtraData")


@_attrs_define
class ExtraData:
    """
    Attributes:
        client_id (str | Unset):
        extra_pnginfo (ExtraDataExtraPnginfo | Unset):
    """

    client_id: str | Unset = UNSET
    extra_pnginfo: ExtraDataExtraPnginfo | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        client_id = self.client_id

        extra_pnginfo: dict[str, Any] | Unset = UNSET
        if not isinstance(self.extra_pnginfo, Unset):
            extra_pnginfo = self.extra_pnginfo.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if client_id is not UNSET:
            field_dict["client_id"] = client_id
        if extra_pnginfo is not UNSET:
            field_dict["extra_pnginfo"] = extra_pnginfo

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.extra_data_extra_pnginfo import ExtraDataExtraPnginfo

        d = dict(src_dict)
        client_id = d.pop("client_id", UNSET)

        _extra_pnginfo = d.pop("extra_pnginfo", UNSET)
        extra_pnginfo: ExtraDataExtraPnginfo | Unset
        if isinstance(_extra_pnginfo, Unset):
            extra_pnginfo = UNSET
        else:
            extra_pnginfo = ExtraDataExtraPnginfo.from_dict(_extra_pnginfo)

        extra_data = cls(
            client_id=client_id,
            extra_pnginfo=extra_pnginfo,
        )

        extra_data.additional_properties = d
        return extra_data

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

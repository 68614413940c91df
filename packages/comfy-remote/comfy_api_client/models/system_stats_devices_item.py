from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SystemStatsDevicesItem")


@_attrs_define
class SystemStatsDevicesItem:
    """
    Attributes:
        name (str):
        type_ (str):
        index (int):
        vram_total (int):
        vram_free (int):
        torch_vram_total (int):
        torch_vram_free (int):
    """

    name: str
    type_: str
    index: int
    vram_total: int
    vram_free: int
    torch_vram_total: int
    torch_vram_free: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        type_ = self.type_

        index = self.index

        vram_total = self.vram_total

        vram_free = self.vram_free

        torch_vram_total = self.torch_vram_total

        torch_vram_free = self.torch_vram_free

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "type": type_,
                "index": index,
                "vram_total": vram_total,
                "vram_free": vram_free,
                "torch_vram_total": torch_vram_total,
                "torch_vram_free": torch_vram_free,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        type_ = d.pop("type")

        index = d.pop("index")

        vram_total = d.pop("vram_total")

        vram_free = d.pop("vram_free")

        torch_vram_total = d.pop("torch_vram_total")

        torch_vram_free = d.pop("torch_vram_free")

        system_stats_devices_item = cls(
            name=name,
            type_=type_,
            index=index,
            vram_total=vram_total,
            vram_free=vram_free,
            torch_vram_total=torch_vram_total,
            torch_vram_free=torch_vram_free,
        )

        system_stats_devices_item.additional_properties = d
        return system_stats_devices_item

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

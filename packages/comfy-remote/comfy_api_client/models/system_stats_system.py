from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SystemStatsSystem")


@_attrs_define
class SystemStatsSystem:
    """
    Attributes:
        os (str): `sys.platform`
        ram_total (int):
        ram_free (int):
        comfyui_version (str):
        python_version (str):
        embedded_python (bool):
        argv (list[str]):
        pytorch_version (str | Unset): Present only when a node plugin has imported torch.
    """

    os: str
    ram_total: int
    ram_free: int
    comfyui_version: str
    python_version: str
    embedded_python: bool
    argv: list[str]
    pytorch_version: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        os = self.os

        ram_total = self.ram_total

        ram_free = self.ram_free

        comfyui_version = self.comfyui_version

        python_version = self.python_version

        embedded_python = self.embedded_python

        argv = self.argv

        pytorch_version = self.pytorch_version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "os": os,
                "ram_total": ram_total,
                "ram_free": ram_free,
                "comfyui_version": comfyui_version,
                "python_version": python_version,
                "embedded_python": embedded_python,
                "argv": argv,
            }
        )
        if pytorch_version is not UNSET:
            field_dict["pytorch_version"] = pytorch_version

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        os = d.pop("os")

        ram_total = d.pop("ram_total")

        ram_free = d.pop("ram_free")

        comfyui_version = d.pop("comfyui_version")

        python_version = d.pop("python_version")

        embedded_python = d.pop("embedded_python")

        argv = cast(list[str], d.pop("argv"))

        pytorch_version = d.pop("pytorch_version", UNSET)

        system_stats_system = cls(
            os=os,
            ram_total=ram_total,
            ram_free=ram_free,
            comfyui_version=comfyui_version,
            python_version=python_version,
            embedded_python=embedded_python,
            argv=argv,
            pytorch_version=pytorch_version,
        )

        system_stats_system.additional_properties = d
        return system_stats_system

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

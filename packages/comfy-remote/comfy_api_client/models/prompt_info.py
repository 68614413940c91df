from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.prompt_info_exec_info import PromptInfoExecInfo


T = TypeVar("T", bound="PromptInfo")


@_attrs_define
class PromptInfo:
    """
    Attributes:
        exec_info (PromptInfoExecInfo):
    """

    exec_info: PromptInfoExecInfo
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        exec_info = self.exec_info.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "exec_info": exec_info,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.prompt_info_exec_info import PromptInfoExecInfo

        d = dict(src_dict)
        exec_info = PromptInfoExecInfo.from_dict(d.pop("exec_info"))

        prompt_info = cls(
            exec_info=exec_info,
        )

        prompt_info.additional_properties = d
        return prompt_info

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

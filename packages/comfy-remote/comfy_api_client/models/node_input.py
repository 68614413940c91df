from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.node_input_hidden import NodeInputHidden
    from ..models.node_input_optional import NodeInputOptional
    from ..models.node_input_required import NodeInputRequired


T = TypeVar("T", bound="NodeInput")


@_attrs_define
class NodeInput:
    """
    Attributes:
        required (NodeInputRequired):
        optional (NodeInputOptional | Unset):
        hidden (NodeInputHidden | Unset): Hidden inputs (`PROMPT`, `UNIQUE_ID`, ...), as names or input specs.
    """

    required: NodeInputRequired
    optional: NodeInputOptional | Unset = UNSET
    hidden: NodeInputHidden | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        required = self.required.to_dict()

        optional: dict[str, Any] | Unset = UNSET
        if not isinstance(self.optional, Unset):
            optional = self.optional.to_dict()

        hidden: dict[str, Any] | Unset = UNSET
        if not isinstance(self.hidden, Unset):
            hidden = self.hidden.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "required": required,
            }
        )
        if optional is not UNSET:
            field_dict["optional"] = optional
        if hidden is not UNSET:
            field_dict["hidden"] = hidden

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.node_input_hidden import NodeInputHidden
        from ..models.node_input_optional import NodeInputOptional
        from ..models.node_input_required import NodeInputRequired

        d = dict(src_dict)
        required = NodeInputRequired.from_dict(d.pop("required"))

        _optional = d.pop("optional", UNSET)
        optional: NodeInputOptional | Unset
        if isinstance(_optional, Unset):
            optional = UNSET
        else:
            optional = NodeInputOptional.from_dict(_optional)

        _hidden = d.pop("hidden", UNSET)
        hidden: NodeInputHidden | Unset
        if isinstance(_hidden, Unset):
            hidden = UNSET
        else:
            hidden = NodeInputHidden.from_dict(_hidden)

        node_input = cls(
            required=required,
            optional=optional,
            hidden=hidden,
        )

        node_input.additional_properties = d
        return node_input

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

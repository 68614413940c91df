from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.prompt_node_inputs import PromptNodeInputs
    from ..models.prompt_node_meta import PromptNodeMeta


T = TypeVar("T", bound="PromptNode")


@_attrs_define
class PromptNode:
    """
    Attributes:
        class_type (str):
        inputs (PromptNodeInputs): Input name -> constant, or a link `[source node id, output index]`.
        field_meta (PromptNodeMeta | Unset):
        is_changed (list[str] | str | Unset):
    """

    class_type: str
    inputs: PromptNodeInputs
    field_meta: PromptNodeMeta | Unset = UNSET
    is_changed: list[str] | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        class_type = self.class_type

        inputs = self.inputs.to_dict()

        field_meta: dict[str, Any] | Unset = UNSET
        if not isinstance(self.field_meta, Unset):
            field_meta = self.field_meta.to_dict()

        is_changed: list[str] | str | Unset
        if isinstance(self.is_changed, Unset):
            is_changed = UNSET
        elif isinstance(self.is_changed, list):
            is_changed = self.is_changed

        else:
            is_changed = self.is_changed

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "class_type": class_type,
                "inputs": inputs,
            }
        )
        if field_meta is not UNSET:
            field_dict["_meta"] = field_meta
        if is_changed is not UNSET:
            field_dict["is_changed"] = is_changed

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.prompt_node_inputs import PromptNodeInputs
        from ..models.prompt_node_meta import PromptNodeMeta

        d = dict(src_dict)
        class_type = d.pop("class_type")

        inputs = PromptNodeInputs.from_dict(d.pop("inputs"))

        _field_meta = d.pop("_meta", UNSET)
        field_meta: PromptNodeMeta | Unset
        if isinstance(_field_meta, Unset):
            field_meta = UNSET
        else:
            field_meta = PromptNodeMeta.from_dict(_field_meta)

        def _parse_is_changed(data: object) -> list[str] | str | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                is_changed_type_1 = cast(list[str], data)

                return is_changed_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | str | Unset, data)

        is_changed = _parse_is_changed(d.pop("is_changed", UNSET))

        prompt_node = cls(
            class_type=class_type,
            inputs=inputs,
            field_meta=field_meta,
            is_changed=is_changed,
        )

        prompt_node.additional_properties = d
        return prompt_node

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

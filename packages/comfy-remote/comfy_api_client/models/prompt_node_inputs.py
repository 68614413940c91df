from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.prompt_node_inputs_additional_property_type_4 import (
        PromptNodeInputsAdditionalPropertyType4,
    )


T = TypeVar("T", bound="PromptNodeInputs")


@_attrs_define
class PromptNodeInputs:
    """Input name -> constant, or a link `[source node id, output index]`."""

    additional_properties: dict[
        str,
        bool | float | list[int | str] | PromptNodeInputsAdditionalPropertyType4 | str,
    ] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.prompt_node_inputs_additional_property_type_4 import (
            PromptNodeInputsAdditionalPropertyType4,
        )

        field_dict: dict[str, Any] = {}
        for prop_name, prop in self.additional_properties.items():
            if isinstance(prop, list):
                field_dict[prop_name] = []
                for additional_property_type_3_item_data in prop:
                    additional_property_type_3_item: int | str
                    additional_property_type_3_item = (
                        additional_property_type_3_item_data
                    )
                    field_dict[prop_name].append(additional_property_type_3_item)

            elif isinstance(prop, PromptNodeInputsAdditionalPropertyType4):
                field_dict[prop_name] = prop.to_dict()
            else:
                field_dict[prop_name] = prop

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.prompt_node_inputs_additional_property_type_4 import (
            PromptNodeInputsAdditionalPropertyType4,
        )

        d = dict(src_dict)
        prompt_node_inputs = cls()

        additional_properties = {}
        for prop_name, prop_dict in d.items():

            def _parse_additional_property(
                data: object,
            ) -> (
                bool
                | float
                | list[int | str]
                | PromptNodeInputsAdditionalPropertyType4
                | str
            ):
                try:
                    if not isinstance(data, list):
                        raise TypeError()
                    additional_property_type_3 = []
                    _additional_property_type_3 = data
                    for (
                        additional_property_type_3_item_data
                    ) in _additional_property_type_3:

                        def _parse_additional_property_type_3_item(
                            data: object,
                        ) -> int | str:
                            return cast(int | str, data)

                        additional_property_type_3_item = (
                            _parse_additional_property_type_3_item(
                                additional_property_type_3_item_data
                            )
                        )

                        additional_property_type_3.append(
                            additional_property_type_3_item
                        )

                    return additional_property_type_3
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    additional_property_type_4 = (
                        PromptNodeInputsAdditionalPropertyType4.from_dict(data)
                    )

                    return additional_property_type_4
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                return cast(
                    bool
                    | float
                    | list[int | str]
                    | PromptNodeInputsAdditionalPropertyType4
                    | str,
                    data,
                )

            additional_property = _parse_additional_property(prop_dict)

            additional_properties[prop_name] = additional_property

        prompt_node_inputs.additional_properties = additional_properties
        return prompt_node_inputs

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(
        self, key: str
    ) -> bool | float | list[int | str] | PromptNodeInputsAdditionalPropertyType4 | str:
        return self.additional_properties[key]

    def __setitem__(
        self,
        key: str,
        value: bool
        | float
        | list[int | str]
        | PromptNodeInputsAdditionalPropertyType4
        | str,
    ) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.input_spec_item_type_1 import InputSpecItemType1


T = TypeVar("T", bound="NodeInputRequired")


@_attrs_define
class NodeInputRequired:
    additional_properties: dict[str, list[InputSpecItemType1 | list[Any] | str]] = (
        _attrs_field(init=False, factory=dict)
    )

    def to_dict(self) -> dict[str, Any]:
        from ..models.input_spec_item_type_1 import InputSpecItemType1

        field_dict: dict[str, Any] = {}
        for prop_name, prop in self.additional_properties.items():
            field_dict[prop_name] = []
            for componentsschemas_input_spec_item_data in prop:
                componentsschemas_input_spec_item: dict[str, Any] | list[Any] | str
                if isinstance(componentsschemas_input_spec_item_data, list):
                    componentsschemas_input_spec_item = (
                        componentsschemas_input_spec_item_data
                    )

                elif isinstance(
                    componentsschemas_input_spec_item_data, InputSpecItemType1
                ):
                    componentsschemas_input_spec_item = (
                        componentsschemas_input_spec_item_data.to_dict()
                    )
                else:
                    componentsschemas_input_spec_item = (
                        componentsschemas_input_spec_item_data
                    )
                field_dict[prop_name].append(componentsschemas_input_spec_item)

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.input_spec_item_type_1 import InputSpecItemType1

        d = dict(src_dict)
        node_input_required = cls()

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional_property = []
            _additional_property = prop_dict
            for componentsschemas_input_spec_item_data in _additional_property:

                def _parse_componentsschemas_input_spec_item(
                    data: object,
                ) -> InputSpecItemType1 | list[Any] | str:
                    try:
                        if not isinstance(data, list):
                            raise TypeError()
                        componentsschemas_input_spec_item_type_0_type_1 = cast(
                            list[Any], data
                        )

                        return componentsschemas_input_spec_item_type_0_type_1
                    except (TypeError, ValueError, AttributeError, KeyError):
                        pass
                    try:
                        if not isinstance(data, dict):
                            raise TypeError()
                        componentsschemas_input_spec_item_type_1 = (
                            InputSpecItemType1.from_dict(data)
                        )

                        return componentsschemas_input_spec_item_type_1
                    except (TypeError, ValueError, AttributeError, KeyError):
                        pass
                    return cast(InputSpecItemType1 | list[Any] | str, data)

                componentsschemas_input_spec_item = (
                    _parse_componentsschemas_input_spec_item(
                        componentsschemas_input_spec_item_data
                    )
                )

                additional_property.append(componentsschemas_input_spec_item)

            additional_properties[prop_name] = additional_property

        node_input_required.additional_properties = additional_properties
        return node_input_required

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> list[InputSpecItemType1 | list[Any] | str]:
        return self.additional_properties[key]

    def __setitem__(
        self, key: str, value: list[InputSpecItemType1 | list[Any] | str]
    ) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

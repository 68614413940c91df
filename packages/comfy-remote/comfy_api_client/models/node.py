from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.node_input import NodeInput
    from ..models.node_input_order import NodeInputOrder


T = TypeVar("T", bound="Node")


@_attrs_define
class Node:
    """
    Attributes:
        input_ (NodeInput):
        output (list[list[Any] | str]):
        name (str):
        display_name (str):
        category (str):
        output_node (bool):
        input_order (NodeInputOrder | Unset):
        output_is_list (list[bool] | Unset):
        output_name (list[str] | Unset):
        output_tooltips (list[Any] | Unset):
        description (str | Unset):
        python_module (str | Unset):
        deprecated (bool | Unset):
        experimental (bool | Unset):
        api_node (bool | Unset):
        search_aliases (list[str] | Unset):
    """

    input_: NodeInput
    output: list[list[Any] | str]
    name: str
    display_name: str
    category: str
    output_node: bool
    input_order: NodeInputOrder | Unset = UNSET
    output_is_list: list[bool] | Unset = UNSET
    output_name: list[str] | Unset = UNSET
    output_tooltips: list[Any] | Unset = UNSET
    description: str | Unset = UNSET
    python_module: str | Unset = UNSET
    deprecated: bool | Unset = UNSET
    experimental: bool | Unset = UNSET
    api_node: bool | Unset = UNSET
    search_aliases: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        input_ = self.input_.to_dict()

        output = []
        for output_item_data in self.output:
            output_item: list[Any] | str
            if isinstance(output_item_data, list):
                output_item = output_item_data

            else:
                output_item = output_item_data
            output.append(output_item)

        name = self.name

        display_name = self.display_name

        category = self.category

        output_node = self.output_node

        input_order: dict[str, Any] | Unset = UNSET
        if not isinstance(self.input_order, Unset):
            input_order = self.input_order.to_dict()

        output_is_list: list[bool] | Unset = UNSET
        if not isinstance(self.output_is_list, Unset):
            output_is_list = self.output_is_list

        output_name: list[str] | Unset = UNSET
        if not isinstance(self.output_name, Unset):
            output_name = self.output_name

        output_tooltips: list[Any] | Unset = UNSET
        if not isinstance(self.output_tooltips, Unset):
            output_tooltips = self.output_tooltips

        description = self.description

        python_module = self.python_module

        deprecated = self.deprecated

        experimental = self.experimental

        api_node = self.api_node

        search_aliases: list[str] | Unset = UNSET
        if not isinstance(self.search_aliases, Unset):
            search_aliases = self.search_aliases

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "input": input_,
                "output": output,
                "name": name,
                "display_name": display_name,
                "category": category,
                "output_node": output_node,
            }
        )
        if input_order is not UNSET:
            field_dict["input_order"] = input_order
        if output_is_list is not UNSET:
            field_dict["output_is_list"] = output_is_list
        if output_name is not UNSET:
            field_dict["output_name"] = output_name
        if output_tooltips is not UNSET:
            field_dict["output_tooltips"] = output_tooltips
        if description is not UNSET:
            field_dict["description"] = description
        if python_module is not UNSET:
            field_dict["python_module"] = python_module
        if deprecated is not UNSET:
            field_dict["deprecated"] = deprecated
        if experimental is not UNSET:
            field_dict["experimental"] = experimental
        if api_node is not UNSET:
            field_dict["api_node"] = api_node
        if search_aliases is not UNSET:
            field_dict["search_aliases"] = search_aliases

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.node_input import NodeInput
        from ..models.node_input_order import NodeInputOrder

        d = dict(src_dict)
        input_ = NodeInput.from_dict(d.pop("input"))

        output = []
        _output = d.pop("output")
        for output_item_data in _output:

            def _parse_output_item(data: object) -> list[Any] | str:
                try:
                    if not isinstance(data, list):
                        raise TypeError()
                    output_item_type_1 = cast(list[Any], data)

                    return output_item_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                return cast(list[Any] | str, data)

            output_item = _parse_output_item(output_item_data)

            output.append(output_item)

        name = d.pop("name")

        display_name = d.pop("display_name")

        category = d.pop("category")

        output_node = d.pop("output_node")

        _input_order = d.pop("input_order", UNSET)
        input_order: NodeInputOrder | Unset
        if isinstance(_input_order, Unset):
            input_order = UNSET
        else:
            input_order = NodeInputOrder.from_dict(_input_order)

        output_is_list = cast(list[bool], d.pop("output_is_list", UNSET))

        output_name = cast(list[str], d.pop("output_name", UNSET))

        output_tooltips = cast(list[Any], d.pop("output_tooltips", UNSET))

        description = d.pop("description", UNSET)

        python_module = d.pop("python_module", UNSET)

        deprecated = d.pop("deprecated", UNSET)

        experimental = d.pop("experimental", UNSET)

        api_node = d.pop("api_node", UNSET)

        search_aliases = cast(list[str], d.pop("search_aliases", UNSET))

        node = cls(
            input_=input_,
            output=output,
            name=name,
            display_name=display_name,
            category=category,
            output_node=output_node,
            input_order=input_order,
            output_is_list=output_is_list,
            output_name=output_name,
            output_tooltips=output_tooltips,
            description=description,
            python_module=python_module,
            deprecated=deprecated,
            experimental=experimental,
            api_node=api_node,
            search_aliases=search_aliases,
        )

        node.additional_properties = d
        return node

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

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.workflow_config import WorkflowConfig
    from ..models.workflow_extra import WorkflowExtra
    from ..models.workflow_groups_item import WorkflowGroupsItem
    from ..models.workflow_nodes_item import WorkflowNodesItem


T = TypeVar("T", bound="Workflow")


@_attrs_define
class Workflow:
    """The UI graph format (what the web interface saves), stored with the images.

    Attributes:
        last_node_id (int | Unset):
        last_link_id (int | Unset):
        nodes (list[WorkflowNodesItem] | Unset):
        links (list[list[Any]] | Unset):
        groups (list[WorkflowGroupsItem] | Unset):
        config (WorkflowConfig | Unset):
        extra (WorkflowExtra | Unset):
        version (float | Unset):
    """

    last_node_id: int | Unset = UNSET
    last_link_id: int | Unset = UNSET
    nodes: list[WorkflowNodesItem] | Unset = UNSET
    links: list[list[Any]] | Unset = UNSET
    groups: list[WorkflowGroupsItem] | Unset = UNSET
    config: WorkflowConfig | Unset = UNSET
    extra: WorkflowExtra | Unset = UNSET
    version: float | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        last_node_id = self.last_node_id

        last_link_id = self.last_link_id

        nodes: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.nodes, Unset):
            nodes = []
            for nodes_item_data in self.nodes:
                nodes_item = nodes_item_data.to_dict()
                nodes.append(nodes_item)

        links: list[list[Any]] | Unset = UNSET
        if not isinstance(self.links, Unset):
            links = []
            for links_item_data in self.links:
                links_item = links_item_data

                links.append(links_item)

        groups: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.groups, Unset):
            groups = []
            for groups_item_data in self.groups:
                groups_item = groups_item_data.to_dict()
                groups.append(groups_item)

        config: dict[str, Any] | Unset = UNSET
        if not isinstance(self.config, Unset):
            config = self.config.to_dict()

        extra: dict[str, Any] | Unset = UNSET
        if not isinstance(self.extra, Unset):
            extra = self.extra.to_dict()

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if last_node_id is not UNSET:
            field_dict["last_node_id"] = last_node_id
        if last_link_id is not UNSET:
            field_dict["last_link_id"] = last_link_id
        if nodes is not UNSET:
            field_dict["nodes"] = nodes
        if links is not UNSET:
            field_dict["links"] = links
        if groups is not UNSET:
            field_dict["groups"] = groups
        if config is not UNSET:
            field_dict["config"] = config
        if extra is not UNSET:
            field_dict["extra"] = extra
        if version is not UNSET:
            field_dict["version"] = version

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.workflow_config import WorkflowConfig
        from ..models.workflow_extra import WorkflowExtra
        from ..models.workflow_groups_item import WorkflowGroupsItem
        from ..models.workflow_nodes_item import WorkflowNodesItem

        d = dict(src_dict)
        last_node_id = d.pop("last_node_id", UNSET)

        last_link_id = d.pop("last_link_id", UNSET)

        _nodes = d.pop("nodes", UNSET)
        nodes: list[WorkflowNodesItem] | Unset = UNSET
        if _nodes is not UNSET:
            nodes = []
            for nodes_item_data in _nodes:
                nodes_item = WorkflowNodesItem.from_dict(nodes_item_data)

                nodes.append(nodes_item)

        _links = d.pop("links", UNSET)
        links: list[list[Any]] | Unset = UNSET
        if _links is not UNSET:
            links = []
            for links_item_data in _links:
                links_item = cast(list[Any], links_item_data)

                links.append(links_item)

        _groups = d.pop("groups", UNSET)
        groups: list[WorkflowGroupsItem] | Unset = UNSET
        if _groups is not UNSET:
            groups = []
            for groups_item_data in _groups:
                groups_item = WorkflowGroupsItem.from_dict(groups_item_data)

                groups.append(groups_item)

        _config = d.pop("config", UNSET)
        config: WorkflowConfig | Unset
        if isinstance(_config, Unset):
            config = UNSET
        else:
            config = WorkflowConfig.from_dict(_config)

        _extra = d.pop("extra", UNSET)
        extra: WorkflowExtra | Unset
        if isinstance(_extra, Unset):
            extra = UNSET
        else:
            extra = WorkflowExtra.from_dict(_extra)

        version = d.pop("version", UNSET)

        workflow = cls(
            last_node_id=last_node_id,
            last_link_id=last_link_id,
            nodes=nodes,
            links=links,
            groups=groups,
            config=config,
            extra=extra,
            version=version,
        )

        workflow.additional_properties = d
        return workflow

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

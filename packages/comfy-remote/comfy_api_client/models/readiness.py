from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.readiness_status import ReadinessStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="Readiness")


@_attrs_define
class Readiness:
    """
    Attributes:
        status (ReadinessStatus):
        nodes (int | Unset):
        workers (int | Unset):
        queue_remaining (int | Unset):
        uptime_s (float | Unset):
        reasons (list[str] | Unset):
    """

    status: ReadinessStatus
    nodes: int | Unset = UNSET
    workers: int | Unset = UNSET
    queue_remaining: int | Unset = UNSET
    uptime_s: float | Unset = UNSET
    reasons: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        nodes = self.nodes

        workers = self.workers

        queue_remaining = self.queue_remaining

        uptime_s = self.uptime_s

        reasons: list[str] | Unset = UNSET
        if not isinstance(self.reasons, Unset):
            reasons = self.reasons

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
            }
        )
        if nodes is not UNSET:
            field_dict["nodes"] = nodes
        if workers is not UNSET:
            field_dict["workers"] = workers
        if queue_remaining is not UNSET:
            field_dict["queue_remaining"] = queue_remaining
        if uptime_s is not UNSET:
            field_dict["uptime_s"] = uptime_s
        if reasons is not UNSET:
            field_dict["reasons"] = reasons

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        status = ReadinessStatus(d.pop("status"))

        nodes = d.pop("nodes", UNSET)

        workers = d.pop("workers", UNSET)

        queue_remaining = d.pop("queue_remaining", UNSET)

        uptime_s = d.pop("uptime_s", UNSET)

        reasons = cast(list[str], d.pop("reasons", UNSET))

        readiness = cls(
            status=status,
            nodes=nodes,
            workers=workers,
            queue_remaining=queue_remaining,
            uptime_s=uptime_s,
            reasons=reasons,
        )

        readiness.additional_properties = d
        return readiness

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

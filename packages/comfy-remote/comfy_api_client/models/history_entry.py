from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.history_entry_meta import HistoryEntryMeta
    from ..models.history_entry_status import HistoryEntryStatus
    from ..models.outputs import Outputs
    from ..models.prompt import Prompt
    from ..models.queue_tuple_item_type_3 import QueueTupleItemType3


T = TypeVar("T", bound="HistoryEntry")


@_attrs_define
class HistoryEntry:
    """
    Attributes:
        prompt (list[float | list[str] | Prompt | QueueTupleItemType3 | str]): `[number, prompt_id, prompt, extra_data,
            good output node ids]`
        outputs (Outputs): Node id -> UI output.
        status (HistoryEntryStatus):
        meta (HistoryEntryMeta | Unset):
    """

    prompt: list[float | list[str] | Prompt | QueueTupleItemType3 | str]
    outputs: Outputs
    status: HistoryEntryStatus
    meta: HistoryEntryMeta | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.prompt import Prompt
        from ..models.queue_tuple_item_type_3 import QueueTupleItemType3

        prompt = []
        for componentsschemas_queue_tuple_item_data in self.prompt:
            componentsschemas_queue_tuple_item: dict[str, Any] | float | list[str] | str
            if isinstance(
                componentsschemas_queue_tuple_item_data, Prompt
            ) or isinstance(
                componentsschemas_queue_tuple_item_data, QueueTupleItemType3
            ):
                componentsschemas_queue_tuple_item = (
                    componentsschemas_queue_tuple_item_data.to_dict()
                )
            elif isinstance(componentsschemas_queue_tuple_item_data, list):
                componentsschemas_queue_tuple_item = (
                    componentsschemas_queue_tuple_item_data
                )

            else:
                componentsschemas_queue_tuple_item = (
                    componentsschemas_queue_tuple_item_data
                )
            prompt.append(componentsschemas_queue_tuple_item)

        outputs = self.outputs.to_dict()

        status = self.status.to_dict()

        meta: dict[str, Any] | Unset = UNSET
        if not isinstance(self.meta, Unset):
            meta = self.meta.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
                "outputs": outputs,
                "status": status,
            }
        )
        if meta is not UNSET:
            field_dict["meta"] = meta

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.history_entry_meta import HistoryEntryMeta
        from ..models.history_entry_status import HistoryEntryStatus
        from ..models.outputs import Outputs
        from ..models.prompt import Prompt
        from ..models.queue_tuple_item_type_3 import QueueTupleItemType3

        d = dict(src_dict)
        prompt = []
        _prompt = d.pop("prompt")
        for componentsschemas_queue_tuple_item_data in _prompt:

            def _parse_componentsschemas_queue_tuple_item(
                data: object,
            ) -> float | list[str] | Prompt | QueueTupleItemType3 | str:
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_queue_tuple_item_type_2 = Prompt.from_dict(data)

                    return componentsschemas_queue_tuple_item_type_2
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_queue_tuple_item_type_3 = (
                        QueueTupleItemType3.from_dict(data)
                    )

                    return componentsschemas_queue_tuple_item_type_3
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, list):
                        raise TypeError()
                    componentsschemas_queue_tuple_item_type_4 = cast(list[str], data)

                    return componentsschemas_queue_tuple_item_type_4
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                return cast(
                    float | list[str] | Prompt | QueueTupleItemType3 | str, data
                )

            componentsschemas_queue_tuple_item = (
                _parse_componentsschemas_queue_tuple_item(
                    componentsschemas_queue_tuple_item_data
                )
            )

            prompt.append(componentsschemas_queue_tuple_item)

        outputs = Outputs.from_dict(d.pop("outputs"))

        status = HistoryEntryStatus.from_dict(d.pop("status"))

        _meta = d.pop("meta", UNSET)
        meta: HistoryEntryMeta | Unset
        if isinstance(_meta, Unset):
            meta = UNSET
        else:
            meta = HistoryEntryMeta.from_dict(_meta)

        history_entry = cls(
            prompt=prompt,
            outputs=outputs,
            status=status,
            meta=meta,
        )

        history_entry.additional_properties = d
        return history_entry

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

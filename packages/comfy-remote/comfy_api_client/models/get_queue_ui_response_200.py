from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.prompt import Prompt
    from ..models.queue_tuple_item_type_3 import QueueTupleItemType3


T = TypeVar("T", bound="GetQueueUiResponse200")


@_attrs_define
class GetQueueUiResponse200:
    """
    Attributes:
        queue_running (list[list[float | list[str] | Prompt | QueueTupleItemType3 | str]]):
        queue_pending (list[list[float | list[str] | Prompt | QueueTupleItemType3 | str]]):
    """

    queue_running: list[list[float | list[str] | Prompt | QueueTupleItemType3 | str]]
    queue_pending: list[list[float | list[str] | Prompt | QueueTupleItemType3 | str]]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.prompt import Prompt
        from ..models.queue_tuple_item_type_3 import QueueTupleItemType3

        queue_running = []
        for queue_running_item_data in self.queue_running:
            queue_running_item = []
            for componentsschemas_queue_tuple_item_data in queue_running_item_data:
                componentsschemas_queue_tuple_item: (
                    dict[str, Any] | float | list[str] | str
                )
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
                queue_running_item.append(componentsschemas_queue_tuple_item)

            queue_running.append(queue_running_item)

        queue_pending = []
        for queue_pending_item_data in self.queue_pending:
            queue_pending_item = []
            for componentsschemas_queue_tuple_item_data in queue_pending_item_data:
                componentsschemas_queue_tuple_item: (
                    dict[str, Any] | float | list[str] | str
                )
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
                queue_pending_item.append(componentsschemas_queue_tuple_item)

            queue_pending.append(queue_pending_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "queue_running": queue_running,
                "queue_pending": queue_pending,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.prompt import Prompt
        from ..models.queue_tuple_item_type_3 import QueueTupleItemType3

        d = dict(src_dict)
        queue_running = []
        _queue_running = d.pop("queue_running")
        for queue_running_item_data in _queue_running:
            queue_running_item = []
            _queue_running_item = queue_running_item_data
            for componentsschemas_queue_tuple_item_data in _queue_running_item:

                def _parse_componentsschemas_queue_tuple_item(
                    data: object,
                ) -> float | list[str] | Prompt | QueueTupleItemType3 | str:
                    try:
                        if not isinstance(data, dict):
                            raise TypeError()
                        componentsschemas_queue_tuple_item_type_2 = Prompt.from_dict(
                            data
                        )

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
                        componentsschemas_queue_tuple_item_type_4 = cast(
                            list[str], data
                        )

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

                queue_running_item.append(componentsschemas_queue_tuple_item)

            queue_running.append(queue_running_item)

        queue_pending = []
        _queue_pending = d.pop("queue_pending")
        for queue_pending_item_data in _queue_pending:
            queue_pending_item = []
            _queue_pending_item = queue_pending_item_data
            for componentsschemas_queue_tuple_item_data in _queue_pending_item:

                def _parse_componentsschemas_queue_tuple_item(
                    data: object,
                ) -> float | list[str] | Prompt | QueueTupleItemType3 | str:
                    try:
                        if not isinstance(data, dict):
                            raise TypeError()
                        componentsschemas_queue_tuple_item_type_2 = Prompt.from_dict(
                            data
                        )

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
                        componentsschemas_queue_tuple_item_type_4 = cast(
                            list[str], data
                        )

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

                queue_pending_item.append(componentsschemas_queue_tuple_item)

            queue_pending.append(queue_pending_item)

        get_queue_ui_response_200 = cls(
            queue_running=queue_running,
            queue_pending=queue_pending,
        )

        get_queue_ui_response_200.additional_properties = d
        return get_queue_ui_response_200

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

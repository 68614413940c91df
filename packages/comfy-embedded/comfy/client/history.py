"""`History`: the prompts a client ran, with their outputs and status (ComfyUI's ``/history``)."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

from comfy.component_model.queue_types import (
    MAXIMUM_HISTORY_SIZE,
    ExecutionStatus,
    HistoryEntry,
    QueueDict,
    QueueTuple,
)

__all__ = ["History"]


class History:
    """Prompt id -> ``{"prompt": QueueTuple, "outputs": {...}, "status": {...}}``, oldest first.

    Thread-safe. Keeps the latest ``maximum_size`` entries.
    """

    def __init__(self, maximum_size: int = MAXIMUM_HISTORY_SIZE) -> None:
        self.maximum_size = maximum_size
        self._entries: OrderedDict[str, HistoryEntry] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, queue_item: QueueDict | QueueTuple | Sequence[Any], outputs: dict[str, Any], status: ExecutionStatus | None) -> None:
        """Record a finished prompt (``queue_item`` is a ``QueueItem`` or a ``QueueTuple``)."""
        queue_tuple = queue_item.queue_tuple if isinstance(queue_item, QueueDict) else QueueTuple(*queue_item)
        entry: HistoryEntry = {"prompt": queue_tuple, "outputs": outputs}
        if status is not None:
            entry["status"] = status.as_dict()
        with self._lock:
            self._entries.pop(queue_tuple.prompt_id, None)
            self._entries[queue_tuple.prompt_id] = entry
            while len(self._entries) > self.maximum_size:
                self._entries.popitem(last=False)

    def copy(self, prompt_id: str | None = None, max_items: int | None = None, offset: int = -1) -> dict[str, HistoryEntry]:
        """A copy of the history, as ComfyUI's ``get_history``.

        With ``prompt_id``: ``{prompt_id: entry}`` (deep copy) or ``{}``. Otherwise the entries
        from index ``offset`` on, at most ``max_items`` of them; a negative ``offset`` with
        ``max_items`` means the last ``max_items``.
        """
        with self._lock:
            if prompt_id is not None:
                entry = self._entries.get(prompt_id)
                return {} if entry is None else {prompt_id: copy.deepcopy(entry)}
            if offset < 0 and max_items is not None:
                offset = len(self._entries) - max_items
            out: dict[str, HistoryEntry] = {}
            for index, (key, value) in enumerate(self._entries.items()):
                if index < offset:
                    continue
                out[key] = value
                if max_items is not None and len(out) >= max_items:
                    break
            return out

    def delete(self, prompt_id: str) -> None:
        with self._lock:
            self._entries.pop(prompt_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, prompt_id: object) -> bool:
        return prompt_id in self._entries

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._entries))

"""`History`: finished prompts by id, oldest first, capped (ComfyUI's `PromptQueue.history`).

Entries are written the way upstream ComfyUI writes them::

    {"prompt": [number, prompt_id, prompt, extra_data, good_outputs],
     "outputs": {node_id: ui},
     "status": {"status_str": "success" | "error", "completed": bool,
                "messages": [[event, data], ...]},      # data carries "timestamp" (ms)
     "meta": {node_id: {"node_id", "display_node", "parent_node", "real_node_id"}}}

The queue tuple's sensitive slot (`auth_token_comfy_org`, `api_key_comfy_org`) is never stored.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from comfy.component_model.queue_types import MAXIMUM_HISTORY_SIZE

__all__ = ["History", "status_as_strings"]


def status_as_strings(status: dict[str, Any]) -> dict[str, Any]:
    """A history `status` as the fork's `ExecutionStatusAsDict` (what `/api/v1/prompts` answers
    with a 500): `messages` as strings (`"execution_error: <message>"`), plus `error_details`
    (the `execution_error` or `execution_interrupted` data) when the prompt failed."""
    messages: list[str] = []
    error_details: dict[str, Any] | None = None
    for pair in status.get("messages") or ():
        event, data = pair[0], pair[1] if len(pair) > 1 else {}
        if event == "execution_error":
            error_details = data
            text = str(data.get("exception_message", "")).strip()
            kind = data.get("exception_type")
            messages.append(f"execution_error: {kind}: {text}" if kind else f"execution_error: {text}")
        elif event == "execution_interrupted":
            error_details = error_details or data
            messages.append(f"execution_interrupted: node {data.get('node_id')}")
        else:
            messages.append(str(event))
    result: dict[str, Any] = {
        "status_str": status.get("status_str", "error"),
        "completed": bool(status.get("completed", False)),
        "messages": messages,
    }
    if error_details is not None:
        result["error_details"] = error_details
    return result


class History:
    """Thread-safe, ordered, capped map of prompt id → history entry."""

    def __init__(self, max_size: int = MAXIMUM_HISTORY_SIZE) -> None:
        self.max_size = max_size
        self._entries: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, prompt_id: str, entry: dict[str, Any]) -> None:
        """Add (or replace) an entry; the oldest ones go past `max_size`."""
        with self._lock:
            self._entries.pop(prompt_id, None)
            self._entries[prompt_id] = entry
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def get(self, prompt_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._entries.get(prompt_id)

    def __contains__(self, prompt_id: object) -> bool:
        return prompt_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def last(self) -> dict[str, Any] | None:
        """The newest entry, or None."""
        with self._lock:
            if not self._entries:
                return None
            return next(reversed(self._entries.values()))

    def page(self, max_items: int | None = None, offset: int = -1) -> dict[str, dict[str, Any]]:
        """ComfyUI's `get_history(max_items, offset)`: offset -1 (the default) means "the last
        `max_items`" (everything when `max_items` is None)."""
        with self._lock:
            keys = list(self._entries)
            if offset < 0 and max_items is not None:
                offset = len(keys) - max_items
            offset = max(offset, 0)
            end = len(keys) if max_items is None else offset + max(max_items, 0)
            return {k: self._entries[k] for k in keys[offset:end]}

    def delete(self, prompt_ids: Iterable[str]) -> None:
        with self._lock:
            for prompt_id in prompt_ids:
                self._entries.pop(prompt_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

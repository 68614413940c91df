"""Per-prompt node progress (`progress` and `progress_state` events, previews).

Unlike ComfyUI, a `progress_state` event lists only the nodes that are running plus the node that
changed, not every node seen so far: ComfyUI's full listing makes the bytes sent grow with the
square of the graph size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from comfy.component_model.queue_types import BinaryEventTypes

Emit = Callable[[Any, Any], None]
Meta = Callable[[str], tuple[str, str | None, str]]


class ProgressRegistry:
    """Node id → `{state, value, max}` for one prompt; sends the events through `emit`."""

    def __init__(self, prompt_id: str, emit: Emit | None, meta: Meta) -> None:
        self.prompt_id = prompt_id
        self._emit = emit
        self._meta = meta
        self.nodes: dict[str, dict[str, Any]] = {}
        self._running: set[str] = set()

    def _state(self, node_id: str) -> dict[str, Any]:
        entry = self.nodes[node_id]
        display, parent, real = self._meta(node_id)
        return {
            "value": entry["value"],
            "max": entry["max"],
            "state": entry["state"],
            "node_id": node_id,
            "prompt_id": self.prompt_id,
            "display_node_id": display,
            "parent_node_id": parent,
            "real_node_id": real,
        }

    def _send_state(self, changed: str) -> None:
        if self._emit is None:
            return
        ids = self._running | {changed}
        self._emit("progress_state", {"prompt_id": self.prompt_id, "nodes": {i: self._state(i) for i in ids}})

    def send(self, event: Any, data: Any) -> bool:
        """Send a node's own message (``PromptServer.instance.send_sync`` in a custom node) the
        way the prompt's node events go; False when nobody receives node events."""
        if self._emit is None:
            return False
        self._emit(event, data)
        return True

    def start(self, node_id: str) -> None:
        self.nodes[node_id] = {"state": "running", "value": 0.0, "max": 1.0}
        self._running.add(node_id)
        self._send_state(node_id)

    def update(self, node_id: str, value: float, max_value: float, preview: Any = None) -> None:
        entry = self.nodes.setdefault(node_id, {"state": "running", "value": 0.0, "max": 1.0})
        entry["value"] = value
        entry["max"] = max_value
        if self._emit is None:
            return
        message: dict[str, Any] = {"value": value, "max": max_value, "prompt_id": self.prompt_id, "node": node_id}
        if isinstance(preview, dict):
            message["output"] = preview
        self._emit("progress", message)
        self._send_state(node_id)
        if preview is not None and not isinstance(preview, dict):
            display, parent, real = self._meta(node_id)
            metadata = {
                "node_id": node_id,
                "prompt_id": self.prompt_id,
                "display_node_id": display,
                "parent_node_id": parent,
                "real_node_id": real,
            }
            self._emit(BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, (preview, metadata))

    def finish(self, node_id: str, state: str = "finished") -> None:
        entry = self.nodes.setdefault(node_id, {"state": state, "value": 1.0, "max": 1.0})
        entry["state"] = state
        if state == "finished":
            entry["value"] = entry["max"]
        self._running.discard(node_id)
        self._send_state(node_id)

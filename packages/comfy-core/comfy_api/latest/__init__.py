"""`ComfyAPI` / `ComfyAPISync`: the V3 public API's execution helpers.

`await ComfyAPI().execution.set_progress(value, max_value, node_id=None, preview_image=None)`
reports progress of the running node (or `node_id`) through the same registry as
`comfy.utils.ProgressBar`; `ComfyAPISync` is the blocking twin.
"""

from __future__ import annotations

from typing import Any

from comfy.execution.context import current_node_context
from comfy.model_management import throw_exception_if_processing_interrupted

__all__ = ["ComfyAPI", "ComfyAPISync"]


def _set_progress(value: float, max_value: float, node_id: str | None, preview_image: Any) -> None:
    throw_exception_if_processing_interrupted()
    ctx = current_node_context()
    if ctx is None:
        raise RuntimeError("set_progress must be called while a node is executing")
    ctx.prompt.progress.update(node_id if node_id is not None else ctx.node_id, value, max_value, preview_image)


class _AsyncExecution:
    async def set_progress(self, value: float, max_value: float, node_id: str | None = None, preview_image: Any = None) -> None:
        """Reports progress of the running node."""
        _set_progress(value, max_value, node_id, preview_image)


class _SyncExecution:
    def set_progress(self, value: float, max_value: float, node_id: str | None = None, preview_image: Any = None) -> None:
        """Reports progress of the running node."""
        _set_progress(value, max_value, node_id, preview_image)


class ComfyAPI:
    """The async public API."""

    def __init__(self) -> None:
        self.execution = _AsyncExecution()


class ComfyAPISync:
    """The blocking public API."""

    def __init__(self) -> None:
        self.execution = _SyncExecution()

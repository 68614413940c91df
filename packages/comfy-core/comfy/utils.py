"""Node-facing utilities of the engine: `ProgressBar`.

`ProgressBar` reports progress of the node that is running (found through the execution
context, or given as `node_id`) and checks for interrupts at every update, so a long node that
updates its bar stops promptly when the prompt is interrupted.
"""

from __future__ import annotations

from typing import Any

from comfy.execution.context import current_node_context
from comfy.model_management import throw_exception_if_processing_interrupted


class ProgressBar:
    """Progress of one node: `update(delta)` or `update_absolute(value, total, preview)`."""

    def __init__(self, total: float, node_id: str | None = None) -> None:
        self.total = total
        self.current = 0.0
        ctx = current_node_context()
        self._ctx = ctx
        self.node_id = node_id if node_id is not None else (ctx.node_id if ctx is not None else None)

    def update_absolute(self, value: float, total: float | None = None, preview: Any = None) -> None:
        throw_exception_if_processing_interrupted()
        if total is not None:
            self.total = total
        if value > self.total:
            value = self.total
        self.current = value
        ctx = self._ctx or current_node_context()
        if ctx is not None and self.node_id is not None:
            ctx.prompt.progress.update(self.node_id, self.current, self.total, preview)

    def update(self, value: float) -> None:
        self.update_absolute(self.current + value)

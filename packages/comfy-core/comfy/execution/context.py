"""Where the engine is now: the running prompt and node, kept in context variables so that
`ProgressBar`, `is_input_pending` and the public progress API find them from inside a node, in
threads and in async tasks alike."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from comfy._scheduler import Run
    from comfy.execution.progress import ProgressRegistry


@dataclass
class PromptContext:
    """One running prompt."""

    prompt_id: str
    progress: ProgressRegistry
    run: Run | None = None
    extra_data: dict[str, Any] = field(default_factory=dict)
    sender: Callable[[Any, Any, str | None], None] | None = None
    """Delivers a node's own messages (``event, data, sid``); when None they go through
    ``progress`` like the node events (to the prompt's handler and ``comfy_on_event``)."""

    def send(self, event: Any, data: Any, sid: str | None = None) -> bool:
        """Send a message from a node of this prompt; False when nobody receives it."""
        if self.sender is not None:
            self.sender(event, data, sid)
            return True
        return self.progress.send(event, data)


class NodeContext:
    """One call of one node (`list_index` counts the calls of a list-mapped node).

    A plain slotted class: one is made per node call, so it must be cheap."""

    __slots__ = ("prompt", "node_id", "list_index")

    def __init__(self, prompt: PromptContext, node_id: str, list_index: int = 0) -> None:
        self.prompt = prompt
        self.node_id = node_id
        self.list_index = list_index

    @property
    def prompt_id(self) -> str:
        return self.prompt.prompt_id

    @property
    def run(self) -> Run | None:
        return self.prompt.run

    def __repr__(self) -> str:
        return f"NodeContext({self.prompt.prompt_id!r}, {self.node_id!r}, {self.list_index})"


_current_node: contextvars.ContextVar[NodeContext | None] = contextvars.ContextVar("comfy_current_node", default=None)


def current_node_context() -> NodeContext | None:
    """The node being executed in this thread or task, if any."""
    return _current_node.get()


@contextmanager
def node_context(ctx: NodeContext) -> Iterator[NodeContext]:
    """Makes `ctx` the current node for the duration of the block."""
    token = _current_node.set(ctx)
    try:
        yield ctx
    finally:
        _current_node.reset(token)


def send_event(event: Any, data: Any, sid: str | None = None) -> bool:
    """Send ``event`` from the running node to its prompt's event handler (custom nodes'
    ``PromptServer.instance.send_sync``); False outside a node or when nobody listens."""
    ctx = _current_node.get()
    if ctx is None:
        return False
    return ctx.prompt.send(event, data, sid)


def enter_node_context(ctx: NodeContext) -> contextvars.Token[NodeContext | None]:
    """Sets the current node without a block (pair with `leave_node_context`); for hot paths."""
    return _current_node.set(ctx)


def leave_node_context(token: contextvars.Token[NodeContext | None]) -> None:
    _current_node.reset(token)

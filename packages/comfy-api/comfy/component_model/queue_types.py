"""Queue items, execution status and binary event types (``spec/api.md`` §1.3, §3.2, ``engine.md`` §0).

Names and field orders are ComfyUI's (``comfy/component_model/queue_types.py`` of the
hiddenswitch fork): code that unpacks a :class:`QueueTuple` positionally or calls
``ExecutionStatus.as_dict()`` keeps working. :class:`BinaryEventTypes` is an ``IntEnum`` here
(the fork's is a plain ``Enum``) so its members pack straight into the 4-byte WebSocket header.
"""

from __future__ import annotations

import copy
import time
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, NotRequired, Optional, Sequence, TypedDict

if TYPE_CHECKING:
    import asyncio

    from .executor_types import ExecutionErrorMessage

__all__ = [
    "BinaryEventTypes",
    "QueueTuple",
    "QueueDict",
    "NamedQueueTuple",
    "QueueItem",
    "TaskInvocation",
    "ExecutionStatus",
    "ExecutionStatusAsDict",
    "ExecutionError",
    "HistoryEntry",
    "ExtraData",
    "SENSITIVE_EXTRA_DATA_KEYS",
    "MAXIMUM_HISTORY_SIZE",
]

MAXIMUM_HISTORY_SIZE = 10000
"""How many finished prompts a local queue keeps in its history."""

SENSITIVE_EXTRA_DATA_KEYS: tuple[str, ...] = ("auth_token_comfy_org", "api_key_comfy_org")
"""``extra_data`` keys moved into the queue tuple's ``sensitive`` slot (never stored in history)."""


class BinaryEventTypes(IntEnum):
    """Event types of binary messages (the 4-byte big-endian header of a WebSocket frame)."""

    PREVIEW_IMAGE = 1
    UNENCODED_PREVIEW_IMAGE = 2
    TEXT = 3
    PREVIEW_IMAGE_WITH_METADATA = 4


class ExtraData(TypedDict, total=False):
    """Per-prompt data beside the prompt itself."""

    client_id: str
    extra_pnginfo: dict[str, Any]
    preview_method: str
    create_time: int
    auth_token_comfy_org: str
    api_key_comfy_org: str


class QueueTuple(NamedTuple):
    """What is queued: ``(priority, prompt_id, prompt, extra_data, good_outputs, sensitive)``."""

    priority: float
    prompt_id: str
    prompt: dict
    extra_data: Optional[ExtraData] = None
    good_outputs: Optional[list[str]] = None
    sensitive: Optional[dict] = None


class ExecutionStatusAsDict(TypedDict):
    """``ExecutionStatus.as_dict()``, as stored in history and sent over the wire."""

    status_str: Literal["success", "error"]
    completed: bool
    messages: list[str]
    error_details: NotRequired["ExecutionErrorMessage"]


class ExecutionStatus(NamedTuple):
    """How a prompt ended: ``status_str`` is ``"success"`` or ``"error"``."""

    status_str: Literal["success", "error"]
    completed: bool
    messages: list[str]

    def as_dict(self, error_details: Optional["ExecutionErrorMessage"] = None) -> ExecutionStatusAsDict:
        """Return ``{"status_str", "completed", "messages"}`` (+ ``"error_details"`` when given)."""
        result: ExecutionStatusAsDict = {
            "status_str": self.status_str,
            "completed": self.completed,
            "messages": copy.copy(self.messages),
        }
        if error_details is not None:
            result["error_details"] = error_details
        return result


class TaskInvocation(NamedTuple):
    """The result of running one queue item."""

    item_id: int | str
    outputs: dict
    status: Optional[ExecutionStatus]
    error_details: Optional["ExecutionErrorMessage"] = None


class ExecutionError(RuntimeError):
    """A prompt failed; ``str(err)`` is its status messages joined by commas."""

    def __init__(
        self,
        task_id: int | str,
        status: Optional[ExecutionStatus] = None,
        exceptions: Optional[Sequence[BaseException]] = None,
        *args: Any,
    ) -> None:
        super().__init__(*args)
        self._task_id = task_id
        if status is not None:
            self._status = status
        elif exceptions is not None:
            self._status = ExecutionStatus("error", False, [str(ex) for ex in exceptions])
        else:
            self._status = ExecutionStatus("error", False, [])

    @property
    def task_id(self) -> int | str:
        """The prompt id of the failed task."""
        return self._task_id

    @property
    def status(self) -> ExecutionStatus:
        """The failed task's status."""
        return self._status

    def as_task_invocation(self) -> TaskInvocation:
        """This failure as a :class:`TaskInvocation` with no outputs."""
        return TaskInvocation(self._task_id, {}, self._status)

    def __str__(self) -> str:
        return ",".join(self._status.messages)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._task_id, self._status, None, *self.args))


class HistoryEntry(TypedDict):
    """One prompt in history (``engine.md`` §0)."""

    prompt: QueueTuple
    outputs: dict
    meta: NotRequired[dict]
    status: NotRequired[ExecutionStatusAsDict]


class QueueDict(dict):
    """A queue tuple as a dict (what executors receive); the tuple itself is ``.queue_tuple``.

    When the tuple has no ``sensitive`` slot yet, the :data:`SENSITIVE_EXTRA_DATA_KEYS` move out of
    ``extra_data`` into it and ``extra_data["create_time"]`` (epoch ms) is set.
    """

    __slots__ = ("queue_tuple",)

    def __init__(self, queue_tuple: QueueTuple | Sequence[Any]) -> None:
        qt = QueueTuple(*queue_tuple)
        if qt.sensitive is None:
            extra_data: dict[str, Any] = dict(qt.extra_data or {})
            sensitive = {key: extra_data.pop(key) for key in SENSITIVE_EXTRA_DATA_KEYS if key in extra_data}
            extra_data.setdefault("create_time", int(time.time() * 1000))
            qt = QueueTuple(qt.priority, qt.prompt_id, qt.prompt, extra_data, qt.good_outputs, sensitive)  # type: ignore[arg-type]
        super().__init__(
            priority=qt.priority,
            prompt_id=qt.prompt_id,
            prompt=qt.prompt,
            extra_data=qt.extra_data,
            good_outputs=qt.good_outputs,
            sensitive=qt.sensitive,
        )
        self.queue_tuple = qt

    @property
    def priority(self) -> float:
        return self.queue_tuple.priority

    @property
    def prompt_id(self) -> str:
        return self.queue_tuple.prompt_id

    @property
    def prompt(self) -> dict:
        return self.queue_tuple.prompt

    @property
    def extra_data(self) -> Optional[ExtraData]:
        return self.queue_tuple.extra_data

    @property
    def good_outputs(self) -> Optional[list[str]]:
        return self.queue_tuple.good_outputs

    @property
    def sensitive(self) -> Optional[dict]:
        return self.queue_tuple.sensitive


NamedQueueTuple = QueueDict


class QueueItem(QueueDict):
    """A queued item with a ``completed`` future; lower ``priority`` sorts (and runs) first."""

    __slots__ = ("completed",)

    def __init__(
        self,
        queue_tuple: QueueTuple | Sequence[Any],
        completed: "asyncio.Future[TaskInvocation | dict] | None" = None,
    ) -> None:
        super().__init__(queue_tuple)
        self.completed = completed

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, QueueItem):
            return NotImplemented
        return self.priority < other.priority

"""The handle ``queue_with_progress(prompt)`` returns, shared by the embedded, remote and distributed
clients so that code switches between them by changing one line.

:class:`QueuePromptWithProgress` runs a coroutine as its task; ``progress()`` yields every
``ProgressNotification(event, data, sid)`` of the run in order, stops when the prompt succeeds
and raises the prompt's exception when it fails; ``await task.get()`` (or ``await task``) gives
the ``V1QueuePromptResponse``. Producers hand notifications over with :meth:`emit` (on the loop)
or through :attr:`progress_handler` (a :class:`ProgressQueueHandler`, callable from any thread).

Stdlib only, like the rest of comfy-api.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Coroutine, Generator
from typing import Any, Optional, TypeVar

from comfy.client.client_types import ProgressNotification, V1QueuePromptResponse
from comfy.component_model.executor_types import SendSyncData, SendSyncEvent, SocketsMetadataType, encode_text_for_progress
from comfy.component_model.queue_types import BinaryEventTypes

__all__ = ["QueuePromptWithProgress", "ProgressQueueHandler"]

_DONE = object()
_Self = TypeVar("_Self", bound="QueuePromptWithProgress")


class ProgressQueueHandler:
    """An ``ExecutorToClientProgress`` that hands each notification to one task's event loop
    (``call_soon_threadsafe``): executors call it from their worker threads."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]) -> None:
        self.client_id: Optional[str] = str(uuid.uuid4())
        self.last_node_id: Optional[str] = None
        self.last_prompt_id: Optional[str] = None
        self._loop = loop
        self._queue = queue

    @property
    def receive_all_progress_notifications(self) -> bool:
        return True

    @property
    def sockets_metadata(self) -> SocketsMetadataType:
        return {"__unimplemented": True}

    def send_sync(self, event: SendSyncEvent, data: SendSyncData, sid: Optional[str] = None) -> None:
        self._loop.call_soon_threadsafe(self._queue.put_nowait, ProgressNotification(event, data, sid))

    def send_progress_text(self, text: str | bytes | bytearray, node_id: str, sid: Optional[str] = None) -> None:
        self.send_sync(BinaryEventTypes.TEXT, encode_text_for_progress(node_id, text), sid)

    def queue_updated(self, queue_remaining: Optional[int] = None) -> None:
        return None


class QueuePromptWithProgress:
    """A prompt started with :meth:`start`; see the module docstring.

    Make it inside a running event loop. There is one shared ``progress()`` iterator per task:
    iterating it a second time continues where the first iteration stopped.
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self.progress_handler = ProgressQueueHandler(self._loop, self._queue)
        self._task: asyncio.Task[V1QueuePromptResponse] | None = None
        self._iterator: AsyncIterator[ProgressNotification] | None = None

    def start(self: _Self, coroutine: Coroutine[Any, Any, V1QueuePromptResponse]) -> _Self:
        """Run ``coroutine`` (which reports through :meth:`emit` or :attr:`progress_handler`) as
        this object's task."""
        self._task = asyncio.ensure_future(coroutine)
        self._task.add_done_callback(self.complete)
        return self

    def emit(self, notification: ProgressNotification) -> None:
        """Hand one notification to ``progress()`` (call it on the task's loop)."""
        self._queue.put_nowait(notification)

    def complete(self, task: asyncio.Task[Any]) -> None:
        """The task's done-callback: ends the notifications, after every one already handed over
        (those sent from other threads with ``call_soon_threadsafe`` included)."""
        self._loop.call_soon(self._queue.put_nowait, _DONE)

    @property
    def task(self) -> asyncio.Task[V1QueuePromptResponse]:
        if self._task is None:
            raise RuntimeError("the prompt was not started")
        return self._task

    def progress(self) -> AsyncIterator[ProgressNotification]:
        """The notifications of the run, in order; raises the prompt's exception at the end."""
        if self._iterator is None:
            self._iterator = self._notifications()
        return self._iterator

    async def _notifications(self) -> AsyncIterator[ProgressNotification]:
        while True:
            item = await self._queue.get()
            if item is _DONE:
                task = self.task
                if task.cancelled():
                    raise asyncio.CancelledError()
                error = task.exception()
                if error is not None:
                    raise error
                return
            yield item

    async def get(self) -> V1QueuePromptResponse:
        """The response (``urls``, ``outputs``, ``prompt_id``); raises the prompt's exception."""
        return await self.task

    def future(self) -> asyncio.Future[V1QueuePromptResponse]:
        """The task itself (an ``asyncio.Future``)."""
        return self.task

    def __await__(self) -> Generator[Any, None, V1QueuePromptResponse]:
        return self.get().__await__()

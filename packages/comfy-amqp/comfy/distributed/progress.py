"""Progress on the caller's side: turning wire messages back into engine events, and the
``queue_with_progress`` task (the same shape as the embedded client's).

:func:`decode_progress` makes ``(event, data)`` from a ``comfy.progress`` / ``comfy.preview`` /
``comfy.text`` message: JSON events come back as ``(name, dict)``; a preview as
``(BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, (UnencodedPreviewImageMessage, metadata))`` with a
decoded PIL image when pillow is installed and ``decode_previews`` is set (what the embedded client
yields), else as ``(BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, EncodedPreview)`` — the image
bytes as the worker encoded them, for relays that forward them (a frontend without pillow).
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import AsyncIterator, Coroutine, Generator
from typing import Any, NamedTuple, Optional

from comfy.client.client_types import ProgressNotification, V1QueuePromptResponse
from comfy.component_model.executor_types import SendSyncData, SendSyncEvent, SocketsMetadataType, UnencodedPreviewImageMessage, encode_text_for_progress
from comfy.component_model.queue_types import BinaryEventTypes

from . import wire

__all__ = ["EncodedPreview", "decode_progress", "ProgressQueueHandler", "QueuePromptWithProgress"]

_DONE = object()


class EncodedPreview(NamedTuple):
    """A preview frame as it travelled: ``mime`` (``image/jpeg``/``image/png``), the encoded
    ``image`` bytes and ComfyUI's preview ``metadata`` dict."""

    mime: str
    image: bytes
    metadata: dict[str, Any]

    @property
    def format(self) -> str:
        return "PNG" if self.mime == "image/png" else "JPEG"


def decode_progress(message_type: str, body: bytes, headers: dict[str, Any] | None, decode_previews: bool = True) -> tuple[Any, Any] | None:
    """``(event, data)`` for one progress message, or None when it is not one."""
    if message_type == wire.PROGRESS:
        payload = wire.loads(body)
        return payload.get("event"), payload.get("data")
    if message_type == wire.TEXT:
        return BinaryEventTypes.TEXT, bytes(body)
    if message_type == wire.PREVIEW:
        metadata_text = wire.header(headers, wire.H_METADATA, "{}")
        try:
            metadata = json.loads(metadata_text) if isinstance(metadata_text, str) else dict(metadata_text)
        except ValueError:
            metadata = {}
        mime = str(metadata.get("image_type") or "image/jpeg")
        preview = EncodedPreview(mime, bytes(body), metadata)
        if decode_previews:
            image = _decode_image(preview.image)
            if image is not None:
                unencoded = UnencodedPreviewImageMessage(
                    preview.format,  # type: ignore[arg-type]
                    image,
                    max(image.size),
                    str(metadata.get("node_id", "")),
                    str(metadata.get("prompt_id", "")),
                )
                return BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, (unencoded, metadata)
        return BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, preview
    return None


def _decode_image(data: bytes) -> Any:
    try:
        from PIL import Image
    except ImportError:
        return None
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except Exception:
        return None


class ProgressQueueHandler:
    """The progress handler of one :class:`QueuePromptWithProgress` (an ``ExecutorToClientProgress``)."""

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
    """A running distributed prompt: ``progress()`` yields its ``ProgressNotification`` s in order
    and raises the job's exception at the end; ``await task.get()`` (or ``await task``) gives the
    ``V1QueuePromptResponse``. Mirrors ``comfy.client.async_progress_iterable.QueuePromptWithProgress``.
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self.progress_handler = ProgressQueueHandler(self._loop, self._queue)
        self._task: asyncio.Task[V1QueuePromptResponse] | None = None
        self._iterator: AsyncIterator[ProgressNotification] | None = None

    def start(self, coroutine: Coroutine[Any, Any, V1QueuePromptResponse]) -> QueuePromptWithProgress:
        self._task = asyncio.ensure_future(coroutine)
        self._task.add_done_callback(self.complete)
        return self

    def complete(self, task: asyncio.Task[Any]) -> None:
        # after the notifications already scheduled with call_soon_threadsafe
        self._loop.call_soon(self._queue.put_nowait, _DONE)

    @property
    def task(self) -> asyncio.Task[V1QueuePromptResponse]:
        if self._task is None:
            raise RuntimeError("the prompt was not started")
        return self._task

    def progress(self) -> AsyncIterator[ProgressNotification]:
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
        return await self.task

    def future(self) -> asyncio.Future[V1QueuePromptResponse]:
        return self.task

    def __await__(self) -> Generator[Any, None, V1QueuePromptResponse]:
        return self.get().__await__()

"""The worker's progress handler: engine events of one job, onto the ``Q.progress`` exchange.

The embedded executor calls ``send_sync(event, data, sid)`` from its worker thread. Each event
becomes one message addressed (routing key) to the job's ``client_id``: JSON
``{version, type, prompt_id, event, data}`` for named events; for previews the encoded image as
the binary body with its JSON metadata in the ``x-comfy-metadata`` header; ``TEXT`` payloads as
they are. Encoding happens on the calling thread; the messages go to the event loop's outbox
(``call_soon_threadsafe``), which one task publishes in order (:class:`ProgressOutbox`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Optional

from comfy.component_model.executor_types import (
    SendSyncData,
    SendSyncEvent,
    SocketsMetadataType,
    encode_text_for_progress,
)
from comfy.component_model.previews import encode_preview as encode_wire_preview
from comfy.component_model.queue_types import BinaryEventTypes
from pamqp.commands import Basic

from . import wire
from .connection import ReconnectingConnection

__all__ = ["AmqpProgressHandler", "ProgressOutbox", "encode_preview"]

logger = logging.getLogger(__name__)


def encode_preview(preview: Any) -> tuple[str, bytes] | None:
    """``(mime, bytes)`` of a preview (see ``comfy.component_model.previews``); None if it is
    not an image."""
    try:
        return encode_wire_preview(preview)
    except Exception:
        logger.debug("could not encode a preview", exc_info=True)
        return None


class ProgressOutbox:
    """Publishes queued progress messages in order, without waiting for confirms."""

    def __init__(self, connection: ReconnectingConnection, exchange: str) -> None:
        self.connection = connection
        self.exchange = exchange
        self.queue: asyncio.Queue[tuple[str, bytes, Basic.Properties]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._drain(), name="progress-outbox")

    async def _drain(self) -> None:
        while True:
            routing_key, body, properties = await self.queue.get()
            try:
                if self.connection.connected.is_set():
                    await self.connection.publish(body, exchange=self.exchange, routing_key=routing_key, properties=properties, confirm=False, retry=False)
            except Exception:
                logger.debug("dropped a progress message", exc_info=True)
            finally:
                self.queue.task_done()

    async def flush(self) -> None:
        """Wait until every queued message is handed to the channel: anything published on it
        afterwards (the job's result) reaches the reply queue after them."""
        await self.queue.join()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except BaseException:
                pass


class AmqpProgressHandler:
    """An ``ExecutorToClientProgress`` for one job (``client_id`` = the job's client id)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, outbox: ProgressOutbox, prompt_id: str, client_id: str, publish: bool = True) -> None:
        self.client_id: Optional[str] = client_id
        self.last_node_id: Optional[str] = None
        self.last_prompt_id: Optional[str] = prompt_id
        self.prompt_id = prompt_id
        self.last_error: dict[str, Any] | None = None
        """The data of the last ``execution_error`` event (node id, type, traceback)."""
        self.last_interrupted: dict[str, Any] | None = None
        self._loop = loop
        self._outbox = outbox
        self._publish = publish
        """False: only note the errors (the job asked for no progress)."""

    @property
    def receive_all_progress_notifications(self) -> bool:
        return True

    @property
    def sockets_metadata(self) -> SocketsMetadataType:
        return {"__unimplemented": True}

    def _headers(self, event: str) -> dict[str, Any]:
        return {wire.H_VERSION: wire.WIRE_VERSION, wire.H_PROMPT_ID: self.prompt_id, wire.H_CLIENT_ID: self.client_id or "", wire.H_EVENT: event}

    def send_sync(self, event: SendSyncEvent, data: SendSyncData, sid: Optional[str] = None) -> None:
        if not self._publish:
            if event == "execution_error" and isinstance(data, dict):
                self.last_error = dict(data)
            return
        try:
            message = self._encode(event, data)
        except Exception:
            logger.debug("could not encode event %r", event, exc_info=True)
            return
        if message is None:
            return
        body, properties = message
        try:
            self._loop.call_soon_threadsafe(self._outbox.queue.put_nowait, (self.client_id or "", body, properties))
        except RuntimeError:
            pass  # the loop is closed: the worker is stopping

    def _encode(self, event: Any, data: Any) -> tuple[bytes, Basic.Properties] | None:
        expiration = str(wire.PROGRESS_EXPIRATION_MS)
        if isinstance(event, int) and not isinstance(event, bool):
            kind = int(event)
            if kind in (BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, BinaryEventTypes.UNENCODED_PREVIEW_IMAGE):
                preview, metadata = data if kind == BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA else (data, {})
                encoded = encode_preview(preview)
                if encoded is None:
                    return None
                mime, image = encoded
                meta = dict(metadata or {})
                meta.setdefault("prompt_id", self.prompt_id)
                meta.setdefault("node_id", getattr(preview, "node_id", "") or self.last_node_id or "")
                meta["image_type"] = mime
                headers = self._headers("preview")
                headers[wire.H_METADATA] = json.dumps(meta, default=str)
                return image, Basic.Properties(content_type=mime, message_type=wire.PREVIEW, headers=headers, expiration=expiration)
            if kind == BinaryEventTypes.TEXT and isinstance(data, (bytes, bytearray)):
                return bytes(data), Basic.Properties(content_type="application/octet-stream", message_type=wire.TEXT, headers=self._headers("text"), expiration=expiration)
            return None
        name = str(event)
        if name == "executing" and isinstance(data, dict):
            self.last_node_id = data.get("node")
        elif name == "execution_error" and isinstance(data, dict):
            self.last_error = dict(data)
        elif name == "execution_interrupted" and isinstance(data, dict):
            self.last_interrupted = dict(data)
        body = wire.dumps({"version": wire.WIRE_VERSION, "type": wire.PROGRESS, "prompt_id": self.prompt_id, "event": name, "data": data})
        return body, Basic.Properties(content_type="application/json", message_type=wire.PROGRESS, headers=self._headers(name), expiration=expiration)

    def send_progress_text(self, text: str | bytes | bytearray, node_id: str, sid: Optional[str] = None) -> None:
        self.send_sync(BinaryEventTypes.TEXT, encode_text_for_progress(node_id, text), sid)

    def queue_updated(self, queue_remaining: Optional[int] = None) -> None:
        return None

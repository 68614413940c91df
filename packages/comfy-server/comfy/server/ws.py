"""`/ws?clientId=`: the websocket, and `ConnectionManager`, which routes engine events to it.

Protocol (ComfyUI's, `spec/api.md` §6.4):

- The socket id (sid) is `clientId` when given (an older socket with the same id is closed),
  else a random hex id. On connect the server sends `{"type": "status", "data": {"status":
  {"exec_info": {"queue_remaining": N}}, "sid": sid}}`, and, when this sid owns the running
  prompt, `{"type": "executing", "data": {"node": <last node>, "prompt_id": ...}}`.
- A client message `{"type": "feature_flags", "data": {...}}` stores the client's flags; the
  server answers `{"type": "feature_flags", "data": <server flags>}`. Other messages are ignored.
- Every event of a prompt posted with `client_id = sid` goes to that socket only, progress and
  previews included; `status` and `execution_interrupted` go to every socket.
- Binary frames are `uint32 BE type || payload`: type 4 (`PREVIEW_IMAGE_WITH_METADATA`, payload
  `uint32 len(json) || json || image`) for clients that sent `supports_preview_metadata: true`,
  type 1 (`PREVIEW_IMAGE`, payload `uint32 format (1 JPEG, 2 PNG) || image`) for the others;
  type 3 (`TEXT`) as the node packed it.

Events are produced on worker threads. `send_sync` encodes them there (JSON, preview images) and
hands the frames to the event loop (a deque, drained by one `call_soon_threadsafe` callback per
burst); the worker never waits for a client. Each socket has a bounded outbox drained by its own task. Slow-client policy: once an
outbox holds :data:`SOFT_LIMIT` frames, new progress, progress_state and preview frames for that
socket are dropped (they are superseded by the next ones anyway); if it reaches
:data:`HARD_LIMIT` frames the socket is closed with code 1013 ("try again later"): the client
reconnects and reads `/history`.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import struct
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from comfy.component_model.previews import encode_preview
from comfy.component_model.queue_types import BinaryEventTypes
from comfy.server.http import dumps
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

if TYPE_CHECKING:
    from comfy.server.state import ServerState

__all__ = ["ConnectionManager", "encode_preview", "routes", "SOFT_LIMIT", "HARD_LIMIT"]

logger = logging.getLogger(__name__)

SOFT_LIMIT = 1024
"""Queued frames past which a socket's droppable frames (progress, previews) are dropped."""
HARD_LIMIT = 8192
"""Queued frames at which a socket is closed (code 1013)."""

_DROPPABLE = frozenset({"progress", "progress_state"})
_CLOSE = object()
_STATUS = object()


@dataclass(eq=False)
class _Connection:
    sid: str
    websocket: WebSocket
    outbox: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    feature_flags: dict[str, Any] = field(default_factory=dict)
    closed: bool = False
    close_code: int = 1000

    @property
    def supports_preview_metadata(self) -> bool:
        return bool(self.feature_flags.get("supports_preview_metadata"))


@dataclass(frozen=True)
class _Preview:
    """A preview frame in both wire forms, picked per socket."""

    with_metadata: bytes
    legacy: bytes


class ConnectionManager:
    """The sockets of one server, by sid; the executors' event handler (`send_sync`)."""

    def __init__(self) -> None:
        self.connections: dict[str, _Connection] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.state: ServerState | None = None
        self._status_pending = False
        self._status_lock = threading.Lock()
        self._outgoing: collections.deque[tuple[str | None, Any, bool]] = collections.deque()
        self._drain_scheduled = False
        self.executing: dict[str, tuple[str, str | None]] = {}
        """sid → (prompt id, node id) of the node last reported `executing` to that sid."""

    def bind(self, loop: asyncio.AbstractEventLoop, state: ServerState) -> None:
        self.loop = loop
        self.state = state

    # -- from any thread -----------------------------------------------------------------------

    def send_sync(self, event: Any, data: Any, sid: str | None = None) -> None:
        """Deliver one engine event (`sid` None: to every socket). Safe from any thread."""
        if event == "executing" and sid is not None and isinstance(data, dict):
            node = data.get("node")
            if node is None:
                self.executing.pop(sid, None)
            else:
                self.executing[sid] = (data.get("prompt_id") or "", node)
        connections = self.connections
        if not connections or (sid is not None and sid not in connections):
            return
        frame: Any
        if isinstance(event, BinaryEventTypes) or isinstance(event, int):
            frame = self._binary_frame(int(event), data)
            if frame is None:
                return
            droppable = True
        else:
            frame = dumps({"type": event, "data": data}).decode("utf-8")
            droppable = event in _DROPPABLE
        self._post(sid, frame, droppable)

    def queue_updated(self) -> None:
        """Broadcast the queue status (coalesced: at most one waiting broadcast; it reports the
        queue as it is when it is sent)."""
        if not self.connections or self.loop is None:
            return
        with self._status_lock:
            if self._status_pending:
                return
            self._status_pending = True
        self._post(None, _STATUS, False)

    def _binary_frame(self, event_type: int, data: Any) -> bytes | _Preview | None:
        if event_type == BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA:
            preview, metadata = data
            return self._preview(preview, dict(metadata or {}))
        if event_type == BinaryEventTypes.UNENCODED_PREVIEW_IMAGE:
            return self._preview(data, None)
        if isinstance(data, (bytes, bytearray, memoryview)):
            return struct.pack(">I", event_type) + bytes(data)
        logger.debug("dropping binary event %s with a %s payload", event_type, type(data).__name__)
        return None

    def _preview(self, preview: Any, metadata: dict[str, Any] | None) -> _Preview | None:
        try:
            mime, image = encode_preview(preview)
        except Exception:
            logger.exception("could not encode a preview image")
            return None
        legacy = struct.pack(">II", BinaryEventTypes.PREVIEW_IMAGE, 1 if mime == "image/jpeg" else 2) + image
        if metadata is None:
            return _Preview(legacy, legacy)
        metadata["image_type"] = mime
        meta = json.dumps(metadata).encode("utf-8")
        with_metadata = struct.pack(">II", BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, len(meta)) + meta + image
        return _Preview(with_metadata, legacy)

    def _post(self, sid: str | None, frame: Any, droppable: bool) -> None:
        # Frames wait in one deque; the loop is woken once for a burst of them, not once per
        # frame (each wake-up is a syscall and a GIL hand-over between worker and loop).
        loop = self.loop
        if loop is None:
            return
        self._outgoing.append((sid, frame, droppable))
        if not self._drain_scheduled:
            self._drain_scheduled = True
            try:
                loop.call_soon_threadsafe(self._drain)
            except RuntimeError:  # the loop is closed: the server is gone
                self._outgoing.clear()

    # -- on the event loop -----------------------------------------------------------------------

    def _drain(self) -> None:
        self._drain_scheduled = False  # before popping: a frame appended later schedules again
        outgoing = self._outgoing
        while outgoing:
            sid, frame, droppable = outgoing.popleft()
            if frame is _STATUS:
                self._flush_status()
            else:
                self._deliver(sid, frame, droppable)

    def _deliver(self, sid: str | None, frame: Any, droppable: bool) -> None:
        if sid is None:
            for connection in list(self.connections.values()):
                self._enqueue(connection, frame, droppable)
        else:
            target = self.connections.get(sid)
            if target is not None:
                self._enqueue(target, frame, droppable)

    def _enqueue(self, connection: _Connection, frame: Any, droppable: bool) -> None:
        if connection.closed:
            return
        size = connection.outbox.qsize()
        if size >= HARD_LIMIT:
            logger.warning("websocket client %s is too slow (%d frames waiting); closing it", connection.sid, size)
            connection.closed = True
            connection.close_code = 1013
            while not connection.outbox.empty():
                connection.outbox.get_nowait()
            connection.outbox.put_nowait(_CLOSE)
            return
        if droppable and size >= SOFT_LIMIT:
            return
        if isinstance(frame, _Preview):
            frame = frame.with_metadata if connection.supports_preview_metadata else frame.legacy
        connection.outbox.put_nowait(frame)

    def _flush_status(self) -> None:
        with self._status_lock:
            self._status_pending = False
        frame = dumps({"type": "status", "data": self.status()}).decode("utf-8")
        self._deliver(None, frame, False)

    def status(self, sid: str | None = None) -> dict[str, Any]:
        remaining = self.state.queue.remaining if self.state is not None else 0
        data: dict[str, Any] = {"status": {"exec_info": {"queue_remaining": remaining}}}
        if sid is not None:
            data["sid"] = sid
        return data

    def close_all(self, code: int = 1001) -> None:
        """Close every socket once its queued frames are sent (server shutdown: 1001)."""
        for connection in list(self.connections.values()):
            connection.closed = True
            connection.close_code = code
            connection.outbox.put_nowait(_CLOSE)

    # -- one socket --------------------------------------------------------------------------------

    async def serve(self, websocket: WebSocket) -> None:
        await websocket.accept()
        sid = websocket.query_params.get("clientId") or uuid.uuid4().hex
        old = self.connections.get(sid)
        if old is not None:
            old.closed = True
            old.outbox.put_nowait(_CLOSE)
        connection = _Connection(sid, websocket)
        self.connections[sid] = connection
        connection.outbox.put_nowait(dumps({"type": "status", "data": self.status(sid)}).decode("utf-8"))
        running = self.executing.get(sid)
        if running is not None:
            prompt_id, node = running
            connection.outbox.put_nowait(dumps({"type": "executing", "data": {"node": node, "display_node": node, "prompt_id": prompt_id}}).decode("utf-8"))
        sender = asyncio.create_task(self._send_loop(connection))
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is not None:
                    self._on_text(connection, text)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            connection.closed = True
            if self.connections.get(sid) is connection:
                del self.connections[sid]
            connection.outbox.put_nowait(_CLOSE)
            await sender

    def _on_text(self, connection: _Connection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if not isinstance(message, dict) or message.get("type") != "feature_flags":
            return
        flags = message.get("data")
        if isinstance(flags, dict):
            connection.feature_flags = flags
        server_flags = self.state.feature_flags if self.state is not None else {}
        connection.outbox.put_nowait(dumps({"type": "feature_flags", "data": server_flags}).decode("utf-8"))

    async def _send_loop(self, connection: _Connection) -> None:
        websocket = connection.websocket
        try:
            while True:
                frame = await connection.outbox.get()
                if frame is _CLOSE:
                    break
                if isinstance(frame, str):
                    await websocket.send_text(frame)
                else:
                    await websocket.send_bytes(frame)
        except Exception:  # the client went away
            pass
        finally:
            connection.closed = True
            try:
                await websocket.close(code=connection.close_code)
            except Exception:
                pass


def routes(state: ServerState) -> list[BaseRoute]:
    async def websocket_endpoint(websocket: WebSocket) -> None:
        await state.connections.serve(websocket)

    return [WebSocketRoute("/ws", websocket_endpoint)]

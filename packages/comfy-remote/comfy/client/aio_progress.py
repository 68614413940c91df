"""`queue_with_progress` for the remote client: a prompt's `/ws` events as `ProgressNotification`s.

The embedded client's ``Comfy.queue_with_progress(prompt)`` returns a handle whose
``progress()`` yields ``ProgressNotification(event, data, sid)`` in order and whose ``get()``
gives the ``V1QueuePromptResponse``. :meth:`AsyncRemoteComfyClient.queue_with_progress` returns a
:class:`RemoteQueuePromptWithProgress` with the same surface and the same notification shapes,
decoded from the websocket (``spec/api.md`` §3, §6.4):

- text frames ``{"type": event, "data": {...}}`` of this prompt become
  ``ProgressNotification(event, data, sid)`` (``execution_start``, ``execution_cached``,
  ``executing``, ``progress_state``, ``progress``, ``executed``, ``execution_success`` /
  ``execution_error`` / ``execution_interrupted``); the server-only end marker (``executing``
  with ``node: None``), ``status`` broadcasts, ``feature_flags`` and other prompts' events are
  left out;
- binary type 4 frames become ``(BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA,
  (UnencodedPreviewImageMessage(format, pil_image, 512, node_id, prompt_id), metadata))``; the
  client asks for them with ``feature_flags: {"supports_preview_metadata": true}``. ``pil_image``
  is a ``PIL.Image.Image`` when pillow is installed, else the encoded JPEG/PNG ``bytes`` (the
  remote client itself needs only aiohttp). A legacy type 1 frame becomes
  ``UNENCODED_PREVIEW_IMAGE`` with an ``UnencodedPreviewImageMessage``; type 3 (``TEXT``) keeps its
  packed payload, as the embedded client sends it.

One difference cannot be avoided: a node's exception does not cross the wire, so a failed run
raises :class:`~comfy.client.aio_client.PromptExecutionError` (a ``RuntimeError`` carrying the
status and the ``execution_error`` data) where the embedded client re-raises the node's own.
"""

from __future__ import annotations

import asyncio
import io
import json
import struct
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, cast

import aiohttp

from comfy.client.aio_errors import PromptExecutionError
from comfy.client.client_types import ProgressNotification, V1QueuePromptResponse
from comfy.client.progress_task import QueuePromptWithProgress
from comfy.component_model.executor_types import PreviewImageMetadata, UnencodedPreviewImageMessage
from comfy.component_model.queue_types import BinaryEventTypes

if TYPE_CHECKING:
    from comfy.client.aio_client import AsyncRemoteComfyClient

__all__ = ["RemoteQueuePromptWithProgress", "decode_frame", "run_with_progress"]

_END_EVENTS = frozenset({"execution_success", "execution_error", "execution_interrupted"})
FEATURE_FLAGS_WAIT = 2.0
"""Seconds to wait for the server's ``feature_flags`` answer before queueing (older servers send none)."""


class RemoteQueuePromptWithProgress(QueuePromptWithProgress):
    """A prompt running on a server; the remote twin of the embedded client's handle (the same
    class, ``comfy.client.progress_task.QueuePromptWithProgress``), fed by :meth:`emit`.

    ``prompt_id`` and ``client_id`` (the websocket sid, also each notification's ``sid``) are
    chosen by the client, so they are known at once. There is one shared ``progress()``
    iterator: iterating it again continues where the first iteration stopped.
    """

    def __init__(self) -> None:
        super().__init__()
        self.prompt_id = str(uuid.uuid4())
        self.client_id = str(uuid.uuid4())


def _decode_image(data: bytes) -> Any:
    """A PIL image of ``data`` when pillow is installed, else ``data`` itself."""
    try:
        from PIL import Image
    except ImportError:
        return data
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def decode_frame(message: aiohttp.WSMessage, prompt_id: str, sid: str) -> tuple[ProgressNotification | None, bool]:
    """``(notification or None, finished)`` for one websocket message of a run of ``prompt_id``
    on the socket ``sid``; ``finished`` is True for the prompt's last event."""
    if message.type == aiohttp.WSMsgType.TEXT:
        try:
            frame = json.loads(message.data)
        except ValueError:
            return None, False
        if not isinstance(frame, dict) or not isinstance(frame.get("data"), dict):
            return None, False
        event, data = frame.get("type"), frame["data"]
        if not isinstance(event, str) or data.get("prompt_id") != prompt_id:
            return None, False
        if event == "executing" and data.get("node") is None:
            return None, True
        return ProgressNotification(event, data, sid), event in _END_EVENTS
    if message.type != aiohttp.WSMsgType.BINARY or len(message.data) < 4:
        return None, False
    payload = bytes(message.data)
    (event_type,) = struct.unpack(">I", payload[:4])
    body = payload[4:]
    if event_type == BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA.value and len(body) >= 4:
        (length,) = struct.unpack(">I", body[:4])
        try:
            metadata = json.loads(body[4 : 4 + length].decode("utf-8"))
        except ValueError:
            return None, False
        if not isinstance(metadata, dict) or metadata.get("prompt_id", prompt_id) != prompt_id:
            return None, False
        fmt: Literal["JPEG", "PNG"] = "PNG" if metadata.get("image_type") == "image/png" else "JPEG"
        preview = UnencodedPreviewImageMessage(fmt, _decode_image(body[4 + length :]), 512, str(metadata.get("node_id", "")), prompt_id)
        message_data = (preview, cast(PreviewImageMetadata, metadata))
        return ProgressNotification(BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, message_data, sid), False
    if event_type == BinaryEventTypes.PREVIEW_IMAGE.value and len(body) >= 4:
        (fmt_code,) = struct.unpack(">I", body[:4])
        preview = UnencodedPreviewImageMessage("PNG" if fmt_code == 2 else "JPEG", _decode_image(body[4:]), 512, "", prompt_id)
        return ProgressNotification(BinaryEventTypes.UNENCODED_PREVIEW_IMAGE, preview, sid), False
    if event_type == BinaryEventTypes.TEXT.value:
        return ProgressNotification(BinaryEventTypes.TEXT, body, sid), False
    return None, False


def _images(outputs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for output in outputs.values():
        images = output.get("images") if isinstance(output, Mapping) else None
        if isinstance(images, list):
            found.extend(i for i in images if isinstance(i, Mapping) and i.get("filename"))
    return found


def _with_client_id(websocket_address: str, sid: str) -> str:
    parts = urllib.parse.urlsplit(websocket_address)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k != "clientId"]
    query.append(("clientId", sid))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


async def _await_feature_flags(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Read frames until the server's ``feature_flags`` answer (nothing of this run can arrive
    before it is queued), so previews are sent with their metadata."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FEATURE_FLAGS_WAIT
    while (remaining := deadline - loop.time()) > 0:
        try:
            message = await asyncio.wait_for(ws.receive(), remaining)
        except asyncio.TimeoutError:
            return
        if message.type != aiohttp.WSMsgType.TEXT:
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                return
            continue
        try:
            if json.loads(message.data).get("type") == "feature_flags":
                return
        except (ValueError, AttributeError):
            continue


async def run_with_progress(
    client: AsyncRemoteComfyClient, prompt: Mapping[str, Any], task: RemoteQueuePromptWithProgress
) -> V1QueuePromptResponse:
    """Open a socket for ``task.client_id``, queue ``prompt`` as ``task.prompt_id`` with
    ``POST /prompt``, emit its events to ``task`` until it ends, then read its history."""
    from comfy.client.aio_client import _encode

    prompt_id, sid = task.prompt_id, task.client_id
    emit: Callable[[ProgressNotification], None] = task.emit
    headers = client._build_headers()
    ws_headers = {"Authorization": headers["Authorization"]} if "Authorization" in headers else None
    error_data: dict[str, Any] | None = None

    async def stream() -> None:
        nonlocal error_data
        async with client.session.ws_connect(_with_client_id(client.websocket_address, sid), headers=ws_headers, max_msg_size=0) as ws:
            await ws.send_str(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
            await _await_feature_flags(ws)
            body = {"prompt": prompt, "client_id": sid, "prompt_id": prompt_id}
            async with client.session.post(client.url("/prompt"), data=_encode(body), headers=headers) as response:
                if response.status != 200:
                    raise await client._error(response, prompt_id)
            async with asyncio.timeout(client.timeout.total):  # the whole run, as for a request
                async for message in ws:
                    if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                        break  # closed early (e.g. a slow-client close): the history still has the result
                    notification, finished = decode_frame(message, prompt_id, sid)
                    if notification is not None:
                        if notification.event == "execution_error" and isinstance(notification.data, dict):
                            error_data = dict(notification.data)
                        emit(notification)
                    if finished:
                        break

    await client._call(stream)
    entry = await client._call(lambda: client._wait_for_history(prompt_id))
    status = dict(entry.get("status") or {})
    if status.get("status_str") == "error":
        if error_data is not None and "error_details" not in status:
            status["error_details"] = error_data
        raise PromptExecutionError(status, 500, prompt_id)
    outputs = dict(entry.get("outputs") or {})
    urls = []
    for image in _images(outputs):
        query = urllib.parse.urlencode({"filename": image["filename"], "subfolder": image.get("subfolder") or "", "type": image.get("type") or "output"})
        urls.append(client.url(f"/view?{query}"))
    return V1QueuePromptResponse(urls=urls, outputs=outputs, prompt_id=prompt_id)

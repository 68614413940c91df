"""The progress handler the executor talks to on the caller's behalf.

:class:`Relay` forwards every event to the caller's handler (an ``ExecutorToClientProgress``:
anything with ``send_sync(event, data, sid)``), with two changes:

* previews become ``(UnencodedPreviewImageMessage(format, pil_image, max_size, node_id, task_id),
  metadata)`` whatever the node handed its progress bar: ComfyUI's ``("JPEG", image, max_size)``
  tuples, a bare PIL image, an image tensor or a ready message (:func:`adapt_preview`);
* an exception raised by the caller's handler is logged, never raised into the prompt.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from comfy.component_model.executor_types import UnencodedPreviewImageMessage, encode_text_for_progress
from comfy.component_model.queue_types import BinaryEventTypes

__all__ = ["Relay", "adapt_preview", "as_unencoded_preview", "is_stub"]

logger = logging.getLogger(__name__)

_PREVIEW = BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA


def _tensor_to_pil(value: Any) -> Any:
    """An image tensor (``[B,]H,W,C`` floats in 0..1, ComfyUI's IMAGE layout) as a PIL image, or None."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(value, torch.Tensor):
        return None
    try:
        from PIL import Image

        t = value.detach()
        if t.ndim == 4:
            t = t[0]
        if t.ndim != 3 or t.shape[-1] not in (1, 3, 4):
            return None
        array = (t.float().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
        if array.shape[-1] == 1:
            array = array[..., 0]
        return Image.fromarray(array)
    except Exception:
        logger.debug("could not turn a preview tensor into an image", exc_info=True)
        return None


def _is_pil_image(value: Any) -> bool:
    image_module = sys.modules.get("PIL.Image")
    return image_module is not None and isinstance(value, image_module.Image)


def as_unencoded_preview(preview: Any, max_size: int, node_id: str = "", task_id: str = "") -> UnencodedPreviewImageMessage | None:
    """``preview`` as an :class:`UnencodedPreviewImageMessage`, or None if it is not an image."""
    if isinstance(preview, UnencodedPreviewImageMessage):
        if preview.node_id and preview.task_id:
            return preview
        return preview._replace(node_id=preview.node_id or node_id, task_id=preview.task_id or task_id)
    fmt = "JPEG"
    if isinstance(preview, (tuple, list)) and len(preview) >= 2 and isinstance(preview[0], str):
        fmt = preview[0].upper()
        if len(preview) >= 3 and isinstance(preview[2], int) and preview[2] > 0:
            max_size = preview[2]
        preview = preview[1]
    if not _is_pil_image(preview):
        preview = _tensor_to_pil(preview)
        if preview is None:
            return None
    if fmt not in ("JPEG", "PNG"):
        fmt = "JPEG"
    return UnencodedPreviewImageMessage(fmt, preview, max_size, node_id, task_id)  # type: ignore[arg-type]


def adapt_preview(data: Any, max_size: int = 512) -> Any:
    """The data of a ``PREVIEW_IMAGE_WITH_METADATA`` event in the shape clients expect.

    ``(preview, metadata)`` becomes ``(UnencodedPreviewImageMessage, metadata)`` with the node
    and prompt ids filled in and ``metadata["image_type"]`` set; anything else is left alone.
    """
    if not isinstance(data, tuple) or len(data) != 2 or not isinstance(data[1], dict):
        return data
    preview, metadata = data
    message = as_unencoded_preview(preview, max_size, str(metadata.get("node_id") or ""), str(metadata.get("prompt_id") or ""))
    if message is None:
        return data
    if "image_type" not in metadata:
        metadata = {**metadata, "image_type": "image/png" if message.format == "PNG" else "image/jpeg"}
    return (message, metadata)


def is_stub(handler: Any) -> bool:
    """Is ``handler`` the no-op ``ServerStub`` (so that nobody listens)?"""
    from comfy.distributed.server_stub import ServerStub

    return type(handler) is ServerStub


class Relay:
    """Forwards events to ``target``; see the module docstring. ``client_id`` is the run's sid."""

    def __init__(self, target: Any, client_id: str | None, preview_size: int = 512) -> None:
        self.target = target
        self.client_id = client_id
        self.preview_size = preview_size
        self.last_node_id: str | None = None
        self.last_prompt_id: str | None = None
        self._failures = 0

    @property
    def receive_all_progress_notifications(self) -> bool:
        return bool(getattr(self.target, "receive_all_progress_notifications", True))

    @property
    def sockets_metadata(self) -> Any:
        return getattr(self.target, "sockets_metadata", {"__unimplemented": True})

    def send_sync(self, event: Any, data: Any, sid: str | None = None) -> None:
        if event is _PREVIEW:
            data = adapt_preview(data, self.preview_size)
        elif event == "executing" and isinstance(data, dict):
            self.last_node_id = data.get("node")
            self.last_prompt_id = data.get("prompt_id", self.last_prompt_id)
        self.deliver(event, data, sid)

    def deliver(self, event: Any, data: Any, sid: str | None) -> None:
        try:
            self.target.send_sync(event, data, sid)
        except Exception:
            self._failures += 1
            if self._failures == 1:
                logger.exception("the progress handler %r raised on event %r; the prompt goes on", self.target, event)
            else:
                logger.debug("the progress handler raised again on event %r", event, exc_info=True)

    def send_progress_text(self, text: str | bytes | bytearray, node_id: str, sid: str | None = None) -> None:
        self.send_sync(BinaryEventTypes.TEXT, encode_text_for_progress(node_id, text), sid if sid is not None else self.client_id)

    def queue_updated(self, queue_remaining: int | None = None) -> None:
        return None

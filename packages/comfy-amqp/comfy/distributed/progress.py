"""Progress on the caller's side: turning wire messages back into engine events, and the
``queue_with_progress`` task (``comfy.client.progress_task``, shared with the embedded and remote
clients).

:func:`decode_progress` makes ``(event, data)`` from a ``comfy.progress`` / ``comfy.preview`` /
``comfy.text`` message: JSON events come back as ``(name, dict)``; a preview as
``(BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, (UnencodedPreviewImageMessage, metadata))`` with a
decoded PIL image when pillow is installed and ``decode_previews`` is set (what the embedded client
yields), else as ``(BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, EncodedPreview)`` — the image
bytes as the worker encoded them, for relays that forward them (a frontend without pillow).
"""

from __future__ import annotations

import io
import json
from typing import Any, NamedTuple

from comfy.client.progress_task import ProgressQueueHandler, QueuePromptWithProgress
from comfy.component_model.executor_types import UnencodedPreviewImageMessage
from comfy.component_model.queue_types import BinaryEventTypes

from . import wire

__all__ = ["EncodedPreview", "decode_progress", "ProgressQueueHandler", "QueuePromptWithProgress"]


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

"""Encoding a preview for the wire: what `/ws` frames and AMQP preview messages carry.

A node's preview is ComfyUI's tuple ``(format, PIL image, max_size)`` or an
``UnencodedPreviewImageMessage`` (the same fields, named). :func:`encode_preview` scales the image
to fit ``max_size`` (512 when absent) and encodes it as JPEG (quality 95, RGB/L) or PNG
(``compress_level=1``: previews are sent once and must be cheap), as ComfyUI's server does.
No Pillow import here: the image object brings its own ``save`` and ``thumbnail``.
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["encode_preview"]


def encode_preview(preview: Any) -> tuple[str, bytes]:
    """``(mime type, encoded bytes)`` of a preview tuple; raises (AttributeError, TypeError,
    IndexError, OSError) when it does not hold an image."""
    fmt = str(preview[0]).upper()
    image = preview[1]
    max_size = int(preview[2]) if len(preview) > 2 and preview[2] else 512
    if max(image.size) > max_size:
        image = image.copy()
        image.thumbnail((max_size, max_size))
    buffer = io.BytesIO()
    if fmt == "PNG":
        image.save(buffer, format="PNG", compress_level=1)
        return "image/png", buffer.getvalue()
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.save(buffer, format="JPEG", quality=95)
    return "image/jpeg", buffer.getvalue()

"""``comfy_api.v0_0_2``: the versioned name of the public API ComfyUI packs import.

The same objects as :mod:`comfy_api.latest`: ``ComfyAPI`` / ``ComfyAPISync`` (with
``execution.set_progress``), ``ComfyExtension``, ``io`` and ``ui``.
"""

from __future__ import annotations

from comfy_api.latest import IO, UI, ComfyAPI, ComfyAPISync, ComfyExtension, Input, io, ui

__all__ = ["ComfyAPI", "ComfyAPISync", "ComfyExtension", "Input", "io", "IO", "ui", "UI"]

ComfyAPIAdapter_v0_0_2 = ComfyAPI
"""ComfyUI's class name for this version's API."""

"""ComfyUI's public node API, ``comfy_api.latest``, backed by this engine.

- :mod:`io <comfy_api.latest._io>`: the V3 schema API (``io.ComfyNode``, ``io.Schema``, socket
  types, ``io.Hidden``, ``io.NodeOutput``); the executor runs V3 nodes through a V1 adapter.
- :mod:`ui <comfy_api.latest._ui>`: UI payloads (``ui.PreviewImage``, ``ui.PreviewText``, …).
- :class:`ComfyExtension`: what a V3 pack's ``comfy_entrypoint()`` returns.
- :class:`ComfyAPI` / :class:`ComfyAPISync`: ``await ComfyAPI().execution.set_progress(value,
  max_value, node_id=None, preview_image=None)`` reports progress of the running node (or
  ``node_id``) through the same registry as ``comfy.utils.ProgressBar``; ``ComfyAPISync`` is the
  blocking twin.

Importing this package does not import torch.
"""

from __future__ import annotations

from typing import Any

from comfy.execution.context import current_node_context
from comfy.model_management import throw_exception_if_processing_interrupted

from . import _io as io
from . import _ui as ui

__all__ = ["ComfyAPI", "ComfyAPISync", "ComfyExtension", "Input", "io", "IO", "ui", "UI"]

IO = io
UI = ui


def _set_progress(value: float, max_value: float, node_id: str | None, preview_image: Any) -> None:
    throw_exception_if_processing_interrupted()
    ctx = current_node_context()
    if ctx is None:
        raise RuntimeError("set_progress must be called while a node is executing")
    ctx.prompt.progress.update(node_id if node_id is not None else ctx.node_id, value, max_value, preview_image)


class _AsyncExecution:
    async def set_progress(self, value: float, max_value: float, node_id: str | None = None, preview_image: Any = None,
                           ignore_size_limit: bool = False) -> None:
        """Reports progress of the running node (``ignore_size_limit`` is accepted and ignored)."""
        _set_progress(value, max_value, node_id, preview_image)


class _SyncExecution:
    def set_progress(self, value: float, max_value: float, node_id: str | None = None, preview_image: Any = None,
                     ignore_size_limit: bool = False) -> None:
        """Reports progress of the running node (``ignore_size_limit`` is accepted and ignored)."""
        _set_progress(value, max_value, node_id, preview_image)


class ComfyAPI:
    """The async public API."""

    VERSION = "latest"
    STABLE = False

    def __init__(self) -> None:
        self.execution = _AsyncExecution()


class ComfyAPISync:
    """The blocking public API."""

    VERSION = "latest"
    STABLE = False

    def __init__(self) -> None:
        self.execution = _SyncExecution()


class ComfyExtension:
    """A V3 pack: ``comfy_entrypoint()`` returns one (sync or async).

    The loader awaits :meth:`on_load` once, then :meth:`get_node_list`, and registers each class
    under its ``schema.node_id`` (display name ``schema.display_name``).
    """

    async def on_load(self) -> None:
        """Called once when the extension loads (set up shared resources here)."""

    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        """The V3 node classes this extension provides (override; the default is none)."""
        return []


class Input:
    """Type-hint names of ComfyUI's input types (``Input.Image`` …); all ``Any`` here."""

    Image: Any = Any
    Audio: Any = Any
    Mask: Any = Any
    Latent: Any = Any
    Video: Any = Any

"""The hooks a ``comfyui`` plugin may implement; every hook is named ``comfy_*``.

Call them through a plugin manager from :func:`comfy.plugins.manager.make_plugin_manager`, with
keyword arguments (``pm.hook.comfy_resolve_path(folder_name=..., filename=...)``). Unless marked
``firstresult``, a hook returns the list of non-None results of all plugins (last registered
first). The bodies here are specifications only and never run.
"""

# mypy: disable-error-code="empty-body"

from __future__ import annotations

from typing import Any

from . import hookspec

__all__ = [
    "comfy_register_nodes",
    "comfy_register_display_names",
    "comfy_configure",
    "comfy_fingerprint",
    "comfy_resolve_path",
    "comfy_folder_paths",
    "comfy_on_event",
    "comfy_release_memory",
]


@hookspec
def comfy_register_nodes() -> dict[str, type]:
    """Fires when the node registry loads; returns node classes by ``class_type``."""


@hookspec
def comfy_register_display_names() -> dict[str, str]:
    """Fires when the node registry loads; returns UI display names by ``class_type``."""


@hookspec
def comfy_configure(parser: Any) -> None:
    """Fires when the command-line parser is built; adds options with ``parser.add_argument`` (returns nothing)."""


@hookspec
def comfy_fingerprint(class_type: str, node_class: type, inputs: dict[str, Any]) -> object | None:
    """Fires when the cache key of a node whose class defines IS_CHANGED is computed; returns an extra fingerprint, or None for no opinion."""


@hookspec(firstresult=True)
def comfy_resolve_path(folder_name: str, filename: str) -> str | None:
    """Fires when a model or file name is resolved to a path (first non-None wins); returns an absolute path or None."""


@hookspec
def comfy_folder_paths() -> dict[str, list[str]]:
    """Fires when the workspace folders are set up; returns extra folders by folder name (e.g. ``{"checkpoints": [...]}``)."""


@hookspec
def comfy_on_event(event: Any, data: Any, prompt_id: str | None) -> None:
    """Fires for every event the engine sends (``execution_start``, ``executing``, …); observes only, the return value is ignored."""


@hookspec
def comfy_release_memory() -> None:
    """Fires when the embedded client shuts down or clears its caches; plugins unload models and free GPU memory (returns nothing)."""

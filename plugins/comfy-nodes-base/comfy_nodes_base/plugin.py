"""pluggy registration of the base nodes (entry point `comfyui.plugins` -> `base`).

Implements the engine's node-registration hooks with the package's merged mappings; a third-party
plugin registers its nodes exactly the same way.
"""

from __future__ import annotations

from comfy.plugins import hookimpl

from . import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS


@hookimpl
def comfy_register_nodes() -> dict[str, type]:
    """The base nodes' classes by class_type."""
    return dict(NODE_CLASS_MAPPINGS)


@hookimpl
def comfy_register_display_names() -> dict[str, str]:
    """Display names of the base nodes by class_type."""
    return dict(NODE_DISPLAY_NAME_MAPPINGS)

"""pluggy registration of the testing pack (entry point `comfyui.plugins` -> `testing`).

Implements the engine's node-registration hooks with the package's merged mappings. The marker is
comfy-core's `comfy.plugins.hookimpl`; without comfy-core installed an equivalent marker for the
same project name ("comfyui") is used, so the module still imports and registers in a bare
pluggy `PluginManager("comfyui")`.
"""

from __future__ import annotations

try:
    from comfy.plugins import hookimpl
except ImportError:  # comfy-core absent: same project name, same marker semantics
    import pluggy

    hookimpl = pluggy.HookimplMarker("comfyui")

from . import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS


@hookimpl
def comfy_register_nodes() -> dict[str, type]:
    """The testing pack's node classes by class_type."""
    return dict(NODE_CLASS_MAPPINGS)


@hookimpl
def comfy_register_display_names() -> dict[str, str]:
    """Display names of the testing pack's nodes by class_type."""
    return dict(NODE_DISPLAY_NAME_MAPPINGS)

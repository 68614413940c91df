"""pluggy registration of the SD nodes (entry point ``comfyui.plugins`` -> ``sd``)."""

from __future__ import annotations

from typing import Any

from comfy.plugins import hookimpl

from . import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS


@hookimpl
def comfy_register_nodes() -> dict[str, type]:
    """The SD nodes' classes by class_type."""
    return dict(NODE_CLASS_MAPPINGS)


@hookimpl
def comfy_register_display_names() -> dict[str, str]:
    """Display names of the SD nodes by class_type."""
    return dict(NODE_DISPLAY_NAME_MAPPINGS)


@hookimpl
def comfy_configure(parser: Any) -> None:
    """Adds ``--cpu`` (run models on the CPU even when CUDA is present), as ComfyUI has it."""
    if any("--cpu" in action.option_strings for action in parser._actions):
        return
    parser.add_argument("--cpu", action="store_true", default=False, help="Run the SD models on the CPU.")


@hookimpl
def comfy_release_memory() -> None:
    """Frees what the SD models leave behind once their outputs are dropped from the caches:
    unreachable model objects (a garbage collection) and CUDA's cached blocks. The plugin keeps
    no model cache of its own, so nothing else holds a model."""
    import gc
    import sys

    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()

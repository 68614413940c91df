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
    """Unloads the SD models: the model manager drops its checkpoint cache and moves every model off
    the GPU (``comfy_nodes_sd.memory``); then a garbage collection and CUDA's cached blocks go back.
    Models still referenced by the engine's output caches stay alive until those are cleared (the
    embedded client and ``/free`` clear them first). Importing torch is avoided when nothing was loaded."""
    import gc
    import sys

    memory = sys.modules.get("comfy_nodes_sd.memory")
    if memory is not None:
        memory.unload_all()
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()

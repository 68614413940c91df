"""comfy-nodes-testing: deterministic nodes for the engine's tests and benchmarks.

The ComfyUI testing-pack contracts (spec/engine.md §11.4) with ComfyUI's class names, inputs,
outputs and behaviour, plus the few non-pack nodes its execution suites use and this engine's own
benchmark/error nodes. SaveImage, PreviewImage and RebatchImages, which the suites also use, come
from comfy-nodes-base (a dependency), as in any workflow. Importing the package loads neither
torch nor the engine: image nodes import torch when they run, engine APIs are imported by the
nodes that need them.

`NODE_CLASS_MAPPINGS` and `NODE_DISPLAY_NAME_MAPPINGS` merge every module's mappings; a class
name appearing in two modules is a packaging bug and raises at import.
"""

from __future__ import annotations

from comfy.plugins import merge_node_mappings

from types import ModuleType

from . import (
    api_nodes,
    async_nodes,
    conditions,
    engine_nodes,
    expansion,
    flow_control,
    fork_nodes,
    lists,
    specific,
    stubs,
)

NODE_MODULES: tuple[ModuleType, ...] = (
    stubs,
    specific,
    expansion,
    flow_control,
    lists,
    conditions,
    async_nodes,
    api_nodes,
    engine_nodes,
    fork_nodes,
)


NODE_CLASS_MAPPINGS: dict[str, type] = merge_node_mappings("comfy_nodes_testing", NODE_MODULES, "NODE_CLASS_MAPPINGS")
NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = merge_node_mappings("comfy_nodes_testing", NODE_MODULES, "NODE_DISPLAY_NAME_MAPPINGS")

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "NODE_MODULES"]

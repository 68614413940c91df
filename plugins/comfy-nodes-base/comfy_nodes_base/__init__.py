"""comfy-nodes-base: ComfyUI's base nodes with ComfyUI's names, inputs, defaults and outputs.

Modules, one family each: `files` (SaveImage, PreviewImage, LoadImage, LoadImageMask), `images`,
`masks`, `latents` (tensor nodes; `resize` holds the shared upscaling code) and `primitives`
(PreviewAny, Primitive*, String*). Tensor conventions as ComfyUI's: IMAGE is float32
`[B, H, W, C]` in 0..1, MASK `[B, H, W]`, LATENT a dict with `samples` `[B, C, H/8, W/8]`.
Importing the package loads neither torch nor Pillow; nodes import them when they run.

`NODE_CLASS_MAPPINGS` and `NODE_DISPLAY_NAME_MAPPINGS` merge every module's mappings; a class
name appearing in two modules is a packaging bug and raises at import.
"""

from __future__ import annotations

from comfy.plugins import merge_node_mappings

from types import ModuleType

from . import files, images, latents, masks, primitives

NODE_MODULES: tuple[ModuleType, ...] = (files, images, masks, latents, primitives)


NODE_CLASS_MAPPINGS: dict[str, type] = merge_node_mappings("comfy_nodes_base", NODE_MODULES, "NODE_CLASS_MAPPINGS")
NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = merge_node_mappings("comfy_nodes_base", NODE_MODULES, "NODE_DISPLAY_NAME_MAPPINGS")

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "NODE_MODULES"]

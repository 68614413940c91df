"""The SD nodes, one module per family of nodes, with ComfyUI's names, inputs, defaults and outputs.

Importing these modules does not import torch: models and tensors are touched when a node runs.
"""

from __future__ import annotations

from types import ModuleType

from . import conditioning, loaders, sampling, vae, lora
from . import cond_ops, custom_sampling

NODE_MODULES: tuple[ModuleType, ...] = (loaders, conditioning, sampling, vae, lora, cond_ops, custom_sampling)

__all__ = ["NODE_MODULES"]

"""comfy-nodes-sd: Stable Diffusion for the engine — checkpoints, CLIP text encoding, UNet, VAE, samplers.

Layout, one concept per module:

- ``tokenizer`` (CLIP BPE, vocabulary shipped in ``data/``), ``prompt`` (ComfyUI's weighting syntax and
  77-token sections);
- ``models/`` (the torch networks: ``unet``, ``clip``, ``vae``, shared ``ops``);
- ``families`` (what each model family is), ``detect`` (family and UNet layout from a state dict),
  ``loader`` (single-file checkpoints to MODEL / CLIP / VAE), ``devices`` (device and dtype choices);
- ``model``, ``text_encoder``, ``autoencoder``: the MODEL, CLIP and VAE values passed between nodes;
- ``lora`` (LoRA key formats and adapters), ``patches`` (per-clone weight patches on shared modules),
  ``memory`` (the model manager: checkpoint cache, GPU placement, release);
- ``sampling/``: noise schedule, schedulers, k-diffusion samplers, seeded noise, guidance, KSampler;
- ``nodes/``: the node classes.

Importing the package (and listing its nodes) does not import torch.
"""

from __future__ import annotations

from comfy.plugins import merge_node_mappings

from .nodes import NODE_MODULES


NODE_CLASS_MAPPINGS: dict[str, type] = merge_node_mappings("comfy_nodes_sd", NODE_MODULES, "NODE_CLASS_MAPPINGS")
NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = merge_node_mappings("comfy_nodes_sd", NODE_MODULES, "NODE_DISPLAY_NAME_MAPPINGS")

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]

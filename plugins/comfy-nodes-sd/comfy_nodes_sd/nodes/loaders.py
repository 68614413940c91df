"""Loader nodes: ``CheckpointLoaderSimple`` ("Load Checkpoint").

Checkpoints are listed from the ``checkpoints`` model folders (``models/checkpoints`` and any
configured extra folder) and loaded with :func:`comfy_nodes_sd.loader.load_checkpoint`.
"""

from __future__ import annotations

from typing import Any

from comfy import folder_paths


class CheckpointLoaderSimple:
    """Loads a single-file checkpoint: MODEL, CLIP and VAE."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "ckpt_name": (
                    folder_paths.get_filename_list("checkpoints"),
                    {"tooltip": "The name of the checkpoint (model) to load."},
                ),
            }
        }

    RETURN_TYPES = ("MODEL", "CLIP", "VAE")
    OUTPUT_TOOLTIPS = (
        "The model used for denoising latents.",
        "The CLIP model used for encoding text prompts.",
        "The VAE model used for encoding and decoding images to and from latent space.",
    )
    FUNCTION = "load_checkpoint"
    CATEGORY = "loaders"
    DESCRIPTION = "Loads a diffusion model checkpoint, diffusion models are used to denoise latents."

    def load_checkpoint(self, ckpt_name: str) -> tuple[Any, Any, Any]:
        from ..loader import load_checkpoint

        path = folder_paths.get_full_path_or_raise("checkpoints", ckpt_name)
        loaded = load_checkpoint(path)
        return (loaded.model, loaded.clip, loaded.vae)


NODE_CLASS_MAPPINGS = {"CheckpointLoaderSimple": CheckpointLoaderSimple}
NODE_DISPLAY_NAME_MAPPINGS = {"CheckpointLoaderSimple": "Load Checkpoint"}

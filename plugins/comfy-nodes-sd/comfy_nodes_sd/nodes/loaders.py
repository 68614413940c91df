"""Loader nodes, with ComfyUI's names, inputs, defaults and outputs: ``CheckpointLoaderSimple``,
``UNETLoader``, ``CLIPLoader``, ``DualCLIPLoader``, ``VAELoader`` and ``CLIPSetLastLayer``.

Files are listed from ComfyUI's model folders (``models/checkpoints``, ``diffusion_models`` (also
``unet``), ``text_encoders`` (also ``clip``), ``vae``, and any configured extra folder) and loaded
with :mod:`comfy_nodes_sd.loader`. CLIPs get the ``embeddings`` folders for ``embedding:name``.
"""

from __future__ import annotations

from typing import Any

from comfy import folder_paths

from ..families import CLIP_TYPES, DUAL_CLIP_TYPES, WEIGHT_DTYPES

_DEVICE_OPTION = (["default", "cpu"], {"advanced": True})


def _with_embeddings(clip: Any) -> Any:
    clip.embedding_directories = folder_paths.get_folder_paths("embeddings")
    return clip


def _device(device: str) -> Any:
    if device == "cpu":
        import torch

        return torch.device("cpu")
    return None


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
        from comfy.utils import ProgressBar

        from ..memory import (
            load_checkpoint,  # read once per file, kept while memory allows
        )

        path = folder_paths.get_full_path_or_raise("checkpoints", ckpt_name)
        bar = ProgressBar(1)
        loaded = load_checkpoint(path, progress=lambda done, total: bar.update_absolute(done, total))
        return (loaded.model, _with_embeddings(loaded.clip), loaded.vae)


class UNETLoader:
    """Loads a diffusion model (UNet) file: MODEL."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "unet_name": (folder_paths.get_filename_list("diffusion_models"),),
                "weight_dtype": (list(WEIGHT_DTYPES),),
            }
        }

    RETURN_TYPES = ("MODEL",)
    FUNCTION = "load_unet"
    CATEGORY = "advanced/loaders"

    def load_unet(self, unet_name: str, weight_dtype: str) -> tuple[Any]:
        from ..loader import load_diffusion_model

        path = folder_paths.get_full_path_or_raise("diffusion_models", unet_name)
        return (load_diffusion_model(path, weight_dtype),)


class CLIPLoader:
    """Loads one text-encoder file: CLIP (CLIP-L: SD1.x, OpenCLIP-H: SD2.x, OpenCLIP-G: SDXL refiner)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "clip_name": (folder_paths.get_filename_list("text_encoders"),),
                "type": (list(CLIP_TYPES),),
            },
            "optional": {"device": _DEVICE_OPTION},
        }

    RETURN_TYPES = ("CLIP",)
    FUNCTION = "load_clip"
    CATEGORY = "advanced/loaders"
    DESCRIPTION = "[Recipes]\n\nstable_diffusion: clip-l (SD1.x), clip-h (SD2.x), clip-g (SDXL refiner)"

    def load_clip(self, clip_name: str, type: str = "stable_diffusion", device: str = "default") -> tuple[Any]:
        from ..loader import load_text_encoders

        path = folder_paths.get_full_path_or_raise("text_encoders", clip_name)
        return (_with_embeddings(load_text_encoders([path], type, _device(device))),)


class DualCLIPLoader:
    """Loads two text-encoder files into one CLIP (SDXL: CLIP-L and OpenCLIP-G)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        names = folder_paths.get_filename_list("text_encoders")
        return {
            "required": {
                "clip_name1": (names,),
                "clip_name2": (names,),
                "type": (list(DUAL_CLIP_TYPES),),
            },
            "optional": {"device": _DEVICE_OPTION},
        }

    RETURN_TYPES = ("CLIP",)
    FUNCTION = "load_clip"
    CATEGORY = "advanced/loaders"
    DESCRIPTION = "[Recipes]\n\nsdxl: clip-l, clip-g"

    def load_clip(self, clip_name1: str, clip_name2: str, type: str, device: str = "default") -> tuple[Any]:
        from ..loader import load_text_encoders

        paths = [folder_paths.get_full_path_or_raise("text_encoders", name) for name in (clip_name1, clip_name2)]
        return (_with_embeddings(load_text_encoders(paths, type, _device(device))),)


class VAELoader:
    """Loads a VAE file: VAE."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"vae_name": (folder_paths.get_filename_list("vae"),)}}

    RETURN_TYPES = ("VAE",)
    FUNCTION = "load_vae"
    CATEGORY = "loaders"

    def load_vae(self, vae_name: str) -> tuple[Any]:
        from ..loader import load_vae

        return (load_vae(folder_paths.get_full_path_or_raise("vae", vae_name)),)


class CLIPSetLastLayer:
    """Makes a CLIP stop at an earlier layer ("CLIP skip": −2 is the penultimate layer)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "clip": ("CLIP",),
                "stop_at_clip_layer": ("INT", {"default": -1, "min": -24, "max": -1, "step": 1}),
            }
        }

    RETURN_TYPES = ("CLIP",)
    FUNCTION = "set_last_layer"
    CATEGORY = "conditioning"

    def set_last_layer(self, clip: Any, stop_at_clip_layer: int) -> tuple[Any]:
        clip = clip.clone()
        clip.clip_layer(stop_at_clip_layer)
        return (clip,)


NODE_CLASS_MAPPINGS = {
    "CheckpointLoaderSimple": CheckpointLoaderSimple,
    "UNETLoader": UNETLoader,
    "CLIPLoader": CLIPLoader,
    "DualCLIPLoader": DualCLIPLoader,
    "VAELoader": VAELoader,
    "CLIPSetLastLayer": CLIPSetLastLayer,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "CheckpointLoaderSimple": "Load Checkpoint",
    "UNETLoader": "Load Diffusion Model",
    "CLIPLoader": "Load CLIP",
    "DualCLIPLoader": "DualCLIPLoader",
    "VAELoader": "Load VAE",
    "CLIPSetLastLayer": "CLIP Set Last Layer",
}

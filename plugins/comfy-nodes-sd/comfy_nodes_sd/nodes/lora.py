"""LoRA nodes: ``LoraLoader`` ("Load LoRA") and ``LoraLoaderModelOnly``.

LoRA files are listed from the ``loras`` model folders. The node returns clones of MODEL and CLIP
carrying the LoRA's weight patches (``comfy_nodes_sd.lora``); its inputs stay unchanged, and the
last file read is kept on the node instance (ComfyUI does the same), so changing only a strength
does not read the file again.
"""

from __future__ import annotations

from typing import Any

from comfy import folder_paths

_STRENGTH = {"default": 1.0, "min": -100.0, "max": 100.0, "step": 0.01}


class LoraLoader:
    """Applies a LoRA to a MODEL and a CLIP."""

    def __init__(self) -> None:
        self.loaded_lora: tuple[str, Any] | None = None

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "model": ("MODEL", {"tooltip": "The diffusion model the LoRA will be applied to."}),
                "clip": ("CLIP", {"tooltip": "The CLIP model the LoRA will be applied to."}),
                "lora_name": (folder_paths.get_filename_list("loras"), {"tooltip": "The name of the LoRA."}),
                "strength_model": (
                    "FLOAT",
                    {**_STRENGTH, "tooltip": "How strongly to modify the diffusion model. This value can be negative."},
                ),
                "strength_clip": (
                    "FLOAT",
                    {**_STRENGTH, "tooltip": "How strongly to modify the CLIP model. This value can be negative."},
                ),
            }
        }

    RETURN_TYPES = ("MODEL", "CLIP")
    OUTPUT_TOOLTIPS = ("The modified diffusion model.", "The modified CLIP model.")
    FUNCTION = "load_lora"
    CATEGORY = "loaders"
    DESCRIPTION = (
        "LoRAs are used to modify diffusion and CLIP models, altering the way in which latents are denoised "
        "such as applying styles. Multiple LoRA nodes can be linked together."
    )

    def _read(self, lora_name: str) -> Any:
        from ..lora import load_lora_file

        path = folder_paths.get_full_path_or_raise("loras", lora_name)
        if self.loaded_lora is not None and self.loaded_lora[0] == path:
            return self.loaded_lora[1]
        lora = load_lora_file(path)
        self.loaded_lora = (path, lora)
        return lora

    def load_lora(self, model: Any, clip: Any, lora_name: str, strength_model: float, strength_clip: float) -> tuple[Any, Any]:
        if strength_model == 0 and strength_clip == 0:
            return (model, clip)
        from ..lora import load_lora_for_models

        return load_lora_for_models(model, clip, self._read(lora_name), strength_model, strength_clip)


class LoraLoaderModelOnly(LoraLoader):
    """Applies a LoRA to a MODEL only."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "model": ("MODEL",),
                "lora_name": (folder_paths.get_filename_list("loras"),),
                "strength_model": ("FLOAT", dict(_STRENGTH)),
            }
        }

    RETURN_TYPES = ("MODEL",)
    FUNCTION = "load_lora_model_only"

    def load_lora_model_only(self, model: Any, lora_name: str, strength_model: float) -> tuple[Any]:
        if strength_model == 0:
            return (model,)
        return (self.load_lora(model, None, lora_name, strength_model, 0)[0],)


NODE_CLASS_MAPPINGS = {"LoraLoader": LoraLoader, "LoraLoaderModelOnly": LoraLoaderModelOnly}
NODE_DISPLAY_NAME_MAPPINGS = {"LoraLoader": "Load LoRA", "LoraLoaderModelOnly": "LoraLoaderModelOnly"}

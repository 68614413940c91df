"""Text-encoding nodes: ``CLIPTextEncode`` ("CLIP Text Encode (Prompt)"), ``CLIPTextEncodeSDXL`` and
``CLIPTextEncodeSDXLRefiner``.

The SDXL nodes store the micro-conditioning ComfyUI stores beside the pooled output (``width``,
``height``, ``crop_w``, ``crop_h``, ``target_width``, ``target_height``; the refiner's
``aesthetic_score``, ``width``, ``height``); the sampler turns them into the ADM vector
(``comfy_nodes_sd.adm``).

CONDITIONING is ComfyUI's ``[[cond, {"pooled_output": pooled, ...}], ...]`` so conditioning nodes
from other packs can read and extend it.
"""

from __future__ import annotations

from typing import Any

MAX_RESOLUTION = 16384


class CLIPTextEncode:
    """Encodes a prompt (with ComfyUI's ``(word:1.2)`` weighting) into CONDITIONING."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "text": ("STRING", {"multiline": True, "dynamicPrompts": True, "tooltip": "The text to be encoded."}),
                "clip": ("CLIP", {"tooltip": "The CLIP model used for encoding the text."}),
            }
        }

    RETURN_TYPES = ("CONDITIONING",)
    OUTPUT_TOOLTIPS = ("A conditioning containing the embedded text used to guide the diffusion model.",)
    FUNCTION = "encode"
    CATEGORY = "conditioning"
    DESCRIPTION = (
        "Encodes a text prompt using a CLIP model into an embedding that can be used to guide the diffusion "
        "model towards generating specific images."
    )

    def encode(self, clip: Any, text: str) -> tuple[list[Any]]:
        _check_clip(clip)
        return (clip.encode_from_tokens_scheduled(clip.tokenize(text)),)


def _check_clip(clip: Any) -> None:
    if clip is None:
        raise RuntimeError(
            "ERROR: clip input is invalid: None\n\nIf the clip is from a checkpoint loader node your checkpoint "
            "does not contain a valid clip or text encoder model."
        )


def _size(default: int) -> tuple[str, dict[str, int]]:
    return ("INT", {"default": default, "min": 0, "max": MAX_RESOLUTION})


def _text() -> tuple[str, dict[str, bool]]:
    return ("STRING", {"multiline": True, "dynamicPrompts": True})


class CLIPTextEncodeSDXL:
    """Encodes SDXL's two prompts (``text_g`` for OpenCLIP-G, ``text_l`` for CLIP-L) with the size and
    crop conditioning."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "clip": ("CLIP",),
                "width": _size(1024),
                "height": _size(1024),
                "crop_w": _size(0),
                "crop_h": _size(0),
                "target_width": _size(1024),
                "target_height": _size(1024),
                "text_g": _text(),
                "text_l": _text(),
            }
        }

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "encode"
    CATEGORY = "advanced/conditioning"

    def encode(
        self,
        clip: Any,
        width: int,
        height: int,
        crop_w: int,
        crop_h: int,
        target_width: int,
        target_height: int,
        text_g: str,
        text_l: str,
    ) -> tuple[list[Any]]:
        _check_clip(clip)
        tokens = clip.tokenize(text_g)
        if "g" not in tokens:
            raise ValueError("CLIPTextEncodeSDXL needs an SDXL CLIP (with an OpenCLIP-G text encoder)")
        # with the refiner's CLIP (OpenCLIP-G alone) text_l has no encoder and is ignored
        tokens["l"] = clip.tokenize(text_l).get("l", [])
        if tokens["l"] and len(tokens["l"]) != len(tokens["g"]):
            empty = clip.tokenize("")
            while len(tokens["l"]) < len(tokens["g"]):
                tokens["l"] += empty["l"]
            while len(tokens["l"]) > len(tokens["g"]):
                tokens["g"] += empty["g"]
        extra = {
            "width": width,
            "height": height,
            "crop_w": crop_w,
            "crop_h": crop_h,
            "target_width": target_width,
            "target_height": target_height,
        }
        return (clip.encode_from_tokens_scheduled({k: v for k, v in tokens.items() if v}, add_dict=extra),)


class CLIPTextEncodeSDXLRefiner:
    """Encodes a prompt for the SDXL refiner with its aesthetic score and size conditioning."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "ascore": ("FLOAT", {"default": 6.0, "min": 0.0, "max": 1000.0, "step": 0.01}),
                "width": _size(1024),
                "height": _size(1024),
                "text": _text(),
                "clip": ("CLIP",),
            }
        }

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "encode"
    CATEGORY = "advanced/conditioning"

    def encode(self, clip: Any, ascore: float, width: int, height: int, text: str) -> tuple[list[Any]]:
        _check_clip(clip)
        extra = {"aesthetic_score": ascore, "width": width, "height": height}
        return (clip.encode_from_tokens_scheduled(clip.tokenize(text), add_dict=extra),)


NODE_CLASS_MAPPINGS = {
    "CLIPTextEncode": CLIPTextEncode,
    "CLIPTextEncodeSDXL": CLIPTextEncodeSDXL,
    "CLIPTextEncodeSDXLRefiner": CLIPTextEncodeSDXLRefiner,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "CLIPTextEncode": "CLIP Text Encode (Prompt)",
    "CLIPTextEncodeSDXL": "CLIP Text Encode (SDXL)",
    "CLIPTextEncodeSDXLRefiner": "CLIP Text Encode (SDXL Refiner)",
}

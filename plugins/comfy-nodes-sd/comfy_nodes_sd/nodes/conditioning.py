"""Conditioning nodes: ``CLIPTextEncode`` ("CLIP Text Encode (Prompt)").

CONDITIONING is ComfyUI's ``[[cond, {"pooled_output": pooled, ...}], ...]`` so conditioning nodes
from other packs can read and extend it.
"""

from __future__ import annotations

from typing import Any


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
        if clip is None:
            raise RuntimeError(
                "ERROR: clip input is invalid: None\n\nIf the clip is from a checkpoint loader node your checkpoint "
                "does not contain a valid clip or text encoder model."
            )
        return (clip.encode_from_tokens_scheduled(clip.tokenize(text)),)


NODE_CLASS_MAPPINGS = {"CLIPTextEncode": CLIPTextEncode}
NODE_DISPLAY_NAME_MAPPINGS = {"CLIPTextEncode": "CLIP Text Encode (Prompt)"}

"""VAE nodes: ``VAEDecode`` and ``VAEEncode``."""

from __future__ import annotations

from typing import Any


class VAEDecode:
    """LATENT to IMAGE."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "samples": ("LATENT", {"tooltip": "The latent to be decoded."}),
                "vae": ("VAE", {"tooltip": "The VAE model used for decoding the latent."}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    OUTPUT_TOOLTIPS = ("The decoded image.",)
    FUNCTION = "decode"
    CATEGORY = "latent"
    DESCRIPTION = "Decodes latent images back into pixel space images."

    def decode(self, vae: Any, samples: dict[str, Any]) -> tuple[Any]:
        images = vae.decode(samples["samples"])
        if images.ndim == 5:
            images = images.reshape(-1, *images.shape[-3:])
        return (images,)


class VAEEncode:
    """IMAGE to LATENT."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"pixels": ("IMAGE",), "vae": ("VAE",)}}

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "encode"
    CATEGORY = "latent"

    def encode(self, vae: Any, pixels: Any) -> tuple[dict[str, Any]]:
        return ({"samples": vae.encode(pixels[:, :, :, :3])},)


NODE_CLASS_MAPPINGS = {"VAEDecode": VAEDecode, "VAEEncode": VAEEncode}
NODE_DISPLAY_NAME_MAPPINGS = {"VAEDecode": "VAE Decode", "VAEEncode": "VAE Encode"}

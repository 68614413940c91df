"""VAE nodes: ``VAEDecode``, ``VAEEncode``, their tiled variants and ``VAEEncodeForInpaint``, with
ComfyUI's inputs, defaults and outputs."""

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


def _tile_input(step: int) -> tuple[str, dict[str, Any]]:
    return ("INT", {"default": 512, "min": 64, "max": 4096, "step": step})


_OVERLAP = ("INT", {"default": 64, "min": 0, "max": 4096, "step": 32})
_TEMPORAL_SIZE = (
    "INT",
    {"default": 64, "min": 8, "max": 4096, "step": 4, "tooltip": "Only used for video VAEs: Amount of frames to decode at a time."},
)
_TEMPORAL_OVERLAP = (
    "INT",
    {"default": 8, "min": 4, "max": 4096, "step": 4, "tooltip": "Only used for video VAEs: Amount of frames to overlap."},
)


class VAEDecodeTiled:
    """LATENT to IMAGE in overlapping tiles (less memory; seams blended)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "samples": ("LATENT",),
                "vae": ("VAE",),
                "tile_size": _tile_input(32),
                "overlap": _OVERLAP,
                "temporal_size": _TEMPORAL_SIZE,
                "temporal_overlap": _TEMPORAL_OVERLAP,
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "decode"
    CATEGORY = "_for_testing"

    def decode(
        self, vae: Any, samples: dict[str, Any], tile_size: int, overlap: int = 64, temporal_size: int = 64, temporal_overlap: int = 8
    ) -> tuple[Any]:
        if tile_size < overlap * 4:
            overlap = tile_size // 4
        # temporal_size / temporal_overlap only matter for video VAEs, which have none here
        compression = vae.spacial_compression_decode()
        images = vae.decode_tiled(
            samples["samples"], tile_x=tile_size // compression, tile_y=tile_size // compression, overlap=overlap // compression
        )
        if images.ndim == 5:
            images = images.reshape(-1, *images.shape[-3:])
        return (images,)


class VAEEncodeTiled:
    """IMAGE to LATENT in overlapping tiles."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "pixels": ("IMAGE",),
                "vae": ("VAE",),
                "tile_size": _tile_input(64),
                "overlap": _OVERLAP,
                "temporal_size": _TEMPORAL_SIZE,
                "temporal_overlap": _TEMPORAL_OVERLAP,
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "encode"
    CATEGORY = "_for_testing"

    def encode(
        self, vae: Any, pixels: Any, tile_size: int, overlap: int, temporal_size: int = 64, temporal_overlap: int = 8
    ) -> tuple[dict[str, Any]]:
        return ({"samples": vae.encode_tiled(pixels[:, :, :, :3], tile_x=tile_size, tile_y=tile_size, overlap=overlap)},)


class VAEEncodeForInpaint:
    """IMAGE and MASK to an inpainting LATENT: masked pixels become grey (0.5) before encoding, and the
    mask, grown by ``grow_mask_by`` pixels, becomes the latent's ``noise_mask``."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "pixels": ("IMAGE",),
                "vae": ("VAE",),
                "mask": ("MASK",),
                "grow_mask_by": ("INT", {"default": 6, "min": 0, "max": 64, "step": 1}),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "encode"
    CATEGORY = "latent/inpaint"

    def encode(self, vae: Any, pixels: Any, mask: Any, grow_mask_by: int = 6) -> tuple[dict[str, Any]]:
        import math

        import torch
        import torch.nn.functional as F

        ratio = vae.spacial_compression_encode()
        height = (pixels.shape[1] // ratio) * ratio
        width = (pixels.shape[2] // ratio) * ratio
        mask = F.interpolate(mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])).float(), size=(pixels.shape[1], pixels.shape[2]), mode="bilinear")

        pixels = pixels.clone()
        if pixels.shape[1] != height or pixels.shape[2] != width:
            y0 = (pixels.shape[1] % ratio) // 2
            x0 = (pixels.shape[2] % ratio) // 2
            pixels = pixels[:, y0 : y0 + height, x0 : x0 + width, :]
            mask = mask[:, :, y0 : y0 + height, x0 : x0 + width]

        # grow the mask a little so the latent-space edge stays seamless
        if grow_mask_by == 0:
            grown = mask
        else:
            kernel = torch.ones((1, 1, grow_mask_by, grow_mask_by))
            padding = math.ceil((grow_mask_by - 1) / 2)
            grown = torch.clamp(F.conv2d(mask.round(), kernel, padding=padding), 0, 1)

        keep = (1.0 - mask.round()).squeeze(1)
        for c in range(3):
            pixels[:, :, :, c] -= 0.5
            pixels[:, :, :, c] *= keep
            pixels[:, :, :, c] += 0.5
        latent = vae.encode(pixels)
        return ({"samples": latent, "noise_mask": grown[:, :, :height, :width].round()},)


NODE_CLASS_MAPPINGS = {
    "VAEDecode": VAEDecode,
    "VAEEncode": VAEEncode,
    "VAEDecodeTiled": VAEDecodeTiled,
    "VAEEncodeTiled": VAEEncodeTiled,
    "VAEEncodeForInpaint": VAEEncodeForInpaint,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "VAEDecode": "VAE Decode",
    "VAEEncode": "VAE Encode",
    "VAEDecodeTiled": "VAE Decode (Tiled)",
    "VAEEncodeTiled": "VAE Encode (Tiled)",
    "VAEEncodeForInpaint": "VAE Encode (for Inpainting)",
}

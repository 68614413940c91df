"""Model-agnostic latent nodes with ComfyUI's contracts: empty latents, upscaling, batching,
compositing, blending, cropping and noise masks.

LATENT is a dict `{"samples": [B, C, H/8, W/8], "noise_mask"?: [B, 1, H, W], "batch_index"?: [int]}`.
Nodes return a shallow copy of their input dict with the keys they change replaced, so keys they
do not know about travel on (ComfyUI's behaviour). `batch_index` is the per-sample noise index
KSampler uses; the batch nodes keep it consistent. torch is imported when a node runs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .resize import LATENT_UPSCALE_METHODS, MAX_RESOLUTION, common_upscale, composite

if TYPE_CHECKING:
    import torch

LATENT_CHANNELS = 4
"""Channels of an EmptyLatentImage (SD1.x/SDXL); samplers adapt other model families."""

DOWNSCALE_RATIO = 8
"""Pixels per latent element in each direction."""


def _repeat_masks(masks: torch.Tensor, batch: int) -> torch.Tensor:
    """Repeat the mask batch cyclically until it covers `batch` samples (never cuts it)."""
    if masks.shape[0] >= batch:
        return masks
    reps = [math.ceil(batch / masks.shape[0])] + [1] * (masks.ndim - 1)
    return masks.repeat(reps)[:batch]


class EmptyLatentImage:
    """A batch of zero latents for a given pixel size."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "width": (
                    "INT",
                    {
                        "default": 512,
                        "min": 16,
                        "max": MAX_RESOLUTION,
                        "step": 8,
                        "tooltip": "The width of the latent images in pixels.",
                    },
                ),
                "height": (
                    "INT",
                    {
                        "default": 512,
                        "min": 16,
                        "max": MAX_RESOLUTION,
                        "step": 8,
                        "tooltip": "The height of the latent images in pixels.",
                    },
                ),
                "batch_size": (
                    "INT",
                    {"default": 1, "min": 1, "max": 4096, "tooltip": "The number of latent images in the batch."},
                ),
            }
        }

    RETURN_TYPES = ("LATENT",)
    OUTPUT_TOOLTIPS = ("The empty latent image batch.",)
    FUNCTION = "generate"
    CATEGORY = "latent"
    DESCRIPTION = "Create a new batch of empty latent images to be denoised via sampling."

    def generate(self, width: int, height: int, batch_size: int = 1) -> tuple[dict[str, Any]]:
        import torch
        shape = [batch_size, LATENT_CHANNELS, height // DOWNSCALE_RATIO, width // DOWNSCALE_RATIO]
        return ({"samples": torch.zeros(shape, device="cpu")},)


class LatentUpscale:
    """Resizes latents to a pixel width and height (0 keeps the aspect ratio)."""

    upscale_methods = list(LATENT_UPSCALE_METHODS)
    crop_methods = ["disabled", "center"]

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "samples": ("LATENT",),
                "upscale_method": (cls.upscale_methods,),
                "width": ("INT", {"default": 512, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "height": ("INT", {"default": 512, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "crop": (cls.crop_methods,),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "upscale"
    CATEGORY = "latent"
    DESCRIPTION = "Resizes the latents to width x height pixels (at least 64 each); 0 follows the aspect ratio."

    def upscale(
        self, samples: dict[str, Any], upscale_method: str, width: int, height: int, crop: str
    ) -> tuple[dict[str, Any]]:
        if width == 0 and height == 0:
            return (samples,)
        latent = samples["samples"]
        out = samples.copy()
        if width == 0:
            height = max(64, height)
            width = max(64, round(latent.shape[-1] * height / latent.shape[-2]))
        elif height == 0:
            width = max(64, width)
            height = max(64, round(latent.shape[-2] * width / latent.shape[-1]))
        else:
            width = max(64, width)
            height = max(64, height)
        out["samples"] = common_upscale(
            latent, width // DOWNSCALE_RATIO, height // DOWNSCALE_RATIO, upscale_method, crop
        )
        return (out,)


class LatentUpscaleBy:
    """Resizes latents by a factor."""

    upscale_methods = list(LATENT_UPSCALE_METHODS)

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "samples": ("LATENT",),
                "upscale_method": (cls.upscale_methods,),
                "scale_by": ("FLOAT", {"default": 1.5, "min": 0.01, "max": 8.0, "step": 0.01}),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "upscale"
    CATEGORY = "latent"
    DESCRIPTION = "Resizes the latents by scale_by (each side rounded to the nearest latent element)."

    def upscale(self, samples: dict[str, Any], upscale_method: str, scale_by: float) -> tuple[dict[str, Any]]:
        latent = samples["samples"]
        out = samples.copy()
        width = round(latent.shape[-1] * scale_by)
        height = round(latent.shape[-2] * scale_by)
        out["samples"] = common_upscale(latent, width, height, upscale_method, "disabled")
        return (out,)


class LatentFromBatch:
    """Takes length latents starting at batch_index out of a batch, keeping their noise indices."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "samples": ("LATENT",),
                "batch_index": ("INT", {"default": 0, "min": 0, "max": 63}),
                "length": ("INT", {"default": 1, "min": 1, "max": 64}),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "frombatch"
    CATEGORY = "latent/batch"
    DESCRIPTION = "Selects length latents from batch_index on; batch_index records their original positions."

    def frombatch(self, samples: dict[str, Any], batch_index: int, length: int) -> tuple[dict[str, Any]]:
        out = samples.copy()
        latent = samples["samples"]
        batch_index = min(latent.shape[0] - 1, batch_index)
        length = min(latent.shape[0] - batch_index, length)
        out["samples"] = latent[batch_index : batch_index + length].clone()
        if "noise_mask" in samples:
            masks = samples["noise_mask"]
            if masks.shape[0] == 1:
                out["noise_mask"] = masks.clone()
            else:
                masks = _repeat_masks(masks, latent.shape[0])
                out["noise_mask"] = masks[batch_index : batch_index + length].clone()
        if "batch_index" in samples:
            out["batch_index"] = samples["batch_index"][batch_index : batch_index + length]
        else:
            out["batch_index"] = list(range(batch_index, batch_index + length))
        return (out,)


class RepeatLatentBatch:
    """Repeats a whole latent batch amount times."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "samples": ("LATENT",),
                "amount": ("INT", {"default": 1, "min": 1, "max": 64}),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "repeat"
    CATEGORY = "latent/batch"
    DESCRIPTION = "Repeats the latent batch amount times; repeated copies get shifted noise indices."

    def repeat(self, samples: dict[str, Any], amount: int) -> tuple[dict[str, Any]]:
        out = samples.copy()
        latent = samples["samples"]
        out["samples"] = latent.repeat((amount,) + (1,) * (latent.ndim - 1))
        masks = samples.get("noise_mask")
        if masks is not None and masks.shape[0] > 1:
            # Parity with ComfyUI: the stored masks are repeated as they are, not first padded to
            # the sample batch.
            out["noise_mask"] = masks.repeat((amount,) + (1,) * (masks.ndim - 1))
        if "batch_index" in samples:
            indices = list(samples["batch_index"])
            offset = max(indices) - min(indices) + 1
            out["batch_index"] = indices + [x + i * offset for i in range(1, amount) for x in indices]
        return (out,)


class LatentComposite:
    """Pastes samples_from into samples_to at a pixel offset, with an optional feathered edge."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "samples_to": ("LATENT",),
                "samples_from": ("LATENT",),
                "x": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "y": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "feather": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "composite"
    CATEGORY = "latent"
    DESCRIPTION = "Pastes samples_from into samples_to at (x, y) pixels; feather blends the inner edges."

    def composite(
        self, samples_to: dict[str, Any], samples_from: dict[str, Any], x: int, y: int, feather: int = 0
    ) -> tuple[dict[str, Any]]:
        import torch
        x, y, feather = x // DOWNSCALE_RATIO, y // DOWNSCALE_RATIO, feather // DOWNSCALE_RATIO
        out = samples_to.copy()
        dest = samples_to["samples"]
        result = dest.clone()
        src = samples_from["samples"].to(dest.device)
        src = src[:, :, : max(0, dest.shape[2] - y), : max(0, dest.shape[3] - x)]  # cut at the far edges
        region = (slice(None), slice(None), slice(y, y + src.shape[2]), slice(x, x + src.shape[3]))
        if feather == 0:
            result[region] = src
        else:
            mask = torch.ones_like(src)
            for t in range(feather):
                weight = (1.0 / feather) * (t + 1)
                if y != 0:
                    mask[:, :, t : t + 1, :] *= weight
                if y + src.shape[2] < dest.shape[2]:
                    mask[:, :, mask.shape[2] - 1 - t : mask.shape[2] - t, :] *= weight
                if x != 0:
                    mask[:, :, :, t : t + 1] *= weight
                if x + src.shape[3] < dest.shape[3]:
                    mask[:, :, :, mask.shape[3] - 1 - t : mask.shape[3] - t] *= weight
            result[region] = src * mask + result[region] * (torch.ones_like(mask) - mask)
        out["samples"] = result
        return (out,)


class LatentCompositeMasked:
    """Pastes source into destination at a pixel offset, optionally through a mask."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "destination": ("LATENT",),
                "source": ("LATENT",),
                "x": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "y": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "resize_source": ("BOOLEAN", {"default": False}),
            },
            "optional": {"mask": ("MASK",)},
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "composite"
    CATEGORY = "latent"
    DESCRIPTION = "Pastes source over destination at (x, y) pixels; a mask (resized to source) blends the two."

    def composite(
        self,
        destination: dict[str, Any],
        source: dict[str, Any],
        x: int,
        y: int,
        resize_source: bool,
        mask: torch.Tensor | None = None,
    ) -> tuple[dict[str, Any]]:
        out = destination.copy()
        dest = destination["samples"].clone()
        out["samples"] = composite(dest, source["samples"], x, y, mask, DOWNSCALE_RATIO, resize_source)
        return (out,)


class LatentBlend:
    """Linear mix of two latents."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "samples1": ("LATENT",),
                "samples2": ("LATENT",),
                "blend_factor": ("FLOAT", {"default": 0.5, "min": 0, "max": 1, "step": 0.01}),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "blend"
    CATEGORY = "_for_testing"
    DESCRIPTION = "samples1 x blend_factor + samples2 x (1 - blend_factor); samples2 is resized to match."

    def blend(
        self, samples1: dict[str, Any], samples2: dict[str, Any], blend_factor: float, blend_mode: str = "normal"
    ) -> tuple[dict[str, Any]]:
        if blend_mode != "normal":
            raise ValueError(f"Unsupported blend mode: {blend_mode}")
        out = samples1.copy()
        s1 = samples1["samples"]
        s2 = samples2["samples"].to(s1.device)
        if s1.shape != s2.shape:
            s2 = common_upscale(s2, s1.shape[-1], s1.shape[-2], "bicubic", "center")
        out["samples"] = s1 * blend_factor + s2 * (1 - blend_factor)
        return (out,)


class LatentCrop:
    """Crops a pixel rectangle out of latents."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "samples": ("LATENT",),
                "width": ("INT", {"default": 512, "min": 64, "max": MAX_RESOLUTION, "step": 8}),
                "height": ("INT", {"default": 512, "min": 64, "max": MAX_RESOLUTION, "step": 8}),
                "x": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "y": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "crop"
    CATEGORY = "latent/transform"
    DESCRIPTION = "Crops width x height pixels at (x, y); the offset is kept at least 64 pixels from the far edges."

    def crop(self, samples: dict[str, Any], width: int, height: int, x: int, y: int) -> tuple[dict[str, Any]]:
        out = samples.copy()
        latent = samples["samples"]
        x, y = x // DOWNSCALE_RATIO, y // DOWNSCALE_RATIO
        # keep at least 8 latent elements (64 pixels) after the offset
        x = min(x, latent.shape[3] - 8)
        y = min(y, latent.shape[2] - 8)
        to_x = width // DOWNSCALE_RATIO + x
        to_y = height // DOWNSCALE_RATIO + y
        out["samples"] = latent[:, :, y:to_y, x:to_x]
        return (out,)


class SetLatentNoiseMask:
    """Attaches an inpainting mask: only masked areas get noised and denoised."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"samples": ("LATENT",), "mask": ("MASK",)}}

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "set_mask"
    CATEGORY = "latent/inpaint"
    DESCRIPTION = "Sets the latent's noise_mask (stored as [B, 1, H, W]) so sampling only changes the masked area."

    def set_mask(self, samples: dict[str, Any], mask: torch.Tensor) -> tuple[dict[str, Any]]:
        out = samples.copy()
        out["noise_mask"] = mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1]))
        return (out,)


class LatentBatch:
    """Concatenates two latent batches, keeping both sides' noise indices."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"samples1": ("LATENT",), "samples2": ("LATENT",)}}

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "batch"
    CATEGORY = "latent/batch"
    DESCRIPTION = "Appends samples2's batch to samples1's (samples2 resized to match); batch_index is concatenated."

    def batch(self, samples1: dict[str, Any], samples2: dict[str, Any]) -> tuple[dict[str, Any]]:
        import torch
        out = samples1.copy()
        s1 = samples1["samples"]
        s2 = samples2["samples"].to(s1.device)
        if s2.shape[1:] != s1.shape[1:]:
            s2 = common_upscale(s2, s1.shape[-1], s1.shape[-2], "bilinear", "center")
        out["samples"] = torch.cat((s1, s2), dim=0)
        out["batch_index"] = list(samples1.get("batch_index", range(s1.shape[0]))) + list(
            samples2.get("batch_index", range(s2.shape[0]))
        )
        return (out,)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "EmptyLatentImage": EmptyLatentImage,
    "LatentUpscale": LatentUpscale,
    "LatentUpscaleBy": LatentUpscaleBy,
    "LatentFromBatch": LatentFromBatch,
    "RepeatLatentBatch": RepeatLatentBatch,
    "LatentComposite": LatentComposite,
    "LatentCompositeMasked": LatentCompositeMasked,
    "LatentBlend": LatentBlend,
    "LatentCrop": LatentCrop,
    "SetLatentNoiseMask": SetLatentNoiseMask,
    "LatentBatch": LatentBatch,
}

# ComfyUI's names; nodes ComfyUI gives no display name show their class name there too.
NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "EmptyLatentImage": "Empty Latent Image",
    "LatentUpscale": "Upscale Latent",
    "LatentUpscaleBy": "Upscale Latent By",
    "LatentFromBatch": "Latent From Batch",
    "RepeatLatentBatch": "Repeat Latent Batch",
    "LatentComposite": "Latent Composite",
    "LatentCompositeMasked": "LatentCompositeMasked",
    "LatentBlend": "Latent Blend",
    "LatentCrop": "Crop Latent",
    "SetLatentNoiseMask": "Set Latent Noise Mask",
    "LatentBatch": "LatentBatch",
}

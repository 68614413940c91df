"""Mask nodes with ComfyUI's contracts: solid masks, conversions, grow/feather, crop, compositing
and thresholds.

MASK is a float tensor `[B, H, W]` (1 = selected); nodes also accept a bare `[H, W]` mask the way
ComfyUI does. Work happens on the input's device; torch is imported when a node runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .resize import MAX_RESOLUTION

if TYPE_CHECKING:
    import torch

CHANNELS: tuple[str, ...] = ("red", "green", "blue", "alpha")
COMPOSITE_OPERATIONS: tuple[str, ...] = ("multiply", "add", "subtract", "and", "or", "xor")


def _as_batch(mask: torch.Tensor) -> torch.Tensor:
    """A MASK as `[B, H, W]`."""
    return mask.reshape((-1, mask.shape[-2], mask.shape[-1]))


class SolidMask:
    """A mask of one value."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "value": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.01}),
                "width": ("INT", {"default": 512, "min": 1, "max": MAX_RESOLUTION, "step": 1}),
                "height": ("INT", {"default": 512, "min": 1, "max": MAX_RESOLUTION, "step": 1}),
            }
        }

    RETURN_TYPES = ("MASK",)
    FUNCTION = "solid"
    CATEGORY = "mask"
    DESCRIPTION = "Creates a 1 x height x width mask filled with value."

    def solid(self, value: float, width: int, height: int) -> tuple[torch.Tensor]:
        import torch
        return (torch.full((1, height, width), value, dtype=torch.float32, device="cpu"),)


class InvertMask:
    """1 - mask."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"mask": ("MASK",)}}

    RETURN_TYPES = ("MASK",)
    FUNCTION = "invert"
    CATEGORY = "mask"
    DESCRIPTION = "Inverts the mask: every value becomes 1 - value."

    def invert(self, mask: torch.Tensor) -> tuple[torch.Tensor]:
        return (1.0 - mask,)


class MaskToImage:
    """A gray image from a mask (the mask in all three channels)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"mask": ("MASK",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "mask_to_image"
    CATEGORY = "mask"
    DESCRIPTION = "Turns a mask into a grayscale RGB image batch."

    def mask_to_image(self, mask: torch.Tensor) -> tuple[torch.Tensor]:
        gray = mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])).movedim(1, -1)
        return (gray.expand(-1, -1, -1, 3),)


class ImageToMask:
    """One channel of an image as a mask."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"image": ("IMAGE",), "channel": (list(CHANNELS),)}}

    RETURN_TYPES = ("MASK",)
    FUNCTION = "image_to_mask"
    CATEGORY = "mask"
    DESCRIPTION = "Takes the red, green, blue or alpha channel of the images as a mask."

    def image_to_mask(self, image: torch.Tensor, channel: str) -> tuple[torch.Tensor]:
        index = CHANNELS.index(channel)
        if index >= image.shape[-1]:
            raise ValueError(f"ImageToMask: the image has {image.shape[-1]} channels, no {channel} channel")
        return (image[:, :, :, index],)


def _morph_step(mask: torch.Tensor, dilate: bool, tapered: bool) -> torch.Tensor:
    """One 3x3 grey dilation or erosion of `[B, H, W]` (cross footprint when tapered).

    Borders repeat the edge pixel, which for a 3x3 footprint is what scipy.ndimage's default
    'reflect' mode gives ComfyUI.
    """
    import torch
    import torch.nn.functional as F
    height, width = mask.shape[-2], mask.shape[-1]
    padded = F.pad(mask.unsqueeze(1), (1, 1, 1, 1), mode="replicate").squeeze(1)
    pick = torch.maximum if dilate else torch.minimum
    out = mask
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if (dy, dx) == (0, 0) or (tapered and dy != 0 and dx != 0):
                continue
            out = pick(out, padded[:, 1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width])
    return out


class GrowMask:
    """Grows (dilates) or shrinks (erodes) a mask by a number of pixels."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "mask": ("MASK",),
                "expand": ("INT", {"default": 0, "min": -MAX_RESOLUTION, "max": MAX_RESOLUTION, "step": 1}),
                "tapered_corners": ("BOOLEAN", {"default": True}),
            }
        }

    RETURN_TYPES = ("MASK",)
    FUNCTION = "expand_mask"
    CATEGORY = "mask"
    DESCRIPTION = "Dilates (expand > 0) or erodes (expand < 0) the mask by |expand| pixels."

    def expand_mask(self, mask: torch.Tensor, expand: int, tapered_corners: bool) -> tuple[torch.Tensor]:
        out = _as_batch(mask)
        if out.shape[-2] == 0 or out.shape[-1] == 0:
            return (out.clone(),)
        for _ in range(abs(expand)):
            out = _morph_step(out, expand > 0, tapered_corners)
        return (out.clone() if expand == 0 else out,)


class FeatherMask:
    """Fades the mask linearly towards its edges."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "mask": ("MASK",),
                "left": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
                "top": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
                "right": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
                "bottom": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
            }
        }

    RETURN_TYPES = ("MASK",)
    FUNCTION = "feather"
    CATEGORY = "mask"
    DESCRIPTION = "Multiplies the mask by linear ramps over left/top/right/bottom pixels from its edges."

    def feather(self, mask: torch.Tensor, left: int, top: int, right: int, bottom: int) -> tuple[torch.Tensor]:
        output = _as_batch(mask).clone()
        height, width = output.shape[-2], output.shape[-1]
        left, right = min(left, width), min(right, width)
        top, bottom = min(top, height), min(bottom, height)

        for i in range(left):
            output[:, :, i] *= (i + 1.0) / left
        # Parity with ComfyUI: the right and bottom ramps index with -i, so step 0 lands on the
        # first column/row (index -0 == 0) and the last column/row gets the second step.
        for i in range(right):
            output[:, :, -i] *= (i + 1) / right
        for i in range(top):
            output[:, i, :] *= (i + 1) / top
        for i in range(bottom):
            output[:, -i, :] *= (i + 1) / bottom
        return (output,)


class CropMask:
    """Crops a rectangle out of every mask of the batch."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "mask": ("MASK",),
                "x": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
                "y": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
                "width": ("INT", {"default": 512, "min": 1, "max": MAX_RESOLUTION, "step": 1}),
                "height": ("INT", {"default": 512, "min": 1, "max": MAX_RESOLUTION, "step": 1}),
            }
        }

    RETURN_TYPES = ("MASK",)
    FUNCTION = "crop"
    CATEGORY = "mask"
    DESCRIPTION = "Crops width x height at (x, y) out of the mask; the rectangle is cut at the edges."

    def crop(self, mask: torch.Tensor, x: int, y: int, width: int, height: int) -> tuple[torch.Tensor]:
        return (_as_batch(mask)[:, y : y + height, x : x + width],)


class MaskComposite:
    """Combines source into destination at (x, y) with an arithmetic or logical operation."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "destination": ("MASK",),
                "source": ("MASK",),
                "x": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
                "y": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
                "operation": (list(COMPOSITE_OPERATIONS),),
            }
        }

    RETURN_TYPES = ("MASK",)
    FUNCTION = "combine"
    CATEGORY = "mask"
    DESCRIPTION = "Combines source with the destination region at (x, y); the result is clamped to 0..1."

    def combine(
        self, destination: torch.Tensor, source: torch.Tensor, x: int, y: int, operation: str
    ) -> tuple[torch.Tensor]:
        import torch
        if operation not in COMPOSITE_OPERATIONS:
            raise ValueError(f"MaskComposite: unknown operation {operation!r}")
        output = _as_batch(destination).clone()
        source = _as_batch(source).to(output.device)
        left, top = x, y
        right = min(left + source.shape[-1], output.shape[-1])
        bottom = min(top + source.shape[-2], output.shape[-2])
        if right <= left or bottom <= top:  # the source lies wholly outside the destination
            return (torch.clamp(output, 0.0, 1.0),)

        src = source[:, : bottom - top, : right - left]
        dst = output[:, top:bottom, left:right]
        if operation == "multiply":
            result = dst * src
        elif operation == "add":
            result = dst + src
        elif operation == "subtract":
            result = dst - src
        else:
            a, b = dst.round().bool(), src.round().bool()
            combined = {"and": torch.bitwise_and, "or": torch.bitwise_or, "xor": torch.bitwise_xor}[operation](a, b)
            result = combined.to(output.dtype)
        output[:, top:bottom, left:right] = result
        return (torch.clamp(output, 0.0, 1.0),)


class ThresholdMask:
    """1 where the mask is above value, else 0."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "mask": ("MASK",),
                "value": ("FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.01}),
            }
        }

    RETURN_TYPES = ("MASK",)
    FUNCTION = "image_to_mask"
    CATEGORY = "mask"
    DESCRIPTION = "Binarises the mask: 1 where it is strictly greater than value, 0 elsewhere."

    def image_to_mask(self, mask: torch.Tensor, value: float) -> tuple[torch.Tensor]:
        return ((mask > value).float(),)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "SolidMask": SolidMask,
    "InvertMask": InvertMask,
    "MaskToImage": MaskToImage,
    "ImageToMask": ImageToMask,
    "GrowMask": GrowMask,
    "FeatherMask": FeatherMask,
    "CropMask": CropMask,
    "MaskComposite": MaskComposite,
    "ThresholdMask": ThresholdMask,
}

# ComfyUI's names; nodes ComfyUI gives no display name show their class name there too.
NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "SolidMask": "SolidMask",
    "InvertMask": "InvertMask",
    "MaskToImage": "Convert Mask to Image",
    "ImageToMask": "Convert Image to Mask",
    "GrowMask": "Grow Mask",
    "FeatherMask": "FeatherMask",
    "CropMask": "CropMask",
    "MaskComposite": "MaskComposite",
    "ThresholdMask": "ThresholdMask",
}

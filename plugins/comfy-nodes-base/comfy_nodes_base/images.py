"""Image nodes with ComfyUI's contracts: empty images, scaling, batching, cropping, padding,
compositing and post-processing.

IMAGE is a float32 tensor `[B, H, W, C]` in 0..1 (C = 3; an alpha channel is tolerated where
ComfyUI tolerates it). Node work happens on the input's device; created images live on the CPU
like ComfyUI's intermediate tensors. torch is imported when a node runs, so listing nodes stays cheap.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .resize import (
    CROP_METHODS,
    MAX_RESOLUTION,
    UPSCALE_METHODS,
    composite,
    scale_image,
)

if TYPE_CHECKING:
    import torch

BLEND_MODES: tuple[str, ...] = ("normal", "multiply", "screen", "overlay", "soft_light", "difference")


def _alpha_fix(destination: torch.Tensor, source: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Give `source` the destination's channel count: drop its extra channels, or add an opaque alpha."""
    import torch.nn.functional as F
    if destination.shape[-1] < source.shape[-1]:
        source = source[..., : destination.shape[-1]]
    elif destination.shape[-1] > source.shape[-1]:
        source = F.pad(source, (0, 1), value=1.0)
    return destination, source


class EmptyImage:
    """Creates a batch of images filled with one RGB color."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "width": ("INT", {"default": 512, "min": 1, "max": MAX_RESOLUTION, "step": 1}),
                "height": ("INT", {"default": 512, "min": 1, "max": MAX_RESOLUTION, "step": 1}),
                "batch_size": ("INT", {"default": 1, "min": 1, "max": 4096}),
                "color": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFF, "step": 1, "display": "color"}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "generate"
    CATEGORY = "image"
    DESCRIPTION = "Creates a batch of images of the given size filled with a solid 0xRRGGBB color."

    def generate(self, width: int, height: int, batch_size: int = 1, color: int = 0) -> tuple[torch.Tensor]:
        import torch
        rgb = [((color >> shift) & 0xFF) / 0xFF for shift in (16, 8, 0)]
        planes = [torch.full([batch_size, height, width, 1], value, dtype=torch.float32) for value in rgb]
        return (torch.cat(planes, dim=-1),)


class ImageScale:
    """Resizes images to a width and height (0 keeps the aspect ratio from the other side)."""

    upscale_methods = list(UPSCALE_METHODS)
    crop_methods = list(CROP_METHODS)

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "upscale_method": (cls.upscale_methods,),
                "width": ("INT", {"default": 512, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
                "height": ("INT", {"default": 512, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
                "crop": (cls.crop_methods,),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "upscale"
    CATEGORY = "image/upscaling"
    DESCRIPTION = "Resizes images to width x height; a 0 side follows the other side's aspect ratio."

    def upscale(
        self, image: torch.Tensor, upscale_method: str, width: int, height: int, crop: str
    ) -> tuple[torch.Tensor]:
        if width == 0 and height == 0:
            return (image,)
        old_height, old_width = image.shape[1], image.shape[2]
        if width == 0:
            width = max(1, round(old_width * height / old_height))
        elif height == 0:
            height = max(1, round(old_height * width / old_width))
        return (scale_image(image, width, height, upscale_method, crop),)


class ImageScaleBy:
    """Resizes images by a factor."""

    upscale_methods = list(UPSCALE_METHODS)

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "upscale_method": (cls.upscale_methods,),
                "scale_by": ("FLOAT", {"default": 1.0, "min": 0.01, "max": 8.0, "step": 0.01}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "upscale"
    CATEGORY = "image/upscaling"
    DESCRIPTION = "Resizes images by scale_by (each side rounded to the nearest pixel)."

    def upscale(self, image: torch.Tensor, upscale_method: str, scale_by: float) -> tuple[torch.Tensor]:
        width = round(image.shape[2] * scale_by)
        height = round(image.shape[1] * scale_by)
        return (scale_image(image, width, height, upscale_method, "disabled"),)


class ImageScaleToTotalPixels:
    """Resizes images to about a number of megapixels, keeping the aspect ratio."""

    upscale_methods = list(UPSCALE_METHODS)
    crop_methods = list(CROP_METHODS)

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "upscale_method": (cls.upscale_methods,),
                "megapixels": ("FLOAT", {"default": 1.0, "min": 0.01, "max": 16.0, "step": 0.01}),
                "resolution_steps": ("INT", {"default": 1, "min": 1, "max": 256}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "upscale"
    CATEGORY = "image/upscaling"
    DESCRIPTION = "Resizes images to about megapixels x 1024^2 pixels, sides rounded to resolution_steps."

    def upscale(
        self, image: torch.Tensor, upscale_method: str, megapixels: float, resolution_steps: int = 1
    ) -> tuple[torch.Tensor]:
        old_height, old_width = image.shape[1], image.shape[2]
        total = megapixels * 1024 * 1024
        factor = math.sqrt(total / (old_width * old_height))
        width = round(old_width * factor / resolution_steps) * resolution_steps
        height = round(old_height * factor / resolution_steps) * resolution_steps
        return (scale_image(image, int(width), int(height), upscale_method, "disabled"),)


class ImageInvert:
    """Inverts the colors of images (1 - value)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"image": ("IMAGE",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "invert"
    CATEGORY = "image"
    DESCRIPTION = "Inverts the images: every channel becomes 1 - value."

    def invert(self, image: torch.Tensor) -> tuple[torch.Tensor]:
        return (1.0 - image,)


class ImageBatch:
    """Concatenates two image batches; image2 is resized (bilinear, center crop) to image1's size."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"image1": ("IMAGE",), "image2": ("IMAGE",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "batch"
    CATEGORY = "image"
    DESCRIPTION = "Appends image2's batch to image1's, resizing image2 to image1's size when they differ."

    def batch(self, image1: torch.Tensor, image2: torch.Tensor) -> tuple[torch.Tensor]:
        import torch
        import torch.nn.functional as F
        if image1.shape[-1] != image2.shape[-1]:
            if image1.shape[-1] > image2.shape[-1]:
                image2 = F.pad(image2, (0, 1), mode="constant", value=1.0)
            else:
                image1 = F.pad(image1, (0, 1), mode="constant", value=1.0)
        image2 = image2.to(image1.device)
        if image1.shape[1:] != image2.shape[1:]:
            image2 = scale_image(image2, image1.shape[2], image1.shape[1], "bilinear", "center")
        return (torch.cat((image1, image2), dim=0),)


class RebatchImages:
    """Re-batches a list of image batches into batches of batch_size (the last may be smaller)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "images": ("IMAGE",),
                "batch_size": ("INT", {"default": 1, "min": 1, "max": 4096}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    INPUT_IS_LIST = True
    OUTPUT_IS_LIST = (True,)
    FUNCTION = "rebatch"
    CATEGORY = "image/batch"
    DESCRIPTION = "Splits and joins a list of image batches into a list of batches of batch_size images."

    def rebatch(self, images: list[torch.Tensor], batch_size: list[int]) -> tuple[list[torch.Tensor]]:
        import torch
        size = batch_size[0]
        frames = [batch[i : i + 1] for batch in images for i in range(batch.shape[0])]
        return ([torch.cat(frames[i : i + size], dim=0) for i in range(0, len(frames), size)],)


class ImageCrop:
    """Crops a rectangle out of every image of the batch."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "width": ("INT", {"default": 512, "min": 1, "max": MAX_RESOLUTION, "step": 1}),
                "height": ("INT", {"default": 512, "min": 1, "max": MAX_RESOLUTION, "step": 1}),
                "x": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
                "y": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "crop"
    CATEGORY = "image/transform"
    DESCRIPTION = "Crops width x height pixels at (x, y); the rectangle is cut at the image's edges."

    def crop(self, image: torch.Tensor, width: int, height: int, x: int, y: int) -> tuple[torch.Tensor]:
        x = min(x, image.shape[2] - 1)
        y = min(y, image.shape[1] - 1)
        return (image[:, y : y + height, x : x + width, :],)


class ImagePadForOutpaint:
    """Pads images with gray for outpainting and returns the mask of the new area."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "left": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "top": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "right": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "bottom": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "feathering": ("INT", {"default": 40, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
            }
        }

    RETURN_TYPES = ("IMAGE", "MASK")
    FUNCTION = "expand_image"
    CATEGORY = "image"
    DESCRIPTION = "Pads the images with 0.5 gray; the mask is 1 on the padding, feathered into the image."

    def expand_image(
        self, image: torch.Tensor, left: int, top: int, right: int, bottom: int, feathering: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        import torch
        batch, height, width, channels = image.shape
        device = image.device
        new_image = torch.full(
            (batch, height + top + bottom, width + left + right, channels), 0.5, dtype=torch.float32, device=device
        )
        new_image[:, top : top + height, left : left + width, :] = image

        mask = torch.ones((height + top + bottom, width + left + right), dtype=torch.float32, device=device)
        inner = torch.zeros((height, width), dtype=torch.float64, device=device)
        if feathering > 0 and feathering * 2 < height and feathering * 2 < width:
            rows = torch.arange(height, dtype=torch.float64, device=device).unsqueeze(1)
            cols = torch.arange(width, dtype=torch.float64, device=device).unsqueeze(0)
            # distance to each padded side; an unpadded side counts as "far" (the full size)
            d_top = rows if top != 0 else torch.full_like(rows, height)
            d_bottom = height - rows if bottom != 0 else torch.full_like(rows, height)
            d_left = cols if left != 0 else torch.full_like(cols, width)
            d_right = width - cols if right != 0 else torch.full_like(cols, width)
            dist = torch.minimum(torch.minimum(d_top, d_bottom), torch.minimum(d_left, d_right))
            ramp = (feathering - dist) / feathering
            inner = torch.where(dist < feathering, ramp * ramp, inner)
        mask[top : top + height, left : left + width] = inner.to(torch.float32)
        return (new_image, mask.unsqueeze(0))


class ImageCompositeMasked:
    """Pastes source onto destination at (x, y), optionally through a mask."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "destination": ("IMAGE",),
                "source": ("IMAGE",),
                "x": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
                "y": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 1}),
                "resize_source": ("BOOLEAN", {"default": False}),
            },
            "optional": {"mask": ("MASK",)},
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "composite"
    CATEGORY = "image"
    DESCRIPTION = "Pastes source over destination at (x, y); a mask (resized to source) blends the two."

    def composite(
        self,
        destination: torch.Tensor,
        source: torch.Tensor,
        x: int,
        y: int,
        resize_source: bool,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor]:
        destination, source = _alpha_fix(destination, source)
        dest = destination.clone().movedim(-1, 1)
        out = composite(dest, source.movedim(-1, 1), x, y, mask, 1, resize_source)
        return (out.movedim(1, -1),)


class ImageBlend:
    """Blends image2 over image1 with a blend mode and a factor."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image1": ("IMAGE",),
                "image2": ("IMAGE",),
                "blend_factor": ("FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.01}),
                "blend_mode": (list(BLEND_MODES),),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "blend_images"
    CATEGORY = "image/postprocessing"
    DESCRIPTION = "Mixes image1 with blend_mode(image1, image2) by blend_factor, clamped to 0..1."

    def blend_images(
        self, image1: torch.Tensor, image2: torch.Tensor, blend_factor: float, blend_mode: str
    ) -> tuple[torch.Tensor]:
        import torch
        image1, image2 = _alpha_fix(image1, image2)
        image2 = image2.to(image1.device)
        if image1.shape != image2.shape:
            image2 = scale_image(image2, image1.shape[2], image1.shape[1], "bicubic", "center")
        blended = self.blend_mode(image1, image2, blend_mode)
        out = image1 * (1 - blend_factor) + blended * blend_factor
        return (torch.clamp(out, 0, 1),)

    @staticmethod
    def blend_mode(img1: torch.Tensor, img2: torch.Tensor, mode: str) -> torch.Tensor:
        """The blended layer for one of BLEND_MODES (before mixing by the factor)."""
        import torch
        if mode == "normal":
            return img2
        if mode == "multiply":
            return img1 * img2
        if mode == "screen":
            return 1 - (1 - img1) * (1 - img2)
        if mode == "overlay":
            return torch.where(img1 <= 0.5, 2 * img1 * img2, 1 - 2 * (1 - img1) * (1 - img2))
        if mode == "soft_light":
            g = torch.where(img1 <= 0.25, ((16 * img1 - 12) * img1 + 4) * img1, torch.sqrt(img1))
            dark = img1 - (1 - 2 * img2) * img1 * (1 - img1)
            return torch.where(img2 <= 0.5, dark, img1 + (2 * img2 - 1) * (g - img1))
        if mode == "difference":
            return img1 - img2
        raise ValueError(f"Unsupported blend mode: {mode}")


def gaussian_kernel(kernel_size: int, sigma: float, device: Any = None) -> torch.Tensor:
    """ComfyUI's normalised Gaussian: coordinates span -1..1 across the kernel, whatever its size."""
    import torch
    axis = torch.linspace(-1, 1, kernel_size, device=device)
    gx, gy = torch.meshgrid(axis, axis, indexing="ij")
    dist = torch.sqrt(gx * gx + gy * gy)
    g = torch.exp(-(dist * dist) / (2.0 * sigma * sigma))
    return g / g.sum()


def _filter(image: torch.Tensor, kernel: torch.Tensor, radius: int) -> torch.Tensor:
    """Depthwise 2D filter of an IMAGE with reflect padding (same size out)."""
    import torch.nn.functional as F
    channels = image.shape[-1]
    weight = kernel.to(image.dtype).repeat(channels, 1, 1).unsqueeze(1)
    x = F.pad(image.permute(0, 3, 1, 2), (radius, radius, radius, radius), "reflect")
    out = F.conv2d(x, weight, padding=kernel.shape[-1] // 2, groups=channels)[:, :, radius:-radius, radius:-radius]
    return out.permute(0, 2, 3, 1)


class ImageBlur:
    """Gaussian blur."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "blur_radius": ("INT", {"default": 1, "min": 1, "max": 31, "step": 1}),
                "sigma": ("FLOAT", {"default": 1.0, "min": 0.1, "max": 10.0, "step": 0.1}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "blur"
    CATEGORY = "image/postprocessing"
    DESCRIPTION = "Blurs the images with a (2 * blur_radius + 1)-wide Gaussian kernel, edges reflected."

    def blur(self, image: torch.Tensor, blur_radius: int, sigma: float) -> tuple[torch.Tensor]:
        if blur_radius == 0:
            return (image,)
        kernel = gaussian_kernel(blur_radius * 2 + 1, sigma, device=image.device)
        return (_filter(image, kernel, blur_radius),)


class ImageSharpen:
    """Unsharp-style sharpening with a Gaussian kernel."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "sharpen_radius": ("INT", {"default": 1, "min": 1, "max": 31, "step": 1}),
                "sigma": ("FLOAT", {"default": 1.0, "min": 0.1, "max": 10.0, "step": 0.01}),
                "alpha": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 5.0, "step": 0.01}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "sharpen"
    CATEGORY = "image/postprocessing"
    DESCRIPTION = "Sharpens the images by subtracting alpha x 10 Gaussian blurs; the result is clamped to 0..1."

    def sharpen(self, image: torch.Tensor, sharpen_radius: int, sigma: float, alpha: float) -> tuple[torch.Tensor]:
        import torch
        if sharpen_radius == 0:
            return (image,)
        size = sharpen_radius * 2 + 1
        kernel = (gaussian_kernel(size, sigma, device=image.device) * -(alpha * 10)).to(image.dtype)
        center = size // 2
        kernel[center, center] = kernel[center, center] - kernel.sum() + 1.0
        return (torch.clamp(_filter(image, kernel, sharpen_radius), 0, 1),)


class GetImageSize:
    """Returns the width, height and batch size of an image."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"image": ("IMAGE",)}, "hidden": {"unique_id": "UNIQUE_ID"}}

    RETURN_TYPES = ("INT", "INT", "INT")
    RETURN_NAMES = ("width", "height", "batch_size")
    FUNCTION = "get_size"
    CATEGORY = "image"
    DESCRIPTION = "Returns width and height of the image, and passes it through unchanged."

    def get_size(self, image: torch.Tensor, unique_id: str | None = None) -> tuple[int, int, int]:
        return (int(image.shape[2]), int(image.shape[1]), int(image.shape[0]))


class ImageFromBatch:
    """Takes length images starting at batch_index out of a batch."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "batch_index": ("INT", {"default": 0, "min": 0, "max": 4095}),
                "length": ("INT", {"default": 1, "min": 1, "max": 4096}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "frombatch"
    CATEGORY = "image/batch"
    DESCRIPTION = "Selects length images from batch_index on (both clamped to the batch)."

    def frombatch(self, image: torch.Tensor, batch_index: int, length: int) -> tuple[torch.Tensor]:
        batch_index = min(image.shape[0] - 1, batch_index)
        length = min(image.shape[0] - batch_index, length)
        return (image[batch_index : batch_index + length].clone(),)


class RepeatImageBatch:
    """Repeats a whole image batch amount times."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "amount": ("INT", {"default": 1, "min": 1, "max": 4096}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "repeat"
    CATEGORY = "image/batch"
    DESCRIPTION = "Repeats the image batch amount times (the whole batch, one copy after another)."

    def repeat(self, image: torch.Tensor, amount: int) -> tuple[torch.Tensor]:
        return (image.repeat((amount, 1, 1, 1)),)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "EmptyImage": EmptyImage,
    "ImageScale": ImageScale,
    "ImageScaleBy": ImageScaleBy,
    "ImageScaleToTotalPixels": ImageScaleToTotalPixels,
    "ImageInvert": ImageInvert,
    "ImageBatch": ImageBatch,
    "RebatchImages": RebatchImages,
    "ImageCrop": ImageCrop,
    "ImagePadForOutpaint": ImagePadForOutpaint,
    "ImageCompositeMasked": ImageCompositeMasked,
    "ImageBlend": ImageBlend,
    "ImageBlur": ImageBlur,
    "ImageSharpen": ImageSharpen,
    "GetImageSize": GetImageSize,
    "ImageFromBatch": ImageFromBatch,
    "RepeatImageBatch": RepeatImageBatch,
}

# ComfyUI's names; nodes ComfyUI gives no display name show their class name there too.
NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "EmptyImage": "EmptyImage",
    "ImageScale": "Upscale Image",
    "ImageScaleBy": "Upscale Image By",
    "ImageScaleToTotalPixels": "Scale Image to Total Pixels",
    "ImageInvert": "Invert Image",
    "ImageBatch": "Batch Images",
    "RebatchImages": "Rebatch Images",
    "ImageCrop": "Crop Image",
    "ImagePadForOutpaint": "Pad Image for Outpainting",
    "ImageCompositeMasked": "ImageCompositeMasked",
    "ImageBlend": "Image Blend",
    "ImageBlur": "Image Blur",
    "ImageSharpen": "Image Sharpen",
    "GetImageSize": "Get Image Size",
    "ImageFromBatch": "ImageFromBatch",
    "RepeatImageBatch": "RepeatImageBatch",
}

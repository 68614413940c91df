"""Minimal image sinks and list re-batching: SaveImage, PreviewImage, RebatchImages.

Enough of ComfyUI's nodes of these names for the execution suites: PNGs written with Pillow as
`{prefix}_{counter:05}_.png`, carrying "prompt" and each extra_pnginfo key as JSON text chunks,
reported as `{"ui": {"images": [{"abs_path", "filename", "subfolder", "type"}]}}`. torch, numpy
and Pillow are imported only when a node runs.
"""

from __future__ import annotations

import json
import os
import random
import string
from typing import Any

IMAGE_CATEGORY = "image"


def _folder_paths() -> Any:
    """The engine's `comfy.folder_paths` module (output/temp directories, file numbering)."""
    from comfy import folder_paths

    return folder_paths


def _to_pil(image: Any) -> Any:
    import numpy as np
    from PIL import Image

    array = np.clip(255.0 * image.detach().cpu().float().numpy(), 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    return Image.fromarray(array)


def _png_info(prompt: Any, extra_pnginfo: dict[str, Any] | None) -> Any:
    from PIL.PngImagePlugin import PngInfo

    metadata = PngInfo()
    if prompt is not None:
        metadata.add_text("prompt", json.dumps(prompt))
    if extra_pnginfo is not None:
        for key, value in extra_pnginfo.items():
            metadata.add_text(key, json.dumps(value))
    return metadata


class SaveImage:
    """Saves each image of the batch as a PNG in the output folder and lists the files in the UI."""

    FOLDER_TYPE = "output"
    COMPRESS_LEVEL = 4

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "images": ("IMAGE", {"tooltip": "The images to save."}),
                "filename_prefix": (
                    "STRING",
                    {
                        "default": "ComfyUI",
                        "tooltip": "The prefix for the file to save. May contain a subfolder and %batch_num%.",
                    },
                ),
            },
            "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"},
        }

    RETURN_TYPES = ()
    FUNCTION = "save_images"
    OUTPUT_NODE = True
    CATEGORY = IMAGE_CATEGORY
    DESCRIPTION = "Saves the input images to your ComfyUI output directory."

    def base_directory(self) -> str:
        """Where this node writes: the engine's output directory."""
        return _folder_paths().get_output_directory()

    def prefix_suffix(self) -> str:
        """Appended to filename_prefix (PreviewImage makes its files unique this way)."""
        return ""

    def save_images(
        self,
        images: Any,
        filename_prefix: str = "ComfyUI",
        prompt: Any = None,
        extra_pnginfo: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        base_directory = self.base_directory()
        height, width = int(images[0].shape[0]), int(images[0].shape[1])
        full_output_folder, filename, counter, subfolder, _ = _folder_paths().get_save_image_path(
            filename_prefix + self.prefix_suffix(), base_directory, width, height
        )
        os.makedirs(full_output_folder, exist_ok=True)
        results = []
        for batch_number, image in enumerate(images):
            file = f"{filename.replace('%batch_num%', str(batch_number))}_{counter:05}_.png"
            abs_path = os.path.join(full_output_folder, file)
            _to_pil(image).save(abs_path, pnginfo=_png_info(prompt, extra_pnginfo), compress_level=self.COMPRESS_LEVEL)
            results.append({"abs_path": abs_path, "filename": file, "subfolder": subfolder, "type": self.FOLDER_TYPE})
            counter += 1
        return {"ui": {"images": results}}


class PreviewImage(SaveImage):
    """Saves the images as temporary PNGs (random name suffix) in the temp folder for previewing."""

    FOLDER_TYPE = "temp"
    COMPRESS_LEVEL = 1

    def __init__(self) -> None:
        suffix = "".join(random.choice(string.ascii_lowercase) for _ in range(5))
        self._prefix_suffix = f"_temp_{suffix}"

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"images": ("IMAGE",)},
            "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"},
        }

    DESCRIPTION = "Saves the input images to the temp directory for previewing."

    def base_directory(self) -> str:
        """Where this node writes: the engine's temp directory."""
        return _folder_paths().get_temp_directory()

    def prefix_suffix(self) -> str:
        """`_temp_` plus five random letters, fixed per node instance."""
        return self._prefix_suffix


class RebatchImages:
    """Re-batches a list of image batches into batches of batch_size (the last may be smaller)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "images": ("IMAGE",),
                "batch_size": ("INT", {"default": 1, "min": 1, "max": 4096}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    INPUT_IS_LIST = True
    OUTPUT_IS_LIST = (True,)
    FUNCTION = "rebatch"
    CATEGORY = "image/batch"

    def rebatch(self, images: list[Any], batch_size: list[int]) -> tuple[list[Any]]:
        import torch

        size = batch_size[0]
        frames = [batch[i : i + 1] for batch in images for i in range(batch.shape[0])]
        return ([torch.cat(frames[i : i + size], dim=0) for i in range(0, len(frames), size)],)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "SaveImage": SaveImage,
    "PreviewImage": PreviewImage,
    "RebatchImages": RebatchImages,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "SaveImage": "Save Image",
    "PreviewImage": "Preview Image",
    "RebatchImages": "Rebatch Images",
}

"""Image files: SaveImage, PreviewImage, LoadImage, LoadImageMask (ComfyUI's contracts).

- ``SaveImage`` writes ``{prefix}_{counter:05}_.png`` into the output folder (a subfolder may come
  with the prefix), with the prompt and each ``extra_pnginfo`` key (``workflow``, …) as JSON PNG
  text chunks unless ``--disable-metadata``. Each file name is claimed atomically, so prompts
  saving at the same time never overwrite each other, and the counter continues after the
  files already there (a restart included).
- ``PreviewImage`` does the same into the temp folder, faster (compression 1), with a random
  suffix on the prefix; the ``comfyui`` command empties the temp folder at start-up.
- ``LoadImage`` / ``LoadImageMask`` read from the input folder (or ``"name [output]"``,
  ``"name [temp]"``). A name that leaves its folder (``../``, absolute, a symlink out) fails
  validation, like a missing file.

torch, numpy and Pillow are imported when a node runs, not when the plugin is listed.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import string
from collections.abc import Callable
from typing import Any

from comfy import folder_paths

IMAGE_CATEGORY = "image"

_MASK_CHANNELS = ["alpha", "red", "green", "blue"]
_SINGLE_FRAME_FORMATS = frozenset({"MPO"})  # multi-picture JPEGs: the first picture is the image


# --- helpers -----------------------------------------------------------------------------------


def _metadata_disabled() -> bool:
    from comfy.cli_args import args

    return bool(args.disable_metadata)


def tensor_to_pil(image: Any) -> Any:
    """One IMAGE frame ``[H, W, C]`` in 0..1 (C = 1, 3 or 4) as an 8-bit Pillow image."""
    import numpy as np
    from PIL import Image

    array = np.clip(255.0 * image.detach().float().cpu().numpy(), 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    return Image.fromarray(array)


def png_metadata(prompt: Any, extra_pnginfo: dict[str, Any] | None) -> Any:
    """PNG text chunks as ComfyUI writes them: ``prompt`` and one per ``extra_pnginfo`` key,
    each ``json.dumps`` of the value; None with ``--disable-metadata``."""
    if _metadata_disabled():
        return None
    from PIL.PngImagePlugin import PngInfo

    metadata = PngInfo()
    if prompt is not None:
        metadata.add_text("prompt", json.dumps(prompt))
    if extra_pnginfo is not None:
        for key, value in extra_pnginfo.items():
            metadata.add_text(key, json.dumps(value))
    return metadata


def _numbered_png(stem: str) -> Callable[[int], str]:
    """ComfyUI's file names: ``{stem}_{counter:05}_.png``."""
    return lambda counter: f"{stem}_{counter:05}_.png"


def _file_sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def input_image_files() -> list[str]:
    """Sorted image files directly in the input folder (symlinks leading out left out)."""
    input_dir = folder_paths.get_input_directory()
    try:
        names = os.listdir(input_dir)
    except (FileNotFoundError, NotADirectoryError):
        return []
    files = []
    for name in names:
        try:
            path = folder_paths.safe_join(input_dir, name)
        except ValueError:
            continue
        if os.path.isfile(path):
            files.append(name)
    return sorted(folder_paths.filter_files_content_types(files, ["image"]))


def validate_image_name(image: Any) -> bool | str:
    """``VALIDATE_INPUTS`` of the loaders: True, or ComfyUI's ``"Invalid image file: …"``."""
    if image is None:  # linked: checked when the node runs
        return True
    if not isinstance(image, str):
        return f"Invalid image file: {image!r}"
    try:
        path = folder_paths.get_annotated_filepath(image)
    except ValueError:  # the reason names server paths: keep them out of the client's error
        return f"Invalid image file: {image} (the name leads out of its folder)"
    if not os.path.isfile(path):
        return f"Invalid image file: {image}"
    return True


def _normalize_frame(frame: Any) -> Any:
    """ComfyUI's per-frame fix-ups: EXIF orientation, then 32-bit and 16-bit integer samples
    scaled by 1/255 (so 16-bit data lands in 0..255 before the 8-bit RGB conversion)."""
    from PIL import ImageOps

    frame = ImageOps.exif_transpose(frame)
    if frame.mode.startswith("I;16"):
        frame = frame.convert("I")
    if frame.mode == "I":
        frame = frame.point(lambda v: v * (1 / 255))
    return frame


# --- nodes -------------------------------------------------------------------------------------


class SaveImage:
    """Saves the input images to the output folder as PNGs."""

    def __init__(self) -> None:
        self._output_dir: str | None = None
        self.type = "output"
        self.prefix_append = ""
        self.compress_level = 4

    @property
    def output_dir(self) -> str:
        """The folder this node writes into (the workspace's, unless a subclass sets one)."""
        return self._output_dir if self._output_dir is not None else folder_paths.get_output_directory()

    @output_dir.setter
    def output_dir(self, value: str) -> None:
        self._output_dir = value

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "images": ("IMAGE", {"tooltip": "The images to save."}),
                "filename_prefix": (
                    "STRING",
                    {
                        "default": "ComfyUI",
                        "tooltip": "The prefix for the file to save. This may include formatting information such "
                        "as %date:yyyy-MM-dd% or %Empty Latent Image.width% to include values from nodes.",
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
    SEARCH_ALIASES = ["save", "save image", "export image", "output image", "write image", "download"]

    def save_images(
        self,
        images: Any,
        filename_prefix: str = "ComfyUI",
        prompt: Any = None,
        extra_pnginfo: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if images is None or len(images) == 0:
            return {"ui": {"images": []}}
        filename_prefix += self.prefix_append
        height, width = int(images[0].shape[0]), int(images[0].shape[1])
        full_output_folder, filename, counter, subfolder, _ = folder_paths.get_save_image_path(
            filename_prefix, self.output_dir, width, height
        )
        metadata = png_metadata(prompt, extra_pnginfo)
        results = []
        for batch_number, image in enumerate(images):
            stem = filename.replace("%batch_num%", str(batch_number))
            picture = tensor_to_pil(image)
            f, path, counter = folder_paths.create_unique_file(full_output_folder, _numbered_png(stem), counter)
            try:
                with f:
                    picture.save(f, format="PNG", pnginfo=metadata, compress_level=self.compress_level)
            except BaseException:
                os.unlink(path)
                raise
            results.append(
                {
                    "abs_path": os.path.abspath(path),
                    "filename": os.path.basename(path),
                    "subfolder": subfolder,
                    "type": self.type,
                }
            )
            counter += 1
        return {"ui": {"images": results}}


class PreviewImage(SaveImage):
    """Saves the input images as temporary PNGs in the temp folder, for previewing."""

    def __init__(self) -> None:
        super().__init__()
        self.type = "temp"
        self.prefix_append = "_temp_" + "".join(random.choice(string.ascii_lowercase) for _ in range(5))
        self.compress_level = 1

    @property
    def output_dir(self) -> str:
        return self._output_dir if self._output_dir is not None else folder_paths.get_temp_directory()

    @output_dir.setter
    def output_dir(self, value: str) -> None:
        self._output_dir = value

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"images": ("IMAGE",)},
            "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"},
        }

    DESCRIPTION = "Saves the input images to your ComfyUI temp directory for previewing."
    SEARCH_ALIASES = ["preview", "preview image", "show image", "view image", "display image", "image viewer"]


class LoadImage:
    """Loads an image file of the input folder: RGB image plus a mask from its alpha channel."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"image": (input_image_files(), {"image_upload": True})}}

    RETURN_TYPES = ("IMAGE", "MASK")
    FUNCTION = "load_image"
    CATEGORY = IMAGE_CATEGORY
    SEARCH_ALIASES = ["load image", "open image", "import image", "image input", "upload image", "read image", "image loader"]

    def load_image(self, image: str) -> tuple[Any, Any]:
        """Every frame of the same size as the first becomes one batch entry; the mask is
        ``1 - alpha`` (a 64x64 zero mask per frame when the file has no alpha)."""
        import numpy as np
        import torch
        from PIL import Image, ImageSequence

        image_path = folder_paths.get_annotated_filepath(image)
        images: list[Any] = []
        masks: list[Any] = []
        size: tuple[int, int] | None = None
        with Image.open(image_path) as img:
            single_frame = img.format in _SINGLE_FRAME_FORMATS
            for raw_frame in ImageSequence.Iterator(img):
                frame = _normalize_frame(raw_frame)
                rgb = frame.convert("RGB")
                if size is None:
                    size = rgb.size
                elif rgb.size != size:
                    continue
                images.append(torch.from_numpy(np.array(rgb).astype(np.float32) / 255.0)[None,])
                if "A" in frame.getbands():
                    alpha = np.array(frame.getchannel("A")).astype(np.float32) / 255.0
                    mask = 1.0 - torch.from_numpy(alpha)
                elif frame.mode == "P" and "transparency" in frame.info:
                    alpha = np.array(frame.convert("RGBA").getchannel("A")).astype(np.float32) / 255.0
                    mask = 1.0 - torch.from_numpy(alpha)
                else:
                    mask = torch.zeros((64, 64), dtype=torch.float32, device="cpu")
                masks.append(mask.unsqueeze(0))
                if single_frame:
                    break
        if len(images) == 1:
            return (images[0], masks[0])
        if len({tuple(m.shape) for m in masks}) > 1:  # alpha on some frames only: opaque masks for the others
            masks = [m if m.shape[1:] == (size[1], size[0]) else torch.zeros((1, size[1], size[0])) for m in masks]  # type: ignore[index]
        return (torch.cat(images, dim=0), torch.cat(masks, dim=0))

    @classmethod
    def IS_CHANGED(cls, image: str) -> str:
        return _file_sha256(folder_paths.get_annotated_filepath(image))

    @classmethod
    def VALIDATE_INPUTS(cls, image: Any) -> bool | str:
        return validate_image_name(image)


class LoadImageMask:
    """Loads one channel of an image file of the input folder as a mask."""

    _color_channels = _MASK_CHANNELS

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": (input_image_files(), {"image_upload": True}),
                "channel": (cls._color_channels,),
            }
        }

    RETURN_TYPES = ("MASK",)
    FUNCTION = "load_image"
    CATEGORY = "mask"
    SEARCH_ALIASES = ["import mask", "alpha mask", "channel mask"]

    def load_image(self, image: str, channel: str) -> tuple[Any]:
        """The channel of the first frame in 0..1, shape ``[1, H, W]``; ``alpha`` is inverted
        (``1 - alpha``: opaque is 0) and is all zeros for a file without alpha."""
        import numpy as np
        import torch
        from PIL import Image

        image_path = folder_paths.get_annotated_filepath(image)
        with Image.open(image_path) as img:
            frame = _normalize_frame(img)
            if frame.getbands() != ("R", "G", "B", "A"):
                frame = frame.convert("RGBA")
            band = channel[0].upper()
            values = np.array(frame.getchannel(band)).astype(np.float32) / 255.0
        mask = torch.from_numpy(values)
        if band == "A":
            mask = 1.0 - mask
        return (mask.unsqueeze(0),)

    @classmethod
    def IS_CHANGED(cls, image: str, channel: str) -> str:
        return _file_sha256(folder_paths.get_annotated_filepath(image))

    @classmethod
    def VALIDATE_INPUTS(cls, image: Any) -> bool | str:
        return validate_image_name(image)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "SaveImage": SaveImage,
    "PreviewImage": PreviewImage,
    "LoadImage": LoadImage,
    "LoadImageMask": LoadImageMask,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "SaveImage": "Save Image",
    "PreviewImage": "Preview Image",
    "LoadImage": "Load Image",
    "LoadImageMask": "Load Image (as Mask)",
}

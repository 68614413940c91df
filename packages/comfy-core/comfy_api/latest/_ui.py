"""UI outputs for V3 nodes (``comfy_api.latest.ui``): ``NodeOutput(ui=...)`` payloads.

Each class's ``as_dict()`` is the V1 ``ui`` dict ComfyUI's front end reads (``{"images": [...]}``,
``{"text": (...,)}``). Image helpers save PNGs the way ``SaveImage``/``PreviewImage`` do: into the
workspace's output or temp folder, each file name claimed atomically, with the prompt and
``extra_pnginfo`` as text chunks (from ``cls.hidden``) unless ``--disable-metadata``. numpy,
Pillow and torch are imported only when an image is saved.
"""

from __future__ import annotations

import json
import os
import random
import string
from collections.abc import Callable
from typing import Any

from ._io import FolderType, _UIOutput

__all__ = [
    "SavedResult",
    "SavedImages",
    "SavedAudios",
    "ImageSaveHelper",
    "PreviewImage",
    "PreviewMask",
    "PreviewText",
    "PreviewUI3D",
]


class SavedResult(dict):  # type: ignore[type-arg]
    """One saved file as the UI addresses it: ``{"filename", "subfolder", "type"}``."""

    def __init__(self, filename: str, subfolder: str, type: FolderType | str) -> None:
        super().__init__(filename=filename, subfolder=subfolder, type=FolderType(type).value)

    @property
    def filename(self) -> str:
        return self["filename"]  # type: ignore[no-any-return]

    @property
    def subfolder(self) -> str:
        return self["subfolder"]  # type: ignore[no-any-return]

    @property
    def type(self) -> FolderType:
        return FolderType(self["type"])


class SavedImages(_UIOutput):
    """Saved images (``{"images": [...]}``, plus ``"animated": (True,)`` for one animated file)."""

    def __init__(self, results: list[SavedResult], is_animated: bool = False) -> None:
        self.results = results
        self.is_animated = is_animated

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"images": self.results}
        if self.is_animated:
            data["animated"] = (True,)
        return data


class SavedAudios(_UIOutput):
    """Saved audio files (``{"audio": [...]}``)."""

    def __init__(self, results: list[SavedResult]) -> None:
        self.results = results

    def as_dict(self) -> dict[str, Any]:
        return {"audio": self.results}


def _numbered_png(stem: str) -> Callable[[int], str]:
    """ComfyUI's file names: ``{stem}_{counter:05}_.png``."""
    return lambda counter: f"{stem}_{counter:05}_.png"


def _directory(folder_type: FolderType) -> str:
    from comfy import folder_paths

    if folder_type == FolderType.input:
        return folder_paths.get_input_directory()
    if folder_type == FolderType.output:
        return folder_paths.get_output_directory()
    return folder_paths.get_temp_directory()


class ImageSaveHelper:
    """Saving IMAGE batches (``[B, H, W, C]`` floats in 0..1) as PNG files."""

    @staticmethod
    def _convert_tensor_to_pil(image_tensor: Any) -> Any:
        import numpy as np
        from PIL import Image as PILImage

        array = np.clip(255.0 * image_tensor.detach().float().cpu().numpy(), 0, 255).astype(np.uint8)
        if array.ndim == 3 and array.shape[-1] == 1:
            array = array[..., 0]
        return PILImage.fromarray(array)

    @staticmethod
    def _create_png_metadata(cls: Any) -> Any:
        """PNG text chunks: ``prompt`` and each ``extra_pnginfo`` key, from ``cls.hidden``."""
        from comfy.cli_args import args

        hidden = getattr(cls, "hidden", None) if cls is not None else None
        if args.disable_metadata or hidden is None:
            return None
        from PIL.PngImagePlugin import PngInfo

        metadata = PngInfo()
        if hidden.prompt is not None:
            metadata.add_text("prompt", json.dumps(hidden.prompt))
        if hidden.extra_pnginfo:
            for key, value in hidden.extra_pnginfo.items():
                metadata.add_text(key, json.dumps(value))
        return metadata

    @staticmethod
    def save_images(images: Any, filename_prefix: str, folder_type: FolderType, cls: Any = None,
                    compress_level: int = 4) -> list[SavedResult]:
        """Save each image as ``{prefix}_{counter:05}_.png``; returns the saved files."""
        from comfy import folder_paths

        if images is None or len(images) == 0:
            return []
        folder_type = FolderType(folder_type)
        full_output_folder, filename, counter, subfolder, _ = folder_paths.get_save_image_path(
            filename_prefix, _directory(folder_type), int(images[0].shape[1]), int(images[0].shape[0])
        )
        metadata = ImageSaveHelper._create_png_metadata(cls)
        results = []
        for batch_number, image in enumerate(images):
            stem = filename.replace("%batch_num%", str(batch_number))
            picture = ImageSaveHelper._convert_tensor_to_pil(image)
            f, path, counter = folder_paths.create_unique_file(full_output_folder, _numbered_png(stem), counter)
            try:
                with f:
                    picture.save(f, format="PNG", pnginfo=metadata, compress_level=compress_level)
            except BaseException:
                os.unlink(path)
                raise
            results.append(SavedResult(os.path.basename(path), subfolder, folder_type))
            counter += 1
        return results

    @staticmethod
    def get_save_images_ui(images: Any, filename_prefix: str, cls: Any = None, compress_level: int = 4) -> SavedImages:
        """Save into the output folder and wrap the files for the UI."""
        return SavedImages(ImageSaveHelper.save_images(images, filename_prefix, FolderType.output, cls, compress_level))


def _temp_prefix() -> str:
    return "ComfyUI_temp_" + "".join(random.choice(string.ascii_lowercase) for _ in range(5))


class PreviewImage(_UIOutput):
    """Images saved to the temp folder for previewing (``PreviewImage`` node's output)."""

    def __init__(self, image: Any, animated: bool = False, cls: Any = None, **kwargs: Any) -> None:
        self.values = ImageSaveHelper.save_images(image, _temp_prefix(), FolderType.temp, cls, compress_level=1)
        self.animated = animated

    def as_dict(self) -> dict[str, Any]:
        return {"images": self.values, "animated": (self.animated,)}


class PreviewMask(PreviewImage):
    """A MASK (``[B, H, W]``) previewed as grey images."""

    def __init__(self, mask: Any, animated: bool = False, cls: Any = None, **kwargs: Any) -> None:
        preview = mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])).movedim(1, -1).expand(-1, -1, -1, 3)
        super().__init__(preview, animated, cls, **kwargs)


class PreviewText(_UIOutput):
    """Text shown on the node (``{"text": (value,)}``)."""

    def __init__(self, value: str, **kwargs: Any) -> None:
        self.value = value

    def as_dict(self) -> dict[str, Any]:
        return {"text": (self.value,)}


class PreviewUI3D(_UIOutput):
    """A 3D file of the output folder to show (``{"result": [model_file, camera_info]}``)."""

    def __init__(self, model_file: str, camera_info: Any = None, **kwargs: Any) -> None:
        self.model_file = model_file
        self.camera_info = camera_info

    def as_dict(self) -> dict[str, Any]:
        return {"result": [self.model_file, self.camera_info]}

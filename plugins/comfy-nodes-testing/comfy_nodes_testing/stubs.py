"""Stub sources: constant images, masks, ints and floats with no inputs but their own widgets.

Images are float32 tensors `[B, H, W, 3]` in 0..1 and masks `[B, H, W]`; torch is imported inside
the node functions, so listing these nodes does not load it.
"""

from __future__ import annotations

from typing import Any

CATEGORY = "Testing/Stub Nodes"

_HEIGHT = ("INT", {"default": 512, "min": 1, "max": 1024**3, "step": 1})
_WIDTH = ("INT", {"default": 512, "min": 1, "max": 4096**3, "step": 1})
_BATCH = ("INT", {"default": 1, "min": 1, "max": 1024**3, "step": 1})
_UNIT_FLOAT = ("FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.01})


def _size_inputs() -> dict[str, tuple]:
    return {"height": _HEIGHT, "width": _WIDTH, "batch_size": _BATCH}


class StubImage:
    """A white, black or uniform-noise image batch."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"content": (["WHITE", "BLACK", "NOISE"],), **_size_inputs()}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "stub_image"
    CATEGORY = CATEGORY

    def stub_image(self, content: str, height: int, width: int, batch_size: int) -> tuple[Any]:
        import torch

        shape = (batch_size, height, width, 3)
        if content == "WHITE":
            return (torch.ones(shape),)
        if content == "BLACK":
            return (torch.zeros(shape),)
        if content == "NOISE":
            return (torch.rand(shape),)
        raise ValueError(f"StubImage: unknown content {content!r}")


class StubConstantImage:
    """An image batch whose every channel of every pixel equals `value`."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": _UNIT_FLOAT, **_size_inputs()}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "stub_constant_image"
    CATEGORY = CATEGORY

    def stub_constant_image(self, value: float, height: int, width: int, batch_size: int) -> tuple[Any]:
        import torch

        return (torch.ones(batch_size, height, width, 3) * value,)


class StubMask:
    """A mask batch `[B, H, W]` filled with `value`."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": _UNIT_FLOAT, **_size_inputs()}}

    RETURN_TYPES = ("MASK",)
    FUNCTION = "stub_mask"
    CATEGORY = CATEGORY

    def stub_mask(self, value: float, height: int, width: int, batch_size: int) -> tuple[Any]:
        import torch

        return (torch.ones(batch_size, height, width) * value,)


class StubInt:
    """Passes its INT widget through (a typed INT source)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("INT", {"default": 0, "min": -0xFFFFFFFF, "max": 0xFFFFFFFF, "step": 1})}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "stub_int"
    CATEGORY = CATEGORY

    def stub_int(self, value: int) -> tuple[int]:
        return (value,)


class StubFloat:
    """Passes its FLOAT widget through (a typed FLOAT source)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("FLOAT", {"default": 0.0, "min": -1.0e38, "max": 1.0e38, "step": 0.01})}}

    RETURN_TYPES = ("FLOAT",)
    FUNCTION = "stub_float"
    CATEGORY = CATEGORY

    def stub_float(self, value: float) -> tuple[float]:
        return (value,)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "StubImage": StubImage,
    "StubConstantImage": StubConstantImage,
    "StubMask": StubMask,
    "StubInt": StubInt,
    "StubFloat": StubFloat,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "StubImage": "Stub Image",
    "StubConstantImage": "Stub Constant Image",
    "StubMask": "Stub Mask",
    "StubInt": "Stub Int",
    "StubFloat": "Stub Float",
}

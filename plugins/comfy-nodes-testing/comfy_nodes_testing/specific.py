"""Nodes that each exercise one engine rule: lazy inputs, undeclared inputs, IS_CHANGED, validation.

ComfyUI's `specific_tests.py`, minus the expanding nodes (see `expansion.py`) and `TestSleep`
(see `async_nodes.py`). torch is imported inside the functions that make or check tensors.
"""

from __future__ import annotations

from typing import Any

from .tools import VariantSupport, is_tensor

CATEGORY = "Testing/Nodes"


def _full_image(value: float) -> Any:
    import torch

    return torch.ones([1, 512, 512, 3]) * value


def _is_uniform(mask: Any, value: float) -> bool:
    return bool(mask.min() == value) and bool(mask.max() == value)


class TestLazyMixImages:
    """Mixes two lazily evaluated images by a mask, asking only for the images the mask needs."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image1": ("IMAGE", {"lazy": True}),
                "image2": ("IMAGE", {"lazy": True}),
                "mask": ("MASK",),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "mix"
    CATEGORY = CATEGORY

    def check_lazy_status(self, mask: Any, image1: Any, image2: Any) -> list[str]:
        needed = []
        if image1 is None and not _is_uniform(mask, 1.0):
            needed.append("image1")
        if image2 is None and not _is_uniform(mask, 0.0):
            needed.append("image2")
        return needed

    def mix(self, mask: Any, image1: Any, image2: Any) -> tuple[Any]:
        if _is_uniform(mask, 0.0):
            return (image1,)
        if _is_uniform(mask, 1.0):
            return (image2,)
        if mask.dim() == 2:
            mask = mask.unsqueeze(0)
        if mask.dim() == 3:
            mask = mask.unsqueeze(3)
        if mask.shape[3] < image1.shape[3]:
            mask = mask.repeat(1, 1, 1, image1.shape[3])
        return (image1 * (1.0 - mask) + image2 * mask,)


class TestVariadicAverage:
    """Averages input1 with any undeclared input2, input3, ... linked to it."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"input1": ("IMAGE",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "variadic_average"
    CATEGORY = CATEGORY

    def variadic_average(self, input1: Any, **kwargs: Any) -> tuple[Any]:
        import torch

        inputs = [input1]
        while f"input{len(inputs) + 1}" in kwargs:
            inputs.append(kwargs[f"input{len(inputs) + 1}"])
        return (torch.stack(inputs).mean(dim=0),)


class TestCustomIsChanged:
    """Passes its image through; IS_CHANGED is NaN (always changed) when should_change is set."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"image": ("IMAGE",)},
            "optional": {"should_change": ("BOOL", {"default": False})},
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "custom_is_changed"
    CATEGORY = CATEGORY

    def custom_is_changed(self, image: Any, should_change: bool = False) -> tuple[Any]:
        return (image,)

    @classmethod
    def IS_CHANGED(cls, should_change: bool = False, *args: Any, **kwargs: Any) -> Any:
        if should_change:
            return float("NaN")
        return False


class TestIsChangedWithConstants:
    """Scales its image by value; IS_CHANGED must only ever see constants (image is None there)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "value": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 10.0}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "custom_is_changed"
    CATEGORY = CATEGORY

    def custom_is_changed(self, image: Any, value: float) -> tuple[Any]:
        return (image * value,)

    @classmethod
    def IS_CHANGED(cls, image: Any, value: float) -> Any:
        if image is None:
            return value
        return image.mean().item() * value


def _product(input1: Any, input2: Any) -> Any:
    if isinstance(input1, float) and isinstance(input2, float):
        return _full_image(1.0) * input1 * input2
    return input1 * input2


def _check_image_or_float(name: str, value: Any) -> str | None:
    if value is None or isinstance(value, float) or is_tensor(value):
        return None
    return f"Invalid type of {name}: {type(value)}"


class TestCustomValidation1:
    """Multiplies two IMAGE-or-FLOAT inputs; VALIDATE_INPUTS rejects values of any other type."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"input1": ("IMAGE,FLOAT",), "input2": ("IMAGE,FLOAT",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "custom_validation1"
    CATEGORY = CATEGORY

    def custom_validation1(self, input1: Any, input2: Any) -> tuple[Any]:
        return (_product(input1, input2),)

    @classmethod
    def VALIDATE_INPUTS(cls, input1: Any = None, input2: Any = None) -> bool | str:
        return _check_image_or_float("input1", input1) or _check_image_or_float("input2", input2) or True


class TestCustomValidation2:
    """Like TestCustomValidation1, but asks for input_types so the engine skips its link-type check."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"input1": ("IMAGE,FLOAT",), "input2": ("IMAGE,FLOAT",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "custom_validation2"
    CATEGORY = CATEGORY

    def custom_validation2(self, input1: Any, input2: Any) -> tuple[Any]:
        return (_product(input1, input2),)

    @classmethod
    def VALIDATE_INPUTS(cls, input_types: dict[str, Any], input1: Any = None, input2: Any = None) -> bool | str:
        problem = _check_image_or_float("input1", input1) or _check_image_or_float("input2", input2)
        if problem:
            return problem
        for name in ("input1", "input2"):
            if name in input_types and input_types[name] not in ("IMAGE", "FLOAT"):
                return f"Invalid type of {name}: {input_types[name]}"
        return True


@VariantSupport()
class TestCustomValidation3:
    """Like TestCustomValidation1, validated by the synthesised VariantSupport check instead."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"input1": ("IMAGE,FLOAT",), "input2": ("IMAGE,FLOAT",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "custom_validation3"
    CATEGORY = CATEGORY

    def custom_validation3(self, input1: Any, input2: Any) -> tuple[Any]:
        return (_product(input1, input2),)


class TestCustomValidation4:
    """Multiplies two FLOATs into an image; VALIDATE_INPUTS insists both are Python floats."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"input1": ("FLOAT",), "input2": ("FLOAT",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "custom_validation4"
    CATEGORY = CATEGORY

    def custom_validation4(self, input1: float, input2: float) -> tuple[Any]:
        return (_full_image(1.0) * input1 * input2,)

    @classmethod
    def VALIDATE_INPUTS(cls, input1: Any, input2: Any) -> bool | str:
        for name, value in (("input1", input1), ("input2", input2)):
            if value is not None and not isinstance(value, float):
                return f"Invalid type of {name}: {type(value)}"
        return True


class TestOutputNodeWithSocketOutput:
    """An output node that also feeds others: scales its image by value."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "value": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 10.0}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "process"
    CATEGORY = "experimental"
    OUTPUT_NODE = True

    def process(self, image: Any, value: float) -> tuple[Any]:
        return (image * value,)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "TestLazyMixImages": TestLazyMixImages,
    "TestVariadicAverage": TestVariadicAverage,
    "TestCustomIsChanged": TestCustomIsChanged,
    "TestIsChangedWithConstants": TestIsChangedWithConstants,
    "TestCustomValidation1": TestCustomValidation1,
    "TestCustomValidation2": TestCustomValidation2,
    "TestCustomValidation3": TestCustomValidation3,
    "TestCustomValidation4": TestCustomValidation4,
    "TestOutputNodeWithSocketOutput": TestOutputNodeWithSocketOutput,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "TestLazyMixImages": "Lazy Mix Images",
    "TestVariadicAverage": "Variadic Average",
    "TestCustomIsChanged": "Custom IsChanged",
    "TestIsChangedWithConstants": "IsChanged With Constants",
    "TestCustomValidation1": "Custom Validation 1",
    "TestCustomValidation2": "Custom Validation 2",
    "TestCustomValidation3": "Custom Validation 3",
    "TestCustomValidation4": "Custom Validation 4",
    "TestOutputNodeWithSocketOutput": "Test Output Node With Socket Output",
}

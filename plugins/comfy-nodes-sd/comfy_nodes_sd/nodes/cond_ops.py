"""Conditioning operations (ComfyUI's names, inputs and outputs): combine, concatenate, average,
restrict to an area or a mask, set strength, zero out, limit to a range of the schedule.

CONDITIONING is a list of ``[tensor, options]``; these nodes return new lists whose option dicts
are copies (the inputs, possibly cached, are never modified). What the options mean at sampling
time (``area``, ``mask``, ``strength``, ``start_percent``...) is described in
:mod:`comfy_nodes_sd.sampling.model_wrapper`.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)
from typing import Any

MAX_RESOLUTION = 16384

_STRENGTH = ("FLOAT", {"default": 1.0, "min": 0.0, "max": 10.0, "step": 0.01})
_FRACTION = ("FLOAT", {"default": 1.0, "min": 0, "max": 1.0, "step": 0.01})
_OFFSET_FRACTION = ("FLOAT", {"default": 0, "min": 0, "max": 1.0, "step": 0.01})


def conditioning_set_values(conditioning: list[Any], values: dict[str, Any]) -> list[list[Any]]:
    """Each entry with ``values`` merged into a copy of its options (ComfyUI's node_helpers)."""
    out = []
    for entry in conditioning:
        options = dict(entry[1])
        options.update(values)
        out.append([entry[0], options])
    return out


class ConditioningCombine:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"conditioning_1": ("CONDITIONING",), "conditioning_2": ("CONDITIONING",)}}

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "combine"
    CATEGORY = "conditioning"

    def combine(self, conditioning_1: list[Any], conditioning_2: list[Any]) -> tuple[list[Any]]:
        return (conditioning_1 + conditioning_2,)


class ConditioningAverage:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "conditioning_to": ("CONDITIONING",),
                "conditioning_from": ("CONDITIONING",),
                "conditioning_to_strength": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.01}),
            }
        }

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "addWeighted"
    CATEGORY = "conditioning"

    def addWeighted(self, conditioning_to: list[Any], conditioning_from: list[Any], conditioning_to_strength: float) -> tuple[list[Any]]:
        import torch

        if len(conditioning_from) > 1:
            logger.warning(
                "Warning: ConditioningAverage conditioning_from contains more than 1 cond, only the first one will actually be applied to conditioning_to."
            )
        cond_from = conditioning_from[0][0]
        pooled_output_from = conditioning_from[0][1].get("pooled_output", None)
        out = []
        for entry in conditioning_to:
            t1 = entry[0]
            pooled_output_to = entry[1].get("pooled_output", pooled_output_from)
            t0 = cond_from[:, : t1.shape[1]]
            if t0.shape[1] < t1.shape[1]:
                t0 = torch.cat([t0] + [torch.zeros((1, (t1.shape[1] - t0.shape[1]), t1.shape[2]))], dim=1)
            tw = torch.mul(t1, conditioning_to_strength) + torch.mul(t0, (1.0 - conditioning_to_strength))
            options = entry[1].copy()
            if pooled_output_from is not None and pooled_output_to is not None:
                options["pooled_output"] = torch.mul(pooled_output_to, conditioning_to_strength) + torch.mul(
                    pooled_output_from, (1.0 - conditioning_to_strength)
                )
            elif pooled_output_from is not None:
                options["pooled_output"] = pooled_output_from
            out.append([tw, options])
        return (out,)


class ConditioningConcat:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"conditioning_to": ("CONDITIONING",), "conditioning_from": ("CONDITIONING",)}}

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "concat"
    CATEGORY = "conditioning"

    def concat(self, conditioning_to: list[Any], conditioning_from: list[Any]) -> tuple[list[Any]]:
        import torch

        if len(conditioning_from) > 1:
            logger.warning(
                "Warning: ConditioningConcat conditioning_from contains more than 1 cond, only the first one will actually be applied to conditioning_to."
            )
        cond_from = conditioning_from[0][0]
        return ([[torch.cat((entry[0], cond_from), 1), entry[1].copy()] for entry in conditioning_to],)


class ConditioningSetArea:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "conditioning": ("CONDITIONING",),
                "width": ("INT", {"default": 64, "min": 64, "max": MAX_RESOLUTION, "step": 8}),
                "height": ("INT", {"default": 64, "min": 64, "max": MAX_RESOLUTION, "step": 8}),
                "x": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "y": ("INT", {"default": 0, "min": 0, "max": MAX_RESOLUTION, "step": 8}),
                "strength": _STRENGTH,
            }
        }

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "append"
    CATEGORY = "conditioning"

    def append(self, conditioning: list[Any], width: int, height: int, x: int, y: int, strength: float) -> tuple[list[Any]]:
        area = (height // 8, width // 8, y // 8, x // 8)
        return (conditioning_set_values(conditioning, {"area": area, "strength": strength, "set_area_to_bounds": False}),)


class ConditioningSetAreaPercentage:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "conditioning": ("CONDITIONING",),
                "width": _FRACTION,
                "height": _FRACTION,
                "x": _OFFSET_FRACTION,
                "y": _OFFSET_FRACTION,
                "strength": _STRENGTH,
            }
        }

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "append"
    CATEGORY = "conditioning"

    def append(self, conditioning: list[Any], width: float, height: float, x: float, y: float, strength: float) -> tuple[list[Any]]:
        area = ("percentage", height, width, y, x)
        return (conditioning_set_values(conditioning, {"area": area, "strength": strength, "set_area_to_bounds": False}),)


class ConditioningSetAreaStrength:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"conditioning": ("CONDITIONING",), "strength": _STRENGTH}}

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "append"
    CATEGORY = "conditioning"

    def append(self, conditioning: list[Any], strength: float) -> tuple[list[Any]]:
        return (conditioning_set_values(conditioning, {"strength": strength}),)


class ConditioningSetMask:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "conditioning": ("CONDITIONING",),
                "mask": ("MASK",),
                "strength": _STRENGTH,
                "set_cond_area": (["default", "mask bounds"],),
            }
        }

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "append"
    CATEGORY = "conditioning"

    def append(self, conditioning: list[Any], mask: Any, set_cond_area: str, strength: float) -> tuple[list[Any]]:
        if len(mask.shape) < 3:
            mask = mask.unsqueeze(0)
        values = {"mask": mask, "set_area_to_bounds": set_cond_area != "default", "mask_strength": strength}
        return (conditioning_set_values(conditioning, values),)


class ConditioningZeroOut:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"conditioning": ("CONDITIONING",)}}

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "zero_out"
    CATEGORY = "advanced/conditioning"

    def zero_out(self, conditioning: list[Any]) -> tuple[list[Any]]:
        import torch

        out = []
        for entry in conditioning:
            options = entry[1].copy()
            if "pooled_output" in options:
                options["pooled_output"] = torch.zeros_like(options["pooled_output"])
            out.append([torch.zeros_like(entry[0]), options])
        return (out,)


class ConditioningSetTimestepRange:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "conditioning": ("CONDITIONING",),
                "start": ("FLOAT", {"default": 0.0, "min": 0.0, "max": 1.0, "step": 0.001}),
                "end": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.001}),
            }
        }

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "set_range"
    CATEGORY = "advanced/conditioning"

    def set_range(self, conditioning: list[Any], start: float, end: float) -> tuple[list[Any]]:
        return (conditioning_set_values(conditioning, {"start_percent": start, "end_percent": end}),)


NODE_CLASS_MAPPINGS = {
    "ConditioningCombine": ConditioningCombine,
    "ConditioningAverage": ConditioningAverage,
    "ConditioningConcat": ConditioningConcat,
    "ConditioningSetArea": ConditioningSetArea,
    "ConditioningSetAreaPercentage": ConditioningSetAreaPercentage,
    "ConditioningSetAreaStrength": ConditioningSetAreaStrength,
    "ConditioningSetMask": ConditioningSetMask,
    "ConditioningZeroOut": ConditioningZeroOut,
    "ConditioningSetTimestepRange": ConditioningSetTimestepRange,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "ConditioningCombine": "Conditioning (Combine)",
    "ConditioningAverage": "Conditioning (Average)",
    "ConditioningConcat": "Conditioning (Concat)",
    "ConditioningSetArea": "Conditioning (Set Area)",
    "ConditioningSetAreaPercentage": "Conditioning (Set Area with Percentage)",
    "ConditioningSetMask": "Conditioning (Set Mask)",
}

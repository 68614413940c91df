"""Nodes of the hiddenswitch ComfyUI fork that its execution suite uses: LazySwitch,
BinaryOperation (short-circuiting "and"/"or") and ImageRequestParameter.

LazySwitch and BinaryOperation decide what to evaluate with `comfy.lazy_helpers.is_input_pending`,
so a branch that genuinely produced None counts as evaluated; outside an engine context they fall
back to "None means not evaluated yet". ImageRequestParameter returns `default_if_empty` for an
empty value and otherwise loads local image files (paths or glob patterns; no network).
"""

from __future__ import annotations

import functools
import glob
import inspect
import operator
import os
from collections.abc import Callable, Sequence
from typing import Any

from .tools import ANY

LOGIC_CATEGORY = "logic"


def _named_parameter_count(fn: Callable[..., Any]) -> int | None:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return sum(1 for p in signature.parameters.values() if p.kind not in variadic)


def _operator_functions(arity: int) -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for name in dir(operator):
        fn = getattr(operator, name)
        if inspect.isroutine(fn) and _named_parameter_count(fn) == arity:
            found[name] = fn
    return found


@functools.cache
def binary_ops() -> dict[str, Callable[[Any, Any], Any]]:
    """Every two-argument `operator` function by name, plus short-circuiting "and" and "or"."""
    return {
        **_operator_functions(2),
        "and": lambda a, b: a and b,
        "or": lambda a, b: a or b,
    }


def inputs_pending(names: Sequence[str], values: Sequence[Any]) -> tuple[bool, ...]:
    """For each named linked input: has its source not produced a value yet?

    Asks the engine (`is_input_pending`); without an executing node it treats None as pending.
    """
    try:
        from comfy.lazy_helpers import is_input_pending
    except ImportError:
        return tuple(value is None for value in values)
    try:
        answers = [is_input_pending(name) for name in names]
    except (LookupError, RuntimeError):
        return tuple(value is None for value in values)
    return tuple(bool(a[0]) if isinstance(a, (tuple, list)) else bool(a) for a in answers)


class LazySwitch:
    """Returns on_true or on_false by switch, evaluating only the chosen (lazy) branch."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"switch": ("BOOLEAN",)},
            "optional": {
                "on_false": (ANY, {"lazy": True}),
                "on_true": (ANY, {"lazy": True}),
            },
        }

    RETURN_TYPES = (ANY,)
    FUNCTION = "execute"
    CATEGORY = LOGIC_CATEGORY
    DESCRIPTION = "Controls flow of execution based on a boolean switch."

    def check_lazy_status(self, switch: Any, on_false: Any = None, on_true: Any = None) -> list[str]:
        false_pending, true_pending = inputs_pending(("on_false", "on_true"), (on_false, on_true))
        if switch and true_pending:
            return ["on_true"]
        if not switch and false_pending:
            return ["on_false"]
        return []

    def execute(self, switch: Any, on_false: Any = None, on_true: Any = None) -> tuple[Any]:
        return (on_true if switch else on_false,)


class BinaryOperation:
    """lhs (op) rhs for any `operator` function; "and"/"or" skip rhs when lhs decides the result."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {},
            "optional": {
                "lhs": (ANY, {"lazy": True}),
                "op": (list(binary_ops()), {"default": "eq"}),
                "rhs": (ANY, {"lazy": True}),
            },
        }

    RETURN_TYPES = (ANY,)
    FUNCTION = "execute"
    CATEGORY = LOGIC_CATEGORY
    DESCRIPTION = "Applies a binary operator; 'and' and 'or' short-circuit."

    def check_lazy_status(self, lhs: Any = None, op: str | None = None, rhs: Any = None) -> list[str]:
        lhs_pending, rhs_pending = inputs_pending(("lhs", "rhs"), (lhs, rhs))
        if op in ("and", "or"):
            if lhs_pending:
                return ["lhs"]
            decided = lhs is False if op == "and" else lhs is True
            return ["rhs"] if rhs_pending and not decided else []
        needed = []
        if lhs_pending:
            needed.append("lhs")
        if rhs_pending:
            needed.append("rhs")
        return needed

    def execute(self, lhs: Any = None, op: str = "eq", rhs: Any = None) -> tuple[Any]:
        return (binary_ops()[op](lhs, rhs),)


def _expand_paths(value: str) -> list[str]:
    paths = []
    for part in value.splitlines() or [value]:
        part = part.strip()
        if not part:
            continue
        if part.startswith(("http://", "https://")):
            raise ValueError(f"ImageRequestParameter: remote URLs are not supported here: {part}")
        if part.startswith("file://"):
            part = part[len("file://") :]
        matches = sorted(glob.glob(part)) if glob.has_magic(part) else [part]
        if not matches or not all(os.path.isfile(p) for p in matches):
            raise FileNotFoundError(f"ImageRequestParameter: no image file at {part}")
        paths.extend(matches)
    return paths


def _load_frames(path: str, alpha_is_transparency: bool) -> list[tuple[Any, Any]]:
    import numpy as np
    import torch
    from PIL import Image, ImageOps, ImageSequence

    frames = []
    with Image.open(path) as img:
        for frame in ImageSequence.Iterator(img):
            frame = ImageOps.exif_transpose(frame)
            if frame.mode == "I":
                frame = frame.point(lambda v: v * (1 / 255))
            rgb = frame.convert("RGBA" if alpha_is_transparency else "RGB")
            image = torch.from_numpy(np.array(rgb).astype(np.float32) / 255.0)[None,]
            if "A" in frame.getbands():
                alpha = np.array(frame.getchannel("A")).astype(np.float32) / 255.0
                mask = 1.0 - torch.from_numpy(alpha)
            elif frame.mode == "P" and "transparency" in frame.info:
                alpha = np.array(frame.convert("RGBA").getchannel("A")).astype(np.float32) / 255.0
                mask = 1.0 - torch.from_numpy(alpha)
            else:
                mask = torch.zeros((image.shape[1], image.shape[2]), dtype=torch.float32)
            frames.append((image, mask.unsqueeze(0)))
    return frames


class ImageRequestParameter:
    """An API image parameter: default_if_empty when value is blank, else the images it names."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"value": ("STRING", {"default": ""})},
            "optional": {
                "name": ("STRING", {}),
                "title": ("STRING", {"default": ""}),
                "description": ("STRING", {"default": "", "multiline": True}),
                "__required": ("BOOLEAN", {"default": True}),
                "default_if_empty": ("IMAGE",),
                "alpha_is_transparency": ("BOOLEAN", {"default": False}),
            },
        }

    RETURN_TYPES = ("IMAGE", "MASK")
    FUNCTION = "execute"
    CATEGORY = "api/openapi"

    def execute(
        self, value: str = "", default_if_empty: Any = None, alpha_is_transparency: bool = False, **kwargs: Any
    ) -> tuple[Any, Any]:
        if value.strip() == "":
            return (default_if_empty, None)
        import torch

        frames = [f for path in _expand_paths(value) for f in _load_frames(path, alpha_is_transparency)]
        return (torch.cat([image for image, _ in frames], dim=0), torch.cat([mask for _, mask in frames], dim=0))


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "LazySwitch": LazySwitch,
    "BinaryOperation": BinaryOperation,
    "ImageRequestParameter": ImageRequestParameter,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "LazySwitch": "Lazy Switch",
    "BinaryOperation": "Binary Operation",
    "ImageRequestParameter": "Image Request Parameter",
}

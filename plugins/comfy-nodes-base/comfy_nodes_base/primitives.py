"""Primitives and text: PreviewAny, PrimitiveInt/Float/Boolean/String/StringMultiline,
StringConcatenate, StringReplace, StringLength (ComfyUI's names, inputs and outputs).

None of them imports torch: PreviewAny only formats a tensor when torch is already loaded
(no tensor can exist otherwise).
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

PRIMITIVE_CATEGORY = "utils/primitive"
STRING_CATEGORY = "utils/string"

_print_options_lock = threading.Lock()


def _tensor_aware_str(value: Any) -> str:
    """``str(value)``; tensors (also inside containers) print summarised, six edge items a side."""
    torch = sys.modules.get("torch")
    if torch is None:
        return str(value)
    with _print_options_lock:  # print options are global in torch: set them for this call only
        printoptions = getattr(getattr(torch, "_tensor_str", None), "printoptions", None)
        if printoptions is not None:
            with printoptions(edgeitems=6):
                return str(value)
        torch.set_printoptions(edgeitems=6)
        try:
            return str(value)
        finally:
            torch.set_printoptions()


def preview_text(source: Any) -> str:
    """The text PreviewAny shows: strings as they are, numbers and booleans with ``str``,
    JSON (indent 4) for what JSON can hold, ``str`` otherwise, ``"None"`` for None."""
    if source is None:
        return "None"
    if isinstance(source, str):
        return source
    if isinstance(source, (int, float, bool)):
        return str(source)
    try:
        return json.dumps(source, indent=4)
    except Exception:
        try:
            return _tensor_aware_str(source)
        except Exception:
            return "source exists, but could not be serialized."


class PreviewAny:
    """Shows any value as text in the UI and passes that text on."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"source": ("*", {})}}

    RETURN_TYPES = ("STRING",)
    FUNCTION = "main"
    OUTPUT_NODE = True
    CATEGORY = "utilities"
    SEARCH_ALIASES = ["show output", "inspect", "debug", "print value", "show text"]

    def main(self, source: Any = None) -> dict[str, Any]:
        value = preview_text(source)
        return {"ui": {"text": [value]}, "result": (value,)}


class _Primitive:
    """A constant of one type: the input ``value`` is the output."""

    RETURN_TYPES: tuple[str, ...] = ()
    FUNCTION = "execute"
    CATEGORY = PRIMITIVE_CATEGORY

    def execute(self, value: Any) -> tuple[Any]:
        return (value,)


class PrimitiveString(_Primitive):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("STRING", {})}}

    RETURN_TYPES = ("STRING",)


class PrimitiveStringMultiline(_Primitive):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("STRING", {"multiline": True})}}

    RETURN_TYPES = ("STRING",)


class PrimitiveInt(_Primitive):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "value": ("INT", {"min": -sys.maxsize, "max": sys.maxsize, "control_after_generate": True}),
            }
        }

    RETURN_TYPES = ("INT",)


class PrimitiveFloat(_Primitive):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("FLOAT", {"min": -sys.maxsize, "max": sys.maxsize, "step": 0.1})}}

    RETURN_TYPES = ("FLOAT",)


class PrimitiveBoolean(_Primitive):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("BOOLEAN", {})}}

    RETURN_TYPES = ("BOOLEAN",)


class StringConcatenate:
    """``string_a + delimiter + string_b``."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "string_a": ("STRING", {"multiline": True}),
                "string_b": ("STRING", {"multiline": True}),
                "delimiter": ("STRING", {"multiline": False, "default": ""}),
            }
        }

    RETURN_TYPES = ("STRING",)
    FUNCTION = "execute"
    CATEGORY = STRING_CATEGORY
    SEARCH_ALIASES = [
        "text concat", "join text", "merge text", "combine strings", "concat", "concatenate",
        "append text", "combine text", "string",
    ]

    def execute(self, string_a: str, string_b: str, delimiter: str) -> tuple[str]:
        return (delimiter.join((string_a, string_b)),)


class StringReplace:
    """Every occurrence of ``find`` in ``string`` replaced by ``replace``."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "string": ("STRING", {"multiline": True}),
                "find": ("STRING", {"multiline": True}),
                "replace": ("STRING", {"multiline": True}),
            }
        }

    RETURN_TYPES = ("STRING",)
    FUNCTION = "execute"
    CATEGORY = STRING_CATEGORY
    SEARCH_ALIASES = ["find and replace", "substitute", "swap text"]

    def execute(self, string: str, find: str, replace: str) -> tuple[str]:
        return (string.replace(find, replace),)


class StringLength:
    """The number of characters of ``string``."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"string": ("STRING", {"multiline": True})}}

    RETURN_TYPES = ("INT",)
    RETURN_NAMES = ("length",)
    FUNCTION = "execute"
    CATEGORY = STRING_CATEGORY
    SEARCH_ALIASES = ["character count", "text size"]

    def execute(self, string: str) -> tuple[int]:
        return (len(string),)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "PreviewAny": PreviewAny,
    "PrimitiveString": PrimitiveString,
    "PrimitiveStringMultiline": PrimitiveStringMultiline,
    "PrimitiveInt": PrimitiveInt,
    "PrimitiveFloat": PrimitiveFloat,
    "PrimitiveBoolean": PrimitiveBoolean,
    "StringConcatenate": StringConcatenate,
    "StringReplace": StringReplace,
    "StringLength": StringLength,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "PreviewAny": "Preview as Text",
    "PrimitiveString": "String",
    "PrimitiveStringMultiline": "String (Multiline)",
    "PrimitiveInt": "Int",
    "PrimitiveFloat": "Float",
    "PrimitiveBoolean": "Boolean",
    "StringConcatenate": "Concatenate",
    "StringReplace": "Replace",
    "StringLength": "Length",
}

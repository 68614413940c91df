"""Scalar logic: integer math, int/float/string comparisons, truthiness and boolean operators.

All of it runs without torch; `TestToBoolNode` recognises tensors only when torch is already
loaded (a tensor value implies it is).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from .tools import is_tensor

CATEGORY = "Testing/Logic"

_BIG_INT = 0xFFFFFFFFFFFFFFFF
_BIG_FLOAT = 999999999999.0

INT_MATH_OPERATIONS: dict[str, Callable[[int, int], int]] = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "divide": operator.floordiv,
    "modulo": operator.mod,
    "power": operator.pow,
}

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _regex_match(a: str, b: str) -> bool:
    try:
        return re.match(b, a) is not None
    except (re.error, TypeError):
        return False


STRING_CONDITIONS: dict[str, Callable[[str, str], bool]] = {
    "a == b": operator.eq,
    "a != b": operator.ne,
    "a IN b": lambda a, b: a in b,
    "a MATCH REGEX(b)": _regex_match,
    "a BEGINSWITH b": lambda a, b: a.startswith(b),
    "a ENDSWITH b": lambda a, b: a.endswith(b),
}

BOOL_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "a AND b": lambda a, b: a and b,
    "a OR b": lambda a, b: a or b,
    "a XOR b": lambda a, b: a ^ b,
    "NOT a": lambda a, b: not a,
}


def _int_input() -> tuple[str, dict[str, Any]]:
    return ("INT", {"default": 0, "min": -_BIG_INT, "max": _BIG_INT, "step": 1})


def _float_input() -> tuple[str, dict[str, Any]]:
    return ("FLOAT", {"default": 0, "min": -_BIG_FLOAT, "max": _BIG_FLOAT, "step": 1})


class TestIntMathOperation:
    """a (op) b on integers; divide is floor division."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"a": _int_input(), "b": _int_input(), "operation": (list(INT_MATH_OPERATIONS),)}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "int_math_operation"
    CATEGORY = CATEGORY

    def int_math_operation(self, a: int, b: int, operation: str) -> tuple[int]:
        return (INT_MATH_OPERATIONS[operation](a, b),)


class TestIntConditions:
    """Compares two integers."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"a": _int_input(), "b": _int_input(), "operation": (list(COMPARISONS),)}}

    RETURN_TYPES = ("BOOLEAN",)
    FUNCTION = "int_condition"
    CATEGORY = CATEGORY

    def int_condition(self, a: int, b: int, operation: str) -> tuple[bool]:
        return (COMPARISONS[operation](a, b),)


class TestFloatConditions:
    """Compares two floats."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"a": _float_input(), "b": _float_input(), "operation": (list(COMPARISONS),)}}

    RETURN_TYPES = ("BOOLEAN",)
    FUNCTION = "float_condition"
    CATEGORY = CATEGORY

    def float_condition(self, a: float, b: float, operation: str) -> tuple[bool]:
        return (COMPARISONS[operation](a, b),)


class TestStringConditions:
    """Compares two strings (equality, containment, regex match, prefix, suffix)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "a": ("STRING", {"multiline": False}),
                "b": ("STRING", {"multiline": False}),
                "operation": (list(STRING_CONDITIONS),),
                "case_sensitive": ("BOOLEAN", {"default": True}),
            },
        }

    RETURN_TYPES = ("BOOLEAN",)
    FUNCTION = "string_condition"
    CATEGORY = CATEGORY

    def string_condition(self, a: str, b: str, operation: str, case_sensitive: bool) -> tuple[bool]:
        if not case_sensitive:
            a, b = a.lower(), b.lower()
        return (STRING_CONDITIONS[operation](a, b),)


def to_bool(value: Any) -> bool:
    """Truthiness as the testing pack defines it: a tensor is false iff all zero; unconvertible is true."""
    if is_tensor(value):
        return not (value.max().item() == 0 and value.min().item() == 0)
    try:
        return bool(value)
    except Exception:  # noqa: BLE001 - "can't convert it" means "it's something"
        return True


class TestToBoolNode:
    """Any value to BOOLEAN (see `to_bool`), optionally inverted."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"value": ("*",)},
            "optional": {"invert": ("BOOLEAN", {"default": False})},
        }

    RETURN_TYPES = ("BOOLEAN",)
    FUNCTION = "to_bool"
    CATEGORY = CATEGORY

    def to_bool(self, value: Any, invert: bool = False) -> tuple[bool]:
        result = to_bool(value)
        return (not result if invert else result,)


class TestBoolOperationNode:
    """AND / OR / XOR of two booleans, or NOT a."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "a": ("BOOLEAN",),
                "b": ("BOOLEAN",),
                "op": (list(BOOL_OPERATIONS),),
            },
        }

    RETURN_TYPES = ("BOOLEAN",)
    FUNCTION = "bool_operation"
    CATEGORY = CATEGORY

    def bool_operation(self, a: Any, b: Any, op: str) -> tuple[Any]:
        return (BOOL_OPERATIONS[op](a, b),)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "TestIntMathOperation": TestIntMathOperation,
    "TestIntConditions": TestIntConditions,
    "TestFloatConditions": TestFloatConditions,
    "TestStringConditions": TestStringConditions,
    "TestToBoolNode": TestToBoolNode,
    "TestBoolOperationNode": TestBoolOperationNode,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "TestIntMathOperation": "Int Math Operation",
    "TestIntConditions": "Int Condition",
    "TestFloatConditions": "Float Condition",
    "TestStringConditions": "String Condition",
    "TestToBoolNode": "To Bool",
    "TestBoolOperationNode": "Bool Operation",
}

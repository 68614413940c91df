"""Socket type compatibility, ComfyUI's `validate_node_input` (a pure function).

The scheduler applies the same rule in Rust; this Python twin honours `__ne__` overrides on `str`
subclasses (custom nodes' "any type" tricks), which Rust cannot see.
"""

from __future__ import annotations

from typing import Any


def validate_node_input(received_type: Any, input_type: Any, strict: bool = False) -> bool:
    """Can an output of `received_type` feed an input of `input_type`?"""
    if not received_type != input_type:
        return True
    if received_type == "*" or input_type == "*":
        return True
    if isinstance(received_type, list) and input_type == "COMBO":
        return True
    if not isinstance(received_type, str) or not isinstance(input_type, str):
        return False
    received = {t.strip() for t in received_type.split(",")}
    expected = {t.strip() for t in input_type.split(",")}
    if "*" in received or "*" in expected:
        return True
    return received <= expected if strict else bool(received & expected)

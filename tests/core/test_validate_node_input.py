"""`validate_node_input(received, expected, strict)`: ComfyUI's socket type compatibility."""

from __future__ import annotations

from typing import Any

import pytest

from comfy_execution.validation import validate_node_input


class NotSubset(str):
    """A custom node's "smart" type: compatible when its members are a subset of the other's."""

    def __ne__(self, other: object) -> bool:
        if self == "*" or other == "*":
            return False
        if not isinstance(other, str):
            return True
        return not set(self.split(",")).issubset(set(other.split(",")))

    __hash__ = str.__hash__


CASES: list[tuple[Any, Any, bool, bool]] = [
    ("INT", "INT", False, True),
    ("INT", "FLOAT", False, False),
    ("*", "IMAGE", False, True),
    ("IMAGE", "*", False, True),
    ("IMAGE", "IMAGE,MASK", False, True),
    ("IMAGE,LATENT", "IMAGE,MASK", False, True),
    ("IMAGE,LATENT", "IMAGE,MASK", True, False),
    ("IMAGE", "IMAGE, MASK", True, True),
    ("LATENT", "IMAGE,MASK", False, False),
    (["a", "b"], "COMBO", False, True),
    (["a", "b"], "STRING", False, False),
    (1, "INT", False, False),
    (NotSubset("IMAGE"), "IMAGE,FLOAT", False, True),
    (NotSubset("IMAGE,LATENT"), "IMAGE,FLOAT", True, False),
]


@pytest.mark.parametrize(("received", "expected", "strict", "ok"), CASES)
def test_validate_node_input(received: Any, expected: Any, strict: bool, ok: bool) -> None:
    assert validate_node_input(received, expected, strict) is ok

"""Shared helpers of the testing pack: variant-aware types and lazy access to the engine.

`SmartType` / `VariantSupport` reproduce the ComfyUI testing pack's type-variance trick: a type
string whose `__ne__` means "not a subset of", plus a synthesised `VALIDATE_INPUTS(input_types)`
that re-checks linked types itself. The other helpers import engine modules (`comfy_execution`,
`comfy.*`) only when a node actually runs, so that importing this package and listing its nodes
never needs the engine or torch.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

ANY = "*"


class SmartType(str):
    """A type name whose inequality means "not a subset of" (comma unions), `*` matching all."""

    __slots__ = ()

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, str):
            return True
        if self == ANY or other == ANY:
            return False
        mine = set(self.split(","))
        theirs = set(other.split(","))
        return not mine.issubset(theirs)

    __hash__ = str.__hash__


def make_smart_type(value: T) -> T | SmartType:
    """Wrap a type-name string in `SmartType`; leave lists (combos) and other values alone."""
    if isinstance(value, str):
        return SmartType(value)
    return value


def _expected_type(spec: dict, name: str) -> Any:
    for section in ("required", "optional"):
        entries = spec.get(section) or {}
        if name in entries:
            return entries[name][0]
    return None


def VariantSupport() -> Callable[[type[T]], type[T]]:  # noqa: N802 - ComfyUI's spelling
    """Class decorator: wrap input/return types in `SmartType` and add `VALIDATE_INPUTS(input_types)`.

    Declaring `input_types` makes the engine skip its own link-type check; the synthesised
    validator then accepts a linked type when it is a subset of the declared union (or when the
    declared side is a `SmartType` itself, which is how variants of `*` pass).
    """

    def decorate(cls: type[T]) -> type[T]:
        if hasattr(cls, "VALIDATE_INPUTS"):
            raise NotImplementedError("VariantSupport does not support VALIDATE_INPUTS yet")
        original_input_types = cls.INPUT_TYPES  # type: ignore[attr-defined]

        def input_types(*args: Any, **kwargs: Any) -> dict:
            spec = original_input_types(*args, **kwargs)
            for section in ("required", "optional"):
                entries = spec.get(section)
                if not entries:
                    continue
                for key, value in entries.items():
                    if isinstance(value, tuple) and value:
                        entries[key] = (make_smart_type(value[0]),) + value[1:]
            return spec

        def validate_inputs(input_types: dict) -> bool | str:
            spec = cls.INPUT_TYPES()  # type: ignore[attr-defined]
            for key, received in input_types.items():
                if isinstance(received, SmartType):
                    continue
                expected = _expected_type(spec, key)
                if expected is not None and make_smart_type(received) != expected:
                    return f"Invalid type of {key}: {received} (expected {expected})"
            return True

        cls.INPUT_TYPES = staticmethod(input_types)  # type: ignore[attr-defined]
        if hasattr(cls, "RETURN_TYPES"):
            cls.RETURN_TYPES = tuple(make_smart_type(t) for t in cls.RETURN_TYPES)  # type: ignore[attr-defined]
        cls.VALIDATE_INPUTS = staticmethod(validate_inputs)  # type: ignore[attr-defined]
        return cls

    return decorate


def _local_is_link(value: Any) -> bool:
    if not isinstance(value, list) or len(value) != 2:
        return False
    return isinstance(value[0], str) and isinstance(value[1], (int, float)) and not isinstance(value[1], bool)


@functools.cache
def _resolve_is_link() -> Callable[[Any], bool]:
    try:
        from comfy_execution.graph_utils import is_link as engine_is_link
    except ImportError:
        return _local_is_link
    return engine_is_link


def is_link(value: Any) -> bool:
    """True for a prompt link `[node_id: str, slot: int|float]` (the engine's `is_link` when present)."""
    return bool(_resolve_is_link()(value))


def graph_builder(*args: Any, **kwargs: Any) -> Any:
    """A new engine `GraphBuilder` (imported only when a node expands)."""
    from comfy_execution.graph_utils import GraphBuilder

    return GraphBuilder(*args, **kwargs)


def execution_blocker(message: str | None) -> Any:
    """An engine `ExecutionBlocker(message)`."""
    try:
        from comfy_execution.graph_utils import ExecutionBlocker
    except ImportError:
        from comfy_execution.graph import ExecutionBlocker
    return ExecutionBlocker(message)


def progress_bar(total: float, node_id: str | None = None) -> Any:
    """An engine `ProgressBar(total)`, bound to `node_id` when the engine's signature accepts it."""
    from comfy.utils import ProgressBar

    if node_id is not None:
        try:
            return ProgressBar(total, node_id=node_id)
        except TypeError:
            pass
    return ProgressBar(total)


def is_tensor(value: Any) -> bool:
    """True when `value` is a torch tensor; never imports torch (a tensor implies it is loaded)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def output_node_classes() -> dict[str, type] | None:
    """The engine's live `NODE_CLASS_MAPPINGS`, or None when the registry is unavailable."""
    try:
        from comfy.nodes_context import get_nodes
    except ImportError:
        return None
    try:
        return dict(get_nodes().NODE_CLASS_MAPPINGS)
    except Exception:  # noqa: BLE001 - a registry that cannot be read means "no lookups"
        return None

"""Turn immutable mappings and tuples (from ``Prompt.validate``) back into plain dicts and lists.

The engine mutates prompts in place (validation coerces constants, execution writes
``is_changed``) and recognises links only as lists (``is_link``), so a frozen
:class:`~comfy.api.components.schema.prompt.PromptDict` is thawed with :func:`make_mutable`
before it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["make_mutable"]


def make_mutable(obj: Any) -> Any:
    """Return a deep, mutable copy of ``obj``.

    Every :class:`~collections.abc.Mapping` (frozen or not) becomes a new ``dict`` and every plain
    ``tuple`` or ``list`` a new ``list``, recursively. Named tuples, strings, bytes and other
    objects are returned unchanged (not copied).
    """
    if isinstance(obj, (str, bytes, bytearray, int, float, type(None))):
        return obj
    if isinstance(obj, Mapping):
        return {key: make_mutable(value) for key, value in obj.items()}
    if isinstance(obj, list) or (isinstance(obj, tuple) and not hasattr(obj, "_fields")):
        return [make_mutable(value) for value in obj]
    return obj

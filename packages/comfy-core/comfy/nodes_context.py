"""The node registry of the current execution context: ``get_nodes()`` and ``use_nodes()``.

Executions, tests and embedded clients can each run against their own registry: the executor
wraps a prompt in ``with use_nodes(registry):`` and everything below (validation, node lookup,
``/object_info``) calls :func:`get_nodes`. Outside such a block :func:`get_nodes` returns the
process default, built once, on first use, by :func:`comfy.nodes.registry.load_registry`.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator

from .nodes.registry import NodeRegistry, load_registry

__all__ = ["get_nodes", "peek_nodes", "use_nodes", "set_default_nodes"]

_context_nodes: contextvars.ContextVar[NodeRegistry | None] = contextvars.ContextVar("comfy_nodes", default=None)
_default_nodes: NodeRegistry | None = None
_default_lock = threading.Lock()


def get_nodes() -> NodeRegistry:
    """This context's registry, else the process default (loaded lazily, once)."""
    nodes = _context_nodes.get()
    if nodes is not None:
        return nodes
    global _default_nodes
    if _default_nodes is None:
        with _default_lock:
            if _default_nodes is None:
                _default_nodes = load_registry()
    return _default_nodes


def peek_nodes() -> NodeRegistry | None:
    """Like :func:`get_nodes`, but None instead of loading the default registry."""
    nodes = _context_nodes.get()
    return nodes if nodes is not None else _default_nodes


@contextlib.contextmanager
def use_nodes(registry: NodeRegistry) -> Iterator[NodeRegistry]:
    """Make ``registry`` this context's registry until the block exits."""
    token = _context_nodes.set(registry)
    try:
        yield registry
    finally:
        _context_nodes.reset(token)


def set_default_nodes(registry: NodeRegistry | None) -> None:
    """Replace the process default registry (None: load it again on next use)."""
    global _default_nodes
    with _default_lock:
        _default_nodes = registry

"""ComfyUI's ``nodes`` module, for custom node packs only (``import nodes``).

A compatibility shim shipped by comfy-core. It reads the node registry in effect
(:func:`comfy.nodes_context.get_nodes`: the executing engine's, else the process default,
loaded on first use; while custom node packs load, the plugins' nodes and the packs loaded so
far):

- ``MAX_RESOLUTION`` (16384);
- ``NODE_CLASS_MAPPINGS``, ``NODE_DISPLAY_NAME_MAPPINGS``, ``EXTENSION_WEB_DIRS``: the
  registry's own dicts, read live;
- any registered node class by name (``from nodes import SaveImage``, ``nodes.KSampler``);
- ``interrupt_processing(value=True)`` and ``before_node_execution()``.

New code should use :mod:`comfy.nodes` and :mod:`comfy.nodes_context`.
"""

from __future__ import annotations

from typing import Any

from comfy.model_management import interrupt_current_processing, throw_exception_if_processing_interrupted

MAX_RESOLUTION = 16384

_REGISTRY_ATTRIBUTES = ("NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "EXTENSION_WEB_DIRS")


def interrupt_processing(value: bool = True) -> None:
    """Ask the running prompt to stop (``comfy.model_management.interrupt_current_processing``)."""
    interrupt_current_processing(value)


def before_node_execution() -> None:
    """Raise ``InterruptProcessingException`` if an interrupt is pending."""
    throw_exception_if_processing_interrupted()


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from comfy.nodes_context import get_nodes

    registry = get_nodes()
    if name in _REGISTRY_ATTRIBUTES:
        return getattr(registry, name)
    node_class = registry.get(name)
    if node_class is not None:
        return node_class
    raise AttributeError(f"module 'nodes' has no attribute {name!r} (no node class of that name is loaded)")


def __dir__() -> list[str]:
    """The module's names plus the node classes of a registry already loaded (never loads one)."""
    from comfy.nodes_context import peek_nodes

    registry = peek_nodes()
    names = ["MAX_RESOLUTION", "interrupt_processing", "before_node_execution", *_REGISTRY_ATTRIBUTES]
    return sorted(set(names) | set(registry.NODE_CLASS_MAPPINGS if registry is not None else ()))

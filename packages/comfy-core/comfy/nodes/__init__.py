"""Node discovery: the registry, the custom-node loader and ``/object_info`` (``comfy.nodes``).

* :mod:`comfy.nodes.registry` — :class:`NodeRegistry` and :func:`load_registry`.
* :mod:`comfy.nodes.custom_nodes` — loads V1 and V3 packs from ``custom_nodes/`` folders.
* :mod:`comfy.nodes.object_info` — node descriptions in the ``/object_info`` shape.
"""

from __future__ import annotations

from .registry import ExportedNodes, NodeRegistry, load_registry

__all__ = ["ExportedNodes", "NodeRegistry", "load_registry"]

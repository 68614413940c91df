"""Node descriptions in the shape of ComfyUI's ``/object_info`` (``spec/api.md`` §6.2).

:func:`node_info` describes one class (V1 attributes; a V3 class answers through its own
``GET_NODE_INFO_V1``); :func:`object_info` describes a whole registry, logging and leaving out a
class whose ``INPUT_TYPES()`` raises.
"""

from __future__ import annotations

import logging
from typing import Any

from .registry import NodeRegistry

__all__ = ["node_info", "object_info"]

logger = logging.getLogger(__name__)


def node_info(class_type: str, cls: type, display_name: str | None = None) -> dict[str, Any]:
    """Describe node class ``cls`` registered as ``class_type``.

    Keys: ``input``, ``input_order``, ``output``, ``output_is_list``, ``output_name``, ``name``,
    ``display_name``, ``description``, ``python_module``, ``category``, ``output_node``,
    ``search_aliases``, and when the class sets them ``output_tooltips``, ``deprecated``,
    ``experimental``, ``api_node``.
    """
    v3_info = getattr(cls, "GET_NODE_INFO_V1", None)
    if callable(v3_info):
        described: dict[str, Any] = dict(v3_info())
        if display_name is not None:
            described["display_name"] = display_name
        return described

    input_types = cls.INPUT_TYPES()  # type: ignore[attr-defined]
    outputs = list(getattr(cls, "RETURN_TYPES", ()))
    info: dict[str, Any] = {
        "input": input_types,
        "input_order": {category: list(inputs.keys()) for category, inputs in input_types.items()},
        "output": outputs,
        "output_is_list": list(getattr(cls, "OUTPUT_IS_LIST", None) or [False] * len(outputs)),
        "output_name": list(getattr(cls, "RETURN_NAMES", None) or outputs),
        "name": class_type,
        "display_name": display_name if display_name is not None else class_type,
        "description": getattr(cls, "DESCRIPTION", "") or "",
        "python_module": getattr(cls, "RELATIVE_PYTHON_MODULE", "nodes"),
        "category": getattr(cls, "CATEGORY", "sd"),
        "output_node": getattr(cls, "OUTPUT_NODE", False) is True,
    }
    if hasattr(cls, "OUTPUT_TOOLTIPS"):
        info["output_tooltips"] = list(cls.OUTPUT_TOOLTIPS)  # type: ignore[attr-defined]
    if getattr(cls, "DEPRECATED", False):
        info["deprecated"] = True
    if getattr(cls, "EXPERIMENTAL", False):
        info["experimental"] = True
    if hasattr(cls, "API_NODE"):
        info["api_node"] = cls.API_NODE  # type: ignore[attr-defined]
    info["search_aliases"] = list(getattr(cls, "SEARCH_ALIASES", None) or [])
    return info


def object_info(registry: NodeRegistry) -> dict[str, dict[str, Any]]:
    """``{class_type: node_info(...)}`` for every class of ``registry``."""
    out: dict[str, dict[str, Any]] = {}
    for class_type, cls in registry.NODE_CLASS_MAPPINGS.items():
        try:
            out[class_type] = node_info(class_type, cls, registry.NODE_DISPLAY_NAME_MAPPINGS.get(class_type))
        except Exception:
            logger.exception("cannot describe node %s", class_type)
    return out

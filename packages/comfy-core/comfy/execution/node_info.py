"""What the executor needs to know about a node class, read once per class.

A V1 class is read as it is. A class that offers ``GET_V1_CLASS()`` (every V3
``comfy_api.latest.io.ComfyNode``) is read through the V1 class it returns: ``INPUT_TYPES``,
``RETURN_TYPES``, ``FUNCTION`` … derived from its schema, and stateless calls with ``cls.hidden``
(see :mod:`comfy_api.latest._v1_adapter`). The executor then instantiates and calls that class,
so nothing else in the engine distinguishes V1 from V3.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

# Hidden input kinds whose values the engine supplies.
SPECIAL_HIDDEN = frozenset({"PROMPT", "DYNPROMPT", "EXTRA_PNGINFO", "UNIQUE_ID", "AUTH_TOKEN_COMFY_ORG", "API_KEY_COMFY_ORG"})


def _hidden_kind(spec: Any) -> str | None:
    if isinstance(spec, str):
        return spec if spec in SPECIAL_HIDDEN else None
    if isinstance(spec, (tuple, list)) and spec and isinstance(spec[0], str) and spec[0] in SPECIAL_HIDDEN:
        return spec[0]
    return None


def input_types(cls: type) -> dict[str, dict[str, Any]]:
    """`cls.INPUT_TYPES()` with missing categories as empty dicts."""
    raw = cls.INPUT_TYPES() if hasattr(cls, "INPUT_TYPES") else {}
    return {k: dict(raw.get(k) or {}) for k in ("required", "optional", "hidden")}


def overrides(cls: type, name: str) -> bool:
    """Does the class (not a V3 base) really define `name`?"""
    attr = getattr(cls, name, None)
    if attr is None:
        return False
    base_default = getattr(attr, "_comfy_default_hook", False)
    return not base_default


@dataclass
class NodeClassInfo:
    cls: type
    class_type: str
    function: str
    input_is_list: bool
    output_is_list: tuple[bool, ...]
    num_outputs: int
    output_node: bool
    hidden: dict[str, str]
    declared: frozenset[str]
    has_lazy_check: bool
    has_is_changed: bool
    validate_params: tuple[str, ...] | None
    validate_kwargs: bool
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    has_choices: bool = False
    """An input is a combo list: its choices (often a folder's files) may change at run time."""

    @classmethod
    def of(cls, class_type: str, node_class: type) -> NodeClassInfo:
        """Read ``node_class`` (a V3 class through its V1 adapter) registered as ``class_type``."""
        as_v1 = getattr(node_class, "GET_V1_CLASS", None)
        if callable(as_v1):
            node_class = as_v1()
        types = input_types(node_class)
        hidden = {}
        for name, spec in types["hidden"].items():
            kind = _hidden_kind(spec)
            if kind is not None:
                hidden[name] = kind
        declared = frozenset(types["required"]) | frozenset(types["optional"]) | frozenset(types["hidden"])
        return_types = tuple(getattr(node_class, "RETURN_TYPES", ()) or ())
        output_is_list = tuple(getattr(node_class, "OUTPUT_IS_LIST", None) or (False,) * len(return_types))
        validate_params: tuple[str, ...] | None = None
        validate_kwargs = False
        if overrides(node_class, "VALIDATE_INPUTS"):
            validate = getattr(node_class, "VALIDATE_INPUTS")
            spec = inspect.getfullargspec(validate)
            args = list(spec.args)
            if args and args[0] in ("cls", "self"):
                args = args[1:]
            validate_params = tuple(args + list(spec.kwonlyargs))
            validate_kwargs = spec.varkw is not None
        return NodeClassInfo(
            cls=node_class,
            class_type=class_type,
            function=getattr(node_class, "FUNCTION", "execute"),
            input_is_list=bool(getattr(node_class, "INPUT_IS_LIST", False)),
            output_is_list=output_is_list,
            num_outputs=len(return_types),
            output_node=bool(getattr(node_class, "OUTPUT_NODE", False)),
            hidden=hidden,
            declared=declared,
            has_lazy_check=overrides(node_class, "check_lazy_status"),
            has_is_changed=overrides(node_class, "IS_CHANGED") or overrides(node_class, "fingerprint_inputs"),
            validate_params=validate_params,
            validate_kwargs=validate_kwargs,
            inputs=types,
            has_choices=any(
                isinstance(spec, (tuple, list)) and spec and (isinstance(spec[0], (list, tuple)) or spec[0] == "COMBO")
                for category in ("required", "optional")
                for spec in types[category].values()
            ),
        )

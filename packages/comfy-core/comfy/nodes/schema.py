"""Node classes as the schema JSON the Rust scheduler compiles (see `core_rs/graph/src/schema.rs`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from comfy.execution.node_info import NodeClassInfo


def _jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of an input spec (anything else becomes its `str`)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if depth > 16:
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value]
    return str(value)


def _type_of(spec: Any) -> Any:
    if isinstance(spec, (tuple, list)) and spec:
        t = spec[0]
    else:
        t = spec
    if isinstance(t, (list, tuple)):
        return [_jsonable(x) for x in t]
    if isinstance(t, str):
        return str(t)  # str subclasses (SmartType) compare by value in Rust
    return "*"


def compile_schema(info: NodeClassInfo) -> dict[str, Any]:
    """The Rust schema of one node class."""
    inputs = []
    for category in ("required", "optional", "hidden"):
        for name, spec in info.inputs[category].items():
            options = spec[1] if isinstance(spec, (tuple, list)) and len(spec) > 1 and isinstance(spec[1], Mapping) else None
            config = _jsonable(list(spec) if isinstance(spec, (tuple, list)) else [spec])
            inputs.append(
                {
                    "name": name,
                    "category": category,
                    "type": _type_of(spec),
                    "options": _jsonable(options) if options is not None else None,
                    "config": config,
                }
            )
    return_types = [_type_of((t,)) for t in getattr(info.cls, "RETURN_TYPES", ()) or ()]
    return {
        "class_type": info.class_type,
        "inputs": inputs,
        "return_types": return_types,
        "output_node": info.output_node,
        "input_is_list": info.input_is_list,
        "output_is_list": list(info.output_is_list),
        "not_idempotent": bool(getattr(info.cls, "NOT_IDEMPOTENT", False)),
        "hidden_unique_id": "UNIQUE_ID" in info.hidden.values(),
        "fingerprint": info.has_is_changed,
        "validate": None
        if info.validate_params is None
        else {
            "params": list(info.validate_params),
            "kwargs": info.validate_kwargs,
            "input_types": "input_types" in info.validate_params,
        },
    }


def compile_schemas(infos: Iterable[NodeClassInfo]) -> list[dict[str, Any]]:
    return [compile_schema(i) for i in infos]

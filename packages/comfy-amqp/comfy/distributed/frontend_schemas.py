"""`NodeCatalog`: the node classes a distributed frontend knows from its workers' announcements.

A frontend loads no node plugin (no torch): it learns the classes from what the workers announce
over the broker (`/object_info` descriptions, and the scheduler schemas comfy-core compiles from
the same classes), validates prompts against them with the Rust engine
(`comfy._scheduler.Engine`, exactly the checks and error JSON of a local server) and serves
`/object_info`.

Several workers may announce the same class: the catalog keeps one description per class, the
last one announced, except that combo choices (checkpoint names, file lists) are the union of every
worker's, so a prompt naming a model that only some workers have passes the frontend and goes to
a worker that has it. A worker's announcement replaces its earlier one; a worker that leaves takes
its classes with it (unless another worker has them too).

Custom validation (`VALIDATE_INPUTS`) is node code, which only the workers have: the frontend
keeps the schema's `validate` entry (so the engine skips the checks a `VALIDATE_INPUTS` takes
over, as ComfyUI does) but accepts the values; the worker runs the node's own check before it
runs the prompt and reports a failure in the prompt's result.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from comfy import _scheduler
from comfy.execution import ValidationResult

__all__ = ["NodeCatalog", "schema_from_object_info"]


def _type_of(spec: Any) -> Any:
    value = spec[0] if isinstance(spec, (list, tuple)) and spec else spec
    if isinstance(value, (list, tuple)):
        return list(value)
    return value if isinstance(value, str) else "*"


def schema_from_object_info(class_type: str, info: Mapping[str, Any]) -> dict[str, Any]:
    """The scheduler schema of a class known only from its `/object_info` description (a worker
    that announced no schemas). What the description cannot say (`INPUT_IS_LIST`,
    `VALIDATE_INPUTS`, `IS_CHANGED`) is taken as absent; none of it changes which prompts are
    valid except `VALIDATE_INPUTS`, which then gets the built-in checks."""
    inputs: list[dict[str, Any]] = []
    declared = info.get("input") or {}
    for category in ("required", "optional", "hidden"):
        for name, spec in (declared.get(category) or {}).items():
            config = list(spec) if isinstance(spec, (list, tuple)) else [spec]
            options = config[1] if len(config) > 1 and isinstance(config[1], Mapping) else None
            inputs.append({"name": name, "category": category, "type": _type_of(spec), "options": options, "config": config})
    outputs = list(info.get("output") or [])
    hidden = declared.get("hidden") or {}
    return {
        "class_type": class_type,
        "inputs": inputs,
        "return_types": [list(t) if isinstance(t, (list, tuple)) else t for t in outputs],
        "output_node": bool(info.get("output_node", False)),
        "input_is_list": False,
        "output_is_list": list(info.get("output_is_list") or [False] * len(outputs)),
        "not_idempotent": False,
        "hidden_unique_id": "UNIQUE_ID" in hidden.values(),
        "fingerprint": False,
        "validate": None,
    }


def _union(first: list[Any], second: list[Any]) -> list[Any]:
    out = list(first)
    seen = {repr(v) for v in out}
    for value in second:
        if repr(value) not in seen:
            seen.add(repr(value))
            out.append(value)
    return out


def _merge_input_choices(old: Any, new: Any) -> Any:
    """`new`'s input spec with the combo choices of `old` added (list types, V3 `COMBO` options)."""
    if not (isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)) and old and new):
        return new
    merged = list(new)
    if isinstance(old[0], (list, tuple)) and isinstance(new[0], (list, tuple)):
        merged[0] = _union(list(new[0]), list(old[0]))
    elif len(old) > 1 and len(new) > 1 and isinstance(old[1], Mapping) and isinstance(new[1], Mapping):
        old_options, new_options = old[1].get("options"), new[1].get("options")
        if isinstance(old_options, list) and isinstance(new_options, list):
            merged[1] = {**new[1], "options": _union(new_options, old_options)}
    return merged


def _merge_info(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(new))
    if old is None:
        return merged
    for category, inputs in (merged.get("input") or {}).items():
        old_inputs = (old.get("input") or {}).get(category) or {}
        for name, spec in list(inputs.items()):
            if name in old_inputs:
                inputs[name] = _merge_input_choices(old_inputs[name], spec)
    return merged


def _merge_schema(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(new))
    if old is None:
        return merged
    old_inputs = {i.get("name"): i for i in old.get("inputs") or ()}
    for spec in merged.get("inputs") or ():
        previous = old_inputs.get(spec.get("name"))
        if previous is None:
            continue
        if isinstance(spec.get("type"), list) and isinstance(previous.get("type"), list):
            spec["type"] = _union(spec["type"], previous["type"])
        spec["config"] = _merge_input_choices(previous.get("config"), spec.get("config"))
        options, old_options = spec.get("options"), previous.get("options")
        if isinstance(options, Mapping) and isinstance(old_options, Mapping):
            if isinstance(options.get("options"), list) and isinstance(old_options.get("options"), list):
                spec["options"] = {**options, "options": _union(options["options"], old_options["options"])}
    return merged


def _accept(node_id: str, class_type: str, constants: dict[str, Any], linked: dict[str, Any]) -> list[dict[str, Any]]:
    """The frontend's `VALIDATE_INPUTS`: accept (the worker runs the node's own check)."""
    return []


class NodeCatalog:
    """See the module docstring. Thread-safe; `validate` may run on any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sources: dict[str, tuple[dict[str, Any], dict[str, dict[str, Any]]]] = {}
        self._info: dict[str, dict[str, Any]] = {}
        self._engine = _scheduler.Engine([], "none")
        self.version = 0
        """Bumped on every change (tests and `/object_info` readers can tell)."""

    def update(self, source: str, object_info: Mapping[str, Any], schemas: Iterable[Mapping[str, Any]] | None = None) -> bool:
        """Record what `source` (a worker id) announced; True when the catalog changed.
        `schemas` are the scheduler schemas of the same classes (derived from `object_info`
        when None)."""
        info = {str(k): dict(v) for k, v in object_info.items() if isinstance(v, Mapping)}
        if schemas is None:
            compiled = {k: schema_from_object_info(k, v) for k, v in info.items()}
        else:
            compiled = {str(s["class_type"]): dict(s) for s in schemas if isinstance(s, Mapping) and "class_type" in s}
            for class_type, description in info.items():
                compiled.setdefault(class_type, schema_from_object_info(class_type, description))
        with self._lock:
            if self._sources.get(source) == (info, compiled):
                return False
            self._sources[source] = (info, compiled)
            self._rebuild()
        return True

    def remove(self, source: str) -> bool:
        """Forget `source`'s classes; True when it had announced any."""
        with self._lock:
            if self._sources.pop(source, None) is None:
                return False
            self._rebuild()
        return True

    def _rebuild(self) -> None:
        info: dict[str, dict[str, Any]] = {}
        schemas: dict[str, dict[str, Any]] = {}
        for source_info, source_schemas in self._sources.values():
            for class_type, description in source_info.items():
                info[class_type] = _merge_info(info.get(class_type), description)
            for class_type, schema in source_schemas.items():
                schemas[class_type] = _merge_schema(schemas.get(class_type), schema)
        self._info = dict(sorted(info.items()))
        # A new engine instead of set_schemas: a validation running on another thread keeps the
        # engine it started with.
        self._engine = _scheduler.Engine(list(schemas.values()), "none")
        self.version += 1

    @property
    def sources(self) -> list[str]:
        """The workers whose classes are known."""
        return list(self._sources)

    def __len__(self) -> int:
        return len(self._info)

    def __contains__(self, class_type: object) -> bool:
        return class_type in self._info

    def object_info(self) -> dict[str, dict[str, Any]]:
        """`/object_info`: every known class's description."""
        return self._info

    def validate(self, prompt: Any, partial_execution_targets: list[str] | None = None) -> ValidationResult:
        """ComfyUI's validation of `prompt` against the known classes (an unknown class is
        ComfyUI's `invalid_prompt` error naming it)."""
        if not isinstance(prompt, Mapping):
            error = {
                "type": "invalid_prompt",
                "message": "Cannot execute because the prompt is not a JSON object of node id to node.",
                "details": f"Got {type(prompt).__name__}",
                "extra_info": {},
            }
            return ValidationResult(False, error, [], {})
        valid, found, good, node_errors, _prepared = self._engine.validate(prompt, partial_execution_targets, _accept)
        return ValidationResult(valid, found, list(good), node_errors)

"""Schema (shape) check for an API-format workflow: ``Prompt.validate(obj) -> PromptDict``.

An API-format prompt maps node ids (strings) to node objects with a ``class_type`` string and an
``inputs`` mapping (``spec/api.md`` §1.1). :meth:`Prompt.validate` checks that shape only — it
does not know the node registry, so unknown classes, missing required inputs and bad links are
left to the engine's validation — and returns a deep-frozen copy:

* the prompt is a :class:`PromptDict` (an immutable mapping),
* each node is a :class:`PromptNodeDict`, readable both as ``node["class_type"]`` and as
  ``node.class_type`` (likewise ``inputs``, ``meta`` for ``_meta`` and ``is_changed``),
* nested mappings become :class:`immutabledict`, lists become tuples, so a link ``["4", 0]``
  reads back as ``("4", 0)``.

Use :func:`comfy.component_model.make_mutable.make_mutable` to get plain dicts and lists back
(the engine's ``is_link`` only accepts lists). Bad shapes raise
:class:`~comfy.api.exceptions.ApiTypeError` (wrong type) or
:class:`~comfy.api.exceptions.ApiValueError` (missing key), with the path to the offending item.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn, TypeVar

from comfy.api.exceptions import ApiTypeError, ApiValueError

__all__ = ["immutabledict", "PromptNodeDict", "PromptDict", "Prompt", "freeze"]

V = TypeVar("V")

_SCALARS = (str, int, float, bool, type(None))


class immutabledict(dict[str, V]):
    """A ``dict`` that refuses mutation.

    It stays a real ``dict`` subclass so that ``json.dumps``, ``isinstance(x, dict)`` and fast
    native readers accept it; every mutating method raises :class:`TypeError`. ``copy()`` and
    ``|`` return plain (mutable) dicts.
    """

    __slots__ = ()

    def _immutable(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(f"'{type(self).__name__}' object is immutable")

    __setitem__ = _immutable
    __delitem__ = _immutable
    __ior__ = _immutable  # type: ignore[assignment]
    clear = _immutable
    pop = _immutable
    popitem = _immutable
    setdefault = _immutable
    update = _immutable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))


class PromptNodeDict(immutabledict[Any]):
    """One node of a validated prompt: ``node.class_type`` and ``node["class_type"]`` both work."""

    __slots__ = ()

    @property
    def class_type(self) -> str:
        """The node's class name, a key of the node registry."""
        return self["class_type"]

    @property
    def inputs(self) -> immutabledict[Any]:
        """Input name -> constant or link tuple ``(source_node_id, output_index)``."""
        return self["inputs"]

    @property
    def meta(self) -> immutabledict[Any] | None:
        """The optional ``_meta`` object (``{"title": ...}``) the UI writes; execution ignores it."""
        return self.get("_meta")

    @property
    def is_changed(self) -> str | tuple[str, ...] | None:
        """The optional ``is_changed`` value of the OpenAPI schema."""
        return self.get("is_changed")


class PromptDict(immutabledict[PromptNodeDict]):
    """A validated, immutable API-format prompt: node id -> :class:`PromptNodeDict`."""

    __slots__ = ()


def freeze(value: Any) -> Any:
    """Deep-freeze a JSON-like value: mappings -> :class:`immutabledict`, lists/tuples -> tuples.

    Other values (scalars, arbitrary objects) are returned unchanged.
    """
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, immutabledict):
        if all(isinstance(v, _SCALARS) for v in value.values()):
            return value
    if isinstance(value, Mapping):
        return immutabledict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return tuple(freeze(v) for v in value)
    return value


def _type_name(value: Any) -> str:
    return type(value).__name__


def _require_mapping(value: Any, path: list[str | int], what: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise ApiTypeError(
            f"Invalid type for {what}: required a mapping (dict) but got {_type_name(value)}",
            path_to_item=path,
            valid_classes=(dict,),
        )
    return value


def _validate_node(node_id: str, node: Any) -> PromptNodeDict:
    path: list[str | int] = [node_id]
    node = _require_mapping(node, path, f"node '{node_id}'")
    if "class_type" not in node:
        raise ApiValueError(
            f"Node '{node_id}' is missing the required property 'class_type'", path_to_item=path
        )
    class_type = node["class_type"]
    if not isinstance(class_type, str):
        raise ApiTypeError(
            f"Invalid type for 'class_type' of node '{node_id}': required str but got {_type_name(class_type)}",
            path_to_item=[*path, "class_type"],
            valid_classes=(str,),
        )
    if "inputs" not in node:
        raise ApiValueError(
            f"Node '{node_id}' ({class_type}) is missing the required property 'inputs'", path_to_item=path
        )
    inputs = _require_mapping(node["inputs"], [*path, "inputs"], f"'inputs' of node '{node_id}'")
    frozen_inputs: dict[str, Any] = {}
    for name, value in inputs.items():
        if not isinstance(name, str):
            raise ApiTypeError(
                f"Invalid input name {name!r} of node '{node_id}': input names must be str, got {_type_name(name)}",
                path_to_item=[*path, "inputs"],
                valid_classes=(str,),
                key_type=True,
            )
        frozen_inputs[name] = freeze(value)

    out: dict[str, Any] = {}
    for key, value in node.items():
        if not isinstance(key, str):
            raise ApiTypeError(
                f"Invalid property name {key!r} of node '{node_id}': property names must be str",
                path_to_item=path,
                valid_classes=(str,),
                key_type=True,
            )
        if key == "inputs":
            out[key] = immutabledict(frozen_inputs)
        elif key == "_meta":
            meta = _require_mapping(value, [*path, "_meta"], f"'_meta' of node '{node_id}'")
            title = meta.get("title")
            if title is not None and not isinstance(title, str):
                raise ApiTypeError(
                    f"Invalid type for '_meta.title' of node '{node_id}': required str but got {_type_name(title)}",
                    path_to_item=[*path, "_meta", "title"],
                    valid_classes=(str,),
                )
            out[key] = freeze(meta)
        elif key == "is_changed":
            out[key] = _validate_is_changed(node_id, value)
        else:
            out[key] = freeze(value)
    return PromptNodeDict(out)


def _validate_is_changed(node_id: str, value: Any) -> str | tuple[str, ...]:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ApiTypeError(
        f"Invalid type for 'is_changed' of node '{node_id}': required str or a list of str",
        path_to_item=[node_id, "is_changed"],
        valid_classes=(str, list),
    )


class Prompt:
    """The API-format prompt schema (``comfy.api.components.schema.prompt.Prompt``)."""

    @classmethod
    def validate(cls, arg: Any, configuration: Any = None) -> PromptDict:
        """Check ``arg``'s shape and return it as an immutable :class:`PromptDict`.

        ``configuration`` is accepted for signature compatibility with the generated client and
        ignored. Raises :class:`ApiTypeError` or :class:`ApiValueError` on a bad shape.
        """
        if isinstance(arg, PromptDict):
            return arg
        prompt = _require_mapping(arg, [], "the prompt")
        nodes: dict[str, PromptNodeDict] = {}
        for node_id, node in prompt.items():
            if not isinstance(node_id, str):
                raise ApiTypeError(
                    f"Invalid node id {node_id!r}: node ids must be str, got {_type_name(node_id)}",
                    path_to_item=[],
                    valid_classes=(str,),
                    key_type=True,
                )
            nodes[node_id] = _validate_node(node_id, node)
        return PromptDict(nodes)

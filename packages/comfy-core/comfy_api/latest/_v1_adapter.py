"""The V1 class the executor runs for a V3 ``io.ComfyNode`` (``spec/engine.md`` §2.2, "V1 adapter").

The executor only knows the V1 contract. :func:`v1_class` reads a V3 class's schema once and
returns a plain V1 class with:

- ``INPUT_TYPES()`` from the schema. Hidden values are declared under private names
  (``__comfy_hidden_unique_id`` …) so they never collide with a real input; ``MatchType``
  sockets are ``"*"`` (they accept anything, as in ComfyUI).
- ``RETURN_TYPES``, ``RETURN_NAMES``, ``OUTPUT_IS_LIST``, ``INPUT_IS_LIST``, ``OUTPUT_NODE``,
  ``NOT_IDEMPOTENT``, ``CATEGORY`` from the schema; ``FUNCTION`` is ``EXECUTE_NORMALIZED``, or
  ``EXECUTE_NORMALIZED_ASYNC`` when ``execute`` is a coroutine function.
- Stateless calls: each call takes the hidden values out of the keyword arguments, builds a
  throw-away subclass of the node whose ``hidden`` holds them (:func:`clone_with_hidden`) and
  calls ``execute`` on it. The returned :class:`NodeOutput` becomes a V1 return
  (``{"result", "ui", "expand"}`` or an ``ExecutionBlocker``).
- ``check_lazy_status``, ``VALIDATE_INPUTS`` (with ``validate_inputs``' own signature, so only
  the inputs it names are passed) and ``IS_CHANGED`` (``fingerprint_inputs``) exist only when the
  node overrides them, and run on a clone too. ``validate_inputs`` runs before the prompt does, so
  its ``cls.hidden`` values are all None.
"""

from __future__ import annotations

import inspect
from typing import Any

from comfy_execution.graph_utils import ExecutionBlocker

from ._io import MATCH_TYPE_IO, HiddenHolder, _UIOutput, clone_with_hidden, first_real_override, normalize_output

__all__ = ["HIDDEN_PREFIX", "v1_class", "to_v1_return"]

HIDDEN_PREFIX = "__comfy_hidden_"
"""Prefix of the keyword names under which the executor passes a V3 node's hidden values."""


def _engine_type(io_type: Any) -> Any:
    return "*" if io_type == MATCH_TYPE_IO else io_type


def to_v1_return(node_cls: Any, returned: Any) -> Any:
    """``execute``'s return as the executor's V1 return value."""
    if isinstance(returned, ExecutionBlocker):
        return returned  # also ExecutionBlocker(None), which blocks silently
    if isinstance(returned, dict) and isinstance(returned.get("result"), ExecutionBlocker):
        return returned["result"]
    output = normalize_output(node_cls, returned)
    if output.block_execution is not None:
        return ExecutionBlocker(output.block_execution)
    v1: dict[str, Any] = {"result": tuple(output.args)}
    ui = output.ui
    if ui is not None:
        v1["ui"] = ui.as_dict() if isinstance(ui, _UIOutput) or hasattr(ui, "as_dict") else ui
    if output.expand is not None:
        v1["expand"] = output.expand
    return v1


def v1_class(node_cls: Any) -> type:
    """A fresh V1 class running ``node_cls`` (see the module docstring)."""
    node_cls.VALIDATE_CLASS()
    schema = node_cls.FINALIZE_SCHEMA()
    schema.validate()
    node_cls.GET_SCHEMA()  # cached on the class: clones and the expand check read it
    info = schema.get_v1_info(node_cls)
    inputs: dict[str, dict[str, Any]] = {}
    for category in ("required", "optional"):
        inputs[category] = {
            name: (_engine_type(spec[0]), *spec[1:]) for name, spec in (info.input.get(category) or {}).items()
        }
    hidden = {HIDDEN_PREFIX + h.name: h.name for h in schema.hidden}
    inputs["hidden"] = {HIDDEN_PREFIX + h.name: (h.value,) for h in schema.hidden}
    input_is_list = bool(schema.is_input_list)

    def holder(kwargs: dict[str, Any]) -> HiddenHolder:
        values: dict[str, Any] = {}
        for key, attribute in hidden.items():
            if key in kwargs:
                value = kwargs.pop(key)
                if input_is_list and isinstance(value, list):
                    value = value[0] if value else None
                values[attribute] = value
        return HiddenHolder(**values)

    def EXECUTE_NORMALIZED(self: Any, **kwargs: Any) -> Any:  # noqa: N802
        clone: Any = clone_with_hidden(node_cls, holder(kwargs))
        return to_v1_return(clone, clone.execute(**kwargs))

    async def EXECUTE_NORMALIZED_ASYNC(self: Any, **kwargs: Any) -> Any:  # noqa: N802
        clone: Any = clone_with_hidden(node_cls, holder(kwargs))
        return to_v1_return(clone, await clone.execute(**kwargs))

    namespace: dict[str, Any] = {
        "__module__": node_cls.__module__,
        "__qualname__": node_cls.__qualname__,
        "__doc__": node_cls.__doc__,
        "V3_CLASS": node_cls,
        "INPUT_TYPES": classmethod(lambda cls: inputs),
        "RETURN_TYPES": tuple(_engine_type(o.io_type) for o in schema.outputs),
        "RETURN_NAMES": tuple(o.display_name or o.io_type for o in schema.outputs),
        "OUTPUT_IS_LIST": tuple(bool(o.is_output_list) for o in schema.outputs),
        "INPUT_IS_LIST": input_is_list,
        "OUTPUT_NODE": bool(schema.is_output_node),
        "NOT_IDEMPOTENT": bool(schema.not_idempotent),
        "CATEGORY": schema.category,
        "DESCRIPTION": schema.description,
        "RELATIVE_PYTHON_MODULE": getattr(node_cls, "RELATIVE_PYTHON_MODULE", None),
        "FUNCTION": "EXECUTE_NORMALIZED_ASYNC" if inspect.iscoroutinefunction(node_cls.execute) else "EXECUTE_NORMALIZED",
        "EXECUTE_NORMALIZED": EXECUTE_NORMALIZED,
        "EXECUTE_NORMALIZED_ASYNC": EXECUTE_NORMALIZED_ASYNC,
    }

    if first_real_override(node_cls, "check_lazy_status") is not None:

        def check_lazy_status(self: Any, **kwargs: Any) -> Any:
            clone: Any = clone_with_hidden(node_cls, holder(kwargs))
            return clone.check_lazy_status(**kwargs)

        namespace["check_lazy_status"] = check_lazy_status

    if first_real_override(node_cls, "fingerprint_inputs") is not None:

        def IS_CHANGED(cls: Any, **kwargs: Any) -> Any:  # noqa: N802
            clone: Any = clone_with_hidden(node_cls, holder(kwargs))
            return clone.fingerprint_inputs(**kwargs)

        namespace["IS_CHANGED"] = classmethod(IS_CHANGED)

    validate = first_real_override(node_cls, "validate_inputs")
    if validate is not None:

        def VALIDATE_INPUTS(cls: Any, **kwargs: Any) -> Any:  # noqa: N802
            clone: Any = clone_with_hidden(node_cls, HiddenHolder())
            return clone.validate_inputs(**kwargs)

        signature = inspect.signature(validate)  # bound: without cls
        VALIDATE_INPUTS.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[inspect.Parameter("cls", inspect.Parameter.POSITIONAL_OR_KEYWORD), *signature.parameters.values()]
        )
        namespace["VALIDATE_INPUTS"] = classmethod(VALIDATE_INPUTS)

    return type(node_cls.__name__, (), namespace)

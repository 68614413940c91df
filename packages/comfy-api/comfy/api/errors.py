"""The validation error ``type`` strings and ComfyUI's error dictionary (``spec/api.md`` §1.4).

A validation error is ``{"type", "message", "details", "extra_info"}``; node errors are
``{node_id: {"errors": [...], "dependent_outputs": [...], "class_type": str}}``. The ``type``
values are ComfyUI's ``ExceptionTypes`` literal plus ``no_prompt`` (the server's) and
``dependency_cycle`` (ours: a prompt whose links form a cycle).
"""

from __future__ import annotations

from typing import Any, Final, Literal

__all__ = [
    "ValidationErrorType",
    "VALIDATION_ERROR_TYPES",
    "INVALID_PROMPT",
    "PROMPT_NO_OUTPUTS",
    "PROMPT_OUTPUTS_FAILED_VALIDATION",
    "REQUIRED_INPUT_MISSING",
    "BAD_LINKED_INPUT",
    "RETURN_TYPE_MISMATCH",
    "INVALID_INPUT_TYPE",
    "VALUE_SMALLER_THAN_MIN",
    "VALUE_BIGGER_THAN_MAX",
    "VALUE_NOT_IN_LIST",
    "EXCEPTION_DURING_INNER_VALIDATION",
    "EXCEPTION_DURING_VALIDATION",
    "CUSTOM_VALIDATION_FAILED",
    "NO_PROMPT",
    "DEPENDENCY_CYCLE",
    "validation_error",
]

ValidationErrorType = Literal[
    "invalid_prompt",
    "prompt_no_outputs",
    "prompt_outputs_failed_validation",
    "required_input_missing",
    "bad_linked_input",
    "return_type_mismatch",
    "invalid_input_type",
    "value_smaller_than_min",
    "value_bigger_than_max",
    "value_not_in_list",
    "exception_during_inner_validation",
    "exception_during_validation",
    "custom_validation_failed",
    "no_prompt",
    "dependency_cycle",
]

INVALID_PROMPT: Final = "invalid_prompt"
"""A node lacks ``class_type`` or its ``class_type`` is not registered."""
PROMPT_NO_OUTPUTS: Final = "prompt_no_outputs"
"""The prompt has no output node."""
PROMPT_OUTPUTS_FAILED_VALIDATION: Final = "prompt_outputs_failed_validation"
"""Every output node failed validation."""
REQUIRED_INPUT_MISSING: Final = "required_input_missing"
"""A required input is absent."""
BAD_LINKED_INPUT: Final = "bad_linked_input"
"""A list input whose length is not 2."""
RETURN_TYPE_MISMATCH: Final = "return_type_mismatch"
"""A linked output's type does not match the input's type."""
INVALID_INPUT_TYPE: Final = "invalid_input_type"
"""Coercing a constant to INT/FLOAT/STRING/BOOLEAN failed."""
VALUE_SMALLER_THAN_MIN: Final = "value_smaller_than_min"
"""A constant is below the input's ``min``."""
VALUE_BIGGER_THAN_MAX: Final = "value_bigger_than_max"
"""A constant is above the input's ``max``."""
VALUE_NOT_IN_LIST: Final = "value_not_in_list"
"""A combo value is not one of the allowed options."""
EXCEPTION_DURING_INNER_VALIDATION: Final = "exception_during_inner_validation"
"""An exception while validating an upstream node."""
EXCEPTION_DURING_VALIDATION: Final = "exception_during_validation"
"""An exception while validating this node."""
CUSTOM_VALIDATION_FAILED: Final = "custom_validation_failed"
"""The node's ``VALIDATE_INPUTS`` returned something other than True."""
NO_PROMPT: Final = "no_prompt"
"""``POST /prompt`` without a ``prompt`` key (server only)."""
DEPENDENCY_CYCLE: Final = "dependency_cycle"
"""The prompt's links form a cycle."""

VALIDATION_ERROR_TYPES: Final[tuple[str, ...]] = (
    INVALID_PROMPT,
    PROMPT_NO_OUTPUTS,
    PROMPT_OUTPUTS_FAILED_VALIDATION,
    REQUIRED_INPUT_MISSING,
    BAD_LINKED_INPUT,
    RETURN_TYPE_MISMATCH,
    INVALID_INPUT_TYPE,
    VALUE_SMALLER_THAN_MIN,
    VALUE_BIGGER_THAN_MAX,
    VALUE_NOT_IN_LIST,
    EXCEPTION_DURING_INNER_VALIDATION,
    EXCEPTION_DURING_VALIDATION,
    CUSTOM_VALIDATION_FAILED,
    NO_PROMPT,
    DEPENDENCY_CYCLE,
)
"""Every ``type`` a validation error dictionary may carry, in the order of ``spec/api.md`` §1.4."""


def validation_error(
    type: str, message: str, details: str = "", extra_info: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build ``{"type", "message", "details", "extra_info"}``, checking ``type`` is a known value."""
    if type not in VALIDATION_ERROR_TYPES:
        raise ValueError(f"unknown validation error type {type!r}; expected one of {VALIDATION_ERROR_TYPES}")
    return {"type": type, "message": message, "details": details, "extra_info": {} if extra_info is None else extra_info}

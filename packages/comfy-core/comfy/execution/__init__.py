"""The executor: runs API-format prompts through the Rust scheduler (`comfy._scheduler`).

The executor itself is imported on first use, so that low-level modules (`comfy.model_management`,
`comfy.utils`) can import `comfy.execution.errors` and `comfy.execution.context` without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from comfy.execution.errors import (
    ComfyError,
    DependencyCycleError,
    DuplicateNodeError,
    InterruptProcessingException,
    NodeInputError,
    NodeNotFoundError,
    PromptValidationError,
)

if TYPE_CHECKING:
    from comfy.execution.executor import CACHE_POLICIES, PromptExecutor, ValidationResult

__all__ = [
    "CACHE_POLICIES",
    "ComfyError",
    "DependencyCycleError",
    "DuplicateNodeError",
    "InterruptProcessingException",
    "NodeInputError",
    "NodeNotFoundError",
    "PromptExecutor",
    "PromptValidationError",
    "ValidationResult",
]

_LAZY = {"CACHE_POLICIES", "PromptExecutor", "ValidationResult"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from comfy.execution import executor

        return getattr(executor, name)
    raise AttributeError(f"module 'comfy.execution' has no attribute {name!r}")

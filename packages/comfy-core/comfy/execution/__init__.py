"""The executor: runs API-format prompts through the Rust scheduler (`comfy._scheduler`)."""

from comfy.execution.errors import (
    ComfyError,
    DependencyCycleError,
    DuplicateNodeError,
    InterruptProcessingException,
    NodeInputError,
    NodeNotFoundError,
    PromptValidationError,
)
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

"""The engine's exception tree, declared once.

A node's own exception is never wrapped: it reaches the caller unchanged, with a note naming the
node. These classes cover what the engine itself raises.
"""

from __future__ import annotations

import json
from typing import Any


class ComfyError(Exception):
    """Base class of every error the engine raises itself."""


class PromptValidationError(ComfyError, ValueError):
    """A prompt failed validation. `str()` is the JSON ComfyUI's embedded client raises.

    `error` is the prompt-level error dict (`prompt_outputs_failed_validation`, ...) and
    `node_errors` the per-node errors, both in ComfyUI's exact shape.
    """

    def __init__(self, error: dict[str, Any] | None, node_errors: dict[str, Any] | None = None) -> None:
        self.error = error or {}
        self.node_errors = node_errors or {}
        super().__init__(json.dumps(self.node_errors or self.error))


class DependencyCycleError(ComfyError):
    """Nothing can run because the nodes left wait on each other (a cycle made by expansion)."""


class DuplicateNodeError(ComfyError):
    """An expansion added a node id that already exists."""


class NodeInputError(ComfyError):
    """A node asked (through `check_lazy_status`) for an input that is not connected."""


class NodeNotFoundError(ComfyError, KeyError):
    """A node id or class type is unknown."""


class InterruptProcessingException(ComfyError):
    """The running prompt was interrupted (`interrupt_current_processing`)."""


def full_type_name(klass: type) -> str:
    """`module.qualname` of an exception class; builtins by bare name (ComfyUI's format)."""
    module = klass.__module__
    if module == "builtins":
        return klass.__qualname__
    return f"{module}.{klass.__qualname__}"

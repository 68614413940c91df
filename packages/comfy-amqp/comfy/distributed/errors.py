"""What a distributed job's caller gets when the job produced no outputs.

A ``comfy.result`` whose ``error`` is set (``wire`` module docstring) becomes one of these:

- ``validation`` → ``comfy.execution.errors.PromptValidationError`` (the embedded client's
  ``ValueError`` whose message is ComfyUI's error JSON; ``.error`` and ``.node_errors``);
- ``interrupted`` → :class:`JobInterruptedError` (an ``InterruptProcessingException``, as the
  embedded client raises);
- ``cancelled`` → :class:`JobCancelledError` (the job was cancelled before it started);
- ``timeout`` → :class:`JobTimeoutError`;
- ``dead_lettered`` → :class:`JobDeadLetteredError` (it killed its workers, or expired);
- anything else (a node raised, a bad request) → :class:`RemoteExecutionError`.

Each carries ``prompt_id``, ``status`` (ComfyUI's ``ExecutionStatus.as_dict()``: what a frontend
answers with HTTP 500) and the raw ``result`` body.
"""

from __future__ import annotations

from typing import Any

from comfy.execution.errors import InterruptProcessingException, PromptValidationError

__all__ = [
    "DistributedJobError",
    "RemoteExecutionError",
    "JobInterruptedError",
    "JobCancelledError",
    "JobTimeoutError",
    "JobDeadLetteredError",
    "error_from_result",
]


class DistributedJobError(Exception):
    """Mixin of every error a distributed job reports."""

    prompt_id: str = ""
    status: dict[str, Any]
    result: dict[str, Any]

    def _attach(self, prompt_id: str, result: dict[str, Any]) -> None:
        self.prompt_id = prompt_id
        self.result = result
        self.status = result.get("status") or {"status_str": "error", "completed": False, "messages": []}


class RemoteExecutionError(DistributedJobError, RuntimeError):
    """The job failed on its worker (a node raised, or the request was malformed).

    ``exception_type`` and ``traceback`` are the worker's (``execution_error`` fields)."""

    def __init__(self, message: str, prompt_id: str = "", result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self._attach(prompt_id, result or {})
        error = self.result.get("error") or {}
        self.error_type: str = str(error.get("type", "execution"))
        self.exception_type: str = str(error.get("exception_type", ""))
        self.traceback: list[str] = list(error.get("traceback") or [])
        self.node_id: str | None = error.get("node_id")


class JobDeadLetteredError(RemoteExecutionError):
    """The broker dead-lettered the job: it was returned by dying workers more than the queue's
    ``x-delivery-limit`` times (a poison job), or it expired before a worker took it."""


class JobInterruptedError(DistributedJobError, InterruptProcessingException):
    """The job was interrupted while it ran (``interrupt``/``cancel``)."""

    def __init__(self, message: str, prompt_id: str = "", result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self._attach(prompt_id, result or {})


class JobCancelledError(JobInterruptedError):
    """The job was cancelled before a worker started it."""


class JobTimeoutError(DistributedJobError, TimeoutError):
    """The job ran (or waited) longer than its timeout."""

    def __init__(self, message: str, prompt_id: str = "", result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self._attach(prompt_id, result or {})


class _RemoteValidationError(DistributedJobError, PromptValidationError):
    pass


def error_from_result(result: dict[str, Any]) -> BaseException | None:
    """The exception for a ``comfy.result`` body, or None when it succeeded."""
    error = result.get("error")
    prompt_id = str(result.get("prompt_id", ""))
    if not error:
        status = (result.get("status") or {}).get("status_str")
        if status in (None, "success"):
            return None
        error = {"type": "execution", "message": f"the job ended with status {status!r}"}
    kind = error.get("type")
    message = str(error.get("message") or kind)
    if kind == "validation":
        validation = _RemoteValidationError(error.get("error"), error.get("node_errors"))
        validation._attach(prompt_id, result)
        return validation
    if kind == "interrupted":
        return JobInterruptedError(message, prompt_id, result)
    if kind == "cancelled":
        return JobCancelledError(message, prompt_id, result)
    if kind == "timeout":
        return JobTimeoutError(message, prompt_id, result)
    if kind == "dead_lettered":
        return JobDeadLetteredError(message, prompt_id, result)
    return RemoteExecutionError(message, prompt_id, result)

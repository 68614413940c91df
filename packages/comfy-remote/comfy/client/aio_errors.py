"""The exceptions of the remote client (``comfy.client.aio_client`` re-exports them).

One tree, every class a :class:`RuntimeError` (the reference client raised ``RuntimeError``, so
``except RuntimeError`` keeps working):

- :class:`ComfyClientError`: the base; any unexpected status (``.status_code``, ``.body``);
- :class:`PromptValidationError`: 400, ``.error`` is ComfyUI's error dict, ``.node_errors``;
- :class:`PromptExecutionError`: the prompt ran and failed, ``.status`` (and ``.prompt_id``);
- :class:`QueueFullError`: 429, ``.retry_after`` from the ``Retry-After`` header;
- :class:`ComfyConnectionError` (also a :class:`ConnectionError`): the server cannot be reached;
- :class:`ComfyTimeoutError` (also a :class:`TimeoutError`): the request or run took too long.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ComfyClientError",
    "ComfyConnectionError",
    "ComfyTimeoutError",
    "PromptExecutionError",
    "PromptValidationError",
    "QueueFullError",
]


class ComfyClientError(RuntimeError):
    """A request failed: the base class of every error of this client.

    ``status_code`` is the HTTP status (``None`` when no response came), ``body`` the decoded
    response body (a dict for JSON, else text, ``None`` when there was none).
    """

    def __init__(self, message: str, status_code: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class PromptValidationError(ComfyClientError):
    """The server rejected the prompt (400). ``error`` is ComfyUI's error dict, ``node_errors`` the
    ``{node_id: {"errors", "dependent_outputs", "class_type"}}`` map (empty when there is none)."""

    def __init__(self, error: dict[str, Any], node_errors: dict[str, Any] | None = None, status_code: int = 400) -> None:
        if node_errors is None:
            extra = error.get("extra_info") if isinstance(error, dict) else None
            node_errors = extra.get("node_errors", {}) if isinstance(extra, dict) else {}
        message = f"could not prompt: {status_code}: {error.get('message', '')}"
        if error.get("details"):
            message += f": {error['details']}"
        super().__init__(message, status_code, error)
        self.error = error
        self.node_errors = node_errors or {}


class PromptExecutionError(ComfyClientError):
    """The prompt was accepted, ran and failed (500 or 507). ``status`` is the execution status dict
    ``{"status_str": "error", "completed": False, "messages": [...], "error_details"?: {...}}``."""

    def __init__(self, status: dict[str, Any], status_code: int = 500, prompt_id: str | None = None) -> None:
        messages = status.get("messages") or []
        details = status.get("error_details") or {}
        summary = details.get("exception_message") or (messages[-1] if messages else "the prompt failed")
        super().__init__(f"prompt failed: {status_code}: {summary}", status_code, status)
        self.status = status
        self.prompt_id = prompt_id


class QueueFullError(ComfyClientError):
    """429: the server's queue is full. ``retry_after`` is the ``Retry-After`` header in seconds
    (``None`` when absent)."""

    def __init__(self, retry_after: float | None, body: Any = None) -> None:
        super().__init__(f"the server's queue is full (retry after {retry_after} s)", 429, body)
        self.retry_after = retry_after


class ComfyConnectionError(ComfyClientError, ConnectionError):
    """The server could not be reached (refused, DNS, reset, websocket failure)."""


class ComfyTimeoutError(ComfyClientError, TimeoutError):
    """The request did not finish within the client's timeout."""

"""Small HTTP helpers shared by the route modules: JSON bodies in and out, error dictionaries.

Responses are encoded with :func:`dumps`, which never fails on a value JSON lacks: a tensor or a
path in a node's UI output is written as its ``str()``, as ComfyUI's aiohttp server does.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "BodyError",
    "dumps",
    "error_dict",
    "json_response",
    "read_json",
]


def _default(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON; values JSON cannot hold are written as their `str()`."""
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(value: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A `Response` with `value` encoded by :func:`dumps` and `Content-Type: application/json`."""
    return Response(dumps(value), status_code=status_code, headers=headers, media_type="application/json")


def error_dict(type_: str, message: str, details: str = "", extra_info: dict[str, Any] | None = None) -> dict[str, Any]:
    """ComfyUI's `ValidationErrorDict`: `{"type", "message", "details", "extra_info"}`."""
    return {"type": type_, "message": message, "details": details, "extra_info": extra_info or {}}


class BodyError(ValueError):
    """The request body could not be read as what the route expects (an HTTP 400)."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def as_error(self, type_: str = "invalid_prompt") -> dict[str, Any]:
        return error_dict(type_, self.message, self.details)


def parse_json(body: bytes) -> Any:
    """`body` decoded as JSON; raises :class:`BodyError` for bad UTF-8, bad JSON or deep nesting."""
    try:
        return json.loads(body)
    except UnicodeDecodeError as e:
        raise BodyError("Cannot read the request body", f"the body is not UTF-8: {e}") from e
    except json.JSONDecodeError as e:
        raise BodyError("Cannot parse the request body as JSON", f"line {e.lineno} column {e.colno}: {e.msg}") from e
    except RecursionError as e:
        raise BodyError("Cannot parse the request body as JSON", "the JSON is nested too deeply") from e


async def read_json(request: Request, *, empty: Any = None) -> Any:
    """The request body as JSON (`empty` for an empty body); raises :class:`BodyError`."""
    body = await request.body()
    if not body.strip():
        return empty
    return parse_json(body)

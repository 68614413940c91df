"""Serve the aiohttp-style routes custom node packs register on ``PromptServer.instance.routes``.

Packs written for ComfyUI add HTTP routes with aiohttp's API (``@PromptServer.instance.routes.get
("/my_pack/x")``, ``app.router.add_get``, ``routes.static``); comfy-core's shim only records them
(:mod:`comfy.compat.prompt_server`). :func:`pack_routes` turns the recorded table into Starlette
routes, appended after the server's own so that the server's routes win a conflict (logged):

- handlers get an :class:`AiohttpRequest`, the part of ``aiohttp.web.Request`` packs use
  (``match_info``, ``query``/``rel_url.query``, ``await json()``/``post()``/``read()``/``text()``,
  ``headers``, ``method``, ``path``, ``content_type``, ``app``);
- what they return (or raise) becomes a Starlette response: this module's :func:`json_response`,
  :class:`Response`, :class:`FileResponse` (also ``web`` here, an ``aiohttp.web``-like namespace),
  real ``aiohttp.web`` responses and ``HTTPException`` s (read through ``.status``, ``.body``/
  ``.text``, ``.headers``, ``.content_type``), Starlette responses, and plain values (dict/list: JSON,
  str: text, bytes: octets, None: empty 200);
- ``routes.static(prefix, folder)`` is served from ``folder`` with path-escape protection.
"""

from __future__ import annotations

import inspect
import json
import logging
import mimetypes
import os
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse as StarletteFileResponse
from starlette.responses import Response as StarletteResponse
from starlette.routing import BaseRoute, Route

from comfy.folder_paths import PathEscapeError, safe_join

__all__ = ["AiohttpRequest", "FileField", "FileResponse", "Response", "json_response", "pack_routes", "to_starlette", "web"]

logger = logging.getLogger(__name__)

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


# --- aiohttp.web-like responses -----------------------------------------------------------------


class Response:
    """``aiohttp.web.Response``: ``body`` (bytes) or ``text``, ``status``, ``headers``, ``content_type``."""

    def __init__(
        self,
        *,
        body: bytes | str | None = None,
        status: int = 200,
        reason: str | None = None,
        text: str | None = None,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
        charset: str | None = None,
    ) -> None:
        if text is not None and body is not None:
            raise ValueError("body and text are not allowed together")
        self.status = int(status)
        self.reason = reason
        self.headers: dict[str, str] = dict(headers or {})
        self.charset = charset
        if text is not None:
            self.body: bytes = text.encode(charset or "utf-8")
            self.content_type = content_type or "text/plain"
        else:
            self.body = body.encode(charset or "utf-8") if isinstance(body, str) else (body or b"")
            self.content_type = content_type or self.headers.get("Content-Type") or "application/octet-stream"

    @property
    def text(self) -> str:
        return self.body.decode(self.charset or "utf-8", errors="replace")


def json_response(
    data: Any = None,
    *,
    text: str | None = None,
    body: bytes | None = None,
    status: int = 200,
    reason: str | None = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
    dumps: Callable[[Any], str] = json.dumps,
) -> Response:
    """``aiohttp.web.json_response``."""
    if text is None and body is None:
        text = dumps(data)
    return Response(text=text, body=body, status=status, reason=reason, headers=headers, content_type=content_type)


class FileResponse:
    """``aiohttp.web.FileResponse``: the file at ``path``."""

    def __init__(self, path: str | os.PathLike[str], chunk_size: int = 256 * 1024, status: int = 200, reason: str | None = None, headers: dict[str, str] | None = None) -> None:
        self._path = os.fspath(path)
        self.status = int(status)
        self.reason = reason
        self.headers: dict[str, str] = dict(headers or {})


class HTTPException(Response, Exception):
    """``aiohttp.web.HTTPException`` (raise or return): ``status_code`` of the subclass."""

    status_code = 500

    def __init__(self, *, text: str | None = None, body: bytes | None = None, headers: dict[str, str] | None = None, content_type: str | None = None, reason: str | None = None) -> None:
        Response.__init__(self, status=self.status_code, text=text if text is not None or body is not None else f"{self.status_code}", body=body, headers=headers, content_type=content_type, reason=reason)
        Exception.__init__(self, self.text)


def _http_error(name: str, code: int) -> type[HTTPException]:
    return type(name, (HTTPException,), {"status_code": code})


web = SimpleNamespace(
    Request=None,  # set below
    Response=Response,
    json_response=json_response,
    FileResponse=FileResponse,
    HTTPException=HTTPException,
    HTTPBadRequest=_http_error("HTTPBadRequest", 400),
    HTTPForbidden=_http_error("HTTPForbidden", 403),
    HTTPNotFound=_http_error("HTTPNotFound", 404),
    HTTPInternalServerError=_http_error("HTTPInternalServerError", 500),
)
"""An ``aiohttp.web``-like namespace of this module's responses, for packs without aiohttp."""


def _header_items(headers: Any) -> list[tuple[str, str]]:
    try:
        return [(str(k), str(v)) for k, v in headers.items()]
    except Exception:
        return []


def to_starlette(result: Any) -> StarletteResponse:
    """What an aiohttp-style handler returned (or raised), as a Starlette response."""
    if isinstance(result, StarletteResponse):
        return result
    if result is None:
        return StarletteResponse(status_code=200)
    if isinstance(result, (dict, list)):
        return StarletteResponse(json.dumps(result), media_type="application/json")
    if isinstance(result, str):
        return StarletteResponse(result, media_type="text/plain")
    if isinstance(result, (bytes, bytearray)):
        return StarletteResponse(bytes(result), media_type="application/octet-stream")
    status = int(getattr(result, "status", 200) or 200)
    headers = [(k, v) for k, v in _header_items(getattr(result, "headers", {}) or {}) if k.lower() not in ("content-length", "content-type")]
    path = getattr(result, "_path", None)
    if path is not None:  # FileResponse (ours or aiohttp's)
        path = os.fspath(path)
        if not os.path.isfile(path):
            return StarletteResponse(status_code=404)
        media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return StarletteFileResponse(path, status_code=status, headers=dict(headers), media_type=media_type)
    body: Any = getattr(result, "body", None)
    if body is None:
        text = getattr(result, "text", None)
        body = text.encode("utf-8") if isinstance(text, str) else b""
    elif not isinstance(body, (bytes, bytearray)):  # an aiohttp Payload
        body = getattr(body, "_value", None)
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, (bytes, bytearray)):
            body = b""
    content_type = getattr(result, "content_type", None) or "application/octet-stream"
    charset = getattr(result, "charset", None)
    if charset and "charset" not in content_type:
        content_type = f"{content_type}; charset={charset}"
    response = StarletteResponse(bytes(body), status_code=status, media_type=None)
    response.headers["content-type"] = content_type
    for key, value in headers:
        response.headers.append(key, value)
    return response


# --- aiohttp.web-like request -------------------------------------------------------------------


class MultiDictView:
    """A read-only multi-dict with aiohttp's ``getone``/``getall`` over Starlette's ``getlist``."""

    def __init__(self, items: Iterable[tuple[str, Any]]) -> None:
        self._items = list(items)

    def __getitem__(self, key: str) -> Any:
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def getone(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, default)
        if value is ...:
            raise KeyError(key)
        return value

    def getall(self, key: str, default: Any = ...) -> list[Any]:
        values = [v for k, v in self._items if k == key]
        if not values:
            if default is ...:
                raise KeyError(key)
            return default
        return values

    def __contains__(self, key: object) -> bool:
        return any(k == key for k, _ in self._items)

    def __iter__(self) -> Any:
        return iter(k for k, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[str]:
        return [k for k, _ in self._items]

    def values(self) -> list[Any]:
        return [v for _, v in self._items]

    def items(self) -> list[tuple[str, Any]]:
        return list(self._items)


class FileField:
    """An uploaded file of ``await request.post()`` (aiohttp's ``FileField``)."""

    def __init__(self, name: str, upload: UploadFile) -> None:
        self.name = name
        self.filename = upload.filename or ""
        self.file = upload.file
        self.content_type = upload.content_type or "application/octet-stream"
        self.headers = upload.headers


class AiohttpRequest:
    """A Starlette request with the parts of ``aiohttp.web.Request`` packs use."""

    def __init__(self, request: Request, app: Any = None) -> None:
        self._request = request
        self.app = app
        self.match_info: dict[str, str] = dict(request.path_params)
        self.method = request.method
        self.headers = request.headers
        self.path = request.url.path
        self.query = MultiDictView(request.query_params.multi_items())
        self.rel_url = SimpleNamespace(path=self.path, query=self.query, query_string=request.url.query, raw_path=self.path)
        self.url = request.url
        self.query_string = request.url.query
        self.cookies = request.cookies
        self.scheme = request.url.scheme
        self.host = request.headers.get("host", "")
        self.remote = request.client.host if request.client else None
        self._post: MultiDictView | None = None
        self._state: dict[str, Any] = {}

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "application/octet-stream").split(";")[0].strip()

    @property
    def can_read_body(self) -> bool:
        return self.method not in ("GET", "HEAD")

    body_exists = can_read_body

    async def read(self) -> bytes:
        return await self._request.body()

    async def text(self) -> str:
        return (await self.read()).decode("utf-8", errors="replace")

    async def json(self, *, loads: Callable[[str], Any] = json.loads) -> Any:
        return loads(await self.text())

    async def post(self) -> MultiDictView:
        if self._post is None:
            if self.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
                form = await self._request.form()
                self._post = MultiDictView((k, FileField(k, v) if isinstance(v, UploadFile) else v) for k, v in form.multi_items())
            else:
                self._post = MultiDictView(())
        return self._post

    # aiohttp requests are mutable mappings (middlewares stash values on them)
    def __getitem__(self, key: str) -> Any:
        return self._state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def get(self, key: str, default: Any = None) -> Any:
        return self._state.get(key, default)


web.Request = AiohttpRequest


# --- mounting -----------------------------------------------------------------------------------


def _endpoint(handler: Callable[..., Any], app: Any) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> StarletteResponse:
        try:
            result = handler(AiohttpRequest(request, app))
            if inspect.isawaitable(result):
                result = await result
        except Exception as e:
            if hasattr(e, "status") and (hasattr(e, "body") or hasattr(e, "text")):  # aiohttp HTTPException
                return to_starlette(e)
            logger.exception("custom node route %s %s failed", request.method, request.url.path)
            return StarletteResponse(f"500: {type(e).__name__}: {e}", status_code=500, media_type="text/plain")
        return to_starlette(result)

    return endpoint


def _static_endpoint(folder: str) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> StarletteResponse:
        try:
            path = safe_join(folder, request.path_params.get("path", ""))
        except PathEscapeError:
            return StarletteResponse(status_code=403)
        if not os.path.isfile(path):
            return StarletteResponse(status_code=404)
        return StarletteFileResponse(path, media_type=mimetypes.guess_type(path)[0] or "application/octet-stream")

    return endpoint


def _starlette_path(path: str) -> str:
    """aiohttp's ``{name:regex}`` has no Starlette twin: keep the name, drop the regex
    (``{tail:.*}`` becomes ``{tail:path}``)."""
    out, i = [], 0
    while i < len(path):
        if path[i] == "{":
            end = path.find("}", i)
            if end == -1:
                out.append(path[i:])
                break
            name, _, regex = path[i + 1 : end].partition(":")
            out.append("{" + name + (":path" if regex and ("/" in regex or ".*" in regex or ".+" in regex) else "") + "}")
            i = end + 1
        else:
            out.append(path[i])
            i += 1
    return "".join(out)


def _conflicts(route: Route, ours: list[BaseRoute]) -> BaseRoute | None:
    methods = set(route.methods or ())
    for existing in ours:
        regex = getattr(existing, "path_regex", None)
        if regex is None or not regex.match(route.path):
            continue
        their_methods = getattr(existing, "methods", None)
        if their_methods is None or not methods or methods & set(their_methods):
            return existing
    return None


def pack_routes(table: Iterable[Any], ours: list[BaseRoute], app: Any = None) -> list[Route]:
    """Starlette routes for a pack route table (``PromptServer.instance.routes``), each also under
    ``/api``; a route that one of ``ours`` already answers is left out (logged)."""
    from comfy.server.app import with_api_prefix

    mounted: list[Route] = []
    for item in table:
        if hasattr(item, "handler"):
            handler = item.handler
            if inspect.isclass(handler):
                logger.warning("custom node route %s %s: class-based views are not supported", item.method, item.path)
                continue
            method = str(item.method).upper()
            methods = list(_METHODS) if method == "*" else [method]
            route = Route(_starlette_path(str(item.path)), _endpoint(handler, app), methods=methods, include_in_schema=False)
        elif hasattr(item, "prefix"):
            prefix = "/" + str(item.prefix).strip("/")
            route = Route(prefix + "/{path:path}", _static_endpoint(str(item.path)), methods=["GET", "HEAD"], include_in_schema=False)
        else:
            continue
        for candidate in with_api_prefix(route):
            assert isinstance(candidate, Route)
            clash = _conflicts(candidate, ours)
            if clash is not None:
                logger.warning("custom node route %s %s is already served by the server: the server's route wins", ",".join(sorted(candidate.methods or ())), candidate.path)
                continue
            mounted.append(candidate)
    return mounted

"""The web UI at ``/``: the official ComfyUI frontend's static files (see
:mod:`comfy.server.frontend`).

- ``GET /`` → the build's ``index.html`` (``Cache-Control: no-cache``); without the ``ui`` extra,
  a short page (HTML for browsers, JSON otherwise) saying how to install it, with 404, so
  nothing mistakes it for the UI.
- ``GET /<file>`` for every file of the build (``/assets/…``, ``/scripts/…``, ``/extensions/core/…``,
  ``/fonts/…``), with ETags, long caching for content-hashed assets, gzip
  (:class:`~comfy.server.frontend.StaticFiles`).
- ``GET /user.css`` → an empty stylesheet when the build has none (the page links it; ComfyUI
  answers 404 there, which the browser reports as an error).

The static route matches only the build's own files (one dict lookup), so it never hides an
API route, a custom node pack's route or a 404/405 of another route, wherever it sits in the
routing table.

These routes serve the web UI, not API clients: they are left out of ``openapi.yaml``
(``include_in_schema=False``); their contract is the frontend's, documented here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

from comfy.server import frontend
from comfy.server.http import json_response

if TYPE_CHECKING:
    from starlette.datastructures import URLPath

    from comfy.server.state import ServerState

__all__ = ["StaticRoute", "routes", "missing_ui_response"]

logger = logging.getLogger(__name__)

_METHODS = ("GET", "HEAD")

MISSING_UI_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ComfyUI server</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>The web UI is not installed</h1>
<p>This server runs the ComfyUI API (<code>/api/v1/prompts</code>, <code>/prompt</code>, <code>/ws</code>, ...)
but the web interface is an optional extra. Install it and restart the server:</p>
<pre>{hint}</pre>
</body></html>
"""


def missing_ui_response(request: Request) -> Response:
    """What ``/`` answers when there is no frontend: how to install it (404)."""
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(MISSING_UI_PAGE.format(hint=frontend.INSTALL_HINT), status_code=404)
    return json_response(
        {"error": "the web UI is not installed", "install": frontend.INSTALL_HINT, "package": frontend.FRONTEND_DISTRIBUTION},
        404,
    )


class StaticRoute(BaseRoute):
    """Matches a GET or HEAD for one of the build's files and serves it."""

    def __init__(self, files: frontend.StaticFiles) -> None:
        self.files = files

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["method"] in _METHODS:
            relative = scope["path"][1:]
            if relative and relative in self.files:
                return Match.FULL, {"static_path": relative}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: object) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.files.response(scope["static_path"], Headers(scope=scope), scope["method"])
        await response(scope, receive, send)

    def __repr__(self) -> str:
        return f"StaticRoute(root={self.files.root!r}, files={len(self.files.files)})"


def routes(state: ServerState) -> list[BaseRoute]:
    """``/`` and the UI's files; without a frontend, ``/`` says how to install it."""
    root = frontend.find_frontend_root(state.configuration)
    if root is None:

        async def no_ui(request: Request) -> Response:
            return missing_ui_response(request)

        return [Route("/", no_ui, methods=list(_METHODS), include_in_schema=False)]
    files = frontend.StaticFiles(root)
    logger.info("web UI: %s (%d files)", root, len(files.files))

    async def index(request: Request) -> Response:
        return await files.response("index.html", request.headers, request.method)

    async def user_css(request: Request) -> Response:
        return Response(b"", media_type="text/css", headers={"cache-control": frontend.REVALIDATE})

    result: list[BaseRoute] = [Route("/", index, methods=list(_METHODS), include_in_schema=False), StaticRoute(files)]
    if "user.css" not in files:
        result.append(Route("/user.css", user_css, methods=list(_METHODS), include_in_schema=False))
    return result

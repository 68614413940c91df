"""ComfyUI's ``/internal`` routes, which only the web UI uses (its model library, the input
file picker and the terminal's log panel).

- ``GET /internal/folder_paths`` → ``{folder name: [paths]}`` of the model folders.
- ``GET /internal/files/{input|output|temp}`` → the file names in that folder, newest first
  (400 for another type).
- ``GET /internal/logs`` → the recent log lines of this process as one string;
  ``GET /internal/logs/raw`` → ``{"entries": [{"t": iso time, "m": line}], "size": {"cols",
  "rows"}}``; ``PATCH /internal/logs/subscribe {"enabled", "clientId"}`` → from then on, each
  new log record reaches that websocket client as a ``logs`` event with the same body.

The lines come from a bounded buffer (:class:`LogBuffer`, the last 1,000 records of level INFO
and above) fed by a handler on the root logger while the server runs.

These routes serve the web UI, not API clients: they are left out of ``openapi.yaml``
(``include_in_schema=False``); their contract is the frontend's, documented here.
"""

from __future__ import annotations

import collections
import datetime
import logging
import os
import shutil
import threading
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from comfy.server.http import BodyError, json_response, read_json

if TYPE_CHECKING:
    from comfy.server.state import ServerState

__all__ = ["LogBuffer", "files_by_mtime", "process_log_buffer", "routes"]

MAX_LOG_ENTRIES = 1000


def _terminal_size() -> dict[str, int]:
    size = shutil.get_terminal_size((80, 24))
    return {"cols": size.columns, "rows": size.lines}


class LogBuffer(logging.Handler):
    """The last ``capacity`` formatted records, and the websocket clients subscribed to new
    ones (``(connections, sid)``: one buffer serves every server of the process)."""

    def __init__(self, capacity: int = MAX_LOG_ENTRIES) -> None:
        super().__init__(logging.INFO)
        self.entries: collections.deque[dict[str, str]] = collections.deque(maxlen=capacity)
        self.subscribers: dict[tuple[int, str], tuple[Any, str]] = {}
        self._sending = threading.local()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._sending, "active", False):  # a record logged while we deliver one
            return
        try:
            entry = {"t": datetime.datetime.fromtimestamp(record.created).isoformat(), "m": self.format(record) + "\n"}
        except Exception:
            return
        self.entries.append(entry)
        if not self.subscribers:
            return
        self._sending.active = True
        try:
            body = {"entries": [entry], "size": _terminal_size()}
            for connections, sid in list(self.subscribers.values()):
                connections.send_sync("logs", body, sid)
        finally:
            self._sending.active = False

    def subscribe(self, connections: Any, sid: str, enabled: bool) -> None:
        if enabled:
            self.subscribers[(id(connections), sid)] = (connections, sid)
        else:
            self.subscribers.pop((id(connections), sid), None)

    def text(self) -> str:
        return "".join(e["m"] for e in list(self.entries))

    def raw(self) -> dict[str, Any]:
        return {"entries": list(self.entries), "size": _terminal_size()}


_lock = threading.Lock()


def process_log_buffer() -> LogBuffer:
    """The process's :class:`LogBuffer`, attached to the root logger on first use."""
    root = logging.getLogger()
    with _lock:
        for handler in root.handlers:
            if isinstance(handler, LogBuffer):
                return handler
        buffer = LogBuffer()
        root.addHandler(buffer)
        return buffer


def files_by_mtime(folder: str) -> list[str]:
    """The names of the files directly in ``folder``, newest first (``[]`` when it is missing)."""
    try:
        entries = [e for e in os.scandir(folder) if e.is_file()]
    except FileNotFoundError:
        return []
    entries.sort(key=lambda e: -e.stat().st_mtime)
    return [e.name for e in entries]


def routes(state: ServerState) -> list[BaseRoute]:
    folders = state.folders
    logs = process_log_buffer()

    async def folder_paths(request: Request) -> Response:
        return json_response({name: list(paths) for name, (paths, _) in folders.folder_names_and_paths.items()})

    async def files(request: Request) -> Response:
        kind = request.path_params["kind"]
        folder = folders.get_directory_by_type(kind)
        if folder is None:
            return json_response({"error": "Invalid directory type"}, 400)
        return json_response(await run_in_threadpool(files_by_mtime, folder))

    async def get_logs(request: Request) -> Response:
        return json_response(logs.text())

    async def get_raw_logs(request: Request) -> Response:
        return json_response(logs.raw())

    async def subscribe(request: Request) -> Response:
        try:
            body = await read_json(request, empty={})
        except BodyError as e:
            return json_response({"error": e.message}, 400)
        client_id = body.get("clientId") if isinstance(body, dict) else None
        if not isinstance(client_id, str) or not client_id:
            return json_response({"error": "clientId is required"}, 400)
        logs.subscribe(state.connections, client_id, bool(body.get("enabled")))
        return Response(status_code=200)

    return [
        Route("/internal/folder_paths", folder_paths, methods=["GET"], include_in_schema=False),
        Route("/internal/files/{kind}", files, methods=["GET"], include_in_schema=False),
        Route("/internal/logs", get_logs, methods=["GET"], include_in_schema=False),
        Route("/internal/logs/raw", get_raw_logs, methods=["GET"], include_in_schema=False),
        Route("/internal/logs/subscribe", subscribe, methods=["PATCH"], include_in_schema=False),
    ]

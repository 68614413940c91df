"""The web UI's static files: where they are and how they are served.

The official ComfyUI frontend is published on PyPI as ``comfyui-frontend-package`` (the
``comfy-server[ui]`` extra); its files live in the package's ``static/`` folder. The
configuration key ``front_end_root`` (or the ``COMFYUI_FRONT_END_ROOT`` environment variable)
points the server at another build instead, e.g. a frontend checkout's ``dist/``.

:class:`StaticFiles` indexes the folder once (a dict from URL path to file; a request for a
path that is not a file of the build costs one dict lookup and never touches the disk) and
serves each file with:

- an ``ETag`` (size and modification time) and ``Last-Modified``; ``If-None-Match`` and
  ``If-Modified-Since`` answer 304;
- ``Cache-Control: public, max-age=31536000, immutable`` for the build's content-hashed assets
  (``assets/index-B2rHQ9Sn.js``: a new build has new names), ``no-cache`` for everything else
  (``index.html``, the ``scripts/`` and ``extensions/`` shims), which the browser revalidates
  with the ETag;
- gzip for text (JavaScript, CSS, JSON, source maps, SVG, HTML) when the client accepts it,
  compressed once per file and kept in a bounded in-memory cache, so a page load costs no
  compression after the first visit (``GZipMiddleware`` would compress every response anew).
"""

from __future__ import annotations

import email.utils
import gzip
import logging
import mimetypes
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response

__all__ = [
    "FRONTEND_DISTRIBUTION",
    "INSTALL_HINT",
    "StaticFile",
    "StaticFiles",
    "find_frontend_root",
    "frontend_version",
    "package_static_root",
]

logger = logging.getLogger(__name__)

FRONTEND_DISTRIBUTION = "comfyui-frontend-package"
INSTALL_HINT = "pip install 'comfy-server[ui]'"
"""How to get the web UI (the official frontend's static files)."""

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

_HASHED_ASSET = re.compile(r"^assets/.+-[A-Za-z0-9_-]{8}\.[A-Za-z0-9.]+$")
"""Vite's output names: ``assets/<name>-<8-character content hash>.<ext>``."""

_COMPRESSIBLE = frozenset(
    {
        "application/javascript",
        "text/javascript",
        "text/css",
        "text/html",
        "application/json",
        "application/manifest+json",
        "image/svg+xml",
        "text/plain",
        "application/xml",
        "text/xml",
    }
)
_MEDIA_TYPES = {".js": "application/javascript", ".mjs": "application/javascript", ".map": "application/json", ".json": "application/json", ".woff2": "font/woff2", ".woff": "font/woff", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html", ".ico": "image/x-icon", ".wasm": "application/wasm"}

MIN_GZIP_BYTES = 1024
MAX_GZIP_FILE_BYTES = 32 * 1024 * 1024
"""Larger files are sent as they are (streamed from disk)."""
GZIP_CACHE_BYTES = 96 * 1024 * 1024
"""The most compressed bytes kept in memory (least recently used first out)."""


def package_static_root() -> str | None:
    """The ``static/`` folder of the installed ``comfyui-frontend-package``, or None."""
    try:
        import comfyui_frontend_package
    except ImportError:
        return None
    folder = os.path.join(os.path.dirname(os.path.abspath(comfyui_frontend_package.__file__)), "static")
    return folder if os.path.isfile(os.path.join(folder, "index.html")) else None


def find_frontend_root(configuration: Mapping[str, Any] | None = None) -> str | None:
    """The folder whose ``index.html`` the server serves at ``/``: ``front_end_root`` of the
    configuration, else ``$COMFYUI_FRONT_END_ROOT``, else the installed package's; None when
    there is none (the UI extra is not installed) or the chosen folder has no ``index.html``."""
    explicit = (configuration or {}).get("front_end_root") or os.environ.get("COMFYUI_FRONT_END_ROOT")
    if explicit:
        folder = os.path.abspath(os.path.expanduser(str(explicit)))
        if os.path.isfile(os.path.join(folder, "index.html")):
            return folder
        logger.warning("the front end root %s has no index.html; the web UI is off", folder)
        return None
    return package_static_root()


def frontend_version() -> str | None:
    """The installed ``comfyui-frontend-package`` version, or None."""
    try:
        return version(FRONTEND_DISTRIBUTION)
    except PackageNotFoundError:
        return None


@dataclass(frozen=True)
class StaticFile:
    """One file of the build, with the validators computed when the folder was indexed."""

    path: str
    size: int
    mtime: float
    media_type: str
    etag: str
    last_modified: str
    cache_control: str
    compressible: bool


def _media_type(name: str) -> str:
    ext = os.path.splitext(name)[1].lower()
    return _MEDIA_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _describe(relative: str, path: str, st: os.stat_result) -> StaticFile:
    media_type = _media_type(relative)
    return StaticFile(
        path=path,
        size=st.st_size,
        mtime=st.st_mtime,
        media_type=media_type,
        etag=f'"{st.st_size:x}-{st.st_mtime_ns:x}"',
        last_modified=email.utils.formatdate(st.st_mtime, usegmt=True),
        cache_control=IMMUTABLE if _HASHED_ASSET.match(relative) else REVALIDATE,
        compressible=media_type in _COMPRESSIBLE and MIN_GZIP_BYTES <= st.st_size <= MAX_GZIP_FILE_BYTES,
    )


def _index(root: str) -> dict[str, StaticFile]:
    """The files under ``root`` by ``/``-separated relative path; dotfiles and links that lead
    out of ``root`` are left out."""
    files: dict[str, StaticFile] = {}
    pending = [("", root)]
    while pending:
        prefix, folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                relative = prefix + entry.name
                path = entry.path
                if entry.is_symlink():
                    path = os.path.realpath(path)
                    if os.path.commonpath((root, path)) != root:
                        continue
                if entry.is_dir():
                    if not entry.is_symlink():
                        pending.append((relative + "/", path))
                elif entry.is_file():
                    files[relative] = _describe(relative, path, entry.stat())
    return files


_INDEXES: dict[str, dict[str, StaticFile]] = {}
_INDEX_LOCK = threading.Lock()


def static_index(root: str) -> dict[str, StaticFile]:
    """:func:`_index` of ``root``, computed once per process (a build's files do not change
    while it is served; every server of the process shares it)."""
    with _INDEX_LOCK:
        index = _INDEXES.get(root)
        if index is None:
            index = _INDEXES[root] = _index(root)
        return index


def _accepts_gzip(headers: Headers) -> bool:
    for part in headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _not_modified(headers: Headers, etag: str, mtime: float) -> bool:
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return int(mtime) <= since
    return False


class _GzipCache:
    """Compressed file bodies keyed by (path, size, mtime), at most ``limit`` bytes in all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._entries: OrderedDict[tuple[str, int, float], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, file: StaticFile) -> bytes:
        key = (file.path, file.size, file.mtime)
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
                return body
        with open(file.path, "rb") as f:
            body = gzip.compress(f.read(), compresslevel=6, mtime=0)
        with self._lock:
            if key not in self._entries and len(body) <= self.limit:
                self._entries[key] = body
                self.size += len(body)
                while self.size > self.limit:
                    _, dropped = self._entries.popitem(last=False)
                    self.size -= len(dropped)
        return body


GZIP_CACHE = _GzipCache(GZIP_CACHE_BYTES)
"""The process's compressed bodies (shared by its servers; keyed by file, size and mtime)."""


class StaticFiles:
    """The files under ``root``, by URL path (``"index.html"``, ``"assets/x.js"``); see the
    module docstring. Dotfiles and symlinks that lead out of ``root`` are left out; the index
    is read once per process (:func:`static_index`)."""

    def __init__(self, root: str, gzip_cache: _GzipCache | None = None) -> None:
        self.root = os.path.realpath(root)
        self.files = static_index(self.root)
        self._gzip = gzip_cache if gzip_cache is not None else GZIP_CACHE

    def __contains__(self, relative: str) -> bool:
        return relative in self.files

    def get(self, relative: str) -> StaticFile | None:
        return self.files.get(relative)

    async def response(self, relative: str, headers: Headers, method: str = "GET") -> Response:
        """The response for the file at ``relative`` (404 when it is not one of the build's)."""
        file = self.files.get(relative)
        if file is None:
            return Response(status_code=404)
        gzipped = file.compressible and _accepts_gzip(headers)
        etag = file.etag[:-1] + '-gz"' if gzipped else file.etag
        common = {"cache-control": file.cache_control, "etag": etag, "last-modified": file.last_modified}
        if file.compressible:
            common["vary"] = "Accept-Encoding"
        if _not_modified(headers, etag, file.mtime):
            return Response(status_code=304, headers=common)
        if gzipped:
            body = b"" if method == "HEAD" else await run_in_threadpool(self._gzip.get, file)
            response = Response(body, media_type=file.media_type, headers={**common, "content-encoding": "gzip"})
            if method == "HEAD":
                del response.headers["content-length"]
            return response
        if not os.path.isfile(file.path):
            return Response(status_code=404)
        return FileResponse(file.path, media_type=file.media_type, headers=common)

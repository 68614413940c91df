"""Per-user storage of the web UI: users, settings and user data files (ComfyUI's user manager
and app settings), all under the workspace's ``user/`` folder (:mod:`comfy.server.users`).

- ``GET /users`` → ``{"storage": "server", "migrated": bool}`` (single user) or
  ``{"storage": "server", "users": {id: name}}`` (``multi_user``); ``POST /users
  {"username"}`` → the new user's id (400 ``{"error"}`` for an empty, reserved or taken name).
- ``GET /settings`` → the user's ``comfy.settings.json`` (``{}`` when none);
  ``GET /settings/{id}`` → one value (``null`` when unset); ``POST /settings {…}`` merges;
  ``POST /settings/{id}`` sets one value (the body is its JSON).
- ``GET /userdata?dir=D[&recurse=true][&full_info=true][&split=true]`` → the files of ``D``
  (paths relative to ``D``; ``full_info``: ``{path, size, modified, created}`` with times in ms;
  ``split``: ``[path, *components]``); 400 without ``dir``. A folder that does not exist yet
  lists as ``[]`` (ComfyUI answers 404, which browsers print as an error on a fresh install).
- ``GET /v2/userdata[?path=P]`` → ``[{name, path, type: "file"|"directory", size?, modified?}]``
  of everything under ``P`` (directories first, then by name); 404 for a missing ``P``, 400 when
  ``P`` is not a directory.
- ``GET|POST|DELETE /userdata/{file}`` (``file`` URL-encoded, ``workflows%2Fa.json``): read (a
  download: ``Content-Disposition: attachment``, markup served as ``application/octet-stream``,
  except the user's ``user.css``, which the page links and which answers an empty stylesheet
  when missing), write the raw body (``?overwrite=false`` → 409 when it exists,
  ``?full_info=true`` → the file's info, else its path; written atomically), delete (204).
- ``POST /userdata/{file}/move/{dest}[?overwrite=false]`` → renames (404 missing source, 409).

Every name is checked by :meth:`UserDirectory.resolve`: escaping the user's folder (``..``,
absolute names, ``%2e%2e``, symlinks) is 403 (``/v2/userdata``: 400, as ComfyUI); an unknown
``Comfy-User`` is 403.

These routes serve the web UI, not API clients: they are left out of ``openapi.yaml``
(``include_in_schema=False``); their contract is the frontend's, documented here.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import shutil
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from comfy.server.http import BodyError, json_response, read_json
from comfy.server.users import UnknownUser, UserDirectory, UserPathError, write_atomically

if TYPE_CHECKING:
    from comfy.server.state import ServerState

__all__ = ["routes", "list_files", "list_tree"]

logger = logging.getLogger(__name__)

_MARKUP_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "text/javascript", "application/javascript", "text/css", "image/svg+xml", "text/xml", "application/xml"}
)


def _true(request: Request, name: str, default: str = "false") -> bool:
    return request.query_params.get(name, default).lower() == "true"


def _file_info(path: str, relative_to: str) -> dict[str, Any]:
    st = os.stat(path)
    return {
        "path": os.path.relpath(path, relative_to).replace(os.sep, "/"),
        "size": st.st_size,
        "modified": int(st.st_mtime * 1000),
        "created": int(st.st_ctime * 1000),
    }


def list_files(folder: str, recurse: bool, full_info: bool, split: bool) -> list[Any]:
    """The files in ``folder`` (``GET /userdata``'s body), sorted by path."""
    found: list[str] = []
    for current, dirs, names in os.walk(folder):
        dirs.sort()
        found.extend(os.path.join(current, n) for n in sorted(names) if os.path.isfile(os.path.join(current, n)))
        if not recurse:
            break
    result: list[Any] = []
    for path in found:
        if full_info:
            result.append(_file_info(path, folder))
            continue
        relative = os.path.relpath(path, folder).replace(os.sep, "/")
        result.append([relative, *relative.split("/")] if split else relative)
    return result


def list_tree(target: str, user_root: str) -> list[dict[str, Any]]:
    """Everything under ``target`` (``GET /v2/userdata``'s body), paths relative to ``user_root``."""
    entries: list[dict[str, Any]] = []
    for current, dirs, names in os.walk(target):
        for name in dirs:
            entries.append({"name": name, "path": os.path.relpath(os.path.join(current, name), user_root).replace(os.sep, "/"), "type": "directory"})
        for name in names:
            path = os.path.join(current, name)
            entry: dict[str, Any] = {"name": name, "path": os.path.relpath(path, user_root).replace(os.sep, "/"), "type": "file"}
            try:
                st = os.stat(path)
                entry["size"] = st.st_size
                entry["modified"] = st.st_mtime
            except OSError:
                pass
            entries.append(entry)
    entries.sort(key=lambda e: (e["type"] != "directory", e["name"].lower()))
    return entries


def _text(status: int, message: str) -> Response:
    return PlainTextResponse(message, status_code=status)


Handler = Callable[[Request], Awaitable[Response]]


def routes(state: ServerState) -> list[BaseRoute]:
    users = UserDirectory(state.folders.user_directory, multi_user=bool(state.configuration.get("multi_user")))

    def guarded(handler: Callable[[Request, str], Awaitable[Response]]) -> Handler:
        """Resolve the request's user first: an unknown user is 403."""

        async def endpoint(request: Request) -> Response:
            try:
                user = users.user_id(request.headers)
            except UnknownUser as e:
                return _text(403, f"Unknown user: {e.args[0]}")
            try:
                return await handler(request, user)
            except UserPathError:
                return _text(403, "Invalid path")

        return endpoint

    # --- users ---------------------------------------------------------------------------

    async def get_users(request: Request) -> Response:
        if users.multi_user:
            return json_response({"storage": "server", "users": users.users()})
        return json_response({"storage": "server", "migrated": os.path.isdir(users.user_root("default"))})

    async def post_users(request: Request) -> Response:
        try:
            body = await read_json(request, empty={})
        except BodyError as e:
            return json_response({"error": e.message}, 400)
        username = body.get("username") if isinstance(body, dict) else None
        if not isinstance(username, str):
            return json_response({"error": "username not provided"}, 400)
        try:
            user_id = await run_in_threadpool(users.add_user, username)
        except ValueError as e:
            return json_response({"error": str(e)}, 400)
        return json_response(user_id)

    # --- settings ------------------------------------------------------------------------

    async def get_settings(request: Request, user: str) -> Response:
        return json_response(await run_in_threadpool(users.read_settings, user))

    async def get_setting(request: Request, user: str) -> Response:
        settings = await run_in_threadpool(users.read_settings, user)
        return json_response(settings.get(request.path_params["id"]))

    async def post_settings(request: Request, user: str) -> Response:
        try:
            body = await read_json(request, empty={})
        except BodyError as e:
            return _text(400, e.message)
        if not isinstance(body, dict):
            return _text(400, "The settings must be a JSON object")
        await run_in_threadpool(users.update_settings, user, body)
        return Response(status_code=200)

    async def post_setting(request: Request, user: str) -> Response:
        try:
            value = await read_json(request)
        except BodyError as e:
            return _text(400, e.message)
        await run_in_threadpool(users.update_settings, user, {request.path_params["id"]: value})
        return Response(status_code=200)

    # --- listings ------------------------------------------------------------------------

    async def list_userdata(request: Request, user: str) -> Response:
        directory = request.query_params.get("dir", "")
        if not directory:
            return _text(400, "Directory not provided")
        folder = users.resolve(user, directory)
        if not os.path.exists(folder):
            return json_response([])
        if not os.path.isdir(folder):
            return _text(400, "Not a directory")
        body = await run_in_threadpool(list_files, folder, _true(request, "recurse"), _true(request, "full_info"), _true(request, "split"))
        return json_response(body)

    async def list_userdata_v2(request: Request, user: str) -> Response:
        requested = request.query_params.get("path", "")
        user_root = users.user_root(user)
        try:
            target = users.resolve(user, requested) if requested else user_root
        except UserPathError:
            return _text(400, "Invalid path requested")
        if not os.path.exists(target):
            if target == user_root:
                return json_response([])
            return _text(404, "Requested path not found")
        if not os.path.isdir(target):
            return _text(400, "Requested path is not a directory")
        try:
            return json_response(await run_in_threadpool(list_tree, target, user_root))
        except OSError:
            return _text(500, "Error reading directory contents")

    # --- files ---------------------------------------------------------------------------

    def names(request: Request) -> list[str]:
        """The URL-decoded segments after ``/userdata/`` of the raw path (``file`` or ``file``,
        ``move``, ``dest``), so an encoded ``%2F`` stays inside a name."""
        raw: bytes = (request.scope.get("raw_path") or b"").split(b"?", 1)[0]
        start = raw.find(b"/userdata/")
        if start < 0:  # no raw path, or "userdata" itself percent-encoded: the decoded name
            return [request.path_params["file"]]
        tail = raw[start + len(b"/userdata/") :]
        parts = tail.decode("utf-8", "replace").split("/")
        if len(parts) == 3 and parts[1] == "move":
            return [urllib.parse.unquote(parts[0]), "move", urllib.parse.unquote(parts[2])]
        return [urllib.parse.unquote(tail.decode("utf-8", "replace"))]

    async def get_file(request: Request, user: str, name: str) -> Response:
        path = users.resolve(user, name)
        user_root = users.user_root(user)
        if os.path.normpath(path) == os.path.join(user_root, "user.css"):
            if not os.path.isfile(path):
                return Response(b"", media_type="text/css", headers={"cache-control": "no-cache"})
            return FileResponse(path, media_type="text/css", headers={"X-Content-Type-Options": "nosniff", "Content-Disposition": "inline"})
        if not os.path.isfile(path):
            return _text(404, "File not found")
        media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if media_type in _MARKUP_TYPES:
            media_type = "application/octet-stream"
        headers = {"X-Content-Type-Options": "nosniff", "Content-Disposition": "attachment", "Cache-Control": "no-cache"}
        return FileResponse(path, media_type=media_type, headers=headers)

    async def post_file(request: Request, user: str, name: str) -> Response:
        path = users.resolve(user, name)
        overwrite = request.query_params.get("overwrite", "true") != "false"
        if not overwrite and os.path.exists(path):
            return _text(409, "File already exists")
        body = await request.body()

        def write() -> None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            # the folders just made could not have been links: check the whole path again
            users.resolve(user, name)
            write_atomically(path, body)

        try:
            await run_in_threadpool(write)
        except OSError as e:
            logger.warning("cannot save user file %s: %s", path, e)
            return _text(400, 'Invalid filename. Please avoid special characters like :\\/*?"<>|')
        return _saved(request, user, path)

    def _saved(request: Request, user: str, path: str) -> Response:
        user_root = users.user_root(user)
        if _true(request, "full_info"):
            return json_response(_file_info(path, user_root))
        return json_response(os.path.relpath(path, user_root).replace(os.sep, "/"))

    async def delete_file(request: Request, user: str, name: str) -> Response:
        path = users.resolve(user, name)
        if not os.path.isfile(path) and not os.path.islink(path):
            return _text(404, "File not found")
        await run_in_threadpool(os.remove, path)
        return Response(status_code=204)

    async def move_file(request: Request, user: str, source_name: str, dest_name: str) -> Response:
        source = users.resolve(user, source_name)
        dest = users.resolve(user, dest_name)
        if not os.path.isfile(source):
            return _text(404, "File not found")
        if request.query_params.get("overwrite", "true") == "false" and os.path.exists(dest):
            return _text(409, "File already exists")

        def move() -> None:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            users.resolve(user, dest_name)
            shutil.move(source, dest)

        try:
            await run_in_threadpool(move)
        except OSError as e:
            logger.warning("cannot move user file %s to %s: %s", source, dest, e)
            return _text(400, "Cannot move the file")
        return _saved(request, user, dest)

    async def userdata_file(request: Request, user: str) -> Response:
        parts = names(request)
        if not parts[0]:
            return _text(400, "File not provided")
        if len(parts) == 3:
            if request.method != "POST":
                return _text(405, "Method not allowed")
            return await move_file(request, user, parts[0], parts[2])
        if request.method in ("GET", "HEAD"):
            return await get_file(request, user, parts[0])
        if request.method == "POST":
            return await post_file(request, user, parts[0])
        return await delete_file(request, user, parts[0])

    return [
        Route("/users", get_users, methods=["GET"], include_in_schema=False),
        Route("/users", post_users, methods=["POST"], include_in_schema=False),
        Route("/settings", guarded(get_settings), methods=["GET"], include_in_schema=False),
        Route("/settings", guarded(post_settings), methods=["POST"], include_in_schema=False),
        Route("/settings/{id:path}", guarded(get_setting), methods=["GET"], include_in_schema=False),
        Route("/settings/{id:path}", guarded(post_setting), methods=["POST"], include_in_schema=False),
        Route("/userdata", guarded(list_userdata), methods=["GET"], include_in_schema=False),
        Route("/v2/userdata", guarded(list_userdata_v2), methods=["GET"], include_in_schema=False),
        Route("/userdata/{file:path}", guarded(userdata_file), methods=["GET", "HEAD", "POST", "DELETE"], include_in_schema=False),
    ]

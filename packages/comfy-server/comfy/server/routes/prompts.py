"""`/api/v1/prompts`: run a prompt and get its image or outputs back (`spec/api.md` §5, §6.3).

`POST /api/v1/prompts` takes the prompt as the JSON body, either bare (node id → node) or
wrapped as `{"prompt": {...}}` (the seed's curl, Python and browser examples), or as
`multipart/form-data` with a `prompt` part (a text field, or a part of type `application/json`)
and input files, which are written to the input folder (overwriting). Then:

- `Accept` picks the answer: `image/png` (or `image/*`) → the first image's file; JSON (or
  `*/*`, `application/*`, or no Accept) → `{"urls", "outputs", "prompt_id"}`. Lists with
  q-values are honoured; anything else → 400.
- `respond-async` anywhere in `Prefer`, `?prefer=`, the Content-Type or the Accept type makes
  the run asynchronous: 202 `{"prompt_id"}` with `Location: /api/v1/prompts/{id}` and
  `Retry-After`; poll `GET /api/v1/prompts/{id}` (204 while queued or running, 200 with the
  outputs, 500 with the status when it failed, 404 unknown).
- Otherwise the request waits for the run: 200 with the image (`Digest: SHA-256=<hex of the
  compact prompt JSON>`, `Location`, `Content-Disposition: filename="..."`) or the JSON; 204
  when an image was asked for and the prompt made none; 500 with `{"status_str": "error",
  "completed": false, "messages": [...], "error_details": {...}}` when it failed.
- 400 validation error (the ComfyUI error dict itself, not wrapped), 400 no prompt / bad body,
  413 body too large, 429 queue full (`Retry-After`), 503 shutting down, 507 disk full.

Where the reference server has quirks this follows the documented contract: JSON callers get 200
with empty `urls` for a prompt without images (not 204), a standalone server supports async mode,
execution errors answer 500, `Location` is an absolute path, multipart works with a boundary.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import mimetypes
import os
import shutil
import urllib.parse
from typing import TYPE_CHECKING, Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from comfy.folder_paths import PathEscapeError, safe_join
from comfy.server.history import status_as_strings
from comfy.server.http import BodyError, error_dict, json_response, parse_json
from comfy.server.queue import SHUTTING_DOWN
from comfy.server.security import RequestTooLarge, check_prompt_limits

if TYPE_CHECKING:
    from comfy.server.state import ServerState

__all__ = ["choose_media_type", "collect_images", "routes", "unwrap_prompt", "view_urls"]

RETRY_AFTER_SECONDS = 1
"""`Retry-After` of a 202 (poll interval) and of a 429."""

JSON = "application/json"
PNG = "image/png"


def choose_media_type(accept: str | None) -> str | None:
    """`application/json`, `image/png`, or None (not acceptable) for an `Accept` header."""
    if not accept or not accept.strip():
        return JSON
    candidates: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")):
        fields = part.split(";")
        media = fields[0].strip().lower().split("+", 1)[0]
        if not media:
            continue
        q = 1.0
        for parameter in fields[1:]:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if q > 0:
            candidates.append((-q, index, media))
    for _, _, media in sorted(candidates):
        if media in (JSON, "*/*", "application/*"):
            return JSON
        if media in (PNG, "image/*"):
            return PNG
    return None


def unwrap_prompt(body: Any) -> tuple[Any, dict[str, Any]]:
    """`(prompt, wrapper)` of a body that is a bare prompt or `{"prompt": {...}, ...}`.

    A body whose `prompt` value is itself a node (it has `class_type`) is a bare prompt with a
    node named "prompt"."""
    if isinstance(body, dict) and isinstance(body.get("prompt"), dict) and "class_type" not in body["prompt"]:
        return body["prompt"], body
    return body, {}


def collect_images(outputs: dict[str, Any]) -> list[dict[str, Any]]:
    """Every image file of `outputs`, in node order (`images`, or `ui.images`), temp ones too."""
    images: list[dict[str, Any]] = []
    for output in outputs.values():
        if not isinstance(output, dict):
            continue
        found = output.get("images")
        if found is None and isinstance(output.get("ui"), dict):
            found = output["ui"].get("images")
        if isinstance(found, list):
            images.extend(i for i in found if isinstance(i, dict) and i.get("filename"))
    return images


def view_urls(state: ServerState, image: dict[str, Any]) -> list[str]:
    """The two `/view` URLs of an image: this server's address, then `--external-address`."""
    query = urllib.parse.urlencode(
        {"filename": image.get("filename", ""), "subfolder": image.get("subfolder", "") or "", "type": image.get("type", "output")}
    )
    return [f"{state.local_address}/view?{query}", f"{state.external_address}/view?{query}"]


def _image_path(state: ServerState, image: dict[str, Any]) -> str | None:
    path = image.get("abs_path")
    if isinstance(path, str) and os.path.isfile(path):
        return path
    folder = state.folders.get_directory_by_type(str(image.get("type") or "output"))
    if folder is None:
        return None
    try:
        path = safe_join(folder, os.path.join(str(image.get("subfolder") or ""), str(image["filename"])))
    except (PathEscapeError, KeyError):
        return None
    return path if os.path.isfile(path) else None


def _empty(status: int, reason: str = "", headers: dict[str, str] | None = None) -> Response:
    if reason:
        return json_response(error_dict("bad_request" if status == 400 else "error", reason), status, headers)
    return Response(status_code=status, headers=headers)


def _is_disk_full(error: BaseException) -> bool:
    return isinstance(error, MemoryError) or (isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT))


def _save_upload(path: str, upload: UploadFile) -> None:
    """Write an uploaded file (a module function so tests can make the disk full)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    upload.file.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(upload.file, out, 1024 * 1024)


async def _read_multipart(state: ServerState, request: Request) -> tuple[Any, dict[str, Any]]:
    prompt: Any = None
    wrapper: dict[str, Any] = {}
    input_folder = state.folders.input_directory
    async with request.form(max_files=10_000, max_fields=10_000, max_part_size=state.max_upload_bytes) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                content_type = (value.content_type or "").split(";")[0].strip().lower().split("+", 1)[0]
                if content_type == JSON or (name == "prompt" and not value.filename):
                    prompt, wrapper = unwrap_prompt(parse_json(await value.read()))
                    continue
                if not value.filename:
                    continue
                try:
                    path = safe_join(input_folder, value.filename)
                except PathEscapeError as e:
                    raise BodyError("Invalid file name in the upload", str(e)) from e
                import anyio.to_thread

                await anyio.to_thread.run_sync(_save_upload, path, value)
            elif name == "prompt":
                prompt, wrapper = unwrap_prompt(parse_json(value.encode("utf-8")))
            elif name == "client_id":
                wrapper.setdefault("client_id", value)
    return prompt, wrapper


def _failure(entry: dict[str, Any]) -> Response:
    status = status_as_strings(entry.get("status") or {})
    details = status.get("error_details") or {}
    message = str(details.get("exception_message", ""))
    code = 507 if str(details.get("exception_type", "")).endswith(("OSError", "IOError")) and "[Errno 28]" in message else 500
    return json_response(status, code)


def routes(state: ServerState) -> list[BaseRoute]:
    queue = state.queue
    configuration = state.configuration

    async def post_prompts(request: Request) -> Response:
        if state.shutting_down:
            return _empty(503, "the server is shutting down")
        headers = request.headers
        accept_header = headers.get("accept") or JSON
        content_type = headers.get("content-type") or JSON
        preferences = " ".join((headers.get("prefer", ""), request.query_params.get("prefer", ""), content_type, accept_header))
        respond_async = "respond-async" in preferences
        accept = choose_media_type(accept_header)
        if accept is None:
            return _empty(400, f"invalid accept content type {accept_header!r}: use application/json or image/png")
        max_queue = configuration.get("max_queue_size")
        if max_queue is not None and queue.pending_count >= int(max_queue):
            return _empty(429, "the queue is full", {"Retry-After": str(RETRY_AFTER_SECONDS)})
        media = content_type.split(";", 1)[0].strip().lower().split("+", 1)[0]
        try:
            if media == "multipart/form-data":
                prompt, wrapper = await _read_multipart(state, request)
            else:
                body = await request.body()
                prompt, wrapper = unwrap_prompt(parse_json(body) if body.strip() else None)
        except RequestTooLarge:
            raise
        except BodyError as e:
            return json_response(e.as_error(), 400)
        except Exception as e:
            if _is_disk_full(e):
                return _empty(507, f"cannot store the upload: {e}")
            return json_response(error_dict("invalid_prompt", "Cannot read the request", str(e)), 400)
        if not prompt:
            return json_response(error_dict("no_prompt", "No prompt provided", "no prompt was specified"), 400)
        limit_error = check_prompt_limits(prompt, configuration)
        if limit_error is not None:
            return json_response(limit_error, 400)
        digest = hashlib.sha256(json.dumps(prompt, separators=(",", ":")).encode("utf-8")).hexdigest()
        validation = await queue.avalidate(prompt)
        if not validation.valid:
            return json_response(validation.error, 400)
        extra_data = dict(wrapper.get("extra_data") or {}) if isinstance(wrapper.get("extra_data"), dict) else {}
        if isinstance(wrapper.get("client_id"), str):
            extra_data["client_id"] = wrapper["client_id"]
        waiter = None if respond_async else asyncio.get_running_loop().create_future()
        try:
            item = queue.put(prompt, validation, extra_data=extra_data, waiter=waiter)
        except RuntimeError:
            return _empty(503, "the server is shutting down")
        location = f"/api/v1/prompts/{item.prompt_id}"
        if waiter is None:
            return json_response(
                {"prompt_id": item.prompt_id}, 202, {"Location": location, "Retry-After": str(RETRY_AFTER_SECONDS)}
            )
        entry = await waiter
        if entry is SHUTTING_DOWN:
            return _empty(503, "the server is shutting down")
        if entry is None:
            return json_response(
                {"status_str": "error", "completed": False, "messages": ["the prompt was removed from the queue"]}, 500
            )
        if entry["status"]["status_str"] != "success":
            return _failure(entry)
        outputs = entry["outputs"]
        images = collect_images(outputs)
        response_headers = {"Location": location, "Digest": f"SHA-256={digest}"}
        if accept == PNG:
            if not images:
                return Response(status_code=204, headers=response_headers)
            main_image = images[0]
            path = _image_path(state, main_image)
            if path is None:
                return json_response(error_dict("error", "The image file is gone", str(main_image.get("filename"))), 500)
            response_headers["Content-Disposition"] = f'filename="{main_image["filename"]}"'
            media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return FileResponse(path, media_type=media_type, headers=response_headers)
        if len(images) == 1:
            response_headers["Content-Disposition"] = f'filename="{images[0]["filename"]}"'
        urls = [url for image in images for url in view_urls(state, image)]
        return json_response({"urls": urls, "outputs": outputs, "prompt_id": item.prompt_id}, 200, response_headers)

    async def get_prompt(request: Request) -> Response:
        prompt_id = request.path_params.get("prompt_id") or ""
        if not prompt_id:
            return Response(status_code=404)
        entry = queue.history.get(prompt_id)
        if entry is not None:
            if entry["status"]["status_str"] != "success":
                return _failure(entry)
            return json_response(entry["outputs"])
        if queue.state_of(prompt_id) in ("pending", "running"):
            return Response(status_code=204, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return Response(status_code=404)

    async def get_last_prompt(request: Request) -> Response:
        entry = queue.history.last()
        if entry is None:
            return Response(status_code=404)
        return json_response(entry["prompt"][2])

    return [
        Route("/api/v1/prompts", post_prompts, methods=["POST"]),
        Route("/api/v1/prompts", get_last_prompt, methods=["GET"]),
        Route("/api/v1/prompts/{prompt_id}", get_prompt, methods=["GET"]),
    ]

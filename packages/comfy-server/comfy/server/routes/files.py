"""Workspace files over HTTP: ``GET /view``, ``POST /upload/image``, ``POST /upload/mask`` and
``GET /view_metadata/{folder}``.

As ComfyUI serves them (``spec/api.md`` §6), with these rules kept everywhere:

- A request never leaves its folder: ``filename``, ``subfolder`` and a mask's ``original_ref``
  go through :func:`comfy.folder_paths.safe_join` (``..``, absolute names and symlinks that lead
  out all give **403**; ComfyUI answers some of these with 400).
- ``type`` picks the ``output`` (``/view``'s default), ``input`` (the uploads' default) or
  ``temp`` folder of the server's workspace; any other type is **400**. A file name may carry
  ComfyUI's annotation (``"x.png [input]"``), which picks the folder instead, and folders
  (``a/b.png`` is ``b.png`` in ``a/``; ComfyUI's ``/view`` drops them).
- ``/view`` serves HTML, JavaScript, CSS, XML and SVG as ``application/octet-stream`` (ComfyUI
  does so for the first three), with ``X-Content-Type-Options: nosniff``, so a file in the
  workspace can never run script in the server's origin.
- Upload bodies larger than ``--max-upload-size`` MB are refused with **413**. A name that is
  taken gets `` (1)``, `` (2)``, … before its extension, unless ``overwrite`` is ``true``/``1``
  or the file there already holds the same bytes (then it is reused, as ComfyUI does). Names
  are claimed atomically, so concurrent uploads never overwrite each other.
- ``/upload/mask`` copies the uploaded image's alpha channel into the original named by
  ``original_ref`` and saves the result (PNG, the original's text chunks kept) under the
  uploaded name; a missing original is **404** (ComfyUI answers 200 and writes nothing) and a
  mask of another size is **400**.

``/view_metadata/{folder}?filename=x.safetensors`` answers the ``__metadata__`` object of a
safetensors file in a model folder (``checkpoints``, ``loras``, ...): only the 8-byte header
length and the JSON header are read, never the tensors. Unknown folders, missing files, other
extensions and headers without ``__metadata__`` are **404**; names that escape the folder are
**403**; a header longer than 100 MB or not valid JSON is **400**.

Pillow is imported only when a request needs it (``preview``, ``channel``, masks).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import mimetypes
import os
import tempfile
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from comfy.folder_paths import FolderPaths, PathEscapeError, safe_join

if TYPE_CHECKING:
    from comfy.server.state import ServerState

__all__ = ["routes", "content_disposition", "read_safetensors_metadata", "FORCED_DOWNLOAD_TYPES", "MAX_SAFETENSORS_HEADER"]

FORCED_DOWNLOAD_TYPES = frozenset(
    {
        "text/html",
        "text/html-sandboxed",
        "application/xhtml+xml",
        "text/javascript",
        "application/javascript",
        "text/css",
        "image/svg+xml",
        "text/xml",
        "application/xml",
    }
)
"""Media types ``/view`` never serves as themselves (they could run script in our origin)."""

_DIRECTORY_TYPES = ("output", "input", "temp")


class _Refused(Exception):
    """A request refused with ``status`` and a short plain-text reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> Response:
        return PlainTextResponse(self.reason, status_code=self.status)


def content_disposition(filename: str) -> str:
    """``filename="<name>"`` (ComfyUI's inline form), with an RFC 5987 ``filename*`` for
    names that are not plain ASCII."""
    name = filename.replace("\r", "").replace("\n", "")
    plain = name.encode("ascii", "replace").decode("ascii").replace("\\", "\\\\").replace('"', '\\"')
    value = f'filename="{plain}"'
    if plain != name:
        value += f"; filename*=UTF-8''{urllib.parse.quote(name, safe='')}"
    return value


def _split_annotation(name: str) -> tuple[str, str | None]:
    """``"x.png [input]"`` → ``("x.png", "input")``; an un-annotated name → ``(name, None)``."""
    for kind in _DIRECTORY_TYPES:
        suffix = f" [{kind}]"
        if name.endswith(suffix):
            return name[: -len(suffix)], kind
    return name, None


def _folder(folders: FolderPaths, kind: str, subfolder: str) -> str:
    """The workspace folder of ``kind`` (400 if unknown) joined with ``subfolder`` (403 if it escapes)."""
    directory = folders.get_directory_by_type(kind)
    if directory is None:
        raise _Refused(400, f"unknown type {kind!r} (use output, input or temp)")
    if not subfolder:
        return directory
    try:
        return safe_join(directory, subfolder)
    except PathEscapeError:
        raise _Refused(403, "subfolder leaves its folder") from None


def _join(folder: str, name: str) -> str:
    try:
        return safe_join(folder, name)
    except PathEscapeError:
        raise _Refused(403, "file name leaves its folder") from None


# --- GET /view ---------------------------------------------------------------------------------


def _preview_bytes(path: str, preview: str, channel: str) -> tuple[bytes, str]:
    """ComfyUI's ``preview=<format>;<quality>`` re-encoding: webp (the fallback, and whenever the
    alpha channel is wanted) or jpeg."""
    from PIL import Image

    parts = preview.split(";")
    image_format = parts[0].strip().lower()
    if image_format not in ("webp", "jpeg") or "a" in channel:
        image_format = "webp"
    quality = 90
    if parts[-1].strip().isdigit():
        quality = max(0, min(100, int(parts[-1].strip())))
    with Image.open(path) as opened:
        opened.load()
        out: Image.Image = opened
        if image_format == "jpeg" or channel == "rgb":
            out = opened.convert("RGB")
        elif opened.mode not in ("RGB", "RGBA"):
            out = opened.convert("RGBA" if _has_alpha(opened) else "RGB")
        buffer = io.BytesIO()
        out.save(buffer, format=image_format.upper(), quality=quality)
    return buffer.getvalue(), f"image/{image_format}"


def _has_alpha(img: Any) -> bool:
    return "A" in img.getbands() or "transparency" in img.info


def _channel_bytes(path: str, channel: str) -> bytes:
    """``channel=rgb`` (the colour channels) or ``channel=a`` (the alpha as an RGBA image with
    black colour, opaque when the file has none), as PNG."""
    from PIL import Image

    with Image.open(path) as img:
        img.load()
        if channel == "rgb":
            out = img.convert("RGBA").convert("RGB") if _has_alpha(img) else img.convert("RGB")
        else:
            alpha = img.convert("RGBA").getchannel("A") if _has_alpha(img) else Image.new("L", img.size, 255)
            out = Image.new("RGBA", img.size)
            out.putalpha(alpha)
        buffer = io.BytesIO()
        out.save(buffer, format="PNG")
    return buffer.getvalue()


def _view_path(folders: FolderPaths, query: Any) -> tuple[str, str]:
    """``(path, basename)`` of the file ``/view``'s query names (raises :class:`_Refused`)."""
    if "filename" not in query:
        raise _Refused(404, "no filename")
    name, annotated = _split_annotation(query["filename"])
    if not name:
        raise _Refused(400, "empty filename")
    folder = _folder(folders, annotated or query.get("type", "output"), query.get("subfolder", ""))
    path = _join(folder, name)
    if not os.path.isfile(path):
        raise _Refused(404, "file not found")
    return path, os.path.basename(os.path.normpath(name))


def _view(state: ServerState) -> Callable[[Request], Any]:
    async def view(request: Request) -> Response:
        query = request.query_params
        try:
            path, basename = _view_path(state.folders, query)
        except _Refused as refused:
            return refused.response()
        headers = {"Content-Disposition": content_disposition(basename), "X-Content-Type-Options": "nosniff"}
        channel = query.get("channel", "")
        try:
            if "preview" in query:
                body, media_type = await run_in_threadpool(_preview_bytes, path, query["preview"], channel)
                return Response(body, media_type=media_type, headers=headers)
            if channel in ("rgb", "a"):
                body = await run_in_threadpool(_channel_bytes, path, channel)
                return Response(body, media_type="image/png", headers=headers)
        except ImportError:
            return PlainTextResponse("Pillow is not installed: preview and channel are unavailable", status_code=501)
        except Exception as e:  # not an image Pillow can read or write
            return PlainTextResponse(f"cannot convert {basename!r}: {e}", status_code=400)
        media_type = mimetypes.guess_type(basename)[0] or "application/octet-stream"
        if media_type in FORCED_DOWNLOAD_TYPES:
            media_type = "application/octet-stream"
        return FileResponse(path, media_type=media_type, headers=headers)

    return view


# --- GET /view_metadata/{folder} ---------------------------------------------------------------

MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024
"""The largest safetensors JSON header ``/view_metadata`` reads (bytes)."""


def read_safetensors_metadata(path: str, limit: int = MAX_SAFETENSORS_HEADER) -> dict[str, Any] | None:
    """The ``__metadata__`` of the safetensors file at ``path`` (None when it has none). Reads
    the header only; raises ``ValueError`` for a header over ``limit`` bytes or not JSON."""
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) != 8:
            raise ValueError("not a safetensors file (too short)")
        length = int.from_bytes(prefix, "little")
        if length > limit:
            raise ValueError(f"safetensors header too large ({length} bytes)")
        header = f.read(length)
    if len(header) != length:
        raise ValueError("truncated safetensors header")
    try:
        parsed = json.loads(header)
    except (UnicodeDecodeError, ValueError):
        raise ValueError("the safetensors header is not JSON") from None
    if not isinstance(parsed, dict):
        raise ValueError("the safetensors header is not a JSON object")
    metadata = parsed.get("__metadata__")
    return metadata if isinstance(metadata, dict) else None


def _view_metadata(state: ServerState) -> Callable[[Request], Any]:
    async def view_metadata(request: Request) -> Response:
        folder = request.path_params["folder"]
        filename = request.query_params.get("filename", "")
        if not filename or not filename.endswith(".safetensors"):
            return PlainTextResponse("not found", status_code=404)
        if not state.folders.get_folder_paths(folder):
            return PlainTextResponse("not found", status_code=404)
        try:
            path = state.folders.get_full_path(folder, filename)
        except ValueError:  # PathEscapeError: absolute, or out through ..
            return PlainTextResponse("forbidden path", status_code=403)
        if path is None:
            return PlainTextResponse("not found", status_code=404)
        try:
            metadata = await run_in_threadpool(read_safetensors_metadata, path)
        except ValueError as e:
            return PlainTextResponse(str(e), status_code=400)
        except OSError:
            return PlainTextResponse("not found", status_code=404)
        if metadata is None:
            return PlainTextResponse("no metadata", status_code=404)
        return JSONResponse(metadata)

    return view_metadata


# --- POST /upload/image and /upload/mask -------------------------------------------------------


class _TooLarge(Exception):
    pass


async def _read_form(request: Request, limit: int) -> Any:
    """The request's multipart form, refusing (413) a body over ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _Refused(413, f"upload larger than the limit of {limit} bytes")
        except ValueError:
            raise _Refused(400, "bad Content-Length") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Refused(413, f"upload larger than the limit of {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise _Refused(400, "expected a multipart/form-data body")
    try:
        return await Request(request.scope, receive).form(max_files=8, max_fields=64)
    except Exception as e:  # malformed multipart: starlette raises HTTPException or MultiPartException
        raise _Refused(400, f"malformed form: {getattr(e, 'detail', None) or e}") from None


def _field(form: Any, name: str, default: str = "") -> str:
    value = form.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise _Refused(400, f"form field {name!r} must be text")
    return value


def _same_bytes(path: str, data: bytes) -> bool:
    try:
        if os.path.getsize(path) != len(data):
            return False
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return False
    return digest.digest() == hashlib.sha256(data).digest()


def _write_new(path: str, data: bytes) -> bool:
    """Create ``path`` holding ``data``; False if the name is taken."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return True


def _write_replacing(path: str, data: bytes) -> None:
    """Replace ``path`` atomically with ``data`` (readers see the old or the new file)."""
    fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _store(folder: str, filename: str, data: bytes, original: bytes, overwrite: bool) -> str:
    """Write ``data`` as ``folder/filename`` (or a free `` (n)`` variant); returns the name used.

    ``original`` is what the client uploaded: a taken name whose file already holds exactly
    these bytes is reused without writing.
    """
    path = _join(folder, filename)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.isdir(path):
        raise _Refused(400, f"{filename!r} is a folder")
    if overwrite:
        _write_replacing(path, data)
        return filename
    stem, extension = os.path.splitext(filename)
    candidate, counter = filename, 1
    while True:
        path = _join(folder, candidate)
        if _write_new(path, data):
            return candidate
        if os.path.isfile(path) and _same_bytes(path, original):
            return candidate
        candidate = f"{stem} ({counter}){extension}"
        counter += 1


def _composite_mask(folders: FolderPaths, original_ref: str, mask: bytes) -> bytes:
    """The original image named by ``original_ref`` with ``mask``'s alpha, as PNG bytes."""
    try:
        ref = json.loads(original_ref)
    except ValueError:
        raise _Refused(400, "original_ref is not JSON") from None
    if not isinstance(ref, dict) or not isinstance(ref.get("filename"), str) or not ref["filename"]:
        raise _Refused(400, "original_ref needs a filename")
    name, annotated = _split_annotation(ref["filename"])
    if not name:
        raise _Refused(400, "original_ref needs a filename")
    kind = annotated or ref.get("type") or "output"
    subfolder = ref.get("subfolder") or ""
    if not isinstance(kind, str) or not isinstance(subfolder, str):
        raise _Refused(400, "original_ref type and subfolder must be strings")
    path = _join(_folder(folders, kind, subfolder), name)
    if not os.path.isfile(path):
        raise _Refused(404, "the original image does not exist")
    try:
        from PIL import Image
        from PIL.PngImagePlugin import PngInfo
    except ImportError:
        raise _Refused(501, "Pillow is not installed: mask uploads are unavailable") from None
    try:
        with Image.open(path) as original_image:
            metadata = PngInfo()
            for key, value in (getattr(original_image, "text", None) or {}).items():
                metadata.add_text(key, value)
            original_rgba = original_image.convert("RGBA")
        with Image.open(io.BytesIO(mask)) as mask_image:
            alpha = mask_image.convert("RGBA").getchannel("A")
    except Exception as e:
        raise _Refused(400, f"cannot read the images: {e}") from None
    if alpha.size != original_rgba.size:
        raise _Refused(
            400, f"the mask is {alpha.size[0]}x{alpha.size[1]}, the original {original_rgba.size[0]}x{original_rgba.size[1]}"
        )
    original_rgba.putalpha(alpha)
    buffer = io.BytesIO()
    original_rgba.save(buffer, format="PNG", compress_level=4, pnginfo=metadata)
    return buffer.getvalue()


def _upload(state: ServerState, *, mask: bool) -> Callable[[Request], Any]:
    async def upload(request: Request) -> Response:
        form = None
        try:
            form = await _read_form(request, state.max_upload_bytes)
            image = form.get("image")
            if not isinstance(image, UploadFile):
                raise _Refused(400, "no image file in the form (field 'image')")
            filename = image.filename or ""
            if not filename:
                raise _Refused(400, "the image file has no name")
            kind = _field(form, "type", "input") or "input"
            subfolder = _field(form, "subfolder")
            overwrite = _field(form, "overwrite").lower() in ("true", "1")
            folder = _folder(state.folders, kind, subfolder)
            _join(folder, filename)  # 403 before reading anything else
            uploaded = await image.read()
            if mask:
                data = await run_in_threadpool(
                    _composite_mask, state.folders, _field(form, "original_ref"), uploaded
                )
            else:
                data = uploaded
            name = await run_in_threadpool(_store, folder, filename, data, uploaded, overwrite)
        except _Refused as refused:
            return refused.response()
        except OSError as e:
            return PlainTextResponse(f"cannot store the upload: {e.strerror or e}", status_code=_os_error_status(e))
        finally:
            if form is not None:
                await form.close()
        return JSONResponse({"name": name, "subfolder": subfolder, "type": kind})

    return upload


def _os_error_status(error: OSError) -> int:
    """507 for a full disk, 400 for a name the file system refuses, else 500."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return 507
    if error.errno in (errno.ENAMETOOLONG, errno.EINVAL, errno.EISDIR, errno.ENOTDIR, errno.EEXIST, errno.EILSEQ):
        return 400
    return 500


def routes(state: ServerState) -> list[BaseRoute]:
    """``/view``, ``/upload/image``, ``/upload/mask`` and ``/view_metadata/{folder}`` over ``state.folders``."""
    return [
        Route("/view", _view(state), methods=["GET"], name="view"),
        Route("/upload/image", _upload(state, mask=False), methods=["POST"], name="upload_image"),
        Route("/upload/mask", _upload(state, mask=True), methods=["POST"], name="upload_mask"),
        Route("/view_metadata/{folder}", _view_metadata(state), methods=["GET"], name="view_metadata"),
    ]

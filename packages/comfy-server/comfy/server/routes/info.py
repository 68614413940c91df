"""What the server knows about itself: nodes, models, system, features and its OpenAPI document.

``GET /object_info`` and ``/object_info/{node_class}`` (``{class: NodeInfo}`` or ``{}``, as
ComfyUI), ``/system_stats``, ``/features``, ``/embeddings``, ``/extensions`` (and the files it
lists, under ``/extensions/{name}/…``), ``/models``, ``/models/{folder}`` and ``/openapi.yaml``.

Node descriptions are computed per request, in a worker thread, with the server's workspace and
configuration current: ``LoadImage`` lists the server's ``input/`` folder, model loaders its
model folders. Nothing here imports torch: ``/system_stats`` reports torch and its CUDA devices
only when a node plugin has already loaded them.
"""

from __future__ import annotations

import glob
import importlib.resources
import json
import math
import mimetypes
import os
import sys
import urllib.parse
from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from comfy.cli_args import use_configuration
from comfy.folder_paths import PathEscapeError, safe_join, use_folder_paths
from comfy.nodes.object_info import node_info, object_info

if TYPE_CHECKING:
    from comfy.server.state import ServerState

__all__ = ["routes", "json_response", "system_stats", "openapi_document"]


def _finite(value: Any) -> Any:
    """``value`` with non-finite floats replaced by None (JSON has no ``Infinity``/``NaN``)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _jsonable(value: Any) -> Any:
    """Fallback for objects ``json`` cannot encode (a node's odd default): their ``str``."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def json_response(content: Any, status_code: int = 200) -> Response:
    """A JSON response that survives what node classes put in their descriptions."""
    try:
        body = json.dumps(content, ensure_ascii=False, allow_nan=False, default=_jsonable, separators=(",", ":"))
    except ValueError:
        body = json.dumps(_finite(content), ensure_ascii=False, default=_jsonable, separators=(",", ":"))
    return Response(body, status_code=status_code, media_type="application/json")


# --- /object_info --------------------------------------------------------------------------------


def _in_workspace(state: ServerState, fn: Callable[[], Any]) -> Callable[[], Any]:
    def call() -> Any:
        with use_configuration(state.configuration), use_folder_paths(state.folders):
            return fn()

    return call


def _object_info(state: ServerState) -> Callable[[Request], Any]:
    async def get_object_info(request: Request) -> Response:
        return json_response(await run_in_threadpool(_in_workspace(state, lambda: object_info(state.registry))))

    return get_object_info


def _object_info_node(state: ServerState) -> Callable[[Request], Any]:
    async def get_object_info_node(request: Request) -> Response:
        node_class = request.path_params["node_class"]
        cls = state.registry.get(node_class)
        if cls is None:
            return json_response({})

        def describe() -> dict[str, Any]:
            return {node_class: node_info(node_class, cls, state.registry.NODE_DISPLAY_NAME_MAPPINGS.get(node_class))}

        try:
            return json_response(await run_in_threadpool(_in_workspace(state, describe)))
        except Exception as e:  # the class's INPUT_TYPES raised
            return json_response({"error": f"cannot describe {node_class}: {e}"}, status_code=500)

    return get_object_info_node


# --- /system_stats, /features ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def _version() -> str:
    for distribution in ("comfy-server", "comfy-core"):
        try:
            return version(distribution)
        except PackageNotFoundError:
            continue
    return "0.0.0"


def _devices(torch: Any) -> list[dict[str, Any]]:
    """CUDA devices, only when torch is imported and CUDA already initialized (never loads them)."""
    if torch is None:
        return []
    try:
        if not torch.cuda.is_initialized():
            return []
        devices = []
        for index in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(index)
            stats = torch.cuda.memory_stats(index)
            reserved = int(stats.get("reserved_bytes.all.current", 0))
            active = int(stats.get("active_bytes.all.current", 0))
            devices.append(
                {
                    "name": f"cuda:{index} {torch.cuda.get_device_name(index)}",
                    "type": "cuda",
                    "index": index,
                    "vram_total": int(total),
                    "vram_free": int(free) + reserved - active,
                    "torch_vram_total": reserved,
                    "torch_vram_free": reserved - active,
                }
            )
        return devices
    except Exception:
        return []


def system_stats(modules: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``/system_stats``: ``{"system": {...}, "devices": [...]}`` as ComfyUI reports it.

    torch is looked up in ``modules`` (default ``sys.modules``), never imported.
    """
    import psutil

    if modules is None:
        modules = sys.modules
    memory = psutil.virtual_memory()
    system: dict[str, Any] = {
        "os": sys.platform,
        "ram_total": int(memory.total),
        "ram_free": int(memory.available),
        "comfyui_version": _version(),
        "python_version": sys.version,
        "embedded_python": os.path.basename(os.path.dirname(sys.executable)) == "python_embeded",
        "argv": list(sys.argv),
    }
    torch = modules.get("torch")
    if torch is not None:
        system["pytorch_version"] = str(torch.__version__)
    return {"system": system, "devices": _devices(torch)}


def _system_stats(state: ServerState) -> Callable[[Request], Any]:
    async def get_system_stats(request: Request) -> Response:
        return json_response(await run_in_threadpool(system_stats))

    return get_system_stats


def _features(state: ServerState) -> Callable[[Request], Any]:
    async def get_features(request: Request) -> Response:
        return json_response(state.feature_flags)

    return get_features


# --- /embeddings, /models ---------------------------------------------------------------------------


def _embeddings(state: ServerState) -> Callable[[Request], Any]:
    async def get_embeddings(request: Request) -> Response:
        names = await run_in_threadpool(state.folders.get_filename_list, "embeddings")
        return json_response([os.path.splitext(name)[0] for name in names])

    return get_embeddings


def _models(state: ServerState) -> Callable[[Request], Any]:
    async def list_model_types(request: Request) -> Response:
        return json_response(list(state.folders.folder_names_and_paths))

    return list_model_types


def _models_folder(state: ServerState) -> Callable[[Request], Any]:
    async def get_models(request: Request) -> Response:
        folder = request.path_params["folder"]
        if folder not in state.folders.folder_names_and_paths:
            return Response(status_code=404)
        return json_response(await run_in_threadpool(state.folders.get_filename_list, folder))

    return get_models


# --- /extensions -------------------------------------------------------------------------------------


def extension_files(web_dirs: dict[str, str]) -> list[str]:
    """``/extensions/<name>/<path>.js`` for every script under each node pack's web folder."""
    found = []
    for name, folder in web_dirs.items():
        scripts = glob.glob(os.path.join(glob.escape(folder), "**", "*.js"), recursive=True)
        for script in sorted(scripts):
            relative = os.path.relpath(script, folder).replace(os.sep, "/")
            found.append(f"/extensions/{urllib.parse.quote(name)}/{relative}")
    return found


def _extensions(state: ServerState) -> Callable[[Request], Any]:
    async def get_extensions(request: Request) -> Response:
        return json_response(await run_in_threadpool(extension_files, dict(state.registry.EXTENSION_WEB_DIRS)))

    return get_extensions


def _extension_file(state: ServerState) -> Callable[[Request], Any]:
    async def get_extension_file(request: Request) -> Response:
        folder = state.registry.EXTENSION_WEB_DIRS.get(request.path_params["name"])
        if folder is None:
            return Response(status_code=404)
        try:
            path = safe_join(folder, request.path_params["path"])
        except PathEscapeError:
            return Response(status_code=403)
        if not os.path.isfile(path):
            return Response(status_code=404)
        media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if path.endswith((".js", ".mjs")):
            media_type = "application/javascript"
        return FileResponse(path, media_type=media_type, headers={"X-Content-Type-Options": "nosniff"})

    return get_extension_file


# --- /openapi.yaml -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def openapi_document() -> bytes:
    """The bytes of ``comfy/api/openapi.yaml`` (package data of ``comfy-api``)."""
    return importlib.resources.files("comfy.api").joinpath("openapi.yaml").read_bytes()


def _openapi(state: ServerState) -> Callable[[Request], Any]:
    async def get_openapi(request: Request) -> Response:
        try:
            body = openapi_document()
        except FileNotFoundError:
            return Response(status_code=404)
        return Response(body, media_type="application/yaml")

    return get_openapi


def routes(state: ServerState) -> list[BaseRoute]:
    """The informational routes over ``state`` (see the module docstring)."""
    return [
        Route("/object_info", _object_info(state), methods=["GET"]),
        Route("/object_info/{node_class:path}", _object_info_node(state), methods=["GET"]),
        Route("/system_stats", _system_stats(state), methods=["GET"]),
        Route("/features", _features(state), methods=["GET"]),
        Route("/embeddings", _embeddings(state), methods=["GET"]),
        Route("/extensions", _extensions(state), methods=["GET"]),
        Route("/extensions/{name}/{path:path}", _extension_file(state), methods=["GET"]),
        Route("/models", _models(state), methods=["GET"]),
        Route("/models/{folder}", _models_folder(state), methods=["GET"]),
        Route("/openapi.yaml", _openapi(state), methods=["GET"]),
    ]

"""The routes the web UI reads besides the programmatic API: translations, workflow templates,
model listings, global subgraphs.

- ``GET /i18n`` → ``{lang: {...main.json, "nodeDefs": …, "commands": …, "settings": …}}`` merged
  from the ``locales/<lang>/`` folders of the loaded custom node packs (``{}`` when none).
- ``GET /workflow_templates`` → ``{pack: [workflow name, …]}`` for the JSON files in a loaded
  pack's ``*example*`` / ``*workflow*`` folders; ``GET /api/workflow_templates/{pack}/{file}``
  serves them.
- ``GET /templates/index.json`` (and ``index.<lang>.json``, ``index_logo.json``) → ``[]`` / ``{}``:
  the core template gallery lives in ComfyUI's ``comfyui-workflow-templates`` package, which
  this server does not ship; other ``/templates/…`` files are 404.
- ``GET /experiment/models`` → ``[{"name": folder, "folders": [paths]}]`` of the model folders
  (``configs`` and ``custom_nodes`` left out); ``GET /experiment/models/{folder}`` →
  ``[{"name", "pathIndex", "modified", "created", "size"}]`` of its model files (404 for an
  unknown folder).
- ``GET /global_subgraphs`` → ``{}`` (no subgraph blueprints are installed).

These routes serve the web UI, not API clients: they are left out of ``openapi.yaml``
(``include_in_schema=False``); their contract is the frontend's, documented here.
"""

from __future__ import annotations

import glob
import json
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from comfy.folder_paths import PathEscapeError, safe_join
from comfy.server.http import json_response

if TYPE_CHECKING:
    from comfy.server.state import ServerState

__all__ = ["routes", "pack_translations", "pack_workflow_templates", "model_files"]

logger = logging.getLogger(__name__)

LOCALE_EXTRA_FILES = ("nodeDefs.json", "commands.json", "settings.json")
"""Locale files merged into ``main.json`` under their base name (ComfyUI's custom node manager)."""
HIDDEN_MODEL_FOLDERS = ("configs", "custom_nodes")


def _pack_dirs(state: ServerState) -> list[tuple[str, str]]:
    """``(name, directory)`` of the loaded custom node packs that are packages."""
    packs = getattr(state.registry, "custom_node_packs", None) or []
    return [(p.name, p.path) for p in packs if getattr(p, "loaded", False) and os.path.isdir(p.path)]


def _load_json(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        logger.warning("cannot read %s: %s", path, e)
        return {}
    return value if isinstance(value, dict) else {}


def _merge(into: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def pack_translations(pack_dirs: list[tuple[str, str]]) -> dict[str, Any]:
    """The ``/i18n`` body for custom node packs at ``pack_dirs``."""
    translations: dict[str, Any] = {}
    for _, directory in sorted(pack_dirs, key=lambda p: p[1]):
        locales = os.path.join(directory, "locales")
        if not os.path.isdir(locales):
            continue
        for lang in sorted(os.listdir(locales)):
            lang_dir = os.path.join(locales, lang)
            if not os.path.isdir(lang_dir):
                continue
            found = _load_json(os.path.join(lang_dir, "main.json"))
            for extra in LOCALE_EXTRA_FILES:
                data = _load_json(os.path.join(lang_dir, extra))
                if data:
                    found[extra.split(".")[0]] = data
            if found:
                _merge(translations.setdefault(lang, {}), found)
    return translations


def _template_dirs(directory: str) -> list[str]:
    return sorted(
        d for pattern in ("*example*", "*workflow*") for d in glob.glob(os.path.join(glob.escape(directory), pattern)) if os.path.isdir(d)
    )


def pack_workflow_templates(pack_dirs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """The ``/workflow_templates`` body: ``{pack: [names]}``, packs without templates left out."""
    result: dict[str, list[str]] = {}
    for name, directory in pack_dirs:
        names = sorted({os.path.splitext(os.path.basename(f))[0] for d in _template_dirs(directory) for f in glob.glob(os.path.join(glob.escape(d), "*.json"))})
        if names:
            result[name] = names
    return result


def model_files(folders: list[str], extensions: set[str] | frozenset[str]) -> list[dict[str, Any]]:
    """``/experiment/models/{folder}``'s body for the model folder paths ``folders``."""
    result: list[dict[str, Any]] = []
    for index, folder in enumerate(folders):
        if not os.path.isdir(folder):
            continue
        for current, dirs, names in os.walk(folder, followlinks=True):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if name.startswith(".") or (extensions and os.path.splitext(name)[1].lower() not in extensions):
                    continue
                path = os.path.join(current, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                result.append(
                    {
                        "name": os.path.relpath(path, folder).replace(os.sep, "/"),
                        "pathIndex": index,
                        "modified": st.st_mtime,
                        "created": st.st_ctime,
                        "size": st.st_size,
                    }
                )
    return result


def routes(state: ServerState) -> list[BaseRoute]:
    folders = state.folders

    def cached(compute: Callable[[], Any]) -> Callable[[Request], Any]:
        """An endpoint answering ``compute()``'s JSON, computed on first use (packs load once)."""
        box: list[bytes] = []

        async def endpoint(request: Request) -> Response:
            if not box:
                box.append(bytes(json_response(await run_in_threadpool(compute)).body))
            return Response(box[0], media_type="application/json")

        return endpoint

    async def template_file(request: Request) -> Response:
        pack = request.path_params["pack"]
        for name, directory in _pack_dirs(state):
            if name != pack:
                continue
            for template_dir in _template_dirs(directory):
                try:
                    path = safe_join(template_dir, request.path_params["file"])
                except PathEscapeError:
                    return Response(status_code=403)
                if os.path.isfile(path):
                    return FileResponse(path, media_type="application/json" if path.endswith(".json") else None)
        return Response(status_code=404)

    async def core_templates(request: Request) -> Response:
        name = request.path_params["file"]
        if name == "index_logo.json":
            return json_response({})
        if name.startswith("index") and name.endswith(".json") and "/" not in name:
            return json_response([])
        return Response(status_code=404)

    async def model_folders(request: Request) -> Response:
        body = [
            {"name": name, "folders": folders.get_folder_paths(name)}
            for name in folders.folder_names_and_paths
            if name not in HIDDEN_MODEL_FOLDERS
        ]
        return json_response(body)

    async def models_in_folder(request: Request) -> Response:
        name = request.path_params["folder"]
        if name not in folders.folder_names_and_paths or name in HIDDEN_MODEL_FOLDERS:
            return Response(status_code=404)
        paths, extensions = folders.folder_names_and_paths[name]
        return json_response(await run_in_threadpool(model_files, list(paths), extensions))

    async def global_subgraphs(request: Request) -> Response:
        return json_response({})

    return [
        Route("/i18n", cached(lambda: pack_translations(_pack_dirs(state))), methods=["GET"], include_in_schema=False),
        Route("/workflow_templates", cached(lambda: pack_workflow_templates(_pack_dirs(state))), methods=["GET"], include_in_schema=False),
        Route("/api/workflow_templates/{pack}/{file:path}", template_file, methods=["GET"], include_in_schema=False),
        Route("/templates/{file:path}", core_templates, methods=["GET"], include_in_schema=False),
        Route("/experiment/models", model_folders, methods=["GET"], include_in_schema=False),
        Route("/experiment/models/{folder}", models_in_folder, methods=["GET"], include_in_schema=False),
        Route("/global_subgraphs", global_subgraphs, methods=["GET"], include_in_schema=False),
    ]

"""`create_app(configuration)`: the Starlette application of the server.

It loads the node plugins (unless a `registry` is given), builds the :class:`ServerState` (queue,
websocket connections, workspace folders) and collects the routes of every route module:
`comfy.server.routes.prompts`, `.classic`, `.health`, `.jobs`, `comfy.server.ws`, and, when they are
installed, `comfy.server.routes.files` and `comfy.server.routes.info`; last, the aiohttp-style routes
custom node packs registered on `server.PromptServer.instance.routes` (see
:mod:`comfy.server.aiohttp_compat`; on a path conflict the server's route wins). Each route answers at its
path and again under `/api` (`/prompt` and `/api/prompt`), as ComfyUI's server does; paths that
already start with `/api/` are not prefixed twice.

The app's lifespan starts the prompt workers (and binds `server.PromptServer.instance`, the
custom-node compatibility object, to this server's websockets and queue) and, at shutdown, stops them: pending prompts are
dropped, the running one is interrupted, requests waiting for a result get 503 and websockets are
closed (code 1001). `comfy.server.main.serve` runs it under uvicorn.

Two seams serve a distributed frontend (`comfy.distributed.frontend`), which runs prompts on remote
workers: `queue_factory` builds `state.queue` (anything with :class:`PromptQueueProtocol`'s
members) instead of the local :class:`PromptQueue`, and `extra_routes(state)` returns routes that
come before every module's (so they replace, e.g., `/object_info` or `/health`).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from comfy.cli_args_types import Configuration
from comfy.folder_paths import FolderPaths
from comfy.nodes.registry import NodeRegistry
from comfy.server.queue import PromptQueue, PromptQueueProtocol
from comfy.server.security import SecurityMiddleware
from comfy.server.state import ServerState
from comfy.server.ws import ConnectionManager

__all__ = ["ROUTE_MODULES", "OPTIONAL_ROUTE_MODULES", "create_app", "with_api_prefix"]

logger = logging.getLogger(__name__)

ROUTE_MODULES: tuple[str, ...] = (
    "comfy.server.routes.prompts",
    "comfy.server.routes.classic",
    "comfy.server.ws",
    "comfy.server.routes.health",
    "comfy.server.routes.jobs",
    "comfy.server.routes.userdata",
    "comfy.server.routes.webui",
    "comfy.server.routes.internal",
    "comfy.server.routes.ui",  # the web UI's static files: before info's /extensions/{name}/…
)
"""Route modules that are always there (the router tries routes in order: hot ones first)."""

OPTIONAL_ROUTE_MODULES: tuple[str, ...] = ("comfy.server.routes.files", "comfy.server.routes.info")
"""Route modules used when importable."""


def with_api_prefix(route: BaseRoute) -> list[BaseRoute]:
    """`route` and its twin under `/api` (none for paths that already start with `/api/`)."""
    path = getattr(route, "path", "")
    if not path or path.startswith("/api/") or path == "/api":
        return [route]
    twin: BaseRoute
    if isinstance(route, Route):
        twin = Route("/api" + path, route.endpoint, methods=list(route.methods or ()) or None, name=route.name, include_in_schema=route.include_in_schema)
    elif isinstance(route, WebSocketRoute):
        twin = WebSocketRoute("/api" + path, route.endpoint, name=route.name)
    elif isinstance(route, Mount):
        twin = Mount("/api" + path, app=route.app, name=route.name)
    else:
        return [route]
    return [route, twin]


def _import_route_module(name: str, optional: bool) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if optional and e.name == name:
            logger.debug("route module %s is not installed", name)
            return None
        raise


def _listen_host(configuration: Configuration) -> str:
    listen = str(configuration.get("listen") or "127.0.0.1")
    return listen.split(",")[0].strip() or "127.0.0.1"


def create_app(
    configuration: Configuration | None = None,
    *,
    registry: NodeRegistry | None = None,
    plugin_manager: Any = None,
    queue_factory: Callable[[Configuration, NodeRegistry, FolderPaths, ConnectionManager], PromptQueueProtocol] | None = None,
    extra_routes: Callable[[ServerState], list[BaseRoute]] | None = None,
) -> Starlette:
    """The server application for `configuration` (defaults when None); `registry` replaces the
    node classes the plugins would give; `queue_factory` and `extra_routes`: see the module
    docstring. The state is at `app.state.comfy`."""
    configuration = configuration if configuration is not None else Configuration()
    if plugin_manager is None:
        plugin_manager = registry.plugin_manager if registry is not None else None
    if plugin_manager is None and registry is None:
        from comfy.plugins.manager import make_plugin_manager

        plugin_manager = make_plugin_manager()
    folders = FolderPaths.from_configuration(configuration, plugin_manager=plugin_manager)
    if registry is None:
        from comfy.nodes.registry import load_registry

        registry = load_registry(configuration, plugin_manager=plugin_manager)
    connections = ConnectionManager()
    queue: PromptQueueProtocol
    if queue_factory is not None:
        queue = queue_factory(configuration, registry, folders, connections)
    else:
        queue = PromptQueue(
            configuration,
            registry,
            folders,
            connections,
            plugin_manager=plugin_manager,
            max_workers=int(configuration.get("max_workers") or 1),
        )
    state = ServerState(
        configuration=configuration,
        registry=registry,
        folders=folders,
        queue=queue,
        connections=connections,
        plugin_manager=plugin_manager,
        host=_listen_host(configuration),
        port=int(configuration.get("port") or 8188),
    )
    routes: list[BaseRoute] = []
    if extra_routes is not None:
        for route in extra_routes(state):
            routes.extend(with_api_prefix(route))
    for name in ROUTE_MODULES + OPTIONAL_ROUTE_MODULES:
        module = _import_route_module(name, optional=name in OPTIONAL_ROUTE_MODULES)
        if module is None:
            continue
        for route in module.routes(state):
            routes.extend(with_api_prefix(route))

    prompt_server = _prompt_server()
    if prompt_server is not None:
        state.on_prompt = prompt_server.trigger_on_prompt
        # the routes custom node packs recorded while the registry loaded, after ours (ours win)
        from comfy.server.aiohttp_compat import pack_routes

        routes.extend(pack_routes(prompt_server.routes, list(routes), app=prompt_server.app))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        import asyncio

        loop = asyncio.get_running_loop()
        connections.bind(loop, state)
        queue.start(loop)
        if prompt_server is not None:
            prompt_server.bind(connections.send_sync, loop=loop, prompt_queue=queue)
        try:
            yield
        finally:
            begin_shutdown(state)
            if prompt_server is not None and prompt_server.prompt_queue is queue:
                prompt_server.bind()
            import anyio.to_thread

            await anyio.to_thread.run_sync(queue.stop)

    app = Starlette(routes=routes, middleware=[Middleware(SecurityMiddleware, state=state)], lifespan=lifespan)
    app.state.comfy = state
    return app


def _prompt_server() -> Any:
    """ComfyUI's `server.PromptServer.instance` (comfy-core's compatibility shim for custom node
    packs), when there is one: the app binds its websocket sender, loop and queue to it, so a
    pack's `PromptServer.instance.send_sync(...)` outside a prompt reaches the clients, and runs
    its on-prompt handlers on each `POST /prompt` body."""
    try:
        from comfy.compat.prompt_server import PromptServer
    except ImportError:
        return None
    return PromptServer.instance


def begin_shutdown(state: ServerState) -> None:
    """Refuse new prompts (503), answer waiting requests with 503, interrupt the running prompt
    and close the websockets. Call on the event loop; idempotent."""
    state.shutting_down = True
    state.queue.begin_stop()
    state.connections.close_all(1001)

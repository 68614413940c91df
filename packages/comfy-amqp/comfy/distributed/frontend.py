"""The distributed frontend: ComfyUI's whole HTTP API, with the prompts running on remote workers.

    comfyui --distributed-queue-connection-uri=amqp://guest:guest@rabbit/ --distributed-queue-frontend

serves what a local `comfyui` serves (`comfy.server`), but loads no node plugin and needs neither
torch nor a GPU (`pip install comfy-server comfy-amqp`):

- the prompt queue is a :class:`~comfy.distributed.frontend_queue.DistributedPromptQueue`
  (validation with the workers' announced classes, results, progress, files, cluster-wide
  `/queue`, `/history`, cancel and interrupt);
- `/object_info` and `/object_info/{class}` answer with the classes the live workers announced
  (merged; see :class:`~comfy.distributed.frontend_schemas.NodeCatalog`);
- `/ready` is 200 while the frontend is connected to the broker and at least one worker is live;
  its body lists the workers and the number of known classes.

Output files come back inside the results and are written into this frontend's own workspace
(`--cwd`, `--output-directory`), so `/view` and `Accept: image/png` need no shared disk.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from comfy.cli_args_types import Configuration
from comfy.folder_paths import FolderPaths
from comfy.nodes.registry import NodeRegistry
from comfy.server.http import json_response
from comfy.server.state import ServerState
from comfy.server.ws import ConnectionManager
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .client import DistributedComfyClient
from .frontend_queue import DistributedPromptQueue

__all__ = ["create_frontend_app", "frontend_routes", "serve_frontend"]

logger = logging.getLogger(__name__)


def frontend_routes(state: ServerState) -> list[BaseRoute]:
    """The routes a frontend answers differently from a local server (they come first)."""
    queue = state.queue
    assert isinstance(queue, DistributedPromptQueue)
    catalog = queue.catalog

    async def get_object_info(request: Request) -> Response:
        if len(catalog) == 0:
            await queue.wait_for_classes()
        return json_response(catalog.object_info())

    async def get_object_info_node(request: Request) -> Response:
        node_class = request.path_params["node_class"]
        info = catalog.object_info().get(node_class)
        return json_response({} if info is None else {node_class: info})

    async def ready(request: Request) -> Response:
        reasons: list[str] = []
        if state.shutting_down:
            reasons.append("shutting down")
        if not queue.alive:
            reasons.append("not connected to the broker")
        workers = queue.client.cluster.live_workers()
        if not workers:
            reasons.append("no worker is live")
        max_queue = state.configuration.get("max_queue_size")
        if max_queue is not None and queue.pending_count >= int(max_queue):
            reasons.append("the queue is full")
        body: dict[str, Any] = {
            "status": "not_ready" if reasons else "ready",
            "nodes": len(catalog),
            "workers": len(workers),
            "worker_ids": sorted(w.worker_id for w in workers),
            "queue_remaining": queue.remaining,
            "uptime_s": round(time.time() - state.started_at, 3),
        }
        if reasons:
            body["reasons"] = reasons
        return json_response(body, 503 if reasons else 200)

    return [
        Route("/object_info", get_object_info, methods=["GET"]),
        Route("/object_info/{node_class}", get_object_info_node, methods=["GET"]),
        Route("/ready", ready, methods=["GET", "HEAD"]),
    ]


def create_frontend_app(configuration: Configuration | None = None, *, client: DistributedComfyClient | None = None) -> Starlette:
    """The server app of a distributed frontend (no node plugin is loaded). `client` replaces the
    one the configuration describes (`distributed_queue_connection_uri`, `distributed_queue_name`)."""
    from comfy.server.app import create_app

    configuration = configuration if configuration is not None else Configuration()

    def make_queue(config: Configuration, registry: NodeRegistry, folders: FolderPaths, connections: ConnectionManager) -> DistributedPromptQueue:
        return DistributedPromptQueue(config, folders, connections, client=client)

    return create_app(configuration, registry=NodeRegistry(), queue_factory=make_queue, extra_routes=frontend_routes)


def serve_frontend(configuration: Configuration) -> int:
    """`comfyui --distributed-queue-frontend`: serve until interrupted; returns the exit status.
    Start-up and shutdown as `comfy.server.main.serve`, without loading node plugins."""
    from comfy.server.main import prepare_workspace, run_app

    prepare_workspace(configuration)
    return run_app(create_frontend_app(configuration), configuration, banner="Starting distributed frontend")

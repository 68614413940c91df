"""`/health` (liveness) and `/ready` (readiness), for load balancers and orchestrators.

- `GET /health` → 200 `{"status": "ok"}` while the process serves HTTP; it needs no API key.
- `GET /ready` → 200 `{"status": "ready", ...}` when the node plugins are loaded, every prompt
  worker is running, the queue is below `--max-queue-size` and the server is not shutting down;
  otherwise 503 with `"status": "not_ready"` and the `reasons`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from comfy.server.http import json_response

if TYPE_CHECKING:
    from comfy.server.state import ServerState

__all__ = ["routes"]

_OK = b'{"status":"ok"}'


def routes(state: ServerState) -> list[BaseRoute]:
    async def health(request: Request) -> Response:
        return Response(_OK, media_type="application/json")

    async def ready(request: Request) -> Response:
        queue = state.queue
        reasons: list[str] = []
        if state.shutting_down:
            reasons.append("shutting down")
        if len(state.registry) == 0:
            reasons.append("no node classes are loaded")
        if not queue.alive:
            reasons.append("the prompt workers are not running")
        max_queue = state.configuration.get("max_queue_size")
        if max_queue is not None and queue.pending_count >= int(max_queue):
            reasons.append("the queue is full")
        body: dict[str, Any] = {
            "status": "not_ready" if reasons else "ready",
            "nodes": len(state.registry),
            "workers": queue.max_workers,
            "queue_remaining": queue.remaining,
            "uptime_s": round(time.time() - state.started_at, 3),
        }
        if reasons:
            body["reasons"] = reasons
        return json_response(body, 503 if reasons else 200)

    return [Route("/health", health, methods=["GET", "HEAD"]), Route("/ready", ready, methods=["GET", "HEAD"])]

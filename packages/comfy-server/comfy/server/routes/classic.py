"""The classic ComfyUI routes: `/prompt`, `/queue`, `/history`, `/interrupt`, `/free`.

Bodies and status codes are upstream ComfyUI's (`spec/api.md` §6):

- `GET /prompt` → `{"exec_info": {"queue_remaining": N}}` (queued plus running).
- `POST /prompt` `{"prompt", "client_id"?, "prompt_id"?, "extra_data"?, "number"?, "front"?,
  "partial_execution_targets"?}` → 200 `{"prompt_id", "number", "node_errors"}`; 400
  `{"error": {...}, "node_errors": {...}}` (`no_prompt` when `prompt` is missing). The prompt
  runs later; watch it on `/ws` or read `/history/{id}`. Custom node packs' on-prompt handlers
  (`PromptServer.instance.add_on_prompt_handler`) may rewrite the body first, as in ComfyUI. Also 429 past `--max-queue-size` and
  503 while shutting down, with the same body shape.
- `GET /queue` → `{"queue_running": [...], "queue_pending": [...]}` of arrays
  `[number, prompt_id, prompt, extra_data, good_outputs]`; `POST /queue {"clear"?, "delete"?}`.
- `GET /history?max_items=N&offset=M`, `GET /history/{id}` (`{id: entry}` or `{}`),
  `POST /history {"clear"?, "delete"?}`; entries as `comfy.server.history` describes.
- `POST /interrupt {"prompt_id"?}`: the running prompt (only that one when an id is given).
- `POST /free {"unload_models"?, "free_memory"?}`: applied after the running prompt.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from comfy.server.http import BodyError, error_dict, json_response, read_json
from comfy.server.security import check_prompt_limits

if TYPE_CHECKING:
    from comfy.server.state import ServerState

__all__ = ["routes"]

logger = logging.getLogger(__name__)


def _prompt_error(status: int, type_: str, message: str, details: str = "", headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": error_dict(type_, message, details), "node_errors": {}}, status, headers)


async def _object_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object (`{}` when empty); raises BodyError for anything else."""
    body = await read_json(request, empty={})
    if not isinstance(body, dict):
        raise BodyError("The request body must be a JSON object", f"got {type(body).__name__}")
    return body


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    return int(value)


def routes(state: ServerState) -> list[BaseRoute]:
    queue = state.queue
    configuration = state.configuration

    async def get_prompt(request: Request) -> Response:
        return json_response({"exec_info": {"queue_remaining": queue.remaining}})

    async def post_prompt(request: Request) -> Response:
        if state.shutting_down:
            return _prompt_error(503, "server_shutting_down", "The server is shutting down")
        try:
            body = await _object_body(request)
        except BodyError as e:
            return json_response({"error": e.as_error(), "node_errors": {}}, 400)
        if state.on_prompt is not None:
            body = state.on_prompt(body)
            if not isinstance(body, dict):
                return _prompt_error(400, "invalid_prompt", "An on-prompt handler returned no body")
        if "prompt" not in body:
            return _prompt_error(400, "no_prompt", "No prompt provided", "No prompt provided")
        max_queue = configuration.get("max_queue_size")
        if max_queue is not None and queue.pending_count >= int(max_queue):
            return _prompt_error(429, "queue_full", "The queue is full", f"at most {max_queue} prompts wait (--max-queue-size)", {"Retry-After": "1"})
        try:
            if "number" in body:
                number: float = float(body["number"])
            else:
                number = queue.next_number()
                if body.get("front"):
                    number = -number
        except (TypeError, ValueError) as e:
            return _prompt_error(400, "invalid_prompt", "Invalid number", str(e))
        prompt = body["prompt"]
        prompt_id = str(body.get("prompt_id") or uuid.uuid4())
        if queue.state_of(prompt_id) in ("pending", "running"):
            return _prompt_error(400, "invalid_prompt", "Duplicate prompt id", f"prompt {prompt_id} is already queued")
        limit_error = check_prompt_limits(prompt, configuration)
        if limit_error is not None:
            return json_response({"error": limit_error, "node_errors": {}}, 400)
        targets = body.get("partial_execution_targets")
        if targets is not None and not (isinstance(targets, list) and all(isinstance(t, str) for t in targets)):
            return _prompt_error(400, "invalid_prompt", "partial_execution_targets must be a list of node ids")
        validation = await queue.avalidate(prompt, targets)
        if not validation.valid:
            logger.info("invalid prompt: %s", validation.error)
            return json_response({"error": validation.error, "node_errors": validation.node_errors}, 400)
        extra_data = body.get("extra_data")
        extra_data = dict(extra_data) if isinstance(extra_data, dict) else {}
        if "client_id" in body:
            extra_data["client_id"] = body["client_id"]
        try:
            queue.put(prompt, validation, prompt_id=prompt_id, number=number, extra_data=extra_data, targets=targets)
        except RuntimeError:
            return _prompt_error(503, "server_shutting_down", "The server is shutting down")
        return json_response({"prompt_id": prompt_id, "number": number, "node_errors": validation.node_errors})

    async def get_queue(request: Request) -> Response:
        running, pending = queue.snapshot()
        return json_response({"queue_running": running, "queue_pending": pending})

    async def post_queue(request: Request) -> Response:
        try:
            body = await _object_body(request)
        except BodyError as e:
            return json_response(e.as_error("bad_request"), 400)
        if body.get("clear"):
            queue.wipe()
        delete = body.get("delete")
        if isinstance(delete, list):
            queue.delete(str(x) for x in delete)
        return Response(status_code=200)

    async def get_history(request: Request) -> Response:
        try:
            max_items = _int_param(request, "max_items")
            offset = _int_param(request, "offset")
        except ValueError as e:
            return json_response(error_dict("bad_request", "max_items and offset must be integers", str(e)), 400)
        return json_response(queue.history.page(max_items, -1 if offset is None else offset))

    async def get_history_entry(request: Request) -> Response:
        prompt_id = request.path_params["prompt_id"]
        entry = queue.history.get(prompt_id)
        return json_response({} if entry is None else {prompt_id: entry})

    async def post_history(request: Request) -> Response:
        try:
            body = await _object_body(request)
        except BodyError as e:
            return json_response(e.as_error("bad_request"), 400)
        if body.get("clear"):
            queue.history.clear()
        delete = body.get("delete")
        if isinstance(delete, list):
            queue.history.delete(str(x) for x in delete)
        return Response(status_code=200)

    async def post_interrupt(request: Request) -> Response:
        try:
            body = await _object_body(request)
        except BodyError:
            body = {}
        prompt_id = body.get("prompt_id")
        if prompt_id:
            if not queue.interrupt(str(prompt_id)):
                logger.info("not interrupting prompt %s: it is not running", prompt_id)
        else:
            queue.interrupt()
        return Response(status_code=200)

    async def post_free(request: Request) -> Response:
        try:
            body = await _object_body(request)
        except BodyError as e:
            return json_response(e.as_error("bad_request"), 400)
        if body.get("unload_models"):
            queue.set_flag("unload_models", True)
        if body.get("free_memory"):
            queue.set_flag("free_memory", True)
        return Response(status_code=200)

    return [
        Route("/prompt", get_prompt, methods=["GET"]),
        Route("/prompt", post_prompt, methods=["POST"]),
        Route("/queue", get_queue, methods=["GET"]),
        Route("/queue", post_queue, methods=["POST"]),
        Route("/history", get_history, methods=["GET"]),
        Route("/history", post_history, methods=["POST"]),
        Route("/history/{prompt_id}", get_history_entry, methods=["GET"]),
        Route("/interrupt", post_interrupt, methods=["POST"]),
        Route("/free", post_free, methods=["POST"]),
    ]

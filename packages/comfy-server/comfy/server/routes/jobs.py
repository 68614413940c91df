"""`GET /api/jobs` and `GET /api/jobs/{job_id}`: the server's prompts as jobs (ComfyUI's jobs API).

Jobs are built from the queue (pending and running prompts) and the history (finished ones):

- `status`: `pending`, `in_progress` (running), `completed` (history `success`), `cancelled`
  (an error entry whose messages hold `execution_interrupted`) or `failed` (any other error).
- `priority` is the queue number, `create_time` the `extra_data.create_time` (ms) the queue
  stamps on every prompt, `execution_start_time` / `execution_end_time` (ms) come from the
  `timestamp` of the history's `execution_start` and `execution_success` / `execution_error` /
  `execution_interrupted` messages (a running job's start is when a worker took it),
  `execution_error` is the `execution_error` message's data, `outputs_count` counts the output
  items (images, videos, ...), `preview_output` is the first image/video/audio output (with
  `nodeId` and `mediaType`), `workflow_id` is `extra_data.extra_pnginfo.workflow.id`.
- `GET /api/jobs/{job_id}` adds `outputs`, `execution_status` (the history `status`) and
  `workflow` `{prompt, extra_data}` for finished jobs; unknown ids are 404 `{"error": "Job not found"}`.

The list takes `status` (comma-separated), `workflow_id`, `sort_by` (`created_at`, the default, or
`execution_duration`), `sort_order` (`desc`, the default, or `asc`), `limit` (≥ 1) and `offset`
(≥ 0) and answers `{"jobs": [...], "pagination": {offset, limit, total, has_more}}`; a bad
parameter is 400 `{"error": str}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from comfy.server.http import json_response

if TYPE_CHECKING:
    from comfy.server.queue import QueuedPrompt
    from comfy.server.state import ServerState

__all__ = ["routes", "JOB_STATUSES", "job_from_history", "job_from_queue"]

JOB_STATUSES = ("pending", "in_progress", "completed", "failed", "cancelled")
SORT_FIELDS = ("created_at", "execution_duration")
SORT_ORDERS = ("asc", "desc")
_MEDIA_KEYS = (("images", "images"), ("video", "video"), ("videos", "video"), ("gifs", "video"), ("audio", "audio"))
_END_EVENTS = ("execution_success", "execution_error", "execution_interrupted")


def _workflow_id(extra_data: Any) -> str | None:
    if not isinstance(extra_data, dict):
        return None
    pnginfo = extra_data.get("extra_pnginfo")
    workflow = pnginfo.get("workflow") if isinstance(pnginfo, dict) else None
    workflow_id = workflow.get("id") if isinstance(workflow, dict) else None
    return str(workflow_id) if workflow_id is not None else None


def _create_time(extra_data: Any) -> int | None:
    value = extra_data.get("create_time") if isinstance(extra_data, dict) else None
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _base(prompt_id: str, status: str, number: Any, extra_data: Any) -> dict[str, Any]:
    job: dict[str, Any] = {"id": prompt_id, "status": status, "priority": number, "create_time": _create_time(extra_data), "outputs_count": 0}
    workflow_id = _workflow_id(extra_data)
    if workflow_id is not None:
        job["workflow_id"] = workflow_id
    return job


def job_from_queue(item: QueuedPrompt, status: str) -> dict[str, Any]:
    """A pending or running prompt as a job."""
    job = _base(item.prompt_id, status, item.number, item.extra_data)
    if status == "in_progress" and item.started_at is not None:
        job["execution_start_time"] = item.started_at
    return job


def _outputs_summary(outputs: Any) -> tuple[int, dict[str, Any] | None]:
    count = 0
    preview: dict[str, Any] | None = None
    if not isinstance(outputs, dict):
        return 0, None
    for node_id, node_output in outputs.items():
        if not isinstance(node_output, dict):
            continue
        for key, value in node_output.items():
            if key == "animated" or not isinstance(value, list):
                continue
            count += len(value)
            if preview is None:
                media = dict(_MEDIA_KEYS).get(key)
                if media is not None:
                    for item in value:
                        if isinstance(item, dict) and "filename" in item:
                            preview = {**item, "nodeId": str(node_id), "mediaType": media}
                            break
    return count, preview


def job_from_history(prompt_id: str, entry: dict[str, Any], *, detail: bool = False) -> dict[str, Any]:
    """A history entry as a job (`detail`: with `outputs`, `execution_status` and `workflow`)."""
    queue_tuple = entry.get("prompt") or [None, prompt_id, {}, {}, []]
    number = queue_tuple[0] if len(queue_tuple) > 0 else None
    prompt = queue_tuple[2] if len(queue_tuple) > 2 else {}
    extra_data = queue_tuple[3] if len(queue_tuple) > 3 else {}
    status = entry.get("status") or {}
    start = end = None
    error: dict[str, Any] | None = None
    interrupted = False
    for pair in status.get("messages") or ():
        if not isinstance(pair, (list, tuple)) or not pair:
            continue
        event = pair[0]
        data = pair[1] if len(pair) > 1 and isinstance(pair[1], dict) else {}
        timestamp = data.get("timestamp")
        if event == "execution_start" and isinstance(timestamp, (int, float)):
            start = int(timestamp)
        elif event in _END_EVENTS:
            if isinstance(timestamp, (int, float)):
                end = int(timestamp)
            if event == "execution_error":
                error = data
            elif event == "execution_interrupted":
                interrupted = True
    if status.get("status_str") == "success":
        job_status = "completed"
    else:
        job_status = "cancelled" if interrupted and error is None else "failed"
    job = _base(prompt_id, job_status, number, extra_data)
    if start is not None:
        job["execution_start_time"] = start
    if end is not None:
        job["execution_end_time"] = end
    if error is not None:
        job["execution_error"] = error
    outputs = entry.get("outputs") or {}
    job["outputs_count"], preview = _outputs_summary(outputs)
    if preview is not None:
        job["preview_output"] = preview
    if detail:
        job["outputs"] = outputs
        job["execution_status"] = status
        job["workflow"] = {"prompt": prompt, "extra_data": extra_data}
    return job


class _BadParam(ValueError):
    pass


def _int_param(query: Any, name: str, minimum: int) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise _BadParam(f"{name} must be an integer") from None
    if value < minimum:
        raise _BadParam(f"{name} must be at least {minimum}")
    return value


def _duration(job: dict[str, Any]) -> int:
    start, end = job.get("execution_start_time"), job.get("execution_end_time")
    return end - start if start is not None and end is not None else -1


def routes(state: ServerState) -> list[BaseRoute]:
    queue = state.queue

    def all_jobs() -> list[dict[str, Any]]:
        running, pending = queue.items()
        jobs = [job_from_queue(item, "pending") for item in pending]
        jobs += [job_from_queue(item, "in_progress") for item in running]
        jobs += [job_from_history(pid, entry) for pid, entry in queue.history.page().items()]
        return jobs

    async def list_jobs(request: Request) -> Response:
        query = request.query_params
        try:
            statuses: set[str] | None = None
            raw_status = query.get("status")
            if raw_status:
                statuses = {s.strip() for s in raw_status.split(",") if s.strip()}
                unknown = sorted(statuses - set(JOB_STATUSES))
                if unknown or not statuses:
                    raise _BadParam(f"invalid status {', '.join(unknown)!s}; expected some of {', '.join(JOB_STATUSES)}")
            sort_by = query.get("sort_by") or "created_at"
            if sort_by not in SORT_FIELDS:
                raise _BadParam(f"sort_by must be one of {', '.join(SORT_FIELDS)}")
            sort_order = (query.get("sort_order") or "desc").lower()
            if sort_order not in SORT_ORDERS:
                raise _BadParam("sort_order must be asc or desc")
            limit = _int_param(query, "limit", 1)
            offset = _int_param(query, "offset", 0) or 0
        except _BadParam as e:
            return json_response({"error": str(e)}, 400)
        workflow_id = query.get("workflow_id") or None
        jobs = all_jobs()
        if statuses is not None:
            jobs = [job for job in jobs if job["status"] in statuses]
        if workflow_id is not None:
            jobs = [job for job in jobs if job.get("workflow_id") == workflow_id]
        if sort_by == "execution_duration":
            jobs.sort(key=_duration, reverse=sort_order == "desc")
        else:
            jobs.sort(key=lambda job: job.get("create_time") or 0, reverse=sort_order == "desc")
        total = len(jobs)
        page = jobs[offset:] if limit is None else jobs[offset : offset + limit]
        return json_response(
            {"jobs": page, "pagination": {"offset": offset, "limit": limit, "total": total, "has_more": offset + len(page) < total}}
        )

    async def get_job(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        running, pending = queue.items()
        for item in running:
            if item.prompt_id == job_id:
                return json_response(job_from_queue(item, "in_progress"))
        for item in pending:
            if item.prompt_id == job_id:
                return json_response(job_from_queue(item, "pending"))
        entry = queue.history.get(job_id)
        if entry is None:
            return json_response({"error": "Job not found"}, 404)
        return json_response(job_from_history(job_id, entry, detail=True))

    return [
        Route("/api/jobs", list_jobs, methods=["GET"], name="list_jobs"),
        Route("/api/jobs/{job_id}", get_job, methods=["GET"], name="get_job"),
    ]

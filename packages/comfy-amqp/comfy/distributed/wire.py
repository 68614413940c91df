"""The wire contract of the distributed queue: names, message types, bodies and headers.

Everything on the wire is JSON (UTF-8, ``content_type=application/json``) except previews and
output-file chunks, which are binary bodies described by JSON-valued AMQP headers. No pickle.
Every message carries ``version`` (:data:`WIRE_VERSION`): in the JSON body and as the
``x-comfy-version`` header. A receiver ignores (and logs) a message of a newer major version.

Names (``Q`` = the queue name, ``--distributed-queue-name``, default ``comfyui``)
-------------------------------------------------------------------------------------
``Q``                    base job queue (durable quorum queue, classic where quorum is unavailable).
                         Anyone may publish a job here without knowing the cluster (STOMP
                         browsers: ``SEND /amq/queue/comfyui``). Workers *route* these jobs: each
                         is republished (confirmed) to a capability queue whose workers have all of
                         its node classes, then acked; a job no live worker can run gets an error
                         reply ``no_worker_for_nodes``.
``Q.nodes.<hash>``       capability queue: one per distinct node set. ``<hash>`` = first 16 hex
                         digits of sha256 of the sorted class_type names joined by ``\\n``
                         (:func:`nodes_hash`). Workers with the same plugins share it (competing
                         consumers, ``prefetch=1``). Python clients publish here directly when they
                         know the cluster's node sets (from announcements). Same arguments as ``Q``.
``Q.dlx`` / ``Q.dead``   dead-letter fanout exchange and its durable queue. Jobs that exceed
                         ``x-delivery-limit`` (a worker died running them, :data:`DELIVERY_LIMIT`
                         deliveries) or expire land here. Workers and clients consume ``Q.dead`` and
                         publish an ``error`` result (``dead_lettered``) to the job's ``reply_to``.
``Q.progress``           direct exchange for progress. Routing key = the job's ``client_id``:
                         progress reaches exactly the client that submitted the prompt. A Python
                         client binds its reply queue with its client ids; a STOMP browser
                         subscribes ``/exchange/Q.progress/<client_id>``.
``Q.cluster``            topic exchange for the cluster's own traffic (routing keys below).
``Q.reply.<uuid>``       a client's reply queue: durable (survives a broker restart with the replies
                         in it), not exclusive (survives a dropped connection), ``x-expires``
                         :data:`REPLY_QUEUE_EXPIRES_MS` so a crashed client's queue is deleted by
                         the broker; a client deletes its own on exit. Results, file chunks and
                         progress for that client arrive here, in order per worker.

Job queue arguments (every declarer uses :func:`job_queue_arguments`): ``x-queue-type=quorum``,
``x-delivery-limit``, ``x-dead-letter-exchange=Q.dlx``. Declaring an existing queue with other
arguments fails (``PRECONDITION_FAILED``), so declarers first declare passively and use what exists.

Messages (AMQP ``type`` property; JSON body fields; all bodies also carry ``version`` and ``type``)
---------------------------------------------------------------------------------------------------
``comfy.job`` (client -> ``Q`` or ``Q.nodes.<hash>``, persistent, ``correlation_id=prompt_id``,
``reply_to``=reply queue)::

    {"version": 1, "type": "comfy.job", "prompt_id": str, "prompt": {API prompt},
     "client_id": str, "extra_data": {...}, "partial_execution_targets": [ids] | null,
     "timeout": seconds | null, "submitted_at": epoch seconds, "progress": bool}

  ``progress`` (default true) false: the worker publishes no progress for this job (the caller has
  no handler; saves about ten messages per job). The reference's STOMP body ``{"request": {"prompt_id", "prompt", "user_token"}}`` is accepted too.

``comfy.result`` (worker -> ``reply_to``, persistent, ``correlation_id=prompt_id``)::

    {"version": 1, "type": "comfy.result", "prompt_id", "attempt": uuid of this run,
     "worker_id", "status": {"status_str": "success"|"error"|"cancelled"|"interrupted",
                             "completed": bool, "messages": [[event, data], ...]},
     "outputs": {node_id: ui dict},
     "files": [{"filename", "subfolder", "type", "size", "sha256", "chunks"}],
     "error": null | {"type": str, "message": str, "node_errors"?: {...}, "error"?: {...},
                      "traceback"?: [str]}}

  ``error.type``: ``validation`` (``error``/``node_errors`` in ComfyUI's exact shape),
  ``execution`` (a node raised; ``message`` is its message, ``exception_type`` its class),
  ``interrupted``, ``cancelled``, ``timeout``, ``dead_lettered``, ``no_worker_for_nodes``,
  ``bad_request``.

``comfy.file`` (worker -> ``reply_to``, persistent, binary body = one chunk of at most
:data:`FILE_CHUNK_BYTES`), headers ``x-comfy-prompt-id``, ``x-comfy-attempt``, ``x-comfy-file``
(index in ``files``), ``x-comfy-chunk``, ``x-comfy-chunks``, ``x-comfy-filename``,
``x-comfy-subfolder``, ``x-comfy-type``. Sent before the result of the same attempt; a client
keeps only the chunks whose attempt matches the result it accepts. Size threshold: a run whose
files total more than the worker's ``--distributed-queue-max-file-bytes`` (default
:data:`MAX_INLINE_FILE_BYTES`) sends only the file records (``size``, ``sha256``, no bytes,
``"stored": false``) and the outputs still name the files on the worker's disk.

``comfy.progress`` (worker -> ``Q.progress``/client_id, transient, ``expiration`` 60 s)::

    {"version": 1, "type": "comfy.progress", "prompt_id", "event": str, "data": {...}}

``comfy.preview`` (worker -> ``Q.progress``/client_id, transient): binary body = the encoded image
(JPEG or PNG); headers ``x-comfy-prompt-id``, ``x-comfy-event`` (``"preview"``),
``x-comfy-metadata`` (JSON text: ``{node_id, prompt_id, display_node_id, parent_node_id,
real_node_id, image_type}``), ``content_type`` = the image's mime type.
``comfy.text`` likewise for ``BinaryEventTypes.TEXT`` (body = the packed TEXT payload).

Cluster topic exchange ``Q.cluster`` (JSON bodies, transient):

- ``worker.announce``  ``{worker_id, queue, nodes_hash, nodes: [class_type], object_info, busy,
  prompt_id, heartbeat_seconds, started_at}`` on start and when asked;
- ``worker.heartbeat`` ``{worker_id, queue, nodes_hash, busy, prompt_id, heartbeat_seconds}``
  every ``heartbeat_seconds``; a worker unheard for 3 heartbeats is gone;
- ``worker.bye``       ``{worker_id}`` on a clean stop;
- ``worker.hello``     ``{client_id}``: asks every worker to announce itself;
- ``control.cancel``   ``{prompt_ids: [...]}``: a worker running one of them interrupts it (result
  ``interrupted``); every worker remembers the ids for :data:`CANCEL_MEMORY_SECONDS` and answers
  ``cancelled`` without running when it picks one of them up;
- ``control.interrupt`` ``{prompt_ids: [...]}``: interrupt only (a queued job still runs);
- ``job.queued`` ``{prompt_id, client_id, queue, prompt, submitted_at}`` (by the submitter),
  ``job.started`` ``{prompt_id, client_id, worker_id, started_at}``,
  ``job.finished`` ``{prompt_id, client_id, worker_id, status, outputs, finished_at}`` (by the
  worker; also for ``cancelled`` and dead-lettered jobs): any frontend can show the cluster's
  ``/queue`` and ``/history``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = [
    "WIRE_VERSION",
    "DEFAULT_QUEUE_NAME",
    "DELIVERY_LIMIT",
    "FILE_CHUNK_BYTES",
    "MAX_INLINE_FILE_BYTES",
    "REPLY_QUEUE_EXPIRES_MS",
    "PROGRESS_EXPIRATION_MS",
    "CANCEL_MEMORY_SECONDS",
    "HEARTBEAT_SECONDS",
    "JOB",
    "RESULT",
    "FILE",
    "PROGRESS",
    "PREVIEW",
    "TEXT",
    "CLUSTER",
    "Names",
    "nodes_hash",
    "prompt_class_types",
    "job_queue_arguments",
    "dumps",
    "loads",
    "job_body",
    "parse_job",
    "status_dict",
    "error_result",
    "header",
]

WIRE_VERSION: Final = 1
"""The contract's version; every message carries it (body ``version``, header ``x-comfy-version``)."""
DEFAULT_QUEUE_NAME: Final = "comfyui"
DELIVERY_LIMIT: Final = 2
"""``x-delivery-limit`` of the job queues: a job is dead-lettered when it has been returned (its
worker died or lost its connection) more than this many times."""
FILE_CHUNK_BYTES: Final = 1 << 20
"""Output files travel in binary chunks of at most this many bytes."""
MAX_INLINE_FILE_BYTES: Final = 256 << 20
"""Default threshold: a run's output files are sent only while they total at most this much."""
REPLY_QUEUE_EXPIRES_MS: Final = 10 * 60 * 1000
"""A reply queue nobody uses for this long is deleted by the broker."""
PROGRESS_EXPIRATION_MS: Final = 60_000
"""Progress and previews nobody reads within this time are dropped by the broker."""
CANCEL_MEMORY_SECONDS: Final = 3600.0
HEARTBEAT_SECONDS: Final = 2.0

# message types (the AMQP ``type`` property and the body's ``type``)
JOB: Final = "comfy.job"
RESULT: Final = "comfy.result"
FILE: Final = "comfy.file"
PROGRESS: Final = "comfy.progress"
PREVIEW: Final = "comfy.preview"
TEXT: Final = "comfy.text"
CLUSTER: Final = "comfy.cluster"

# routing keys on the cluster exchange
ANNOUNCE: Final = "worker.announce"
HEARTBEAT: Final = "worker.heartbeat"
BYE: Final = "worker.bye"
HELLO: Final = "worker.hello"
CANCEL: Final = "control.cancel"
INTERRUPT: Final = "control.interrupt"
JOB_QUEUED: Final = "job.queued"
JOB_STARTED: Final = "job.started"
JOB_FINISHED: Final = "job.finished"

# header names
H_VERSION: Final = "x-comfy-version"
H_PROMPT_ID: Final = "x-comfy-prompt-id"
H_CLIENT_ID: Final = "x-comfy-client-id"
H_ATTEMPT: Final = "x-comfy-attempt"
H_EVENT: Final = "x-comfy-event"
H_METADATA: Final = "x-comfy-metadata"
H_FILE: Final = "x-comfy-file"
H_CHUNK: Final = "x-comfy-chunk"
H_CHUNKS: Final = "x-comfy-chunks"
H_FILENAME: Final = "x-comfy-filename"
H_SUBFOLDER: Final = "x-comfy-subfolder"
H_FILE_TYPE: Final = "x-comfy-type"
H_ROUTED: Final = "x-comfy-routed-by"


class Names:
    """Every exchange and queue name derived from one queue name."""

    def __init__(self, queue_name: str = DEFAULT_QUEUE_NAME) -> None:
        if not queue_name or len(queue_name) > 200:
            raise ValueError(f"invalid queue name {queue_name!r}")
        self.queue = queue_name
        self.dead_letter_exchange = f"{queue_name}.dlx"
        self.dead_letter_queue = f"{queue_name}.dead"
        self.progress_exchange = f"{queue_name}.progress"
        self.cluster_exchange = f"{queue_name}.cluster"

    def capability_queue(self, digest: str) -> str:
        return f"{self.queue}.nodes.{digest}"

    def reply_queue(self, token: str) -> str:
        return f"{self.queue}.reply.{token}"

    def __repr__(self) -> str:
        return f"Names({self.queue!r})"


def nodes_hash(class_types: Iterable[str]) -> str:
    """The capability hash of a node set (16 hex digits; order and duplicates do not matter)."""
    joined = "\n".join(sorted(set(class_types)))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def prompt_class_types(prompt: Mapping[str, Any]) -> set[str]:
    """The node classes an API-format prompt uses (entries without a string class_type are skipped)."""
    found: set[str] = set()
    for node in prompt.values():
        if isinstance(node, Mapping) and isinstance(node.get("class_type"), str):
            found.add(node["class_type"])
    return found


def job_queue_arguments(names: Names, quorum: bool = True, delivery_limit: int = DELIVERY_LIMIT) -> dict[str, Any]:
    """The arguments every declarer of ``Q`` and ``Q.nodes.*`` uses."""
    arguments: dict[str, Any] = {"x-dead-letter-exchange": names.dead_letter_exchange}
    if quorum:
        arguments["x-queue-type"] = "quorum"
        arguments["x-delivery-limit"] = delivery_limit
    return arguments


def dumps(value: Any) -> bytes:
    """Compact JSON; values JSON cannot hold become their ``str``."""
    return json.dumps(value, separators=(",", ":"), default=_fallback).encode("utf-8")


def _fallback(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return None
    return str(value)


def loads(body: bytes | bytearray | memoryview | str) -> Any:
    if isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body).decode("utf-8")
    return json.loads(body)


def header(headers: Mapping[str, Any] | None, name: str, default: Any = None) -> Any:
    """A header value with AMQP byte strings decoded."""
    if not headers:
        return default
    value = headers.get(name, default)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return value


def job_body(
    prompt: Mapping[str, Any],
    prompt_id: str,
    client_id: str,
    extra_data: Mapping[str, Any] | None = None,
    partial_execution_targets: list[str] | None = None,
    timeout: float | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """A ``comfy.job`` body."""
    return {
        "version": WIRE_VERSION,
        "type": JOB,
        "prompt_id": prompt_id,
        "prompt": dict(prompt),
        "client_id": client_id,
        "extra_data": dict(extra_data or {}),
        "partial_execution_targets": list(partial_execution_targets) if partial_execution_targets is not None else None,
        "timeout": timeout,
        "submitted_at": time.time(),
        "progress": progress,
    }


def parse_job(body: Any, correlation_id: str | None = None) -> dict[str, Any]:
    """A job body in the current shape; accepts the reference's ``{"request": {...}}``.

    Raises ``ValueError`` for anything that is not a job.
    """
    if not isinstance(body, dict):
        raise ValueError("a job body must be a JSON object")
    if "request" in body and isinstance(body["request"], dict) and "prompt" not in body:
        request = body["request"]
        body = {
            "version": WIRE_VERSION,
            "type": JOB,
            "prompt_id": request.get("prompt_id") or correlation_id,
            "prompt": request.get("prompt"),
            "client_id": request.get("client_id") or request.get("prompt_id") or correlation_id,
            "extra_data": request.get("extra_data") or {},
        }
    version = body.get("version", WIRE_VERSION)
    if not isinstance(version, int) or version > WIRE_VERSION:
        raise ValueError(f"unsupported job version {version!r} (this worker speaks {WIRE_VERSION})")
    prompt = body.get("prompt")
    if not isinstance(prompt, dict):
        raise ValueError("the job has no prompt object")
    prompt_id = body.get("prompt_id") or correlation_id
    if not isinstance(prompt_id, str) or not prompt_id:
        raise ValueError("the job has no prompt_id")
    client_id = body.get("client_id") or prompt_id
    targets = body.get("partial_execution_targets")
    timeout = body.get("timeout")
    return {
        "version": WIRE_VERSION,
        "type": JOB,
        "prompt_id": prompt_id,
        "prompt": prompt,
        "client_id": str(client_id),
        "extra_data": body.get("extra_data") if isinstance(body.get("extra_data"), dict) else {},
        "partial_execution_targets": [str(t) for t in targets] if isinstance(targets, list) else None,
        "timeout": float(timeout) if isinstance(timeout, (int, float)) and timeout > 0 else None,
        "submitted_at": body.get("submitted_at"),
        "progress": body.get("progress") is not False,
    }


def status_dict(status_str: str, messages: list[Any] | None = None) -> dict[str, Any]:
    """ComfyUI's ``ExecutionStatus.as_dict()`` shape."""
    return {"status_str": status_str, "completed": status_str == "success", "messages": list(messages or [])}


def error_result(prompt_id: str, error_type: str, message: str, worker_id: str = "", attempt: str = "", **details: Any) -> dict[str, Any]:
    """A ``comfy.result`` body for a job that produced no outputs."""
    status = "cancelled" if error_type == "cancelled" else "interrupted" if error_type == "interrupted" else "error"
    error: dict[str, Any] = {"type": error_type, "message": message}
    error.update(details)
    return {
        "version": WIRE_VERSION,
        "type": RESULT,
        "prompt_id": prompt_id,
        "attempt": attempt,
        "worker_id": worker_id,
        "status": status_dict(status, [["execution_error", {"prompt_id": prompt_id, "exception_message": message, "exception_type": error_type}]]),
        "outputs": {},
        "files": [],
        "error": error,
    }

"""`DistributedPromptQueue`: the HTTP server's prompt queue when the prompts run on remote workers.

`comfyui --distributed-queue-frontend` builds the normal server app (`comfy.server.app.create_app`)
with this queue in place of the local one (`queue_factory`), so every route (`/prompt`,
`/api/v1/prompts`, `/queue`, `/history`, `/interrupt`, `/api/jobs`, `/ws`) works unchanged. It
implements `comfy.server.queue.PromptQueueProtocol` on top of
:class:`comfy.distributed.client.DistributedComfyClient`:

- validation: against the node classes the workers announced (:class:`NodeCatalog`), with
  ComfyUI's error JSON; the frontend itself has no node plugin;
- `put`: the prompt is published to the cluster; its progress comes back over the broker to this
  frontend only (routed by the HTTP client's `client_id`) and is relayed to that websocket; the
  result's output files are written into the frontend's workspace (:class:`OutputStore`), the
  history entry is written, then `executing {node: null}` goes to the client, as a local server
  does;
- `/queue`, `/history`, `/api/jobs`: this frontend's prompts plus every other prompt the cluster
  reports (other frontends', STOMP browsers', Python clients') on its cluster exchange;
- `/queue` delete and clear: the prompts are cancelled cluster-wide (a worker that picks one up
  answers "cancelled" without running it); `/interrupt`: the running prompt (the given one, or
  every running prompt this frontend sees) is interrupted on its worker;
- `/free`: a frontend holds no models; the flags are ignored.

Deliberate differences from one ComfyUI server: the cluster's queue is first in, first out
(`number` and `front` order this frontend's `/queue` listing, not the workers' queue); `/interrupt`
without a prompt id interrupts every running prompt this frontend sees (a single server has one);
history entries of prompts that other clients submitted name files this frontend does not have
(their results went to their submitters), so `/view` finds those only on a shared disk.

Everything here runs on the server's event loop except :meth:`stop` (called from a thread at
shutdown) and :meth:`validate` (any thread).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import struct
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from comfy.cli_args_types import Configuration
from comfy.component_model.executor_types import (
    SocketsMetadataType,
    encode_text_for_progress,
)
from comfy.component_model.queue_types import (
    MAXIMUM_HISTORY_SIZE,
    SENSITIVE_EXTRA_DATA_KEYS,
    BinaryEventTypes,
)
from comfy.execution import ValidationResult
from comfy.folder_paths import FolderPaths
from comfy.server.history import History
from comfy.server.queue import INLINE_VALIDATION_NODES, SHUTTING_DOWN, QueuedPrompt

from . import wire
from .client import DistributedComfyClient, JobResult
from .cluster import JobRecord
from .errors import JobCancelledError, JobInterruptedError
from .frontend_files import OutputStore, ReceivedFile
from .frontend_schemas import NodeCatalog
from .progress import EncodedPreview

if TYPE_CHECKING:
    from comfy.server.ws import ConnectionManager

__all__ = ["DistributedPromptQueue"]

logger = logging.getLogger(__name__)

DISCOVERY_SECONDS = 5.0
"""For this long after connecting, a prompt's validation waits for the workers' announcements
(a frontend that just started knows no class yet); later an empty cluster answers at once."""


def _without_sensitive(extra_data: Mapping[str, Any]) -> dict[str, Any]:
    """``extra_data`` less ComfyUI's ``SENSITIVE_EXTRA_DATA_KEYS`` (comfy.org credentials), for publishing."""
    return {k: v for k, v in extra_data.items() if k not in SENSITIVE_EXTRA_DATA_KEYS}


def _normalise_status(status: Mapping[str, Any] | None) -> dict[str, Any]:
    """A result status in ComfyUI's history shape: `status_str` is `success` or `error`
    (interrupted and cancelled prompts are errors there, their messages say which)."""
    status = dict(status or {})
    success = status.get("status_str") == "success"
    return {"status_str": "success" if success else "error", "completed": success, "messages": list(status.get("messages") or [])}


def _error_status(prompt_id: str, error: BaseException, interrupted: dict[str, Any] | None = None) -> dict[str, Any]:
    """The history status of a prompt that ended with `error`. An interrupted prompt's messages
    get ComfyUI's `execution_interrupted` (what `/api/v1/prompts` and the web UI look for) when
    the worker's answer only describes it as an error."""
    status = getattr(error, "status", None)
    if isinstance(status, dict) and status.get("messages"):
        normalised = _normalise_status(status)
    else:
        message = str(error) or type(error).__name__
        normalised = {
            "status_str": "error",
            "completed": False,
            "messages": [["execution_error", {"prompt_id": prompt_id, "exception_message": message, "exception_type": type(error).__name__}]],
        }
    if isinstance(error, JobInterruptedError) and not isinstance(error, JobCancelledError):
        messages = normalised["messages"]
        if not any(isinstance(m, (list, tuple)) and m and m[0] == "execution_interrupted" for m in messages):
            data = interrupted or {"prompt_id": prompt_id, "node_id": None, "node_type": None, "executed": [], "timestamp": int(time.time() * 1000)}
            normalised["messages"] = [m for m in messages if not (isinstance(m, (list, tuple)) and m and m[0] == "execution_error")] + [["execution_interrupted", data]]
    return normalised


class _Relay:
    """The progress handler of one prompt (an `ExecutorToClientProgress`): engine events from
    the worker → this server's websocket of the prompt's client (the same frames a local run
    sends)."""

    def __init__(self, queue: DistributedPromptQueue, item: QueuedPrompt, sid: str | None) -> None:
        self.queue = queue
        self.item = item
        self.client_id: str | None = sid
        self.last_node_id: str | None = None
        self.last_prompt_id: str | None = item.prompt_id
        self.interrupted: dict[str, Any] | None = None
        """The `execution_interrupted` data the worker sent, if any."""
        self.executed: list[str] = []
        self.node: str | None = None
        """The node last reported `executing`."""

    def send_sync(self, event: Any, data: Any, sid: str | None = None) -> None:
        if event == "execution_start":
            self.queue._mark_running(self.item.prompt_id)
        elif event == "execution_interrupted" and isinstance(data, dict):
            self.interrupted = data
        elif event == "executing" and isinstance(data, dict) and data.get("node") is not None:
            self.node = self.last_node_id = str(data["node"])
        elif event == "executed" and isinstance(data, dict) and data.get("node") is not None:
            self.executed.append(str(data["node"]))
        if self.client_id is None:
            return
        events = self.queue.events
        if event in ("status", "executing") and (event == "status" or (isinstance(data, dict) and data.get("node") is None)):
            return  # the frontend sends its own status, and `executing null` once the history is written
        if isinstance(data, EncodedPreview):
            self._preview(data)
            return
        if event == BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA and isinstance(data, tuple):
            return  # a decoded PIL preview: not produced with decode_previews=False
        events.send_sync(event, data, self.client_id)

    @property
    def receive_all_progress_notifications(self) -> bool:
        return True

    @property
    def sockets_metadata(self) -> SocketsMetadataType:
        return {"__unimplemented": True}

    def send_progress_text(self, text: str | bytes | bytearray, node_id: str, sid: str | None = None) -> None:
        self.send_sync(BinaryEventTypes.TEXT, encode_text_for_progress(node_id, text), sid)

    def queue_updated(self, queue_remaining: int | None = None) -> None:
        return None

    def interrupted_data(self) -> dict[str, Any]:
        """ComfyUI's `execution_interrupted` data for this prompt, from what was relayed."""
        node = self.node
        class_type = self.item.prompt.get(node, {}).get("class_type") if node is not None else None
        return {"prompt_id": self.item.prompt_id, "node_id": node, "node_type": class_type, "executed": list(self.executed), "timestamp": int(time.time() * 1000)}

    def _preview(self, preview: EncodedPreview) -> None:
        """The preview as the worker encoded it (no decoding, no pillow): a type 4 frame with its
        metadata for clients that announced `supports_preview_metadata`, else ComfyUI's legacy
        type 1 frame."""
        sid = self.client_id
        events = self.queue.events
        connection = events.connections.get(sid) if sid is not None else None
        post = getattr(events, "_post", None)
        if connection is not None and getattr(connection, "supports_preview_metadata", False) and post is not None:
            metadata = dict(preview.metadata)
            metadata["image_type"] = preview.mime
            meta = json.dumps(metadata).encode("utf-8")
            # ConnectionManager.send_sync encodes type 4 from a PIL image; an encoded frame
            # goes straight to the socket's outbox (droppable, like every preview)
            post(sid, struct.pack(">II", BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, len(meta)) + meta + preview.image, True)
        else:
            kind = 2 if preview.mime == "image/png" else 1
            events.send_sync(BinaryEventTypes.PREVIEW_IMAGE, struct.pack(">I", kind) + preview.image, sid)


class DistributedPromptQueue:
    """See the module docstring. `client` is made from `uri`/`queue_name` when not given."""

    def __init__(
        self,
        configuration: Configuration,
        folders: FolderPaths,
        events: ConnectionManager,
        *,
        uri: str | None = None,
        queue_name: str | None = None,
        client: DistributedComfyClient | None = None,
        history_size: int = MAXIMUM_HISTORY_SIZE,
    ) -> None:
        self.configuration = configuration
        self.folders = folders
        self.events = events
        if client is None:
            client = DistributedComfyClient(
                uri or str(configuration.get("distributed_queue_connection_uri") or "amqp://guest:guest@127.0.0.1:5672/"),
                queue_name or str(configuration.get("distributed_queue_name") or wire.DEFAULT_QUEUE_NAME),
                decode_previews=False,
                history_size=history_size,
            )
        self.client = client
        self.catalog = NodeCatalog()
        self.store = OutputStore(folders)
        self.history = History(history_size)
        self.max_workers = 0
        """Live workers in the cluster (what `/ready` reports as workers)."""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[str, QueuedPrompt] = {}
        self._running: dict[str, QueuedPrompt] = {}
        self._own: OrderedDict[str, None] = OrderedDict()
        """Every prompt id this frontend submitted (bounded): their history entries are ours."""
        self._deleted: set[str] = set()
        self._number = itertools.count()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._schemas: dict[str, Any] = {}
        """worker id → the scheduler schemas it announced (when its announcement has them)."""
        self._catalog_workers: dict[str, int] = {}
        self._connected = asyncio.Event() if _running_loop() else None
        self._stopping = False
        self._connected_at = 0.0
        self._starter: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Connect to the broker in the background (HTTP serves meanwhile; prompts wait)."""
        self.loop = loop
        self._stopping = False
        if self._connected is None:
            self._connected = asyncio.Event()
        self.client.cluster.listeners.append(self._on_cluster)
        self._starter = loop.create_task(self._connect())
        self._sweeper = loop.create_task(self._sweep())

    async def _connect(self) -> None:
        delay = 0.5
        while not self._stopping:
            try:
                await self.client.start(timeout=30.0)
            except Exception as error:
                logger.warning("cannot reach the broker at %s (%s); retrying", _redact(self.client.uri), error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            assert self._connected is not None
            self._connected_at = time.monotonic()
            self._connected.set()
            logger.info("distributed frontend connected to %s, queue %r", _redact(self.client.uri), self.client.names.queue)
            return

    async def _sweep(self) -> None:
        """Once a second: drop workers unheard for three heartbeats from the catalog."""
        while not self._stopping:
            await asyncio.sleep(1.0)
            self._sync_catalog()

    def begin_stop(self) -> None:
        self._stopping = True
        waiters = [f for item in [*self._pending.values(), *self._running.values()] for f in item.waiters]
        self._pending.clear()
        self._running.clear()
        for future in waiters:
            if not future.done():
                future.set_result(SHUTTING_DOWN)

    def stop(self, timeout: float = 10.0) -> None:
        """:meth:`begin_stop`, then close the broker connection (from any thread but the loop's)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        if _running_loop() is loop:
            self.begin_stop()
            loop.create_task(self._close())
            return
        loop.call_soon_threadsafe(self.begin_stop)
        try:
            asyncio.run_coroutine_threadsafe(self._close(), loop).result(timeout)
        except Exception:
            logger.warning("the broker connection did not close cleanly", exc_info=True)

    async def _close(self) -> None:
        for task in [self._starter, self._sweeper, *self._tasks]:
            if task is not None and not task.done():
                task.cancel()
        await self.client.close()

    @property
    def alive(self) -> bool:
        """Connected to the broker."""
        return self._connected is not None and self._connected.is_set() and self.client.is_running

    # -- node classes --------------------------------------------------------------------------

    def _on_cluster(self, routing_key: str, body: dict[str, Any]) -> None:
        if routing_key == wire.ANNOUNCE:
            schemas = body.get("schemas")
            if isinstance(schemas, list):
                self._schemas[str(body.get("worker_id"))] = schemas
            self._sync_catalog()
        elif routing_key == wire.BYE:
            self._schemas.pop(str(body.get("worker_id")), None)
            self._sync_catalog()
        elif routing_key == wire.JOB_STARTED:
            self._mark_running(str(body.get("prompt_id")))
            self.events.queue_updated()
        elif routing_key == wire.JOB_QUEUED:
            self.events.queue_updated()
        elif routing_key == wire.JOB_FINISHED:
            self._record_foreign(body)

    def _sync_catalog(self) -> None:
        workers = self.client.cluster.live_workers()
        self.max_workers = len(workers)
        live = {w.worker_id: w for w in workers}
        for worker_id in [w for w in self._catalog_workers if w not in live]:
            del self._catalog_workers[worker_id]
            self.catalog.remove(worker_id)
        for worker_id, worker in live.items():
            if self._catalog_workers.get(worker_id) == id(worker.object_info):
                continue
            self._catalog_workers[worker_id] = id(worker.object_info)
            schemas = self._schemas.get(worker_id)
            self.catalog.update(worker_id, worker.object_info, schemas)

    # -- validating and submitting -------------------------------------------------------------

    def next_number(self) -> int:
        return next(self._number)

    def validate(self, prompt: Any, partial_execution_targets: list[str] | None = None) -> ValidationResult:
        return self.catalog.validate(prompt, partial_execution_targets)

    async def avalidate(self, prompt: Any, partial_execution_targets: list[str] | None = None) -> ValidationResult:
        if len(self.catalog) == 0:
            await self.wait_for_classes()
        if not isinstance(prompt, dict) or len(prompt) <= INLINE_VALIDATION_NODES:
            return self.validate(prompt, partial_execution_targets)
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.validate, prompt, partial_execution_targets)

    async def wait_for_classes(self) -> None:
        """Wait (until :data:`DISCOVERY_SECONDS` after the broker connection) for a first worker."""
        assert self._connected is not None
        if not self._connected.is_set():
            try:
                await asyncio.wait_for(self._connected.wait(), DISCOVERY_SECONDS)
            except asyncio.TimeoutError:
                return
        deadline = self._connected_at + DISCOVERY_SECONDS
        while len(self.catalog) == 0 and time.monotonic() < deadline and not self._stopping:
            self._sync_catalog()
            await asyncio.sleep(0.05)

    def put(
        self,
        prompt: dict[str, Any],
        validation: ValidationResult,
        *,
        prompt_id: str | None = None,
        number: float | None = None,
        extra_data: Mapping[str, Any] | None = None,
        targets: list[str] | None = None,
        waiter: asyncio.Future[Any] | None = None,
    ) -> QueuedPrompt:
        if self._stopping or self.loop is None:
            raise RuntimeError("the queue is shutting down")
        extra = dict(extra_data or {})
        sensitive = {k: extra.pop(k) for k in SENSITIVE_EXTRA_DATA_KEYS if k in extra}
        extra.setdefault("create_time", int(time.time() * 1000))
        item = QueuedPrompt(
            number=self.next_number() if number is None else number,
            prompt_id=prompt_id or str(uuid.uuid4()),
            prompt=prompt,
            extra_data=extra,
            good_outputs=list(validation.good_outputs),
            sensitive=sensitive,
            targets=targets,
        )
        if waiter is not None:
            item.waiters.append(waiter)
        self._pending[item.prompt_id] = item
        self._own[item.prompt_id] = None
        while len(self._own) > self.history.max_size * 2:
            self._own.popitem(last=False)
        self._spawn(self._submit(item))
        self.events.queue_updated()
        return item

    def _spawn(self, coroutine: Any) -> None:
        assert self.loop is not None
        task = self.loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _submit(self, item: QueuedPrompt) -> None:
        prompt_id = item.prompt_id
        sid = item.extra_data.get("client_id")
        sid = str(sid) if sid is not None else None
        assert self._connected is not None
        entry: dict[str, Any] | None = None
        relay = _Relay(self, item, sid)
        try:
            await self._connected.wait()
            result: JobResult = await self.client.queue_prompt_result(
                item.prompt,
                prompt_id=prompt_id,
                client_id=sid,
                partial_execution_targets=item.targets,
                progress_handler=relay if sid is not None else None,  # no websocket: the worker sends no events
                # never item.sensitive: the job sits in the broker (and its dead-letter queue), where
                # every consumer and the management UI can read it; SENSITIVE_EXTRA_DATA_KEYS stay here
                extra_data=_without_sensitive(item.extra_data),
            )
            outputs = await self._store(prompt_id, result)
            meta = result.raw.get("meta") if isinstance(result.raw.get("meta"), dict) else {}
            entry = {"prompt": item.as_tuple(), "outputs": outputs, "status": _normalise_status(result.status), "meta": meta}
        except asyncio.CancelledError:
            raise
        except JobCancelledError as error:
            if prompt_id in self._deleted:
                self._deleted.discard(prompt_id)  # removed from the queue: no history, as ComfyUI
                self._finish(item, None, sid)
                return
            entry = {"prompt": item.as_tuple(), "outputs": {}, "status": _error_status(prompt_id, error), "meta": {}}
        except JobInterruptedError as error:
            status = _error_status(prompt_id, error, relay.interrupted or relay.interrupted_data())
            if relay.interrupted is None:
                # the worker stopped the prompt without the engine's event: send it as a local
                # server does (to every socket)
                self.events.send_sync("execution_interrupted", status["messages"][-1][1], None)
            entry = {"prompt": item.as_tuple(), "outputs": {}, "status": status, "meta": {}}
        except Exception as error:
            logger.info("prompt %s failed: %s", prompt_id, error)
            entry = {"prompt": item.as_tuple(), "outputs": {}, "status": _error_status(prompt_id, error), "meta": {}}
        self.history.put(prompt_id, entry)
        self._finish(item, entry, sid)

    async def _store(self, prompt_id: str, result: JobResult) -> dict[str, Any]:
        files = [ReceivedFile(f.filename, f.subfolder, f.type, f.data) for f in result.files]
        if not files:
            return self.store.rewrite(result.outputs, {})
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.store.store, prompt_id, result.outputs, files)

    def _finish(self, item: QueuedPrompt, entry: dict[str, Any] | None, sid: str | None) -> None:
        self._pending.pop(item.prompt_id, None)
        self._running.pop(item.prompt_id, None)
        if sid is not None and entry is not None:
            self.events.send_sync("executing", {"node": None, "prompt_id": item.prompt_id}, sid)
        self.events.queue_updated()
        for future in item.waiters:
            if not future.done():
                future.set_result(entry)

    def _mark_running(self, prompt_id: str) -> None:
        item = self._pending.pop(prompt_id, None)
        if item is not None:
            item.started_at = int(time.time() * 1000)
            self._running[prompt_id] = item

    def _record_foreign(self, body: Mapping[str, Any]) -> None:
        """A prompt someone else submitted finished: it joins this frontend's `/history` (its
        outputs name files on the worker's side)."""
        prompt_id = str(body.get("prompt_id"))
        if prompt_id in self._own:
            return
        record = self.client.cluster.history.get(prompt_id)
        prompt = record.prompt if record is not None and record.prompt is not None else {}
        extra = {"client_id": body.get("client_id")} if body.get("client_id") else {}
        if record is not None and record.submitted_at:
            extra["create_time"] = int(float(record.submitted_at) * 1000)
        number = record.number if record is not None else 0
        outputs = self.store.rewrite(body.get("outputs") or {}, {})
        self.history.put(prompt_id, {"prompt": [number, prompt_id, prompt, extra, []], "outputs": outputs, "status": _normalise_status(body.get("status")), "meta": {}})
        self.events.queue_updated()

    # -- reading -----------------------------------------------------------------------------------

    def _foreign(self, state: str) -> list[JobRecord]:
        return [r for r in self.client.cluster.jobs.values() if r.state == state and r.prompt_id not in self._own]

    @staticmethod
    def _item_of(record: JobRecord) -> QueuedPrompt:
        extra: dict[str, Any] = {"client_id": record.client_id} if record.client_id else {}
        if record.submitted_at:
            extra["create_time"] = int(float(record.submitted_at) * 1000)
        item = QueuedPrompt(number=record.number, prompt_id=record.prompt_id, prompt=record.prompt or {}, extra_data=extra, good_outputs=[])
        if record.started_at:
            item.started_at = int(float(record.started_at) * 1000)
        return item

    def items(self) -> tuple[list[QueuedPrompt], list[QueuedPrompt]]:
        """`(running, pending)`: this frontend's prompts and the cluster's others."""
        running = list(self._running.values()) + [self._item_of(r) for r in self._foreign("running")]
        pending = sorted(self._pending.values(), key=lambda i: i.number) + [self._item_of(r) for r in self._foreign("queued")]
        return running, pending

    def snapshot(self) -> tuple[list[list[Any]], list[list[Any]]]:
        running, pending = self.items()
        return [i.as_tuple() for i in running], [i.as_tuple() for i in pending]

    @property
    def pending_count(self) -> int:
        return len(self._pending) + len(self._foreign("queued"))

    @property
    def remaining(self) -> int:
        return len(self._pending) + len(self._running) + sum(1 for r in self.client.cluster.jobs.values() if r.prompt_id not in self._own)

    def running_ids(self) -> list[str]:
        return [i.prompt_id for i in self.items()[0]]

    def state_of(self, prompt_id: str) -> str | None:
        if prompt_id in self._running:
            return "running"
        if prompt_id in self._pending:
            return "pending"
        record = self.client.cluster.jobs.get(prompt_id)
        if record is not None:
            return "running" if record.state == "running" else "pending"
        if prompt_id in self.history:
            return "done"
        return None

    def add_waiter(self, prompt_id: str, waiter: asyncio.Future[Any]) -> bool:
        item = self._pending.get(prompt_id) or self._running.get(prompt_id)
        if item is None:
            return False
        item.waiters.append(waiter)
        return True

    # -- changing ------------------------------------------------------------------------------------

    def delete(self, prompt_ids: Iterable[str]) -> int:
        """Cancel queued prompts (this frontend's and the cluster's); running ones are untouched."""
        cancelled: list[str] = []
        for prompt_id in (str(p) for p in prompt_ids):
            item = self._pending.pop(prompt_id, None)
            if item is not None:
                self._deleted.add(prompt_id)
                for future in item.waiters:
                    if not future.done():
                        future.set_result(None)
                cancelled.append(prompt_id)
                continue
            record = self.client.cluster.jobs.get(prompt_id)
            if record is not None and record.state == "queued":
                cancelled.append(prompt_id)
        if cancelled:
            self._spawn(self._control("cancel", cancelled))
            self.events.queue_updated()
        return len(cancelled)

    def wipe(self) -> int:
        """Cancel every queued prompt of the cluster."""
        return self.delete([*self._pending, *(r.prompt_id for r in self._foreign("queued"))])

    def interrupt(self, prompt_id: str | None = None) -> bool:
        """Interrupt `prompt_id` on its worker when it runs (None: every running prompt)."""
        running = set(self.running_ids())
        if prompt_id is not None:
            if prompt_id not in running and prompt_id not in self._pending:
                return False
            self._spawn(self._control("interrupt", [prompt_id]))
            return prompt_id in running
        if not running:
            return False
        self._spawn(self._control("interrupt", sorted(running)))
        return True

    async def _control(self, action: str, prompt_ids: list[str]) -> None:
        assert self._connected is not None
        await self._connected.wait()
        try:
            if action == "cancel":
                await self.client.cancel(prompt_ids)
            else:
                await self.client.interrupt(prompt_ids)
        except Exception:
            logger.exception("could not %s %s", action, prompt_ids)

    def set_flag(self, name: str, value: bool = True) -> None:
        """`/free`: a frontend holds no models (the workers free theirs between prompts)."""
        logger.debug("ignoring /free %s on a distributed frontend", name)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _redact(uri: str) -> str:
    """`uri` without its password."""
    if "@" not in uri or "://" not in uri:
        return uri
    scheme, rest = uri.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"

"""`DistributedComfyClient`: submit prompts to RabbitMQ workers from code, as with the embedded client.

::

    from comfy.distributed.client import DistributedComfyClient

    async with DistributedComfyClient("amqp://guest:guest@127.0.0.1/") as client:
        outputs = await client.queue_prompt(prompt)          # {node_id: ui}, like Comfy.queue_prompt
        task = client.queue_with_progress(prompt)            # same shape as the embedded client's
        async for notification in task.progress(): ...
        response = await task.get()                          # V1QueuePromptResponse

The wire is described in :mod:`comfy.distributed.wire`. What this client guarantees:

* each ``queue_prompt`` resolves exactly once: with the first result that arrives for its
  prompt id (a job redelivered after a worker died may be answered twice; later answers are
  dropped), with the job's error (:mod:`comfy.distributed.errors`), or with ``JobTimeoutError``
  after ``timeout`` seconds;
* a job is published with publisher confirms; while the broker is unreachable the client
  reconnects with backoff and publishes again, and its reply queue (durable, ``x-expires``)
  keeps the replies that arrive meanwhile, so a broker restart loses nothing;
* output files come back as bytes (:class:`JobResult` ``files``); with ``output_directory`` set
  they are also written there and ``abs_path`` in the outputs names the local copy, otherwise the
  worker's ``abs_path`` is left out;
* progress reaches only this client: the workers publish it with the job's ``client_id`` as the
  routing key, and the client binds its reply queue with the client ids it submits for.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Optional

import aiormq
import aiormq.abc
import aiormq.exceptions
from pamqp.commands import Basic

from comfy.client.client_types import V1QueuePromptResponse
from comfy.component_model.executor_types import ExecutorToClientProgress

from . import wire
from .cluster import ClusterView, WorkerInfo
from .connection import ReconnectingConnection, declare_topology
from .dead_letters import DeadLetterRelay
from .errors import JobCancelledError, JobTimeoutError, error_from_result
from .progress import QueuePromptWithProgress, decode_progress

__all__ = ["DistributedComfyClient", "JobResult", "OutputFile", "DEFAULT_URI"]

logger = logging.getLogger(__name__)

DEFAULT_URI = "amqp://guest:guest@127.0.0.1:5672/"


@dataclasses.dataclass(frozen=True)
class OutputFile:
    """One output file of a job, with its bytes."""

    filename: str
    subfolder: str
    type: str
    data: bytes
    path: str | None = None
    """Where the client wrote it (``output_directory`` set), else None."""


@dataclasses.dataclass
class JobResult:
    """Everything a worker answered for one prompt."""

    prompt_id: str
    outputs: dict[str, Any]
    status: dict[str, Any]
    files: list[OutputFile]
    worker_id: str
    raw: dict[str, Any]

    def file(self, filename: str, subfolder: str = "", type: str = "output") -> OutputFile | None:
        for item in self.files:
            if item.filename == filename and item.subfolder == subfolder and item.type == type:
                return item
        return None


@dataclasses.dataclass(eq=False)
class _Pending:
    prompt_id: str
    client_id: str
    future: asyncio.Future[JobResult]
    handler: Any
    chunks: dict[tuple[str, int], dict[int, bytes]] = dataclasses.field(default_factory=dict)


class DistributedComfyClient:
    """A submitter of prompts to the distributed queue; see the module docstring.

    ``uri``: the broker (``amqp://user:password@host:port/vhost``). ``queue_name``: the cluster's
    queue (``--distributed-queue-name``). ``client_id``: routes this client's progress (a random
    id by default). ``progress_handler``: receives the events of every prompt that has no handler
    of its own (``send_sync(event, data, sid)``, called on the event loop). ``timeout``: default
    seconds a prompt may take, queueing included (None: no limit). ``decode_previews``: previews as
    PIL images like the embedded client (needs pillow), or as ``EncodedPreview`` bytes.
    ``consume_dead_letters``: help answer dead-lettered jobs (any participant may; keep it on
    unless the workers do it). ``discovery_timeout``: how long the first prompt waits for worker
    announcements to pick a capability queue (without them it goes to the base queue).
    """

    def __init__(
        self,
        uri: str = DEFAULT_URI,
        queue_name: str = wire.DEFAULT_QUEUE_NAME,
        *,
        client_id: Optional[str] = None,
        progress_handler: Optional[ExecutorToClientProgress] = None,
        output_directory: Optional[str] = None,
        timeout: Optional[float] = None,
        decode_previews: bool = True,
        consume_dead_letters: bool = True,
        discovery_timeout: float = 3.0,
        history_size: int = 10_000,
    ) -> None:
        self.uri = uri
        self.names = wire.Names(queue_name)
        self.client_id = client_id or str(uuid.uuid4())
        self.progress_handler = progress_handler
        self.output_directory = output_directory
        self.timeout = timeout
        self.decode_previews = decode_previews
        self.consume_dead_letters = consume_dead_letters
        self.discovery_timeout = discovery_timeout
        self.reply_queue = self.names.reply_queue(uuid.uuid4().hex)
        self.cluster = ClusterView(history_size=history_size)
        """Live workers, merged node schemas and the cluster's queue and history."""
        self.history: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        """This client's finished prompts: prompt id -> ``{"prompt", "outputs", "status"}``."""
        self._history_size = history_size
        self._pending: dict[str, _Pending] = {}
        self._client_ids: collections.Counter[str] = collections.Counter({self.client_id: 1})
        self._connection: ReconnectingConnection | None = None
        self._consumer_channel: aiormq.abc.AbstractChannel | None = None
        self._reply_consumer: str | None = None
        self._dead_letters: DeadLetterRelay | None = None
        self._announced = asyncio.Event() if _has_loop() else None
        self._is_running = False

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        return self._is_running

    @property
    def task_count(self) -> int:
        """Prompts submitted and not answered yet."""
        return len(self._pending)

    async def __aenter__(self) -> DistributedComfyClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    async def start(self, timeout: float = 30.0) -> None:
        """Connect (retrying for ``timeout`` seconds), declare the topology, start consuming."""
        if self._is_running:
            raise RuntimeError("this DistributedComfyClient is already running")
        if self._announced is None:
            self._announced = asyncio.Event()
        self._connection = ReconnectingConnection(self.uri, self._on_connect, name=f"client {self.client_id[:8]}")
        self._dead_letters = DeadLetterRelay(self.names, self._connection, "client:" + self.client_id) if self.consume_dead_letters else None
        await self._connection.start(timeout)
        self._is_running = True

    async def close(self) -> None:
        """Stop: unanswered prompts raise ``CancelledError``; the reply queue is deleted."""
        if self._connection is None:
            return
        for pending in list(self._pending.values()):
            if not pending.future.done():
                pending.future.cancel()
        connection = self._connection
        if connection.connected.is_set() and connection.connection is not None:
            try:
                consumer = self._consumer_channel
                if consumer is not None and not consumer.is_closed and self._reply_consumer:
                    await consumer.basic_cancel(self._reply_consumer)
                channel = await connection.connection.channel()
                await channel.queue_delete(self.reply_queue)
                await channel.close()
            except Exception:
                logger.debug("could not delete the reply queue %s", self.reply_queue, exc_info=True)
        await connection.close()
        self._connection = None
        self._is_running = False

    async def _on_connect(self, connection: aiormq.abc.AbstractConnection) -> None:
        await declare_topology(connection, self.names)
        channel = await connection.channel()
        await channel.queue_declare(
            self.reply_queue, durable=True, arguments={"x-expires": wire.REPLY_QUEUE_EXPIRES_MS}
        )
        for client_id in list(self._client_ids):
            await channel.queue_bind(self.reply_queue, self.names.progress_exchange, routing_key=client_id)
        consume = await channel.basic_consume(self.reply_queue, self._on_reply, no_ack=True)
        self._reply_consumer = consume.consumer_tag
        assert self._connection is not None
        self._connection.reconnect_on_consumer_cancel(channel)  # the reply queue was deleted
        cluster = await channel.queue_declare("", exclusive=True, auto_delete=True)
        assert cluster.queue is not None
        for key in ("worker.*", "job.*"):
            await channel.queue_bind(cluster.queue, self.names.cluster_exchange, routing_key=key)
        await channel.basic_consume(cluster.queue, self._on_cluster, no_ack=True)
        self._consumer_channel = channel
        if self._dead_letters is not None:
            await self._dead_letters.start(connection)
        await channel.basic_publish(
            wire.dumps({"version": wire.WIRE_VERSION, "client_id": self.client_id}),
            exchange=self.names.cluster_exchange,
            routing_key=wire.HELLO,
            properties=Basic.Properties(content_type="application/json", message_type=wire.CLUSTER),
        )

    def _check_running(self) -> None:
        if not self._is_running or self._connection is None:
            raise RuntimeError("the DistributedComfyClient is not running: use `async with DistributedComfyClient(...) as client:`")

    # -- cluster -----------------------------------------------------------------------------

    async def _on_cluster(self, message: aiormq.abc.DeliveredMessage) -> None:
        try:
            body = wire.loads(message.body)
        except ValueError:
            return
        routing_key = message.routing_key or ""
        self.cluster.handle(routing_key, body)
        if routing_key == wire.ANNOUNCE and self._announced is not None:
            self._announced.set()
        if self.cluster.unknown_hashes and routing_key == wire.HEARTBEAT:
            self.cluster.unknown_hashes.clear()
            await self._publish_cluster(wire.HELLO, {"client_id": self.client_id})

    async def _publish_cluster(self, routing_key: str, body: dict[str, Any]) -> None:
        assert self._connection is not None
        body = {"version": wire.WIRE_VERSION, **body}
        await self._connection.publish(
            wire.dumps(body),
            exchange=self.names.cluster_exchange,
            routing_key=routing_key,
            properties=Basic.Properties(content_type="application/json", message_type=wire.CLUSTER),
        )

    @property
    def workers(self) -> list[WorkerInfo]:
        """The live workers (announced, heard from within three heartbeats)."""
        return self.cluster.live_workers()

    async def wait_for_workers(self, count: int = 1, timeout: float = 30.0) -> list[WorkerInfo]:
        """Wait until at least ``count`` workers have announced themselves."""
        self._check_running()
        deadline = time.monotonic() + timeout
        while len(self.cluster.live_workers()) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.cluster.live_workers())} of {count} workers announced themselves within {timeout} s")
            await asyncio.sleep(0.05)
        return self.cluster.live_workers()

    async def node_schemas(self, wait: float | None = None) -> dict[str, Any]:
        """``/object_info`` of the cluster: every live worker's node schemas merged. With no
        worker known yet, waits up to ``wait`` seconds (default ``discovery_timeout``) for one."""
        self._check_running()
        if not self.cluster.live_workers():
            await self._wait_announced(self.discovery_timeout if wait is None else wait)
        return self.cluster.object_info()

    async def _wait_announced(self, timeout: float) -> None:
        assert self._announced is not None
        if self._announced.is_set() or timeout <= 0:
            return
        try:
            await asyncio.wait_for(self._announced.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    # -- progress routing ---------------------------------------------------------------------

    async def subscribe(self, client_id: str) -> None:
        """Receive progress addressed to ``client_id`` (reference counted; see :meth:`unsubscribe`)."""
        self._client_ids[client_id] += 1
        if self._client_ids[client_id] == 1:
            await self._bind(client_id, True)

    async def unsubscribe(self, client_id: str) -> None:
        if self._client_ids[client_id] <= 0:
            return
        self._client_ids[client_id] -= 1
        if self._client_ids[client_id] == 0:
            del self._client_ids[client_id]
            await self._bind(client_id, False)

    async def _bind(self, client_id: str, bind: bool) -> None:
        connection = self._connection
        if connection is None or connection.connection is None or not connection.connected.is_set():
            return  # (re)bound by _on_connect
        try:
            channel = await connection.connection.channel()
            if bind:
                await channel.queue_bind(self.reply_queue, self.names.progress_exchange, routing_key=client_id)
            else:
                await channel.queue_unbind(self.reply_queue, self.names.progress_exchange, routing_key=client_id)
            await channel.close()
        except Exception:
            logger.debug("could not (un)bind progress for %s", client_id, exc_info=True)

    # -- replies -----------------------------------------------------------------------------

    async def _on_reply(self, message: aiormq.abc.DeliveredMessage) -> None:
        try:
            self._handle_reply(message)
        except Exception:
            logger.exception("could not handle a reply message")

    def _handle_reply(self, message: aiormq.abc.DeliveredMessage) -> None:
        properties = message.header.properties
        message_type = properties.message_type or ""
        headers = properties.headers or {}
        if message_type == wire.RESULT:
            body = wire.loads(message.body)
            pending = self._pending.get(str(body.get("prompt_id") or properties.correlation_id))
            if pending is not None:
                self._resolve(pending, body)
            return
        if message_type == wire.FILE:
            pending = self._pending.get(str(wire.header(headers, wire.H_PROMPT_ID)))
            if pending is not None:
                key = (str(wire.header(headers, wire.H_ATTEMPT)), int(wire.header(headers, wire.H_FILE, 0)))
                pending.chunks.setdefault(key, {})[int(wire.header(headers, wire.H_CHUNK, 0))] = bytes(message.body)
            return
        decoded = decode_progress(message_type, message.body, headers, self.decode_previews)
        if decoded is None:
            return
        prompt_id = wire.header(headers, wire.H_PROMPT_ID)
        pending = self._pending.get(str(prompt_id)) if prompt_id else None
        if pending is None and prompt_id in self.history:
            return  # a late duplicate run of a prompt that already has its answer
        handler = pending.handler if pending is not None else None
        if handler is None:
            handler = self.progress_handler
        if handler is None:
            return
        event, data = decoded
        client_id = pending.client_id if pending is not None else wire.header(headers, wire.H_CLIENT_ID)
        try:
            handler.send_sync(event, data, client_id)
        except Exception:
            logger.exception("the progress handler raised")

    def _resolve(self, pending: _Pending, body: dict[str, Any]) -> None:
        if pending.future.done():
            return
        error = error_from_result(body)
        if error is not None:
            pending.future.set_exception(error)
            return
        try:
            files = self._assemble_files(pending, body)
        except ValueError as problem:
            logger.warning("result of %s: %s; waiting for another answer", pending.prompt_id, problem)
            return
        outputs = body.get("outputs") or {}
        self._localise_outputs(outputs, files)
        pending.future.set_result(
            JobResult(
                prompt_id=pending.prompt_id,
                outputs=outputs,
                status=body.get("status") or wire.status_dict("success"),
                files=files,
                worker_id=str(body.get("worker_id") or ""),
                raw=body,
            )
        )

    def _assemble_files(self, pending: _Pending, body: dict[str, Any]) -> list[OutputFile]:
        attempt = str(body.get("attempt") or "")
        files: list[OutputFile] = []
        for index, record in enumerate(body.get("files") or []):
            if not record.get("stored", True):
                continue
            chunks = pending.chunks.get((attempt, index), {})
            count = int(record.get("chunks") or 0)
            if len(chunks) != count:
                raise ValueError(f"file {record.get('filename')!r}: {len(chunks)} of {count} chunks arrived")
            data = b"".join(chunks[i] for i in range(count))
            if record.get("sha256") and hashlib.sha256(data).hexdigest() != record["sha256"]:
                raise ValueError(f"file {record.get('filename')!r}: checksum mismatch")
            path = self._write_file(record, data)
            files.append(OutputFile(str(record.get("filename")), str(record.get("subfolder") or ""), str(record.get("type") or "output"), data, path))
        pending.chunks.clear()
        return files

    def _write_file(self, record: Mapping[str, Any], data: bytes) -> str | None:
        if self.output_directory is None:
            return None
        root = os.path.abspath(self.output_directory if record.get("type", "output") == "output" else os.path.join(self.output_directory, str(record.get("type"))))
        path = os.path.abspath(os.path.join(root, str(record.get("subfolder") or ""), os.path.basename(str(record.get("filename")))))
        if os.path.commonpath([root, path]) != root:
            raise ValueError(f"unsafe output path {record.get('subfolder')!r}/{record.get('filename')!r}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
        return path

    @staticmethod
    def _localise_outputs(outputs: dict[str, Any], files: list[OutputFile]) -> None:
        """Point ``abs_path`` at the local copies (or drop the worker's path)."""
        local = {(f.filename, f.subfolder, f.type): f.path for f in files}
        for ui in outputs.values():
            if not isinstance(ui, dict):
                continue
            for values in ui.values():
                if not isinstance(values, list):
                    continue
                for item in values:
                    if isinstance(item, dict) and "filename" in item and "abs_path" in item:
                        path = local.get((str(item.get("filename")), str(item.get("subfolder") or ""), str(item.get("type") or "output")))
                        if path is None:
                            item.pop("abs_path", None)
                        else:
                            item["abs_path"] = path

    # -- submitting ---------------------------------------------------------------------------

    async def queue_prompt_result(
        self,
        prompt: Mapping[str, Any] | str,
        prompt_id: Optional[str] = None,
        client_id: Optional[str] = None,
        partial_execution_targets: Optional[list[str]] = None,
        progress_handler: Optional[ExecutorToClientProgress] = None,
        extra_data: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> JobResult:
        """Run ``prompt`` on a worker and return everything it answered (:class:`JobResult`).

        ``client_id`` routes the progress (default: this client's id); ``progress_handler``
        receives this prompt's events (default: the client's handler). Cancelling the awaiting
        task cancels the job (see :meth:`cancel`).
        """
        self._check_running()
        assert self._connection is not None
        if isinstance(prompt, (str, bytes, bytearray)):
            prompt = json.loads(prompt)
        if not isinstance(prompt, Mapping):
            raise TypeError(f"a prompt must be a dict of nodes, not {type(prompt).__name__}")
        prompt_id = prompt_id or str(uuid.uuid4())
        if prompt_id in self._pending:
            raise ValueError(f"prompt {prompt_id} is already queued by this client")
        client_id = client_id or getattr(progress_handler, "client_id", None) or self.client_id
        timeout = self.timeout if timeout is None else timeout
        prompt_dict = json.loads(json.dumps(prompt))
        wants_progress = progress_handler is not None or self.progress_handler is not None or client_id != self.client_id
        body = wire.job_body(prompt_dict, prompt_id, client_id, extra_data, partial_execution_targets, timeout, progress=wants_progress)
        pending = _Pending(prompt_id, client_id, asyncio.get_running_loop().create_future(), progress_handler)
        self._pending[prompt_id] = pending
        await self.subscribe(client_id)
        try:
            queue = await self._target_queue(prompt_dict)
            properties = Basic.Properties(
                content_type="application/json",
                delivery_mode=2,
                correlation_id=prompt_id,
                reply_to=self.reply_queue,
                message_type=wire.JOB,
                headers={wire.H_VERSION: wire.WIRE_VERSION, wire.H_CLIENT_ID: client_id},
                timestamp=_now(),
            )
            try:
                await self._connection.publish(wire.dumps(body), routing_key=queue, properties=properties, mandatory=True)
            except aiormq.exceptions.PublishError:
                if queue == self.names.queue:
                    raise
                # the capability queue is gone (deleted, not yet redeclared): the workers route
                # jobs of the base queue
                logger.warning("queue %s is gone; publishing prompt %s to %s", queue, prompt_id, self.names.queue)
                queue = self.names.queue
                properties.message_id = None
                await self._connection.publish(wire.dumps(body), routing_key=queue, properties=properties, mandatory=True)
            await self._publish_cluster(
                wire.JOB_QUEUED,
                {"prompt_id": prompt_id, "client_id": client_id, "queue": queue, "prompt": prompt_dict, "submitted_at": body["submitted_at"]},
            )
            try:
                result = await asyncio.wait_for(asyncio.shield(pending.future), timeout)
            except asyncio.TimeoutError:
                await self._cancel_quietly([prompt_id])
                raise JobTimeoutError(f"prompt {prompt_id} did not finish within {timeout} s", prompt_id, wire.error_result(prompt_id, "timeout", "timed out")) from None
            except asyncio.CancelledError:
                if not pending.future.done() or pending.future.cancelled():
                    await asyncio.shield(self._cancel_quietly([prompt_id]))
                raise
        except BaseException as error:
            self._remember(prompt_id, prompt_dict, {}, _error_status(error))
            raise
        finally:
            self._pending.pop(prompt_id, None)
            if not pending.future.done():
                pending.future.cancel()
            await self.unsubscribe(client_id)
        self._remember(prompt_id, prompt_dict, result.outputs, result.status)
        return result

    async def queue_prompt(
        self,
        prompt: Mapping[str, Any] | str,
        prompt_id: Optional[str] = None,
        client_id: Optional[str] = None,
        partial_execution_targets: Optional[list[str]] = None,
        progress_handler: Optional[ExecutorToClientProgress] = None,
        extra_data: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> dict[str, Any]:
        """Run ``prompt`` on a worker and return its ui outputs ``{node_id: ui}`` (like
        ``Comfy.queue_prompt``). Errors: see :mod:`comfy.distributed.errors`."""
        result = await self.queue_prompt_result(prompt, prompt_id, client_id, partial_execution_targets, progress_handler, extra_data, timeout)
        return result.outputs

    async def queue_prompt_api(
        self,
        prompt: Mapping[str, Any] | str,
        progress_handler: Optional[ExecutorToClientProgress] = None,
        prompt_id: Optional[str] = None,
    ) -> V1QueuePromptResponse:
        """Like :meth:`queue_prompt`; returns ``V1QueuePromptResponse(urls=[], outputs, prompt_id)``."""
        prompt_id = prompt_id or str(uuid.uuid4())
        outputs = await self.queue_prompt(prompt, prompt_id=prompt_id, progress_handler=progress_handler)
        return V1QueuePromptResponse(urls=[], outputs=outputs, prompt_id=prompt_id)

    def queue_with_progress(self, prompt: Mapping[str, Any] | str, prompt_id: Optional[str] = None) -> QueuePromptWithProgress:
        """Start ``prompt`` now; the handle's ``progress()`` yields its notifications (call it
        with an event loop running)."""
        self._check_running()
        task = QueuePromptWithProgress()
        task.progress_handler.client_id = self.client_id
        return task.start(self.queue_prompt_api(prompt, progress_handler=task.progress_handler, prompt_id=prompt_id))

    async def _target_queue(self, prompt: Mapping[str, Any]) -> str:
        if not self.cluster.live_workers():
            await self._wait_announced(self.discovery_timeout)
        queue = self.cluster.queue_for(wire.prompt_class_types(prompt))
        return queue or self.names.queue

    def _remember(self, prompt_id: str, prompt: Any, outputs: dict[str, Any], status: dict[str, Any]) -> None:
        self.history[prompt_id] = {"prompt": prompt, "outputs": outputs, "status": status}
        while len(self.history) > self._history_size:
            self.history.popitem(last=False)

    # -- control -------------------------------------------------------------------------------

    async def cancel(self, prompt_id: str | Iterable[str]) -> None:
        """Cancel prompts: a running one is interrupted on its worker, a queued one is answered
        ``cancelled`` by the worker that picks it up. This client's own waiters raise
        ``JobCancelledError`` at once."""
        self._check_running()
        ids = [prompt_id] if isinstance(prompt_id, str) else list(prompt_id)
        for pid in ids:
            pending = self._pending.get(pid)
            if pending is not None and not pending.future.done():
                pending.future.set_exception(JobCancelledError(f"prompt {pid} was cancelled", pid, wire.error_result(pid, "cancelled", "cancelled")))
        await self._publish_cluster(wire.CANCEL, {"prompt_ids": ids})

    async def _cancel_quietly(self, prompt_ids: list[str]) -> None:
        try:
            await asyncio.wait_for(self._publish_cluster(wire.CANCEL, {"prompt_ids": prompt_ids}), 5)
        except Exception:
            logger.debug("could not broadcast the cancel of %s", prompt_ids, exc_info=True)

    async def interrupt(self, prompt_id: str | Iterable[str] | None = None) -> None:
        """Interrupt running prompts (None: every prompt this client is waiting for). A prompt
        that has not started yet is not affected (use :meth:`cancel`)."""
        self._check_running()
        if prompt_id is None:
            ids = list(self._pending)
        elif isinstance(prompt_id, str):
            ids = [prompt_id]
        else:
            ids = list(prompt_id)
        if ids:
            await self._publish_cluster(wire.INTERRUPT, {"prompt_ids": ids})

    def __repr__(self) -> str:
        return f"<DistributedComfyClient queue={self.names.queue!r} client_id={self.client_id!r} pending={len(self._pending)}>"


def _has_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _now() -> Any:
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _error_status(error: BaseException) -> dict[str, Any]:
    status = getattr(error, "status", None)
    if isinstance(status, dict):
        return status
    return wire.status_dict("error", [["execution_error", {"exception_message": str(error) or type(error).__name__}]])

"""`DistributedWorker`: runs jobs from RabbitMQ with the embedded executor (``comfyui-worker``).

What one worker process does (names and bodies: :mod:`comfy.distributed.wire`):

* loads its plugins and custom nodes, computes its node set's hash and declares its capability
  queue ``Q.nodes.<hash>`` (workers with the same nodes share it);
* consumes that queue with ``prefetch=1``; a job runs in the embedded client (``Comfy``), its
  events go to the submitting client (``Q.progress``, routing key = client id), then the output
  files (binary chunks) and the ``comfy.result`` are published to ``reply_to`` with publisher
  confirms, and only then is the job acked: a worker that dies mid-job leaves it to another one;
* routes the jobs of the base queue ``Q`` (published by clients that do not know the cluster, e.g.
  STOMP browsers) to a capability queue whose workers have all their node classes (its own when it
  has them, or when nobody has them: then the job fails validation in ComfyUI's error shape);
* answers dead-lettered jobs (``Q.dead``) with an error to their callers;
* announces itself (schemas, node set) on ``Q.cluster``, sends heartbeats, answers ``worker.hello``,
  publishes ``job.started`` / ``job.finished``; obeys ``control.cancel`` / ``control.interrupt``;
* survives broker restarts (reconnect, redeclare, consume again; a result finished while the
  broker was away is published after the reconnect — the broker redelivers the job too, and the
  caller keeps the first answer);
* stops on SIGTERM/SIGINT: stops consuming, finishes the running job (a second signal interrupts it
  and returns it to the queue), says ``worker.bye``, exits 0.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import time
import traceback
import uuid
from collections.abc import Mapping
from typing import Any

import aiormq
import aiormq.abc
import aiormq.exceptions
from pamqp.commands import Basic

from . import wire
from .cluster import ClusterView
from .connection import ReconnectingConnection, declare_job_queue, declare_topology
from .dead_letters import DeadLetterRelay
from .health import HealthServer
from .worker_progress import AmqpProgressHandler, ProgressOutbox

__all__ = ["DistributedWorker", "collect_output_files"]

logger = logging.getLogger(__name__)

_FILE_KEYS = ("filename", "subfolder", "type")


def collect_output_files(outputs: Mapping[str, Any], paths: Any = None) -> list[tuple[dict[str, Any], str]]:
    """Every file named in ``outputs`` (``{"filename", "subfolder", "type"[, "abs_path"]}``
    records in any ui list) with its path on this machine, each once."""
    found: list[tuple[dict[str, Any], str]] = []
    seen: set[tuple[str, str, str]] = set()
    for ui in outputs.values():
        if not isinstance(ui, Mapping):
            continue
        for values in ui.values():
            if not isinstance(values, list):
                continue
            for item in values:
                if not isinstance(item, Mapping) or not isinstance(item.get("filename"), str):
                    continue
                key = (item["filename"], str(item.get("subfolder") or ""), str(item.get("type") or "output"))
                if key in seen:
                    continue
                path = item.get("abs_path")
                if not isinstance(path, str) and paths is not None:
                    path = _resolve(paths, *key)
                if isinstance(path, str) and os.path.isfile(path):
                    seen.add(key)
                    found.append(({"filename": key[0], "subfolder": key[1], "type": key[2]}, path))
    return found


def _resolve(paths: Any, filename: str, subfolder: str, kind: str) -> str | None:
    directory = {"output": "output_directory", "temp": "temp_directory", "input": "input_directory"}.get(kind)
    root = getattr(paths, directory, None) if directory else None
    if not isinstance(root, str):
        return None
    return os.path.join(root, subfolder, filename)


class _Job:
    """The job this worker is running."""

    def __init__(self, job: dict[str, Any], message: aiormq.abc.DeliveredMessage, generation: int) -> None:
        self.job = job
        self.message = message
        self.generation = generation
        self.prompt_id: str = job["prompt_id"]
        self.attempt = uuid.uuid4().hex
        self.task: asyncio.Task[Any] | None = None
        self.stop_reason: str | None = None
        """Why the run was cancelled: ``interrupted``, ``cancelled``, ``timeout``, ``shutdown``."""


class DistributedWorker:
    """A worker process's AMQP side; see the module docstring.

    ``configuration``: the engine configuration (workspace folders, caches, ...) the embedded
    client runs with. ``health_port``: serve ``/health`` there (None: no endpoint).
    """

    def __init__(
        self,
        uri: str,
        queue_name: str = wire.DEFAULT_QUEUE_NAME,
        configuration: Mapping[str, Any] | None = None,
        *,
        health_port: int | None = None,
        health_host: str = "0.0.0.0",
        heartbeat_seconds: float = wire.HEARTBEAT_SECONDS,
        delivery_limit: int = wire.DELIVERY_LIMIT,
        max_file_bytes: int = wire.MAX_INLINE_FILE_BYTES,
        worker_id: str | None = None,
    ) -> None:
        from comfy.cli_args_types import Configuration

        self.uri = uri
        self.names = wire.Names(queue_name)
        self.configuration = Configuration(dict(configuration or {}))
        self.worker_id = worker_id or f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.heartbeat_seconds = heartbeat_seconds
        self.delivery_limit = delivery_limit
        self.max_file_bytes = max_file_bytes
        self.health = HealthServer(self._healthy, health_port, health_host) if health_port is not None else None
        self.cluster = ClusterView(history_size=0)
        self.nodes: frozenset[str] = frozenset()
        self.nodes_hash = ""
        self.capability_queue = ""
        self.object_info: dict[str, Any] = {}
        self.jobs_done = 0
        self._comfy: Any = None
        self._paths: Any = None
        self._connection: ReconnectingConnection | None = None
        self._consumers: list[tuple[aiormq.abc.AbstractChannel, str]] = []
        self._consuming = False
        self._outbox: ProgressOutbox | None = None
        self._dead_letters: DeadLetterRelay | None = None
        self._current: _Job | None = None
        self._cancelled: dict[str, float] = {}
        self._stopping = False
        self._stop_signals = 0
        self._stopped = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle --------------------------------------------------------------------------

    async def run(self) -> int:
        """Run until stopped (:meth:`request_stop`, SIGTERM, SIGINT); returns the exit code."""
        await self.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self.request_stop)
            except (NotImplementedError, RuntimeError):
                pass
        try:
            loop.add_signal_handler(signal.SIGUSR1, self.dump_tasks)
        except (NotImplementedError, RuntimeError, AttributeError):
            pass
        await self._stopped.wait()
        await self.close()
        return 0

    def dump_tasks(self) -> None:
        """Log every asyncio task's stack (SIGUSR1): what a stuck worker is waiting for."""
        import io

        for task in asyncio.all_tasks():
            buffer = io.StringIO()
            task.print_stack(limit=8, file=buffer)
            logger.warning("task %s:\n%s", task.get_name(), buffer.getvalue())

    async def start(self) -> None:
        from comfy.client.embedded_comfy_client import Comfy

        self._comfy = Comfy(configuration=self.configuration)
        await self._comfy.__aenter__()
        await asyncio.to_thread(self._describe_nodes)
        self._connection = ReconnectingConnection(self.uri, self._on_connect, name=f"worker {self.worker_id}")
        self._outbox = ProgressOutbox(self._connection, self.names.progress_exchange)
        self._dead_letters = DeadLetterRelay(self.names, self._connection, self.worker_id)
        await self._connection.start(timeout=None)
        self._outbox.start()
        self._spawn(self._heartbeats())
        if self.health is not None:
            await self.health.start()
        logger.info("worker %s consuming %s (nodes %s, %d classes) and routing %s", self.worker_id, self.capability_queue, self.nodes_hash, len(self.nodes), self.names.queue)

    def _describe_nodes(self) -> None:
        from comfy import folder_paths
        from comfy.cli_args import use_configuration
        from comfy.nodes.object_info import object_info
        from comfy.nodes.registry import load_registry

        state = getattr(self._comfy, "_state", None)
        paths = state.paths if state is not None else folder_paths.current()
        self._paths = paths
        with use_configuration(self.configuration), folder_paths.use_folder_paths(paths):
            registry = state.registry if state is not None else load_registry(self.configuration)
            self.object_info = object_info(registry)
        self.nodes = frozenset(registry)
        self.nodes_hash = wire.nodes_hash(self.nodes)
        self.capability_queue = self.names.capability_queue(self.nodes_hash)

    def request_stop(self) -> None:
        """Stop consuming and finish the running job; a second call interrupts it and returns
        it to the queue."""
        self._stop_signals += 1
        if self._stop_signals == 1:
            logger.info("worker %s stopping: finishing the running job", self.worker_id)
            self._stopping = True
            self._spawn(self._stop())
        elif self._current is not None and self._current.task is not None:
            logger.info("worker %s stopping now: returning job %s to the queue", self.worker_id, self._current.prompt_id)
            self._current.stop_reason = "shutdown"
            self._current.task.cancel()

    async def _stop(self) -> None:
        for channel, tag in self._consumers:
            try:
                if not channel.is_closed:
                    await channel.basic_cancel(tag)
            except Exception:
                pass
        self._consuming = False
        logger.info("worker %s stopped consuming", self.worker_id)
        while self._current is not None:
            await asyncio.sleep(0.05)
        self._stopped.set()

    async def close(self) -> None:
        self._stopping = True
        if self._connection is not None and self._connection.connected.is_set():
            try:
                await asyncio.wait_for(self._publish_cluster(wire.BYE, {"worker_id": self.worker_id}), 2)
            except Exception:
                pass
        for task in list(self._tasks):
            task.cancel()
        if self._outbox is not None:
            await self._outbox.close()
        if self.health is not None:
            await self.health.close()
        if self._connection is not None:
            await self._connection.close()
        if self._comfy is not None:
            await self._comfy.__aexit__(None, None, None)
            self._comfy = None

    def _healthy(self) -> bool:
        return bool(self._connection is not None and self._connection.connected.is_set() and self._consuming and not self._stopping)

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- connection set-up ----------------------------------------------------------------------

    async def _on_connect(self, connection: aiormq.abc.AbstractConnection) -> None:
        await declare_topology(connection, self.names, self.delivery_limit)
        await declare_job_queue(connection, self.names, self.capability_queue, self.delivery_limit)
        control = await connection.channel()
        cluster_queue = await control.queue_declare("", exclusive=True, auto_delete=True)
        assert cluster_queue.queue is not None
        for key in ("control.*", "worker.*"):
            await control.queue_bind(cluster_queue.queue, self.names.cluster_exchange, routing_key=key)
        await control.basic_consume(cluster_queue.queue, self._on_cluster, no_ack=True)
        assert self._dead_letters is not None
        await self._dead_letters.start(connection)
        self._consumers = []
        self._consuming = False
        if not self._stopping:
            if self._current is None:
                await self._consume(connection)
            else:
                # reconnected while a job still runs: its result goes out first; taking another
                # job now would run two at once
                self._spawn(self._consume_when_idle(connection))
        self._announce_soon()

    async def _consume(self, connection: aiormq.abc.AbstractConnection) -> None:
        jobs = await connection.channel()
        await jobs.basic_qos(prefetch_count=1)
        consume = await jobs.basic_consume(self.capability_queue, self._on_job)
        router = await connection.channel()
        await router.basic_qos(prefetch_count=16)
        route = await router.basic_consume(self.names.queue, self._on_route)
        assert self._connection is not None
        for channel in (jobs, router):
            self._connection.reconnect_on_consumer_cancel(channel)
        self._consumers = [(c, t) for c, t in ((jobs, consume.consumer_tag), (router, route.consumer_tag)) if t]
        self._consuming = True

    async def _consume_when_idle(self, connection: aiormq.abc.AbstractConnection) -> None:
        while self._current is not None:
            await asyncio.sleep(0.05)
        if not self._stopping and not connection.is_closed:
            try:
                await self._consume(connection)
            except Exception:
                logger.warning("worker %s: could not consume after the reconnect", self.worker_id, exc_info=True)

    def _announce_soon(self) -> None:
        # after _on_connect has returned (the connection's publish channel is ready then)
        self._spawn(self._announce())

    async def _announce(self) -> None:
        assert self._connection is not None
        await self._connection.wait_connected()
        current = self._current
        await self._publish_cluster(
            wire.ANNOUNCE,
            {
                "worker_id": self.worker_id,
                "queue": self.capability_queue,
                "nodes_hash": self.nodes_hash,
                "nodes": sorted(self.nodes),
                "object_info": self.object_info,
                "busy": current is not None,
                "prompt_id": current.prompt_id if current is not None else None,
                "heartbeat_seconds": self.heartbeat_seconds,
                "started_at": time.time(),
            },
        )

    def _reconsume(self, connection: aiormq.abc.AbstractConnection, why: str) -> None:
        """Reconnect (declare and consume again): RabbitMQ 3.10 does not always tell a consumer
        that its quorum queue was deleted."""
        if self._stopping or connection.is_closed:
            return
        logger.warning("worker %s: %s; reconnecting to consume it again", self.worker_id, why)
        self._spawn(connection.close())

    async def _check_queue(self) -> None:
        connection = self._connection.connection if self._connection is not None else None
        if connection is None or connection.is_closed or not self._consuming:
            return
        try:
            channel = await connection.channel()
        except Exception:
            return
        try:
            await channel.queue_declare(self.capability_queue, passive=True)
            await channel.close()
        except aiormq.exceptions.ChannelNotFoundEntity:
            self._reconsume(connection, f"queue {self.capability_queue} is gone")
        except Exception:
            pass

    async def _heartbeats(self) -> None:
        beats = 0
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            beats += 1
            if beats % 3 == 0:
                await self._check_queue()
            current = self._current
            try:
                await self._publish_cluster(
                    wire.HEARTBEAT,
                    {
                        "worker_id": self.worker_id,
                        "queue": self.capability_queue,
                        "nodes_hash": self.nodes_hash,
                        "busy": current is not None,
                        "prompt_id": current.prompt_id if current is not None else None,
                        "heartbeat_seconds": self.heartbeat_seconds,
                    },
                    retry=False,
                )
            except Exception:
                pass
            now = time.monotonic()
            for prompt_id in [p for p, t in self._cancelled.items() if now - t > wire.CANCEL_MEMORY_SECONDS]:
                self._cancelled.pop(prompt_id, None)

    async def _publish_cluster(self, routing_key: str, body: dict[str, Any], retry: bool = True) -> None:
        assert self._connection is not None
        await self._connection.publish(
            wire.dumps({"version": wire.WIRE_VERSION, **body}),
            exchange=self.names.cluster_exchange,
            routing_key=routing_key,
            properties=Basic.Properties(content_type="application/json", message_type=wire.CLUSTER),
            confirm=False,
            retry=retry,
        )

    # -- cluster messages ----------------------------------------------------------------------

    async def _on_cluster(self, message: aiormq.abc.DeliveredMessage) -> None:
        try:
            body = wire.loads(message.body)
        except ValueError:
            return
        routing_key = message.routing_key or ""
        if routing_key in (wire.ANNOUNCE, wire.HEARTBEAT, wire.BYE):
            self.cluster.handle(routing_key, body)
        elif routing_key == wire.HELLO:
            self._announce_soon()
        elif routing_key in (wire.CANCEL, wire.INTERRUPT):
            ids = [str(p) for p in body.get("prompt_ids") or []]
            if routing_key == wire.CANCEL:
                now = time.monotonic()
                for prompt_id in ids:
                    self._cancelled[prompt_id] = now
            current = self._current
            if current is not None and current.prompt_id in ids and current.task is not None and not current.task.done():
                logger.info("worker %s: interrupting %s", self.worker_id, current.prompt_id)
                current.stop_reason = "interrupted"
                current.task.cancel()

    # -- routing (the base queue) --------------------------------------------------------------

    async def _on_route(self, message: aiormq.abc.DeliveredMessage) -> None:
        self._spawn(self._route(message))

    async def _route(self, message: aiormq.abc.DeliveredMessage) -> None:
        properties = message.header.properties
        try:
            job = wire.parse_job(wire.loads(message.body), properties.correlation_id)
        except (ValueError, UnicodeDecodeError) as error:
            await self._reply_and_ack(message, wire.error_result(str(properties.correlation_id or ""), "bad_request", f"not a valid job: {error}", self.worker_id))
            return
        needed = wire.prompt_class_types(job["prompt"])
        target = self.capability_queue if needed <= self.nodes else (self.cluster.queue_for(needed) or self.capability_queue)
        headers = dict(properties.headers or {})
        headers[wire.H_ROUTED] = self.worker_id
        headers.setdefault(wire.H_CLIENT_ID, job["client_id"])
        forwarded = Basic.Properties(
            content_type="application/json",
            delivery_mode=2,
            correlation_id=properties.correlation_id or job["prompt_id"],
            reply_to=properties.reply_to,
            message_type=wire.JOB,
            headers=headers,
            expiration=properties.expiration,
            timestamp=properties.timestamp,
        )
        assert self._connection is not None
        body = wire.dumps(job)
        try:
            try:
                await self._connection.publish(body, routing_key=target, properties=forwarded, mandatory=True, retry=False)
            except aiormq.exceptions.PublishError:
                # the capability queue is missing (deleted): declare it as everybody does, so the
                # job waits there for its workers, and publish again
                connection = self._connection.connection
                assert connection is not None
                await declare_job_queue(connection, self.names, target, self.delivery_limit)
                forwarded.message_id = None
                await self._connection.publish(body, routing_key=target, properties=forwarded, mandatory=True, retry=False)
                if target == self.capability_queue:
                    self._reconsume(connection, "its queue was deleted")
        except Exception:
            logger.warning("could not route job %s to %s; returning it", job["prompt_id"], target, exc_info=True)
            await self._settle(message, requeue=True)
            return
        await self._settle(message)

    # -- jobs ------------------------------------------------------------------------------------

    async def _on_job(self, message: aiormq.abc.DeliveredMessage) -> None:
        # run outside aiormq's consumer task: that task dies with its channel, the job must not
        assert self._connection is not None
        self._spawn(self._run_job(message, self._connection.generation))

    async def _run_job(self, message: aiormq.abc.DeliveredMessage, generation: int) -> None:
        properties = message.header.properties
        try:
            job = wire.parse_job(wire.loads(message.body), properties.correlation_id)
        except (ValueError, UnicodeDecodeError) as error:
            await self._reply_and_ack(message, wire.error_result(str(properties.correlation_id or ""), "bad_request", f"not a valid job: {error}", self.worker_id))
            return
        prompt_id = job["prompt_id"]
        if prompt_id in self._cancelled:
            logger.info("worker %s: job %s was cancelled before it started", self.worker_id, prompt_id)
            result = wire.error_result(prompt_id, "cancelled", f"prompt {prompt_id} was cancelled before it started", self.worker_id)
            await self._reply_and_ack(message, result, job)
            return
        # a job delivered while the consumers are being cancelled runs too: returning it would
        # count towards its delivery limit
        current = _Job(job, message, generation)
        self._current = current
        redelivered = (properties.headers or {}).get("x-delivery-count")
        if redelivered:
            logger.warning("worker %s: job %s is delivered again (%s earlier deliveries)", self.worker_id, prompt_id, redelivered)
        try:
            await self._publish_cluster(
                wire.JOB_STARTED,
                {"prompt_id": prompt_id, "client_id": job["client_id"], "worker_id": self.worker_id, "started_at": time.time(), "prompt": job["prompt"]},
                retry=False,
            )
        except Exception:
            pass
        try:
            result, files = await self._execute(current)
            if current.stop_reason == "shutdown":
                await self._settle(message, requeue=True)
                return
            await self._reply_and_ack(message, result, job, files)
            self.jobs_done += 1
        finally:
            self._current = None

    async def _execute(self, current: _Job) -> tuple[dict[str, Any], list[tuple[dict[str, Any], str]]]:
        job = current.job
        prompt_id = current.prompt_id
        assert self._outbox is not None
        handler = AmqpProgressHandler(asyncio.get_running_loop(), self._outbox, prompt_id, job["client_id"], publish=job["progress"])
        current.task = asyncio.ensure_future(
            self._comfy.queue_prompt(
                job["prompt"],
                prompt_id=prompt_id,
                client_id=job["client_id"],
                partial_execution_targets=job["partial_execution_targets"],
                progress_handler=handler,
                extra_data=job["extra_data"],  # e.g. extra_pnginfo: the workflow SaveImage writes into PNGs
            )
        )
        try:
            outputs = await asyncio.wait_for(asyncio.shield(current.task), job["timeout"])
        except asyncio.TimeoutError:
            current.stop_reason = "timeout"
            current.task.cancel()
            await asyncio.gather(current.task, return_exceptions=True)
            await self._outbox.flush()
            return self._failure(current, "timeout", f"prompt {prompt_id} did not finish within {job['timeout']} s"), []
        except asyncio.CancelledError:
            if current.stop_reason is None:
                raise
            await self._outbox.flush()
            reason = current.stop_reason
            return self._failure(current, reason if reason != "shutdown" else "interrupted", f"prompt {prompt_id} was interrupted"), []
        except BaseException as error:
            await self._outbox.flush()
            self._maybe_panic(error)
            return self._error_result(current, error, handler), []
        await self._outbox.flush()
        files = collect_output_files(outputs, self._paths)
        return self._success(current, outputs, files), files

    def _success(self, current: _Job, outputs: dict[str, Any], files: list[tuple[dict[str, Any], str]]) -> dict[str, Any]:
        records: list[dict[str, Any]] = []
        total = sum(os.path.getsize(path) for _, path in files)
        for record, path in files:
            size = os.path.getsize(path)
            entry = dict(record, size=size, chunks=max(1, -(-size // wire.FILE_CHUNK_BYTES)), stored=total <= self.max_file_bytes)
            records.append(entry)
        return {
            "version": wire.WIRE_VERSION,
            "type": wire.RESULT,
            "prompt_id": current.prompt_id,
            "attempt": current.attempt,
            "worker_id": self.worker_id,
            "status": wire.status_dict("success", [["execution_success", {"prompt_id": current.prompt_id}]]),
            "outputs": outputs,
            "files": records,
            "error": None,
        }

    def _failure(self, current: _Job, kind: str, message: str) -> dict[str, Any]:
        return wire.error_result(current.prompt_id, kind, message, self.worker_id, current.attempt)

    def _error_result(self, current: _Job, error: BaseException, handler: AmqpProgressHandler) -> dict[str, Any]:
        from comfy.execution.errors import InterruptProcessingException, PromptValidationError

        if isinstance(error, PromptValidationError):
            result = wire.error_result(current.prompt_id, "validation", str(error), self.worker_id, current.attempt, error=error.error, node_errors=error.node_errors)
            result["status"]["messages"] = [["execution_error", {"prompt_id": current.prompt_id, "exception_message": str(error), "exception_type": "PromptValidationError"}]]
            return result
        if isinstance(error, InterruptProcessingException):
            return wire.error_result(current.prompt_id, "interrupted", f"prompt {current.prompt_id} was interrupted", self.worker_id, current.attempt)
        details = dict(handler.last_error or {})
        exception_type = details.get("exception_type") or f"{type(error).__module__}.{type(error).__qualname__}".removeprefix("builtins.")
        message = details.get("exception_message") or str(error) or type(error).__name__
        result = wire.error_result(
            current.prompt_id,
            "execution",
            message,
            self.worker_id,
            current.attempt,
            exception_type=exception_type,
            node_id=details.get("node_id"),
            node_type=details.get("node_type"),
            traceback=details.get("traceback") or traceback.format_exception(type(error), error, error.__traceback__),
        )
        if details:
            result["status"]["messages"] = [["execution_error", wire.loads(wire.dumps(details))]]
        return result

    def _maybe_panic(self, error: BaseException) -> None:
        names = set(self.configuration.get("panic_when") or ())
        full = f"{type(error).__module__}.{type(error).__qualname__}"
        if full in names or type(error).__qualname__ in names:
            logger.critical("worker %s: %s is in --panic-when; exiting without acking the job", self.worker_id, full)
            os._exit(1)

    # -- answering -------------------------------------------------------------------------------

    async def _reply_and_ack(
        self,
        message: aiormq.abc.DeliveredMessage,
        result: dict[str, Any],
        job: dict[str, Any] | None = None,
        files: list[tuple[dict[str, Any], str]] | None = None,
    ) -> None:
        """Publish the files and the result to ``reply_to`` (confirmed), ``job.finished``, then ack."""
        assert self._connection is not None
        properties = message.header.properties
        reply_to = properties.reply_to
        prompt_id = str(result.get("prompt_id") or properties.correlation_id or "")
        correlation_id = properties.correlation_id or prompt_id
        if reply_to:
            records = result.get("files") or []
            for index, ((_, path), record) in enumerate(zip(files or [], records, strict=False)):
                if record.get("stored", True):
                    record["sha256"] = await self._send_file(reply_to, correlation_id, prompt_id, result["attempt"], index, record, path)
            await self._connection.publish(
                wire.dumps(result),
                routing_key=reply_to,
                properties=Basic.Properties(
                    content_type="application/json",
                    delivery_mode=2,
                    correlation_id=correlation_id,
                    message_type=wire.RESULT,
                    headers={wire.H_VERSION: wire.WIRE_VERSION, wire.H_PROMPT_ID: prompt_id},
                ),
            )
        try:
            outputs = _without_paths(result.get("outputs") or {})
            await self._publish_cluster(
                wire.JOB_FINISHED,
                {
                    "prompt_id": prompt_id,
                    "client_id": (job or {}).get("client_id", ""),
                    "worker_id": self.worker_id,
                    "status": result.get("status"),
                    "outputs": outputs,
                    "finished_at": time.time(),
                },
                retry=False,
            )
        except Exception:
            pass
        await self._settle(message)

    async def _send_file(self, reply_to: str, correlation_id: str, prompt_id: str, attempt: str, index: int, record: dict[str, Any], path: str) -> str:
        assert self._connection is not None
        digest = hashlib.sha256()
        chunks = int(record["chunks"])
        with open(path, "rb") as handle:
            for chunk_index in range(chunks):
                data = handle.read(wire.FILE_CHUNK_BYTES)
                digest.update(data)
                await self._connection.publish(
                    data,
                    routing_key=reply_to,
                    properties=Basic.Properties(
                        content_type="application/octet-stream",
                        delivery_mode=2,
                        correlation_id=correlation_id,
                        message_type=wire.FILE,
                        headers={
                            wire.H_VERSION: wire.WIRE_VERSION,
                            wire.H_PROMPT_ID: prompt_id,
                            wire.H_ATTEMPT: attempt,
                            wire.H_FILE: index,
                            wire.H_CHUNK: chunk_index,
                            wire.H_CHUNKS: chunks,
                            wire.H_FILENAME: record["filename"],
                            wire.H_SUBFOLDER: record["subfolder"],
                            wire.H_FILE_TYPE: record["type"],
                        },
                    ),
                )
        return digest.hexdigest()

    async def _settle(self, message: aiormq.abc.DeliveredMessage, requeue: bool | None = None) -> None:
        """Ack (or with ``requeue`` nack) a delivery; on a channel that is gone (the broker
        already returned the message) there is nothing to do."""
        channel = message.channel
        if channel.is_closed:
            return
        try:
            if requeue is None:
                await channel.basic_ack(message.delivery_tag or 0)
            else:
                await channel.basic_nack(message.delivery_tag or 0, requeue=requeue)
        except Exception:
            logger.debug("could not settle delivery %s", message.delivery_tag, exc_info=True)


def _without_paths(outputs: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for node_id, ui in outputs.items():
        if isinstance(ui, Mapping):
            cleaned[node_id] = {
                key: [{k: v for k, v in item.items() if k != "abs_path"} if isinstance(item, Mapping) else item for item in values]
                if isinstance(values, list)
                else values
                for key, values in ui.items()
            }
        else:
            cleaned[node_id] = ui
    return cleaned

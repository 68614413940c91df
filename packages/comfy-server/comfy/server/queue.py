"""`PromptQueue`: the server's prompt queue and the worker threads that run it.

Prompts are validated by the route that receives them (:meth:`PromptQueue.validate`), then queued
with a priority `number` (lower runs first; ComfyUI's `front` gives a negative number). Each of
`--max-workers` threads (default 1, as ComfyUI's `prompt_worker`) owns a `PromptExecutor` with its
own node-output cache and loops: take the next prompt, run it, write the history entry, send
`executing {node: null}` to the prompt's client, broadcast the queue status, wake whoever waits
on the result. Between prompts a worker applies the `/free` flags.

Everything here is thread-safe; the asyncio side (futures of waiting requests) is only touched
through `loop.call_soon_threadsafe`.

The interrupt flag is process-wide (`comfy.model_management`), as in ComfyUI: with several
workers, `/interrupt` stops whichever running prompt checks the flag first.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from comfy.cli_args import use_configuration
from comfy.cli_args_types import Configuration
from comfy.component_model.queue_types import MAXIMUM_HISTORY_SIZE, SENSITIVE_EXTRA_DATA_KEYS
from comfy.execution import PromptExecutor, ValidationResult
from comfy.folder_paths import FolderPaths, use_folder_paths
from comfy.model_management import interrupt_current_processing
from comfy.nodes.registry import NodeRegistry
from comfy.nodes_context import use_nodes
from comfy.server.history import History

if TYPE_CHECKING:
    from comfy.server.ws import ConnectionManager

__all__ = ["PromptQueue", "PromptQueueProtocol", "QueuedPrompt", "SHUTTING_DOWN"]

logger = logging.getLogger(__name__)

INLINE_VALIDATION_NODES = 512
"""Prompts with more nodes than this are validated off the event loop."""

SHUTTING_DOWN: Any = object()
"""What a waiter's future receives when the server shuts down before its prompt finished."""


@dataclass(eq=False)
class QueuedPrompt:
    """One queued or running prompt."""

    number: float
    prompt_id: str
    prompt: dict[str, Any]
    extra_data: dict[str, Any]
    good_outputs: list[str]
    validation: ValidationResult | None = field(default=None, repr=False)
    validator: PromptExecutor | None = field(default=None, repr=False)
    sensitive: dict[str, Any] = field(default_factory=dict, repr=False)
    targets: list[str] | None = None
    waiters: list[asyncio.Future[Any]] = field(default_factory=list, repr=False)
    started_at: int | None = None
    """When a worker took it (ms since the epoch); None while pending."""

    def as_tuple(self) -> list[Any]:
        """The upstream queue array `[number, prompt_id, prompt, extra_data, good_outputs]`."""
        return [self.number, self.prompt_id, self.prompt, self.extra_data, self.good_outputs]


class PromptQueue:
    """See the module docstring. `events` receives `send_sync(event, data, sid)` and
    `queue_updated()`; `start(loop)` starts the workers, `stop()` ends them."""

    def __init__(
        self,
        configuration: Configuration,
        registry: NodeRegistry,
        folders: FolderPaths,
        events: ConnectionManager,
        *,
        plugin_manager: Any = None,
        max_workers: int = 1,
        history_size: int = MAXIMUM_HISTORY_SIZE,
    ) -> None:
        self.configuration = configuration
        self.registry = registry
        self.folders = folders
        self.events = events
        self.plugin_manager = plugin_manager if plugin_manager is not None else registry.plugin_manager
        self.max_workers = max(1, int(max_workers or 1))
        self.history = History(history_size)
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, QueuedPrompt]] = []
        self._pending: dict[str, QueuedPrompt] = {}
        self._running: dict[str, QueuedPrompt] = {}
        self._seq = itertools.count()
        self._number = itertools.count()
        self._flags: dict[str, bool] = {}
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.executors = [self._make_executor() for _ in range(self.max_workers)]

    def _make_executor(self) -> PromptExecutor:
        return PromptExecutor.from_configuration(
            self.configuration, self.registry, handler=self.events, plugin_manager=self.plugin_manager
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the worker threads; waiting requests' futures belong to `loop`."""
        self.loop = loop
        self._stopping = False
        for index, executor in enumerate(self.executors):
            thread = threading.Thread(target=self._work, args=(executor,), name=f"comfy-prompt-worker-{index}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def begin_stop(self) -> None:
        """Stop taking prompts: pending ones are dropped, running ones interrupted, and every
        waiting request's future gets :data:`SHUTTING_DOWN`. Does not block."""
        with self._cond:
            self._stopping = True
            dropped = list(self._pending.values())
            self._pending.clear()
            self._heap.clear()
            running = list(self._running.values())
            self._cond.notify_all()
        self._resolve([f for item in dropped for f in item.waiters], SHUTTING_DOWN)
        self._resolve([f for item in running for f in item.waiters], SHUTTING_DOWN)
        if running:
            interrupt_current_processing()

    def stop(self, timeout: float = 10.0) -> None:
        """:meth:`begin_stop`, then wait up to `timeout` seconds for the workers to end."""
        self.begin_stop()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            logger.warning("prompt workers still running at shutdown: %s", ", ".join(alive))
        self._threads = []
        for executor in self.executors:
            executor.close()

    @property
    def alive(self) -> bool:
        """Whether every worker thread is running."""
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    # -- submitting ------------------------------------------------------------------------------

    def next_number(self) -> int:
        """The next priority number (the server counter shared by `/prompt` and `/api/v1/prompts`)."""
        return next(self._number)

    def validate(self, prompt: Any, partial_execution_targets: list[str] | None = None) -> ValidationResult:
        """Validate `prompt` with the node registry, in this server's workspace and configuration."""
        with use_configuration(self.configuration), use_folder_paths(self.folders), use_nodes(self.registry):
            return self.executors[0].validate(prompt, partial_execution_targets)

    async def avalidate(self, prompt: Any, partial_execution_targets: list[str] | None = None) -> ValidationResult:
        """:meth:`validate` from the event loop: in place for small prompts, in a worker thread
        for large ones (validation costs about a microsecond per node)."""
        if not isinstance(prompt, dict) or len(prompt) <= INLINE_VALIDATION_NODES:
            return self.validate(prompt, partial_execution_targets)
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.validate, prompt, partial_execution_targets)

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
        """Queue a validated prompt; `waiter` (a future of `self.loop`) gets its history entry."""
        extra = dict(extra_data or {})
        sensitive = {k: extra.pop(k) for k in SENSITIVE_EXTRA_DATA_KEYS if k in extra}
        extra.setdefault("create_time", int(time.time() * 1000))
        item = QueuedPrompt(
            number=self.next_number() if number is None else number,
            prompt_id=prompt_id or str(uuid.uuid4()),
            prompt=prompt,
            extra_data=extra,
            good_outputs=list(validation.good_outputs),
            validation=validation,
            validator=self.executors[0],
            sensitive=sensitive,
            targets=targets,
        )
        if waiter is not None:
            item.waiters.append(waiter)
        with self._cond:
            if self._stopping:
                raise RuntimeError("the queue is shutting down")
            heapq.heappush(self._heap, (item.number, next(self._seq), item))
            self._pending[item.prompt_id] = item
            self.events.queue_updated()  # scheduled before any event of the prompt
            self._cond.notify()
        return item

    # -- reading ---------------------------------------------------------------------------------

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    @property
    def remaining(self) -> int:
        """Queued plus running prompts (`exec_info.queue_remaining`)."""
        return len(self._pending) + len(self._running)

    def state_of(self, prompt_id: str) -> str | None:
        """`"pending"`, `"running"`, `"done"` (in history) or None (unknown)."""
        if prompt_id in self._running:
            return "running"
        if prompt_id in self._pending:
            return "pending"
        if prompt_id in self.history:
            return "done"
        return None

    def add_waiter(self, prompt_id: str, waiter: asyncio.Future[Any]) -> bool:
        """Wake `waiter` when `prompt_id` finishes; False when it is neither queued nor running."""
        with self._cond:
            item = self._pending.get(prompt_id) or self._running.get(prompt_id)
            if item is None:
                return False
            item.waiters.append(waiter)
            return True

    def snapshot(self) -> tuple[list[list[Any]], list[list[Any]]]:
        """`(running, pending)` as upstream queue arrays, pending in run order."""
        with self._cond:
            running = [item.as_tuple() for item in self._running.values()]
            pending = [entry[2].as_tuple() for entry in sorted(self._heap, key=lambda e: (e[0], e[1])) if entry[2].prompt_id in self._pending]
        return running, pending

    def items(self) -> tuple[list[QueuedPrompt], list[QueuedPrompt]]:
        """`(running, pending)` queue items (pending in run order), for `/api/jobs`."""
        with self._cond:
            running = list(self._running.values())
            pending = [entry[2] for entry in sorted(self._heap, key=lambda e: (e[0], e[1])) if entry[2].prompt_id in self._pending]
        return running, pending

    def running_ids(self) -> list[str]:
        return list(self._running)

    # -- changing --------------------------------------------------------------------------------

    def delete(self, prompt_ids: Iterable[str]) -> int:
        """Remove pending prompts by id (running ones are not touched); returns how many."""
        removed: list[QueuedPrompt] = []
        with self._cond:
            for prompt_id in prompt_ids:
                item = self._pending.pop(str(prompt_id), None)
                if item is not None:
                    removed.append(item)
            if removed:
                gone = {id(item) for item in removed}
                self._heap = [e for e in self._heap if id(e[2]) not in gone]
                heapq.heapify(self._heap)
        self._cancel_waiters(removed)
        if removed:
            self.events.queue_updated()
        return len(removed)

    def wipe(self) -> int:
        """Remove every pending prompt."""
        with self._cond:
            removed = list(self._pending.values())
            self._pending.clear()
            self._heap.clear()
        self._cancel_waiters(removed)
        if removed:
            self.events.queue_updated()
        return len(removed)

    def _cancel_waiters(self, items: list[QueuedPrompt]) -> None:
        self._resolve([f for item in items for f in item.waiters], None)

    def interrupt(self, prompt_id: str | None = None) -> bool:
        """Interrupt the running prompt (`prompt_id`: only if that one is running)."""
        if prompt_id is not None and prompt_id not in self._running:
            return False
        if prompt_id is None and not self._running:
            return False
        interrupt_current_processing()
        return True

    def set_flag(self, name: str, value: bool = True) -> None:
        """`unload_models` / `free_memory`: applied by a worker after its current prompt."""
        with self._cond:
            self._flags[name] = value
            self._cond.notify()

    # -- the workers -----------------------------------------------------------------------------

    def _take(self) -> QueuedPrompt | None:
        with self._cond:
            while True:
                if self._stopping:
                    return None
                if self._heap:
                    _, _, item = heapq.heappop(self._heap)
                    if self._pending.pop(item.prompt_id, None) is None:
                        continue  # deleted while queued
                    item.started_at = int(time.time() * 1000)
                    self._running[item.prompt_id] = item
                    return item
                if self._flags:
                    return _FLAGS
                self._cond.wait()

    def _work(self, executor: PromptExecutor) -> None:
        with use_configuration(self.configuration), use_folder_paths(self.folders), use_nodes(self.registry):
            while True:
                item = self._take()
                if item is None:
                    break
                if item is not _FLAGS:
                    try:
                        self._run(executor, item)
                    except BaseException:  # never let one prompt kill the worker
                        logger.exception("prompt %s failed in the worker", item.prompt_id)
                self._apply_flags(executor)

    def _run(self, executor: PromptExecutor, item: QueuedPrompt) -> None:
        client_id = item.extra_data.get("client_id")
        extra = {**item.extra_data, **item.sensitive}
        outputs: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        messages: list[Any] = []
        success = False
        try:
            validation = item.validation
            if validation is None or item.validator is not executor:
                validation = executor.validate(item.prompt, item.targets)
            item.validation = None  # a prepared prompt starts once
            if not validation.valid:
                error = validation.error or {}
                messages = [["execution_error", {"prompt_id": item.prompt_id, "exception_message": error.get("message", "invalid prompt"), "exception_type": error.get("type"), "node_errors": validation.node_errors}]]
            else:
                executor.execute_validated(item.prompt, validation, item.prompt_id, extra)
                success = executor.success
                messages = [[event, data] for event, data in executor.status_messages]
                result = executor.history_result
                outputs, meta = result.get("outputs", {}), result.get("meta", {})
        except Exception as error:  # the executor itself failed (not a node: nodes are reported)
            logger.exception("prompt %s could not run", item.prompt_id)
            messages = [*([[e, d] for e, d in executor.status_messages]), ["execution_error", {"prompt_id": item.prompt_id, "exception_message": str(error), "exception_type": type(error).__name__}]]
        entry = {
            "prompt": item.as_tuple(),
            "outputs": outputs,
            "status": {"status_str": "success" if success else "error", "completed": success, "messages": messages},
            "meta": meta,
        }
        self.history.put(item.prompt_id, entry)
        with self._cond:
            self._running.pop(item.prompt_id, None)
            waiters = list(item.waiters)
        if client_id is not None:
            self.events.send_sync("executing", {"node": None, "prompt_id": item.prompt_id}, client_id)
        self.events.queue_updated()
        self._resolve(waiters, entry)

    def _apply_flags(self, executor: PromptExecutor) -> None:
        with self._cond:
            if not self._flags:
                return
            flags, self._flags = self._flags, {}
        free_memory = flags.get("free_memory", False)
        if free_memory:
            for ex in self.executors:
                if not ex.engine.busy:
                    ex.clear_cache()
        if free_memory or flags.get("unload_models", False):
            if self.plugin_manager is not None:
                try:
                    self.plugin_manager.hook.comfy_release_memory()
                except Exception:
                    logger.exception("a plugin failed to release memory")
            import gc

            gc.collect()

    def _resolve(self, futures: list[asyncio.Future[Any]], value: Any) -> None:
        if not futures or self.loop is None or self.loop.is_closed():
            return

        def resolve() -> None:
            for future in futures:
                if not future.done():
                    future.set_result(value)

        try:
            self.loop.call_soon_threadsafe(resolve)
        except RuntimeError:  # the loop closed meanwhile
            pass


_FLAGS: Any = QueuedPrompt(0, "", {}, {}, [])
"""What `_take` returns when only `/free` flags are waiting."""


class PromptQueueProtocol(Protocol):
    """What the route modules, the websocket and the app use of `state.queue`: the seam between
    the HTTP surface and whatever runs prompts. :class:`PromptQueue` runs them in this process;
    a distributed frontend (`comfy.distributed.frontend_queue`) forwards them to remote workers
    and passes its own queue to `create_app(queue_factory=...)`."""

    history: History
    max_workers: int

    @property
    def alive(self) -> bool: ...
    @property
    def pending_count(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    def start(self, loop: asyncio.AbstractEventLoop) -> None: ...
    def begin_stop(self) -> None: ...
    def stop(self, timeout: float = 10.0) -> None: ...
    def next_number(self) -> int: ...
    def validate(self, prompt: Any, partial_execution_targets: list[str] | None = None) -> ValidationResult: ...
    async def avalidate(self, prompt: Any, partial_execution_targets: list[str] | None = None) -> ValidationResult: ...
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
    ) -> QueuedPrompt: ...
    def state_of(self, prompt_id: str) -> str | None: ...
    def add_waiter(self, prompt_id: str, waiter: asyncio.Future[Any]) -> bool: ...
    def snapshot(self) -> tuple[list[list[Any]], list[list[Any]]]: ...
    def items(self) -> tuple[list[QueuedPrompt], list[QueuedPrompt]]: ...
    def running_ids(self) -> list[str]: ...
    def delete(self, prompt_ids: Iterable[str]) -> int: ...
    def wipe(self) -> int: ...
    def interrupt(self, prompt_id: str | None = None) -> bool: ...
    def set_flag(self, name: str, value: bool = True) -> None: ...

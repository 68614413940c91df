"""`Comfy` (alias `EmbeddedComfyClient`): run API-format workflows inside your own program.

No server and no sockets::

    from comfy.client.embedded_comfy_client import Comfy

    async with Comfy() as client:
        outputs = await client.queue_prompt(prompt)   # {node_id: ui}, e.g. {"9": {"images": [...]}}
    # leaving the block waited for every prompt and released models and caches

Where prompts run (``spec/api.md`` §2.1):

* by default in a thread pool (`ContextVarExecutor`) of ``max_workers`` threads. Each prompt runs
  ``PromptExecutor.execute`` in a worker thread (async nodes run on that executor's own event
  loop). Prompts running at the same time use different `PromptExecutor`s, each with its own
  node-output cache: with ``max_workers > 1`` a repeated prompt is a cache hit only on an
  executor that ran it before;
* in spawned child processes (`ProcessPoolExecutor`) when ``executor`` says so or the
  configuration changes a model-management option (``--lowvram``, ``--fp16-vae``, ...; see
  `requires_process_pool_executor`). Progress events and previews still reach the caller, and
  cancelling interrupts the prompt in the child. Only the configuration and the workspace folders
  travel to the child, not the caller's other contextvars.

Cancelling the task that awaits ``queue_prompt`` interrupts that prompt if it is running (or
keeps it from starting). The interrupt flag is process-wide, as in ComfyUI: with several
prompts running at once in threads, the interrupt stops the first of them that checks the flag,
which may not be the cancelled one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import copy
import json
import logging
import threading
import uuid
from concurrent.futures.process import BrokenProcessPool
from collections.abc import Mapping
from typing import Any, Literal, Optional

from comfy.api.components.schema.prompt import Prompt, PromptDict
from comfy.cli_args_types import Configuration
from comfy.client.async_progress_iterable import QueuePromptWithProgress
from comfy.client.client_types import V1QueuePromptResponse
from comfy.client.executors import (
    ContextVarExecutor,
    ProcessPoolExecutor,
    is_default_option,
    next_token,
    requires_process_pool_executor,
)
from comfy.client.history import History
from comfy.client.relay import Relay, is_stub
from comfy.client.worker import (
    Call,
    ProcessRequest,
    RemoteValidationError,
    WorkerState,
    paths_snapshot,
    release_in_child,
    run_in_child,
    workspace_paths,
)
from comfy.component_model.executor_types import ExecutorToClientProgress
from comfy.component_model.make_mutable import make_mutable
from comfy.component_model.queue_types import ExecutionStatus, ExtraData, QueueItem, QueueTuple
from comfy.distributed.server_stub import ServerStub

__all__ = ["Comfy", "EmbeddedComfyClient"]

ExecutorArg = concurrent.futures.Executor | Literal["ProcessPoolExecutor", "ContextVarExecutor"] | None

logger = logging.getLogger(__name__)

_THREADS = "ContextVarExecutor"
_PROCESSES = "ProcessPoolExecutor"
_EVENTS_TIMEOUT = 30.0


def _environment_configuration() -> Configuration:
    """The defaults, ``COMFYUI_*`` environment variables and config files (no command line)."""
    from comfy.cli_args import parse_args
    from comfy.plugins.manager import make_plugin_manager

    return parse_args([], plugin_manager=make_plugin_manager(), strict=False)


def _as_configuration(configuration: Mapping[str, Any] | None) -> Configuration:
    if configuration is None:
        return _environment_configuration()
    if isinstance(configuration, Configuration):
        return configuration.copy()
    return Configuration(configuration)


class _Counted:
    """A call's two holders (the awaiting coroutine and the worker); the client's task count
    drops when both have let go."""

    __slots__ = ("holders", "in_worker")

    def __init__(self) -> None:
        self.holders = 2
        self.in_worker = True


class Comfy:
    """The embedded client; see the module docstring.

    ``configuration``: a `Configuration` (or a plain dict of options); None reads the defaults,
    the ``COMFYUI_*`` environment variables and config files. The workspace folders are the
    configuration's (``cwd``, ``base_directory``, ``output_directory``, ...) or, when it sets
    none of them, the folders in effect where the client is entered (the working directory
    unless ``comfy.folder_paths`` says otherwise).

    ``progress_handler``: receives the events of every prompt (``send_sync(event, data, sid)``,
    called from worker threads); the default `ServerStub` drops them, and then none are made.

    ``executor``: None, ``"ContextVarExecutor"``, ``"ProcessPoolExecutor"`` (the client makes
    and owns one with ``max_workers`` workers), or an executor instance, used as is and not shut
    down by the client.
    """

    def __init__(
        self,
        configuration: Optional[Mapping[str, Any]] = None,
        progress_handler: Optional[ExecutorToClientProgress] = None,
        max_workers: int = 1,
        executor: ExecutorArg = None,
    ) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, not {max_workers}")
        self._configuration = _as_configuration(configuration)
        self._progress_handler: Any = progress_handler if progress_handler is not None else ServerStub()
        self._max_workers = max_workers
        needs_processes = requires_process_pool_executor(self._configuration)
        self._owned_kind: str | None = None
        self._executor: concurrent.futures.Executor | None = None
        if executor is None:
            self._owned_kind = _PROCESSES if needs_processes else _THREADS
        elif isinstance(executor, str):
            if executor not in (_THREADS, _PROCESSES):
                raise ValueError(f"Unknown executor type string: {executor!r} (use 'ContextVarExecutor' or 'ProcessPoolExecutor')")
            if executor == _THREADS and needs_processes:
                raise ValueError(
                    "Configuration requires ProcessPoolExecutor but ContextVarExecutor was requested. "
                    "Model-management options (lowvram, novram, fp16_vae, ...) only take effect in a fresh process."
                )
            self._owned_kind = executor
        elif isinstance(executor, concurrent.futures.Executor):
            if needs_processes and not isinstance(executor, concurrent.futures.ProcessPoolExecutor):
                raise ValueError(
                    f"Configuration requires ProcessPoolExecutor but {type(executor).__name__} was given. "
                    "Model-management options (lowvram, novram, fp16_vae, ...) only take effect in a fresh process."
                )
            self._executor = executor
        else:
            raise TypeError(f"executor must be an Executor, an executor type name or None, not {type(executor).__name__}")
        self._uses_processes = self._owned_kind == _PROCESSES or isinstance(executor, concurrent.futures.ProcessPoolExecutor)
        self._history = History()
        self._client_key = uuid.uuid4().hex
        self._is_running = False
        self._task_count = 0
        self._in_workers = 0
        self._counter = threading.Condition()
        self._state: WorkerState | None = None
        self._paths_state: dict[str, Any] | None = None
        self._running_configuration: Configuration | None = None
        self._generation = 0

    # -- properties -------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        """True between entering and leaving the context."""
        return self._is_running

    @property
    def task_count(self) -> int:
        """Prompts in flight: awaited or still running in a worker."""
        return self._task_count

    @property
    def history(self) -> History:
        """The prompts this client ran: prompt id -> ``{"prompt", "outputs", "status"}``."""
        return self._history

    @property
    def configuration(self) -> Configuration:
        return self._configuration

    @property
    def executor(self) -> concurrent.futures.Executor | None:
        """The executor prompts run on (None while the client is not running and owns it)."""
        return self._executor

    def __str__(self) -> str:
        changed = {k: v for k, v in self._configuration.items() if k != "config_files" and not is_default_option(k, v)}
        executor = self._executor if self._executor is not None else f"{self._owned_kind}(max_workers={self._max_workers})"
        return f"<Comfy task_count={self._task_count} configuration={changed} executor={executor}>"

    __repr__ = __str__

    # -- lifecycle --------------------------------------------------------------------------

    def _start(self) -> None:
        if self._is_running:
            raise RuntimeError("this Comfy client is already running")
        from comfy.plugins.manager import make_plugin_manager

        configuration = self._configuration.copy()
        pm = make_plugin_manager()
        paths = workspace_paths(configuration, pm)
        if self._uses_processes:
            self._paths_state = paths_snapshot(paths)
        else:
            self._state = WorkerState.load(configuration, paths, pm)
        if self._owned_kind is not None:
            self._executor = self._new_executor()
        self._running_configuration = configuration
        self._is_running = True

    def _new_executor(self) -> concurrent.futures.Executor:
        if self._owned_kind == _PROCESSES:
            return ProcessPoolExecutor(max_workers=self._max_workers)
        return ContextVarExecutor(max_workers=self._max_workers, thread_name_prefix="comfy-embedded")

    def _replace_broken_pool(self, broken: concurrent.futures.Executor) -> None:
        """A child died (crash, out of memory): the pool cannot run anything any more. An owned
        one is replaced, so the next prompt gets fresh children."""
        if self._owned_kind is None or self._executor is not broken or not self._is_running:
            return
        logger.warning("a worker process of the embedded client died; starting new ones")
        self._executor = self._new_executor()
        broken.shutdown(wait=False)

    def _wait_for_workers(self) -> None:
        with self._counter:
            self._counter.wait_for(lambda: self._in_workers == 0)

    def _stop(self) -> None:
        try:
            if self._state is not None:
                self._state.close()
            elif self._uses_processes and self._owned_kind is None and self._executor is not None:
                self._release_in_children(forget=True)
        finally:
            self._state = None
            self._is_running = False
            if self._owned_kind is not None and self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    async def __aenter__(self) -> Comfy:
        await asyncio.to_thread(self._start)
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        while self._task_count:  # polled, so that cancelling the exit leaves no thread waiting
            await asyncio.sleep(0.005)
        await asyncio.to_thread(self._stop)

    def __enter__(self) -> Comfy:
        self._start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        # Only the worker side can be waited for here: the awaiting coroutines may need the
        # event loop this thread is blocking.
        self._wait_for_workers()
        self._stop()

    async def clear_cache(self) -> None:
        """Forget cached node outputs and ask plugins to unload models, without leaving the context."""
        self._check_running()
        self._generation += 1
        if self._state is not None:
            state = self._state

            def clear() -> None:
                state.clear_caches()
                from comfy.client.worker import release_memory

                release_memory(state.plugin_manager)

            await asyncio.to_thread(clear)
        else:
            await asyncio.to_thread(self._release_in_children, False)

    def _release_in_children(self, forget: bool) -> None:
        """Best effort: one release task per worker (a child may take more than one)."""
        assert self._executor is not None
        futures = [self._executor.submit(release_in_child, self._client_key, forget) for _ in range(self._max_workers)]
        done, _ = concurrent.futures.wait(futures, timeout=60)
        for future in done:
            if future.exception() is not None:
                pass  # a dead child released its memory anyway

    def _check_running(self) -> None:
        if not self._is_running:
            raise RuntimeError("the Comfy client is not running: use `async with Comfy() as client:`")

    # -- task accounting --------------------------------------------------------------------

    def _begin(self) -> _Counted:
        with self._counter:
            self._task_count += 1
            self._in_workers += 1
        return _Counted()

    def _let_go(self, counted: _Counted, worker: bool) -> None:
        with self._counter:
            if worker and counted.in_worker:
                counted.in_worker = False
                self._in_workers -= 1
            counted.holders -= 1
            if counted.holders == 0:
                self._task_count -= 1
            self._counter.notify_all()

    # -- queueing ---------------------------------------------------------------------------

    async def queue_prompt(
        self,
        prompt: PromptDict | Mapping[str, Any] | str,
        prompt_id: Optional[str] = None,
        client_id: Optional[str] = None,
        partial_execution_targets: Optional[list[str]] = None,
        progress_handler: Optional[ExecutorToClientProgress] = None,
        *,
        extra_data: Optional[Mapping[str, Any]] = None,
    ) -> dict[str, Any]:
        """Run ``prompt`` and return its ui outputs ``{node_id: ui}``.

        ``prompt`` is an API-format dict, a ``Prompt.validate`` result or JSON text; it is copied,
        never changed. ``partial_execution_targets`` runs only those output nodes.
        ``extra_data`` (an addition to the reference's signature, keyword only) is ComfyUI's
        per-prompt ``extra_data``: e.g. ``extra_pnginfo`` (the workflow that SaveImage writes into
        the PNG's text chunks); its ``client_id`` is replaced by the resolved ``client_id``.
        ``progress_handler`` replaces the client's handler for this prompt. A validation failure
        raises ``ValueError`` (``PromptValidationError``) whose message is ComfyUI's error JSON;
        a node's exception is raised as it is; an interrupt raises
        ``InterruptProcessingException``.
        """
        self._check_running()
        prompt_id = prompt_id or str(uuid.uuid4())
        if isinstance(prompt, (str, bytes, bytearray)):
            prompt = json.loads(prompt)
        mutable = make_mutable(prompt)
        handler = progress_handler if progress_handler is not None else self._progress_handler
        if client_id is None:
            client_id = getattr(handler, "client_id", None) or getattr(self._progress_handler, "client_id", None)
        assert self._running_configuration is not None
        preview_size = int(self._running_configuration.get("preview_size") or 512)
        relay = None if is_stub(handler) else Relay(handler, client_id, preview_size)
        extra = {**copy.deepcopy(dict(extra_data or {})), "client_id": client_id}
        counted = self._begin()
        try:
            if self._uses_processes:
                outputs = await self._run_in_process(mutable, prompt_id, extra, partial_execution_targets, relay, preview_size, counted)
            else:
                call = Call(mutable, prompt_id, extra, partial_execution_targets, relay)
                outputs = await self._run_in_thread(call, counted)
        except BaseException as error:
            message = str(error) or type(error).__name__
            self._history.put(self._queue_item(prompt_id, mutable), {}, ExecutionStatus("error", False, [message]))
            raise
        finally:
            self._let_go(counted, worker=False)
        self._history.put(self._queue_item(prompt_id, mutable), outputs, ExecutionStatus("success", True, []))
        return outputs

    def _queue_item(self, prompt_id: str, prompt: Any) -> QueueItem:
        return QueueItem(QueueTuple(float(self._task_count), prompt_id, prompt, ExtraData(), [], {}))

    def _submit(self, executor: concurrent.futures.Executor, counted: _Counted, fn: Any, *args: Any) -> concurrent.futures.Future[Any]:
        try:
            if isinstance(executor, (ContextVarExecutor, concurrent.futures.ProcessPoolExecutor)):
                future = executor.submit(fn, *args)
            else:
                future = executor.submit(contextvars.copy_context().run, fn, *args)
        except BaseException:
            self._let_go(counted, worker=True)
            raise
        future.add_done_callback(lambda _: self._let_go(counted, worker=True))
        return future

    async def _await_worker(self, future: concurrent.futures.Future[Any], interrupt: Any) -> Any:
        """The worker's result. Cancelled while waiting: a prompt that has not started never
        will (the worker future is cancelled); a running one is interrupted."""
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if not future.cancelled():
                interrupt()
            raise

    async def _run_in_thread(self, call: Call, counted: _Counted) -> dict[str, Any]:
        state = self._state
        assert state is not None
        assert self._executor is not None
        future = self._submit(self._executor, counted, state.run, call)
        result: dict[str, Any] = await self._await_worker(future, call.request_interrupt)
        return result

    async def _run_in_process(
        self,
        prompt: Any,
        prompt_id: str,
        extra_data: dict[str, Any],
        targets: list[str] | None,
        relay: Relay | None,
        preview_size: int,
        counted: _Counted,
    ) -> dict[str, Any]:
        assert self._executor is not None and self._paths_state is not None and self._running_configuration is not None
        executor = self._executor
        pool = executor if isinstance(executor, ProcessPoolExecutor) else None
        token = next_token() if pool is not None else 0
        done = pool.register(token, relay) if pool is not None and relay is not None else None
        request = ProcessRequest(
            self._client_key, self._running_configuration, self._paths_state, self._generation, prompt, prompt_id,
            extra_data.get("client_id"), targets, token, done is not None, preview_size, extra_data,
        )  # fmt: skip
        future = self._submit(executor, counted, run_in_child, request)
        if pool is not None:
            future.add_done_callback(lambda f: self._forget_call(pool, token, f))
        try:
            result: dict[str, Any] = await self._await_worker(future, lambda: pool.request_interrupt(token) if pool else None)
        except RemoteValidationError as error:
            await self._last_events(done, pool, token)
            raise error.as_validation_error() from None
        except BrokenProcessPool:
            self._replace_broken_pool(executor)
            raise
        except Exception:
            await self._last_events(done, pool, token)
            raise
        await self._last_events(done, pool, token)
        return result

    @staticmethod
    async def _last_events(done: threading.Event | None, pool: ProcessPoolExecutor | None, token: int) -> None:
        """The child has answered; wait until its last events have reached the handler."""
        if done is None or done.is_set():
            return
        if not await asyncio.to_thread(done.wait, _EVENTS_TIMEOUT) and pool is not None:
            pool.unregister(token)

    @staticmethod
    def _forget_call(pool: ProcessPoolExecutor, token: int, future: concurrent.futures.Future[Any]) -> None:
        pool.clear_interrupt(token)
        if future.cancelled() or isinstance(future.exception(), BrokenProcessPool):
            pool.unregister(token)

    async def queue_prompt_api(
        self,
        prompt: PromptDict | Mapping[str, Any] | str,
        progress_handler: Optional[ExecutorToClientProgress] = None,
        prompt_id: Optional[str] = None,
        *,
        extra_data: Optional[Mapping[str, Any]] = None,
    ) -> V1QueuePromptResponse:
        """Like :meth:`queue_prompt`, after a schema check; returns ``V1QueuePromptResponse(urls=[], outputs, prompt_id)``.

        JSON text is parsed; a dict goes through ``Prompt.validate`` (``ApiValueError`` /
        ``ApiTypeError`` for a malformed prompt).
        """
        if isinstance(prompt, (str, bytes, bytearray)):
            prompt = json.loads(prompt)
        if not isinstance(prompt, PromptDict):
            prompt = Prompt.validate(prompt)
        prompt_id = prompt_id or str(uuid.uuid4())
        outputs = await self.queue_prompt(prompt, prompt_id=prompt_id, progress_handler=progress_handler, extra_data=extra_data)
        return V1QueuePromptResponse(urls=[], outputs=outputs, prompt_id=prompt_id)

    def queue_with_progress(
        self, prompt: PromptDict | Mapping[str, Any] | str, *, extra_data: Optional[Mapping[str, Any]] = None
    ) -> QueuePromptWithProgress:
        """Start ``prompt`` now and return a handle whose ``progress()`` yields its notifications.

        Call it with an event loop running. See :class:`QueuePromptWithProgress`.
        """
        self._check_running()
        task = QueuePromptWithProgress()
        return task.start(self.queue_prompt_api(prompt, progress_handler=task.progress_handler, extra_data=extra_data))


EmbeddedComfyClient = Comfy
"""ComfyUI's other name for :class:`Comfy`."""

"""Where the embedded client's prompts run: in a worker thread, or in a spawned child process.

A :class:`WorkerState` holds one client's node registry, workspace folders and configuration,
and a few `PromptExecutor`s: each prompt borrows an idle executor (or makes one) and gives it
back, so there are as many executors as prompts have run at the same time, and each keeps its
own node-output cache. :class:`Call` is one prompt on its way through a worker, with the
interrupt handshake that makes cancelling a call interrupt that prompt only while it runs.

In a process pool the child keeps a `WorkerState` per client (:func:`run_in_child`); its events
go back through the pool's event channel (:class:`QueueRelay`) and it polls the pool's
interrupt table (see :class:`comfy.client.executors.ProcessPoolExecutor`).
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import pickle
import sys
import threading
from collections.abc import Mapping
from typing import Any

from comfy.client.relay import Relay
from comfy.execution.errors import InterruptProcessingException, PromptValidationError
from comfy.model_management import interrupt_current_processing, processing_interrupted

__all__ = [
    "END_OF_EVENTS",
    "AFFECTS_PATHS",
    "Call",
    "WorkerState",
    "release_memory",
    "workspace_paths",
    "paths_snapshot",
    "paths_restore",
    "ProcessRequest",
    "RemoteValidationError",
    "child_init",
    "run_in_child",
    "release_in_child",
]

logger = logging.getLogger(__name__)

END_OF_EVENTS = "__comfy_end_of_events__"
"""The event a child sends after the last event of a call."""

AFFECTS_PATHS: tuple[str, ...] = (
    "cwd", "base_directory", "base_paths", "output_directory", "input_directory", "temp_directory",
    "user_directory", "extra_model_paths_config",
)  # fmt: skip
"""Configuration keys that place the workspace folders."""


def release_memory(plugin_manager: Any, idle: bool = False) -> None:
    """Ask plugins to unload their models (``comfy_release_memory``), collect garbage, and give
    CUDA memory back when torch is already imported and CUDA in use: the allocator's cache and,
    when nothing runs (``idle``), the cuBLAS workspaces too (32 MiB a handle on Hopper GPUs; made
    again on next use)."""
    if plugin_manager is not None:
        try:
            plugin_manager.hook.comfy_release_memory()
        except Exception:
            logger.exception("a plugin failed to release memory")
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is None:
        return
    try:
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            clear_workspaces = getattr(torch._C, "_cuda_clearCublasWorkspaces", None)
            if idle and clear_workspaces is not None:
                torch.cuda.synchronize()
                clear_workspaces()
            torch.cuda.empty_cache()
    except Exception:
        logger.debug("could not empty the CUDA cache", exc_info=True)


def workspace_paths(configuration: Mapping[str, Any], plugin_manager: Any) -> Any:
    """The workspace folders for ``configuration``: its own when it sets any of
    :data:`AFFECTS_PATHS`, else the folders in effect here (``comfy.folder_paths.current()``)."""
    from comfy import folder_paths

    if any(configuration.get(key) for key in AFFECTS_PATHS):
        return folder_paths.FolderPaths.from_configuration(configuration, plugin_manager=plugin_manager)
    return folder_paths.current()


def paths_snapshot(paths: Any) -> dict[str, Any]:
    """A picklable copy of a ``FolderPaths`` (without its plugin manager) for a child process."""
    state = dict(vars(paths))
    state["plugin_manager"] = None
    return state


def paths_restore(state: dict[str, Any], plugin_manager: Any) -> Any:
    """The ``FolderPaths`` of a :func:`paths_snapshot`, with this process's plugin manager."""
    from comfy.folder_paths import FolderPaths

    paths = FolderPaths.__new__(FolderPaths)
    vars(paths).update(state)
    paths.plugin_manager = plugin_manager
    return paths


class Call:
    """One prompt on its way through a worker.

    ``state`` goes ``"queued"`` → ``"running"`` (set by the executor's ``on_prompt_start``,
    right after it resets the interrupt flag) → ``"done"``. :meth:`request_interrupt` sets the
    process-wide flag only while the call runs; asked earlier, the flag is set when it starts.
    """

    __slots__ = ("prompt", "prompt_id", "extra_data", "targets", "relay", "lock", "state", "interrupt_requested", "_armed")

    def __init__(self, prompt: Any, prompt_id: str, extra_data: dict[str, Any], targets: list[str] | None, relay: Any) -> None:
        self.prompt = prompt
        self.prompt_id = prompt_id
        self.extra_data = extra_data
        self.targets = targets
        self.relay = relay
        self.lock = threading.Lock()
        self.state = "queued"
        self.interrupt_requested = False
        self._armed = False

    def request_interrupt(self) -> None:
        with self.lock:
            if self.interrupt_requested:
                return
            self.interrupt_requested = True
            if self.state == "running":
                interrupt_current_processing(True)
                self._armed = True

    def on_start(self, prompt_id: str) -> None:
        with self.lock:
            self.state = "running"
            if self.interrupt_requested:
                interrupt_current_processing(True)
                self._armed = True

    def finish(self, interrupted: bool) -> None:
        with self.lock:
            self.state = "done"
            if self._armed and not interrupted and processing_interrupted():
                # The prompt ended before it looked at the flag: take the request back so that
                # it cannot stop the next prompt.
                interrupt_current_processing(False)


class WorkerState:
    """One client's nodes, folders, configuration and executors in one process."""

    def __init__(self, configuration: Mapping[str, Any], paths: Any, plugin_manager: Any, registry: Any) -> None:
        self.configuration = configuration
        self.paths = paths
        self.plugin_manager = plugin_manager
        self.registry = registry
        self.generation = 0
        self._idle: list[Any] = []
        self._executors: dict[int, tuple[Any, int]] = {}  # id -> (executor, generation it was cleared at)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, configuration: Mapping[str, Any], paths: Any, plugin_manager: Any = None) -> WorkerState:
        """Load the plugins and the node registry (custom nodes from the workspace's folders)."""
        from comfy.nodes.registry import load_registry
        from comfy.plugins.manager import make_plugin_manager

        from comfy import folder_paths
        from comfy.cli_args import use_configuration

        pm = plugin_manager if plugin_manager is not None else make_plugin_manager()
        registry_configuration = dict(configuration)
        if not any(configuration.get(key) for key in AFFECTS_PATHS):
            registry_configuration["base_directory"] = paths.base_directory
        with use_configuration(configuration), folder_paths.use_folder_paths(paths):  # type: ignore[arg-type]
            registry = load_registry(registry_configuration, plugin_manager=pm)
        return cls(configuration, paths, pm, registry)

    # -- executors --------------------------------------------------------------------------

    def _acquire(self) -> Any:
        with self._lock:
            executor = self._idle.pop() if self._idle else None
            generation = self.generation
        if executor is None:
            from comfy.execution import PromptExecutor

            executor = PromptExecutor.from_configuration(
                self.configuration, self.registry, plugin_manager=self.plugin_manager, raise_exceptions=True
            )
            with self._lock:
                self._executors[id(executor)] = (executor, generation)
        elif self._executors[id(executor)][1] != generation:
            executor.clear_cache()
            with self._lock:
                self._executors[id(executor)] = (executor, generation)
        return executor

    def _release(self, executor: Any) -> None:
        with self._lock:
            self._idle.append(executor)

    @property
    def executor_count(self) -> int:
        return len(self._executors)

    def clear_caches(self, generation: int | None = None) -> None:
        """Forget every cached node output: idle executors now, busy ones before their next prompt."""
        with self._lock:
            self.generation = self.generation + 1 if generation is None else generation
            idle, self._idle = self._idle, []
        for executor in idle:
            executor.clear_cache()
        with self._lock:
            for executor in idle:
                self._executors[id(executor)] = (executor, self.generation)
            self._idle.extend(idle)

    def close(self) -> None:
        """Drop every executor and its cache (call when no prompt runs), then release memory."""
        with self._lock:
            executors = [e for e, _ in self._executors.values()]
            self._executors.clear()
            self._idle.clear()
        for executor in executors:
            executor.clear_cache()
            executor.close()
        del executors
        release_memory(self.plugin_manager, idle=True)

    # -- running ----------------------------------------------------------------------------

    def run(self, call: Call) -> dict[str, Any]:
        """Run ``call``'s prompt; returns its ui outputs.

        Raises ``PromptValidationError`` (a ``ValueError``), the node's own exception, or
        ``InterruptProcessingException`` when the prompt was interrupted.
        """
        from comfy import folder_paths
        from comfy.cli_args import use_configuration

        if call.interrupt_requested:
            raise InterruptProcessingException()
        # The executor is made (node schemas, file lists) and runs with this client's settings.
        with use_configuration(self.configuration), folder_paths.use_folder_paths(self.paths):  # type: ignore[arg-type]
            executor = self._acquire()
            interrupted = False
            try:
                executor.handler = call.relay
                executor.on_prompt_start = call.on_start
                outputs: dict[str, Any] = executor.execute(call.prompt, call.prompt_id, call.extra_data, call.targets)
                if not executor.success:
                    # With raise_exceptions a failing node raises; ending unsuccessfully without
                    # an exception means the prompt was interrupted.
                    interrupted = True
                    raise InterruptProcessingException()
                return outputs
            finally:
                executor.handler = None
                executor.on_prompt_start = None
                call.finish(interrupted)
                self._release(executor)


# --------------------------------------------------------------------------------------------
# Process pools: what runs in the children


@dataclasses.dataclass
class ProcessRequest:
    """Everything a child needs to run one prompt (pickled to the child)."""

    client_key: str
    configuration: Mapping[str, Any]
    paths_state: dict[str, Any]
    generation: int
    prompt: Any
    prompt_id: str
    client_id: str | None
    targets: list[str] | None
    token: int
    send_events: bool
    preview_size: int
    extra_data: dict[str, Any] | None = None  # the prompt's extra_data (client_id set), e.g. extra_pnginfo


class RemoteValidationError(Exception):
    """A `PromptValidationError` on its way back from a child (which does not pickle as itself)."""

    def __init__(self, error: dict[str, Any], node_errors: dict[str, Any]) -> None:
        super().__init__(error, node_errors)
        self.error = error
        self.node_errors = node_errors

    def as_validation_error(self) -> PromptValidationError:
        return PromptValidationError(self.error, self.node_errors)


class QueueRelay(Relay):
    """A relay in a child process: events go to the pool's event channel, tagged with the call."""

    def __init__(self, channel: Any, token: int, client_id: str | None, preview_size: int) -> None:
        super().__init__(None, client_id, preview_size)
        self.channel = channel
        self.token = token

    def deliver(self, event: Any, data: Any, sid: str | None) -> None:
        try:
            self.channel.put((self.token, event, data, sid))
        except Exception:
            # Something in data does not pickle: send what can be shown instead of nothing.
            logger.debug("event %r does not pickle; sending its repr", event, exc_info=True)
            self.channel.put((self.token, event, repr(data), sid))

    def end(self) -> None:
        self.channel.put((self.token, END_OF_EVENTS, None, None))


class _Child:
    """The process-wide state of a pool child: the channel, the interrupt table, running calls."""

    POLL_SECONDS = 0.02

    def __init__(self, events: Any, interrupts: Any) -> None:
        self.events = events
        self.interrupts = interrupts
        self.running: dict[int, Call] = {}
        self.states: dict[str, WorkerState] = {}
        self.lock = threading.Lock()
        threading.Thread(target=self._watch, name="comfy-interrupt-watcher", daemon=True).start()

    def interrupt_requests(self) -> set[int]:
        with self.interrupts.get_lock():
            return {t for t in self.interrupts.get_obj()[:] if t}

    def _watch(self) -> None:
        import time

        while True:
            time.sleep(self.POLL_SECONDS)
            if not self.running:
                continue
            requested = self.interrupt_requests()
            for token, call in list(self.running.items()):
                if token in requested:
                    call.request_interrupt()


_child: _Child | None = None


def child_init(events: Any, interrupts: Any, initializer: Any = None, initargs: tuple[Any, ...] = ()) -> None:
    """The pool's initializer in every child (then the user's own ``initializer``)."""
    global _child
    _child = _Child(events, interrupts)
    if initializer is not None:
        initializer(*initargs)


def _child_state(request: ProcessRequest) -> WorkerState:
    child = _child
    states = child.states if child is not None else _foreign_states
    state = states.get(request.client_key)
    if state is None:
        from comfy.plugins.manager import make_plugin_manager

        pm = make_plugin_manager()
        state = WorkerState.load(request.configuration, paths_restore(request.paths_state, pm), pm)
        states[request.client_key] = state
    if state.generation != request.generation:
        state.clear_caches(request.generation)
        release_memory(state.plugin_manager, idle=True)
    return state


_foreign_states: dict[str, WorkerState] = {}
"""States in the children of a process pool that is not a `ProcessPoolExecutor` of ours."""


def _picklable(error: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        substitute = RuntimeError(f"{type(error).__module__}.{type(error).__qualname__}: {error}")
        for note in getattr(error, "__notes__", ()):
            substitute.add_note(note)
        return substitute


def run_in_child(request: ProcessRequest) -> dict[str, Any]:
    """Run one prompt in a pool child (the function the client submits)."""
    child = _child
    relay = None
    if request.send_events and child is not None:
        relay = QueueRelay(child.events, request.token, request.client_id, request.preview_size)
    extra_data = {**(request.extra_data or {}), "client_id": request.client_id}
    call = Call(request.prompt, request.prompt_id, extra_data, request.targets, relay)
    if child is not None and request.token:
        child.running[request.token] = call
        if request.token in child.interrupt_requests():
            call.request_interrupt()
    try:
        state = _child_state(request)
        return state.run(call)
    except PromptValidationError as error:
        raise RemoteValidationError(error.error, error.node_errors) from None
    except Exception as error:
        raise _picklable(error) from None
    finally:
        if child is not None:
            child.running.pop(request.token, None)
        if relay is not None:
            relay.end()


def release_in_child(client_key: str, forget: bool) -> None:
    """Clear one client's caches in this child and release memory (``forget``: drop its state)."""
    states = _child.states if _child is not None else _foreign_states
    state = states.pop(client_key, None) if forget else states.get(client_key)
    if state is None:
        release_memory(None, idle=True)
        return
    if forget:
        state.close()
    else:
        state.clear_caches()
        release_memory(state.plugin_manager, idle=True)

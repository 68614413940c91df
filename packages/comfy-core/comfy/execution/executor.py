"""`PromptExecutor`: validates prompts and runs them through the Rust scheduler.

The scheduler (`comfy._scheduler.Run.drive`) owns the loop: planning, ready-node picking, lazy
links, expansion and the cache. It calls back into `_PromptHost` once per node; the host
assembles hidden inputs, calls the node (mapped over lists), starts async work on the executor's
own event loop, converts returns, and sends the events of spec §6 to the handler.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from comfy import _scheduler
from comfy.execution.context import NodeContext, PromptContext
from comfy.execution.errors import (
    DependencyCycleError,
    DuplicateNodeError,
    InterruptProcessingException,
    NodeInputError,
    PromptValidationError,
    full_type_name,
)
from comfy.execution.invoke import convert_returns, format_value, map_calls, run_sync, value_size
from comfy.execution.node_info import NodeClassInfo
from comfy.execution.progress import ProgressRegistry
from comfy.model_management import interrupt_current_processing
from comfy.nodes.schema import compile_schema
from comfy_execution.graph import DynamicPrompt
from comfy_execution.graph_utils import ExecutionBlocker, is_link

CACHE_POLICIES = ("classic", "lru", "ram", "none")


@dataclass
class ValidationResult:
    """ComfyUI's `ValidationTuple(valid, error, good_output_node_ids, node_errors)`."""

    valid: bool
    error: dict[str, Any] | None
    good_outputs: list[str]
    node_errors: dict[str, Any]
    prepared: Any = field(default=None, repr=False)

    def raise_if_invalid(self) -> None:
        if not self.valid:
            raise PromptValidationError(self.error, self.node_errors)


def _timestamp() -> int:
    return int(time.time() * 1000)


def _fingerprint_string(value: Any) -> str | None:
    """A comparable form of an `IS_CHANGED` result; None means "never equal" (NaN, tensors)."""
    try:
        return json.dumps(value, sort_keys=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        pass
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        hash(value)
    except TypeError:
        return None
    if type(value).__eq__ is object.__eq__:
        return None  # identity equality: a fresh object never matches
    return f"{full_type_name(type(value))}:{value!r}"


_I64_MIN, _U64_MAX = -(2**63), 2**64 - 1
_opaque_ids = itertools.count()


def _is_plain(value: Any, depth: int = 0) -> bool:
    """Does `value` survive the trip through the scheduler's JSON values unchanged?

    The scheduler keeps constants as JSON; anything else (tensors, tuples, str subclasses,
    non-finite floats, huge ints) would come back as its `str()` or changed in type."""
    if depth > 32:
        return False
    t = type(value)
    if value is None or t is str or t is bool:
        return True
    if t is int:
        return _I64_MIN <= value <= _U64_MAX
    if t is float:
        return math.isfinite(value)
    if t is list:
        return all(_is_plain(v, depth + 1) for v in value)
    if t is dict:
        if depth == 0 and "__value__" in value:
            return False  # the scheduler would unwrap it; expanded nodes get constants as they are
        return all(type(k) is str and _is_plain(v, depth + 1) for k, v in value.items())
    return False


class PromptExecutor:
    """Runs API-format prompts with a set of node classes.

    `nodes` maps class_type → class (a `NodeRegistry` or a plain dict); `handler` receives events
    through `send_sync(event, data, sid)`; `cache` is one of "classic", "lru", "ram", "none".
    `execute()` blocks; from async code use `await execute_async()`.
    """

    def __init__(
        self,
        nodes: Any = None,
        *,
        handler: Any = None,
        cache: str = "classic",
        lru_size: int = 0,
        ram_headroom_gb: float = 4.0,
        raise_exceptions: bool = False,
        plugin_manager: Any = None,
    ) -> None:
        if nodes is None:
            from comfy.nodes_context import get_nodes

            nodes = get_nodes()
        from comfy.nodes.registry import NodeRegistry

        if not isinstance(nodes, NodeRegistry):
            nodes = NodeRegistry(getattr(nodes, "NODE_CLASS_MAPPINGS", nodes))
        self.nodes: NodeRegistry = nodes
        mapping = nodes.NODE_CLASS_MAPPINGS
        if plugin_manager is None:
            plugin_manager = nodes.plugin_manager
        self.infos: dict[str, NodeClassInfo] = {k: NodeClassInfo.of(k, v) for k, v in mapping.items()}
        if cache not in CACHE_POLICIES:
            raise ValueError(f"unknown cache policy {cache!r}; one of {CACHE_POLICIES}")
        self.cache_policy = cache
        self.engine = _scheduler.Engine(
            [compile_schema(i) for i in self.infos.values()], cache, lru_size, ram_headroom_gb
        )
        self.handler = handler
        self.raise_exceptions = raise_exceptions
        self.plugin_manager = plugin_manager
        self._objects: dict[tuple[str, str], Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.on_prompt_start: Callable[[str], None] | None = None
        """Called with the prompt id as each prompt starts, just after the interrupt flag is reset
        (an embedded client re-arms there an interrupt asked for before the prompt started)."""
        self.success = True
        self.status_messages: list[tuple[str, dict[str, Any]]] = []
        self.history_result: dict[str, Any] = {}

    @classmethod
    def from_configuration(cls, configuration: Any, nodes: Any = None, **kwargs: Any) -> PromptExecutor:
        """Cache policy from `--cache-lru N` > `--cache-ram [GB]` > `--cache-none` > classic."""
        cfg = configuration or {}
        get = cfg.get if hasattr(cfg, "get") else (lambda k, d=None: getattr(cfg, k, d))
        if (get("cache_lru") or 0) > 0:
            kwargs.setdefault("cache", "lru")
            kwargs.setdefault("lru_size", int(get("cache_lru") or 0))
        elif (get("cache_ram") or 0) > 0:
            kwargs.setdefault("cache", "ram")
            kwargs.setdefault("ram_headroom_gb", float(get("cache_ram") or 0.0))
        elif get("cache_none"):
            kwargs.setdefault("cache", "none")
        return cls(nodes, **kwargs)

    # ----------------------------------------------------------------------------------------
    # Validation

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop

    def close(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.close()

    def validate(self, prompt: Mapping[str, Any], partial_execution_targets: list[str] | None = None) -> ValidationResult:
        """Validates without running. A prompt that is not a mapping is `invalid_prompt`."""
        if not isinstance(prompt, Mapping):
            error = {
                "type": "invalid_prompt",
                "message": "Cannot execute because the prompt is not a JSON object of node id to node.",
                "details": f"Got {type(prompt).__name__}",
                "extra_info": {},
            }
            return ValidationResult(False, error, [], {})
        self._refresh_choices(prompt)
        valid, error, good, node_errors, prepared = self.engine.validate(
            prompt, partial_execution_targets, self._custom_validate
        )
        return ValidationResult(valid, error, good, node_errors, prepared)

    def _refresh_choices(self, prompt: Mapping[str, Any]) -> None:
        """Re-reads `INPUT_TYPES` of the prompt's classes that have combo inputs, as ComfyUI does at
        every validation, so a checkpoint copied into `models/` is accepted without a restart."""
        changed = []
        class_types = {n.get("class_type") for n in prompt.values() if isinstance(n, Mapping)}
        for class_type in class_types:
            if not isinstance(class_type, str):
                continue
            info = self.infos.get(class_type)
            if info is None or not info.has_choices:
                continue
            try:
                fresh = NodeClassInfo.of(class_type, info.cls)
            except Exception:  # a failing INPUT_TYPES keeps the last good schema
                continue
            if fresh.inputs != info.inputs:
                self.infos[class_type] = fresh
                changed.append(compile_schema(fresh))
        if changed:
            self.engine.update_schemas(changed)

    def _custom_validate(self, node_id: str, class_type: str, constants: dict[str, Any], linked: dict[str, Any]) -> Any:
        info = self.infos[class_type]
        params = info.validate_params or ()
        kwargs: dict[str, Any] = {}
        for name, value in constants.items():
            if info.validate_kwargs or name in params:
                kwargs[name] = value
        for name in linked:
            if info.validate_kwargs or name in params:
                kwargs[name] = None
        if "input_types" in params:
            kwargs["input_types"] = dict(linked)
        try:
            r = getattr(info.cls, "VALIDATE_INPUTS")(**kwargs)
            if asyncio.iscoroutine(r) or asyncio.isfuture(r):
                r = run_sync(r, self._loop if self._loop is not None else None)
        except Exception as ex:  # the node's own code: reported as a validation error
            return (full_type_name(type(ex)), str(ex), traceback.format_tb(ex.__traceback__))
        if r is True or isinstance(r, ExecutionBlocker):
            return []
        details_suffix = "" if r is False else f" - {r}"
        return [
            {
                "type": "custom_validation_failed",
                "message": "Custom validation failed for node",
                "details": f"{name}{details_suffix}",
                "extra_info": {"input_name": name},
            }
            for name in kwargs
        ]

    # ----------------------------------------------------------------------------------------
    # Execution

    def execute(
        self,
        prompt: Mapping[str, Any],
        prompt_id: str | None = None,
        extra_data: Mapping[str, Any] | None = None,
        execute_outputs: list[str] | None = None,
    ) -> dict[str, Any]:
        """Validates and runs `prompt`; returns the ui outputs `{node_id: ui}`.

        Raises `PromptValidationError` when no output is valid. A node's exception is reported
        as `execution_error` and, with `raise_exceptions`, re-raised unchanged (with a note).
        `execute_outputs` restricts the run to those output nodes (partial execution).
        """
        validation = self.validate(prompt, execute_outputs)
        validation.raise_if_invalid()
        return self.execute_validated(prompt, validation, prompt_id, extra_data)

    async def execute_async(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """`execute` in a worker thread, so the caller's event loop keeps running."""
        return await asyncio.to_thread(self.execute, *args, **kwargs)

    def execute_validated(
        self,
        prompt: Mapping[str, Any],
        validation: ValidationResult,
        prompt_id: str | None = None,
        extra_data: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        prompt_id = prompt_id or str(uuid.uuid4())
        extra = dict(extra_data or {})
        from comfy.nodes_context import use_nodes

        host = _PromptHost(self, prompt, prompt_id, extra)
        with use_nodes(self.nodes):
            return host.execute(validation)

    # ----------------------------------------------------------------------------------------

    def prune_objects(self, prompt: Mapping[str, Any]) -> None:
        keep = set()
        for node_id, node in prompt.items():
            try:
                keep.add((node_id, node["class_type"]))
            except (KeyError, TypeError):
                continue
        for k in [k for k in self._objects if k not in keep]:
            del self._objects[k]

    def clear_cache(self) -> None:
        self.engine.clear_cache()
        self._objects.clear()


class _PromptHost:
    """Per-prompt state and the callbacks the Rust loop makes."""

    def __init__(self, executor: PromptExecutor, prompt: Mapping[str, Any], prompt_id: str, extra: dict[str, Any]) -> None:
        self.ex = executor
        self.prompt = prompt
        self.prompt_id = prompt_id
        self.extra = extra
        self.client_id = extra.get("client_id")
        handler = executor.handler
        self.handler = handler
        if handler is not None and hasattr(handler, "client_id") and self.client_id is None:
            self.client_id = getattr(handler, "client_id", None)
        self.outputs_ui: dict[str, Any] = {}
        self.meta: dict[str, Any] = {}
        self.executed: list[str] = []
        self.pending_async: dict[str, list[Any]] = {}
        self.pending_subgraph: dict[str, list[tuple[bool, Any]]] = {}
        self.parked: dict[str, list[asyncio.Task[Any]]] = {}
        # Constants of expanded nodes that are not plain JSON (tensors and other objects), by
        # node id and input name: the scheduler gets a unique placeholder, the node the object.
        self.opaque: dict[str, dict[str, Any]] = {}
        self.instances: dict[tuple[str, str], Any] = {}
        self._calling: tuple[str, str] = ("", "")
        self.dynprompt = DynamicPrompt(prompt)
        self.infos = executor.infos
        # Node instances: kept across prompts by (node id, class), except with the "none" cache.
        self.objects = self.instances if executor.cache_policy == "none" else executor._objects
        self._measure_sizes = executor.cache_policy == "ram"
        self.run: Any = None
        self.current_inputs: dict[str, Any] = {}
        observers = executor.plugin_manager
        self._observe = None
        if observers is not None and observers.hook.comfy_on_event.get_hookimpls():
            self._observe = observers.hook.comfy_on_event
        # Whether anyone receives per-node events (a handler with a client id, or a plugin).
        self._sends = (self.handler is not None and self.client_id is not None) or self._observe is not None
        self.progress = ProgressRegistry(prompt_id, self._emit_node if self._sends else None, self._meta)
        self.pctx = PromptContext(prompt_id, self.progress, None, extra)

    # -- events ---------------------------------------------------------------------------


    def _emit(self, event: Any, data: Any, broadcast: bool = False) -> None:
        if self.handler is not None and (broadcast or self.client_id is not None):
            self.handler.send_sync(event, data, None if broadcast else self.client_id)
        if self._observe is not None:
            self._observe(event=event, data=data, prompt_id=self.prompt_id)

    def _emit_node(self, event: Any, data: Any) -> None:
        self._emit(event, data)

    def _meta(self, node_id: str) -> tuple[str, str | None, str]:
        if self.run is not None:
            try:
                return self.run.node_meta(node_id)
            except KeyError:
                pass
        return node_id, None, node_id

    # -- the prompt -------------------------------------------------------------------------

    def execute(self, validation: ValidationResult) -> dict[str, Any]:
        ex = self.ex
        if ex.engine.busy:
            raise RuntimeError("this executor is already running a prompt")
        interrupt_current_processing(False)
        if ex.on_prompt_start is not None:
            ex.on_prompt_start(self.prompt_id)
        ex.success = True
        ex.status_messages = []
        self._message("execution_start", {"prompt_id": self.prompt_id}, timestamp=True)
        if ex.cache_policy != "none":
            ex.prune_objects(self.prompt)
        run = ex.engine.start(validation.prepared, validation.good_outputs, self._fingerprint)
        self.run = run
        self.pctx.run = run
        self.current_outputs = [] if ex.cache_policy == "none" else list(self.prompt.keys())
        try:
            self._message(
                "execution_cached", {"nodes": run.cached_nodes(), "prompt_id": self.prompt_id}, timestamp=True
            )
            stop = run.drive(self)
            if stop is not None:
                self._raise_stop(stop)
            self._message("execution_success", {"prompt_id": self.prompt_id}, timestamp=True)
        except InterruptProcessingException:
            ex.success = False
            node_id = run.current_node
            real = self.dynprompt.get_real_node_id(node_id) if node_id is not None else None
            data = {
                "prompt_id": self.prompt_id,
                "node_id": real,
                "node_type": self._class_of(real),
                "executed": list(self.executed),
            }
            self._message("execution_interrupted", data, broadcast=True, timestamp=True)
        except BaseException as error:
            ex.success = False
            node_id = getattr(error, "_comfy_node_id", None) or run.current_node
            self._report_error(error, node_id)
            if ex.raise_exceptions or not isinstance(error, Exception):
                if node_id is not None and isinstance(error, Exception):
                    error.add_note(f"(raised by node {node_id}, {self._class_of(node_id)})")
                raise
        finally:
            self._cancel_tasks()
            run.finish()
            self.run = None
            ex.history_result = {"outputs": self.ui_outputs(), "meta": dict(self.meta)}
        return self.ui_outputs()

    def ui_outputs(self) -> dict[str, Any]:
        return {k: v["output"] for k, v in self.outputs_ui.items()}

    def _message(self, event: str, data: dict[str, Any], broadcast: bool = False, timestamp: bool = False) -> None:
        if timestamp:
            data["timestamp"] = _timestamp()
        self.ex.status_messages.append((event, data))
        self._emit(event, data, broadcast)

    def _class_of(self, node_id: str | None) -> str | None:
        if node_id is None:
            return None
        try:
            node = self.dynprompt.get_node(node_id)
            return node["class_type"]
        except Exception:
            return None

    def _raise_stop(self, stop: tuple[str, ...]) -> None:
        kind, node_id = stop[0], stop[1]
        if kind == "cycle":
            error: Exception = DependencyCycleError("Dependency cycle detected")
        elif kind == "expand":
            error = DuplicateNodeError(stop[2]) if "duplicate" in stop[2] else ValueError(stop[2])
        else:
            error = NodeInputError(f"Node {node_id} requested input {stop[2]}, which is not connected")
        error._comfy_node_id = node_id  # type: ignore[attr-defined]
        raise error

    def _report_error(self, error: BaseException, node_id: str | None) -> None:
        real = self.dynprompt.get_real_node_id(node_id) if node_id is not None else None
        data = {
            "prompt_id": self.prompt_id,
            "node_id": real,
            # ComfyUI reports the class of the node it blames (the original, top-level node),
            # so node_id and node_type always describe the same node.
            "node_type": self._class_of(real),
            "executed": list(self.executed),
            "exception_message": f"{error}\n",
            "exception_type": full_type_name(type(error)),
            "traceback": traceback.format_tb(error.__traceback__),
            "current_inputs": {k: [format_value(x) for x in v] for k, v in self.current_inputs.items()},
            "current_outputs": self.current_outputs,
        }
        if self.progress.nodes.get(node_id or "", {}).get("state") == "running":
            self.progress.finish(node_id, "error")  # type: ignore[arg-type]
        self._message("execution_error", data, timestamp=True)

    def _cancel_tasks(self) -> None:
        tasks = [t for ts in self.parked.values() for t in ts if not t.done()]
        tasks += [t for ts in self.pending_async.values() for t in ts if isinstance(t, asyncio.Task) and not t.done()]
        if not tasks:
            return
        for t in tasks:
            t.cancel()
        loop = self.ex.loop
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))

    # -- callbacks from Rust ----------------------------------------------------------------

    def _loop(self) -> asyncio.AbstractEventLoop:
        return self.ex.loop

    def _fingerprint(self, node_id: str, class_type: str, constants: dict[str, Any]) -> str | None:
        info = self.ex.infos[class_type]
        inputs = {k: [v] for k, v in constants.items() if k in info.declared}
        opaque = self.opaque.get(node_id)
        if opaque:
            for name, value in opaque.items():
                if name in inputs:
                    inputs[name] = [value]
        self._add_hidden(node_id, info, inputs)
        fn = getattr(info.cls, "IS_CHANGED", None) or getattr(info.cls, "fingerprint_inputs")
        try:
            values = map_calls(fn, inputs, input_is_list=info.input_is_list, ctx=None, loop=self._loop, check_interrupt=False, set_prefix=False)
            values = [run_sync(v, self.ex.loop) if isinstance(v, asyncio.Task) else v for v in values]
        except Exception:
            return None  # ComfyUI: an IS_CHANGED that raises means "always changed"
        extra = []
        pm = self.ex.plugin_manager
        if pm is not None:
            extra = [r for r in pm.hook.comfy_fingerprint(class_type=class_type, node_class=info.cls, inputs=constants) if r is not None]
        parts = []
        for v in [*values, *extra]:
            s = _fingerprint_string(v)
            if s is None:
                return None
            parts.append(s)
        return "\x1f".join(parts)

    def _add_hidden(self, node_id: str, info: NodeClassInfo, inputs: dict[str, list[Any]]) -> None:
        for name, kind in info.hidden.items():
            if kind == "PROMPT":
                inputs[name] = [self.prompt]
            elif kind == "DYNPROMPT":
                inputs[name] = [self.dynprompt]
            elif kind == "EXTRA_PNGINFO":
                inputs[name] = [self.extra.get("extra_pnginfo")]
            elif kind == "UNIQUE_ID":
                inputs[name] = [node_id]
            elif kind == "AUTH_TOKEN_COMFY_ORG":
                inputs[name] = [self.extra.get("auth_token_comfy_org")]
            elif kind == "API_KEY_COMFY_ORG":
                inputs[name] = [self.extra.get("api_key_comfy_org")]

    def cache_hit(self, node_id: str, entry: Any) -> None:
        ui = entry[1]
        display = self._meta(node_id)[0] if self._sends else node_id
        if self._sends:
            self._emit(
                "executed",
                {"node": node_id, "display_node": display, "output": ui["output"] if ui else None, "prompt_id": self.prompt_id},
            )
        if ui is not None:
            self.outputs_ui[node_id] = ui
            self.meta[node_id] = ui["meta"]
        self.executed.append(node_id)

    def wait(self) -> list[str]:
        loop = self.ex.loop
        from comfy.model_management import throw_exception_if_processing_interrupted

        while True:
            done = [nid for nid, tasks in self.parked.items() if all(t.done() for t in tasks)]
            if done:
                for nid in done:
                    self.parked.pop(nid)
                return done
            throw_exception_if_processing_interrupted()
            pending = [t for ts in self.parked.values() for t in ts if not t.done()]
            loop.run_until_complete(asyncio.wait(pending, timeout=0.1, return_when=asyncio.FIRST_COMPLETED))

    def run_node(self, node_id: str, class_type: str, inputs: dict[str, list[Any]] | None, missing: tuple[str, ...] | None, resume: bool) -> tuple[Any, ...]:
        info = self.infos[class_type]
        if resume:
            returns = self._resume(node_id, info)
            if returns is None:
                return self._finish_expansion(node_id, info)
        else:
            assert inputs is not None
            if self._sends:
                self.progress.start(node_id)
                self._emit("executing", {"node": node_id, "display_node": self._meta(node_id)[0], "prompt_id": self.prompt_id})
            if self.opaque:
                opaque = self.opaque.get(node_id)
                if opaque:
                    for name, value in opaque.items():
                        if name in inputs:
                            inputs[name] = [value]
            if info.hidden:
                self._add_hidden(node_id, info, inputs)
            self.current_inputs = inputs  # formatted only if the node fails
            key = (node_id, class_type)
            obj = self.objects.get(key)
            if obj is None:
                obj = self.objects[key] = info.cls()
            ctx = NodeContext(self.pctx, node_id, 0)
            self._calling = key
            if info.has_lazy_check:
                names = self._lazy_requests(obj, info, inputs, missing, ctx)
                if names:
                    return (1, names)
            returns = map_calls(
                getattr(obj, info.function), inputs, input_is_list=info.input_is_list, ctx=ctx, loop=self._loop, on_block=self._on_block
            )
            if len(returns) == 1 and type(returns[0]) is not asyncio.Task:
                pass
            elif any(isinstance(r, asyncio.Task) for r in returns):
                self.pending_async[node_id] = returns
                self.parked[node_id] = [r for r in returns if isinstance(r, asyncio.Task)]
                return (3,)
        output, ui, has_subgraph = convert_returns(returns, info.num_outputs, info.output_is_list)
        if ui:
            self._store_ui(node_id, ui)
        if has_subgraph:
            return self._expand(node_id, output)
        return self._complete(node_id, output)

    def _lazy_requests(self, obj: Any, info: NodeClassInfo, inputs: dict[str, list[Any]], missing: tuple[str, ...] | None, ctx: NodeContext) -> list[str]:
        """Names of the not-yet-evaluated inputs that `check_lazy_status` asks for."""
        wanted = map_calls(obj.check_lazy_status, inputs, input_is_list=info.input_is_list, ctx=ctx, loop=self._loop)
        wanted = [run_sync(w, self.ex.loop) if isinstance(w, asyncio.Task) else w for w in wanted]
        names: list[str] = []
        for w in wanted:
            if isinstance(w, list):
                names.extend(x for x in w if isinstance(x, str) and x not in names)
        return [x for x in names if x not in inputs or (missing is not None and x in missing)]

    def _on_block(self, blocker: ExecutionBlocker) -> ExecutionBlocker:
        node_id, class_type = self._calling
        return self._blocked(blocker, node_id, class_type)

    def _resume(self, node_id: str, info: NodeClassInfo) -> list[Any] | None:
        if node_id not in self.pending_async:
            return None
        returns = self.pending_async.pop(node_id)
        results = []
        for r in returns:
            results.append(r.result() if isinstance(r, asyncio.Task) else r)
        return results

    def _blocked(self, blocker: ExecutionBlocker, node_id: str, class_type: str) -> ExecutionBlocker:
        if blocker.message is None:
            return blocker
        data = {
            "prompt_id": self.prompt_id,
            "node_id": node_id,
            "node_type": class_type,
            "executed": list(self.executed),
            "exception_message": f"Execution Blocked: {blocker.message}",
            "exception_type": "ExecutionBlocked",
            "traceback": [],
            "current_inputs": [],
            "current_outputs": [],
        }
        self._message("execution_error", data, timestamp=True)
        return ExecutionBlocker(None)

    def _store_ui(self, node_id: str, ui: dict[str, Any]) -> None:
        display, parent, real = self._meta(node_id)
        meta = {"node_id": node_id, "display_node": display, "parent_node": parent, "real_node_id": real}
        self.outputs_ui[node_id] = {"meta": meta, "output": ui}
        self.meta[node_id] = meta
        if self._sends:
            self._emit("executed", {"node": node_id, "display_node": display, "output": ui, "prompt_id": self.prompt_id})

    def _complete(self, node_id: str, output: Any) -> tuple[Any, ...]:
        if self._sends:
            self.progress.finish(node_id)
        self.executed.append(node_id)
        entry = (output, self.outputs_ui.get(node_id) if self.outputs_ui else None)
        return (0, entry, value_size(output) if self._measure_sizes else 0)

    def _expand(self, node_id: str, output: list[tuple[Any, Any]]) -> tuple[Any, ...]:
        new_graph: dict[str, Any] = {}
        links: list[str] = []
        pending: list[tuple[bool, Any]] = []
        for graph, result in output:
            if graph is None:
                pending.append((False, result))
                continue
            for nid, ninfo in graph.items():
                new_graph[nid] = self._plain_node(nid, ninfo)
                display = ninfo.get("override_display_id", node_id) if isinstance(ninfo, Mapping) else node_id
                self.dynprompt.add_ephemeral_node(nid, ninfo, node_id, display)
            for r in result or ():
                if is_link(r):
                    links.append(r[0])
            pending.append((True, result))
        self.pending_subgraph[node_id] = pending
        return (2, new_graph, links)

    def _plain_node(self, node_id: str, node: Any) -> Any:
        """`node` with each non-JSON constant input swapped for a unique placeholder string.

        ComfyUI passes such constants (a tensor handed to an expanded node) through as they are,
        and their cache keys never match (`Unhashable`); a unique placeholder keeps both."""
        if not isinstance(node, Mapping):
            return node
        inputs = node.get("inputs")
        if not isinstance(inputs, Mapping):
            return node
        opaque = {k: v for k, v in inputs.items() if not is_link(v) and not _is_plain(v)}
        if not opaque:
            return node
        self.opaque[node_id] = opaque
        plain_inputs = {
            k: (f"<comfy opaque constant {next(_opaque_ids)}>" if k in opaque else v) for k, v in inputs.items()
        }
        return {**node, "inputs": plain_inputs}

    def _finish_expansion(self, node_id: str, info: NodeClassInfo) -> tuple[Any, ...]:
        pending = self.pending_subgraph.pop(node_id)
        resolved: list[Any] = []
        for is_subgraph, result in pending:
            if not is_subgraph:
                resolved.append(result)
                continue
            values: list[Any] = []
            for r in result or ():
                if is_link(r):
                    entry = self.run.output_of(r[0])
                    values.extend(entry[0][r[1]])
                else:
                    values.append(r)
            resolved.append(tuple(values))
        output, _, _ = convert_returns(resolved, info.num_outputs, info.output_is_list)
        return self._complete(node_id, output)

"""Calling a node: list mapping, ExecutionBlocker, async starts, and turning returns into outputs.

ComfyUI's rules (`_map_node_over_list`, `get_output_from_returns`, `merge_result_data`):
inputs arrive as lists; without `INPUT_IS_LIST` the node is called once per item of the longest
list, shorter lists repeating their last item; an `ExecutionBlocker` among a call's inputs skips
that call and becomes its output; per output slot the calls' results are collected into a list
(concatenated for `OUTPUT_IS_LIST` slots).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from comfy.execution.context import NodeContext, enter_node_context, leave_node_context
from comfy.model_management import throw_exception_if_processing_interrupted
from comfy_execution.graph_utils import ExecutionBlocker, GraphBuilder

Inputs = dict[str, list[Any]]
LoopSource = asyncio.AbstractEventLoop | Callable[[], asyncio.AbstractEventLoop] | None


def iter_calls(inputs: Inputs, input_is_list: bool) -> list[dict[str, Any]]:
    """The kwargs of each call."""
    if input_is_list:
        return [inputs]
    if not inputs:
        return [{}]
    longest = max(len(v) for v in inputs.values())
    if longest <= 1:
        return [{k: (v[0] if v else None) for k, v in inputs.items()}]
    return [{k: (v[i] if len(v) > i else (v[-1] if v else None)) for k, v in inputs.items()} for i in range(longest)]


def first_blocker(kwargs: dict[str, Any], input_is_list: bool) -> ExecutionBlocker | None:
    for v in kwargs.values():
        if input_is_list:
            for item in v:
                if isinstance(item, ExecutionBlocker):
                    return item
        elif isinstance(v, ExecutionBlocker):
            return v
    return None


def map_calls(
    fn: Callable[..., Any],
    inputs: Inputs,
    *,
    input_is_list: bool,
    ctx: NodeContext | None,
    loop: LoopSource,
    on_block: Callable[[ExecutionBlocker], Any] | None = None,
    check_interrupt: bool = True,
    set_prefix: bool = True,
) -> list[Any]:
    """Calls `fn` per list item. A coroutine result is started as a task on `loop` and given one
    loop turn; it stays a `Task` in the result list when it has not finished."""
    if not input_is_list:
        # The common case: one item per input and no blocker, so exactly one plain call.
        kwargs: dict[str, Any] | None = {}
        for k, v in inputs.items():
            if len(v) != 1 or isinstance(v[0], ExecutionBlocker):
                kwargs = None
                break
            kwargs[k] = v[0]  # type: ignore[index]
        if kwargs is not None:
            return [_call(fn, kwargs, 0, ctx, loop, check_interrupt, set_prefix)]
    results: list[Any] = []
    for index, kwargs in enumerate(iter_calls(inputs, input_is_list)):
        blocker = first_blocker(kwargs, input_is_list)
        if blocker is not None:
            results.append(on_block(blocker) if on_block is not None else blocker)
            continue
        results.append(_call(fn, kwargs, index, ctx, loop, check_interrupt, set_prefix))
    return results


def _call(
    fn: Callable[..., Any],
    kwargs: dict[str, Any],
    index: int,
    ctx: NodeContext | None,
    loop: LoopSource,
    check_interrupt: bool,
    set_prefix: bool,
) -> Any:
    if check_interrupt:
        throw_exception_if_processing_interrupted()
    token = None
    if ctx is not None:
        token = enter_node_context(ctx if index == ctx.list_index else NodeContext(ctx.prompt, ctx.node_id, index))
        if set_prefix:
            GraphBuilder.set_default_prefix(ctx.node_id, index, 0)
    try:
        r = fn(**kwargs)
        if type(r) is not tuple and type(r) is not dict and inspect.isawaitable(r):
            r = start_task(r, loop() if callable(loop) else loop)
    finally:
        if token is not None:
            leave_node_context(token)
    return r


def start_task(awaitable: Any, loop: asyncio.AbstractEventLoop | None) -> Any:
    """Starts a coroutine as a task (in the current context) and lets it run until it first
    waits; returns its result if it already finished, else the task."""
    if loop is None:
        raise RuntimeError("an async node needs the executor's event loop")
    task = loop.create_task(_as_coroutine(awaitable))
    loop.run_until_complete(asyncio.sleep(0))
    if task.done():
        return task.result()
    return task


async def _as_coroutine(awaitable: Any) -> Any:
    return await awaitable


def run_sync(awaitable: Any, loop: asyncio.AbstractEventLoop | None) -> Any:
    """Runs an awaitable to completion from synchronous code (async VALIDATE_INPUTS etc.)."""
    if loop is not None and not loop.is_running():
        return loop.run_until_complete(_as_coroutine(awaitable))
    return asyncio.run(_as_coroutine(awaitable))


def convert_returns(returns: list[Any], num_outputs: int, output_is_list: tuple[bool, ...]) -> tuple[Any, dict[str, list[Any]], bool]:
    """`(output_data, ui, has_subgraph)` from the per-call returns.

    With expansion, `output_data` is a list of `(graph or None, result)` pairs, one per call."""
    if len(returns) == 1 and not any(output_is_list):
        # The common case: one call returning a tuple, or a dict with `result`/`ui` and no `expand`.
        r = returns[0]
        if type(r) is tuple:
            return [[x] for x in r], {}, False
        if type(r) is dict and r.get("expand") is None and type(r.get("result", ())) is tuple:
            one_ui = r.get("ui")
            merged = {k: list(v) if v else [] for k, v in one_ui.items()} if one_ui else {}
            return ([[x] for x in r["result"]] if "result" in r else []), merged, False
    results: list[Any] = []
    uis: list[dict[str, Any]] = []
    subgraph_results: list[tuple[Any, Any]] = []
    has_subgraph = False
    for r in returns:
        if isinstance(r, dict):
            if "ui" in r and r["ui"] is not None:
                uis.append(r["ui"])
            if r.get("expand") is not None:
                has_subgraph = True
                result = r.get("result")
                if isinstance(result, ExecutionBlocker):
                    result = (result,) * num_outputs
                subgraph_results.append((r["expand"], result))
            elif "result" in r:
                result = r.get("result")
                if isinstance(result, ExecutionBlocker):
                    result = (result,) * num_outputs
                results.append(result)
                subgraph_results.append((None, result))
        else:
            if isinstance(r, ExecutionBlocker):
                r = (r,) * num_outputs
            results.append(r)
            subgraph_results.append((None, r))
    if has_subgraph:
        output: Any = subgraph_results
    elif results:
        output = merge_results(results, output_is_list)
    else:
        output = []
    ui: dict[str, list[Any]] = {}
    if uis:
        ui = {k: [item for u in uis for item in (u.get(k) or [])] for k in uis[0]}
    return output, ui, has_subgraph


def merge_results(results: list[Any], output_is_list: tuple[bool, ...]) -> list[list[Any]]:
    """Per output slot, the list of the calls' values (concatenated for list outputs)."""
    if results[0] is None:
        return []
    width = len(results[0])
    flags = output_is_list if output_is_list else (False,) * width
    output: list[list[Any]] = []
    for i, is_list in zip(range(width), flags):
        if is_list:
            value: list[Any] = []
            for o in results:
                if isinstance(o[i], ExecutionBlocker):
                    value.append(o[i])
                else:
                    value.extend(o[i])
            output.append(value)
        else:
            output.append([o[i] for o in results])
    return output


def format_value(x: Any) -> Any:
    """How an input shows in `execution_error.current_inputs` (ComfyUI's `format_value`)."""
    if x is None or isinstance(x, (int, float, bool, str)):
        return x
    if isinstance(x, dict) and not any(type(v).__name__ == "Tensor" for v in x.values()):
        return str(x)
    return str(type(x))


def value_size(outputs: Any) -> int:
    """Bytes of CPU tensors in a node's outputs (for RAM-pressure eviction)."""
    total = 0
    stack = [outputs]
    seen = 0
    while stack and seen < 10_000:
        seen += 1
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif hasattr(v, "element_size") and hasattr(v, "nelement") and getattr(getattr(v, "device", None), "type", "cpu") == "cpu":
            total += int(v.element_size() * v.nelement())
    return total

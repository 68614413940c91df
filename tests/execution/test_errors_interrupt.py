"""Node errors, interrupts and the event stream (spec §3.3, §3.8, §6.1)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import Client, RecordingHandler

from comfy.execution import PromptExecutor
from comfy.model_management import interrupt_current_processing, processing_interrupted
from comfy.nodes.registry import NodeRegistry
from comfy_execution.graph_utils import GraphBuilder, Node

SIZE = {"height": 8, "width": 8, "batch_size": 1}


def _raising_graph(g: GraphBuilder, message: str = "boom") -> tuple[Any, Any, Any]:
    value = g.node("StubInt", value=3)
    raiser = g.node("TestRaise", message=message, value=value.out(0))
    out = g.node("TestIntOutput", value=raiser.out(0))
    return value, raiser, out


def test_node_error_event(client: Client, builder: GraphBuilder) -> None:
    value, raiser, out = _raising_graph(builder)

    result = client.run(builder, raise_on_error=False)

    [error] = result.events_named("execution_error")
    assert error["prompt_id"] == result.prompt_id
    assert error["node_id"] == raiser.id
    assert error["node_type"] == "TestRaise"
    assert error["exception_message"] == "boom\n"
    assert error["exception_type"] == "RuntimeError"
    assert isinstance(error["traceback"], list) and error["traceback"]
    assert all(isinstance(frame, str) for frame in error["traceback"])
    assert "raise_error" in error["traceback"][-1]
    assert error["current_inputs"] == {"message": ["boom"], "value": [3]}
    assert error["executed"] == [value.id]
    assert isinstance(error["current_outputs"], list)
    assert isinstance(error["timestamp"], int)
    names = [e for e, _, _ in result.events]
    assert "execution_success" not in names
    assert names.index("execution_error") == len(names) - 1
    assert not client.executor.success
    assert out.id not in result.outputs
    states = [d["nodes"][raiser.id]["state"] for d in result.events_named("progress_state") if raiser.id in d["nodes"]]
    assert states == ["running", "error"]


def test_harness_raises_the_error_dict(client: Client, builder: GraphBuilder) -> None:
    _raising_graph(builder)
    with pytest.raises(Exception) as info:
        client.run(builder)
    assert "prompt_id" in info.value.args[0]


def test_executor_keeps_working_after_an_error(client: Client, builder: GraphBuilder) -> None:
    value, raiser, out = _raising_graph(builder)
    client.run(builder, raise_on_error=False)

    g2 = GraphBuilder(prefix="after_error")
    v = g2.node("StubInt", value=4)
    o = g2.node("TestIntOutput", value=v.out(0))
    result = client.run(g2)
    assert result.get_values(o) == [4]
    assert result.events_named("execution_success")
    assert client.executor.success


def test_error_does_not_poison_the_cache(client: Client, builder: GraphBuilder) -> None:
    """Nodes that completed before the error are cached; fixing the graph re-runs only the rest."""
    value, raiser, out = _raising_graph(builder)
    client.run(builder, raise_on_error=False)
    builder.nodes[raiser.id] = Node(raiser.id, "TestIdentity", {"value": value.out(0)})
    result = client.run(builder)
    assert result.get_values(out) == [3]
    assert result.did_run(value) is (client.executor.cache_policy == "none")


@pytest.fixture
def raising_executor(testing_nodes: NodeRegistry, workspace: Path) -> Iterator[tuple[PromptExecutor, RecordingHandler]]:
    handler = RecordingHandler()
    executor = PromptExecutor(testing_nodes, handler=handler, raise_exceptions=True)
    yield executor, handler
    executor.close()


def test_raise_exceptions_propagates_the_original(
    raising_executor: tuple[PromptExecutor, RecordingHandler], builder: GraphBuilder
) -> None:
    executor, handler = raising_executor
    _, raiser, _ = _raising_graph(builder, message="original")
    with pytest.raises(RuntimeError) as info:
        executor.execute(builder.finalize(), "p1", {"client_id": handler.client_id})
    assert type(info.value) is RuntimeError
    assert str(info.value) == "original"
    notes = getattr(info.value, "__notes__", [])
    assert any(raiser.id in note and "TestRaise" in note for note in notes)
    assert [d["node_id"] for e, d, _ in handler.events if e == "execution_error"] == [raiser.id], "event sent first"

    g2 = GraphBuilder(prefix="after_raise")
    v = g2.node("StubInt", value=1)
    o = g2.node("TestIntOutput", value=v.out(0))
    assert executor.execute(g2.finalize(), "p2", {"client_id": handler.client_id})[o.id] == {"value": [1]}


def test_raise_exceptions_async_error(
    raising_executor: tuple[PromptExecutor, RecordingHandler], builder: GraphBuilder
) -> None:
    executor, handler = raising_executor
    g = builder
    image = g.node("StubImage", content="BLACK", **SIZE)
    error_node = g.node("TestAsyncError", value=image.out(0), error_after=0.01)
    g.node("PreviewImage", images=error_node.out(0))
    with pytest.raises(RuntimeError, match="Intentional async execution error") as info:
        executor.execute(g.finalize(), "p1", {"client_id": handler.client_id})
    assert any(error_node.id in note for note in getattr(info.value, "__notes__", []))


def _interrupt_when_running(client: Client, node_id: str, timeout: float = 10.0) -> threading.Thread:
    """Calls interrupt_current_processing() from another thread once `node_id` is executing."""

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e == "executing" and d.get("node") == node_id for e, d, _ in list(client.handler.events)):
                time.sleep(0.05)
                interrupt_current_processing()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    "sleeper",
    [
        pytest.param(("TestSleepUntilInterrupted", {"max_seconds": 10.0}), id="sync-node-polls-flag"),
        pytest.param(("TestSleep", {"seconds": 10.0}), id="async-node-progress-bar"),
    ],
)
def test_interrupt(client: Client, builder: GraphBuilder, sleeper: tuple[str, dict[str, Any]]) -> None:
    g = builder
    value = g.node("StubInt", value=1)
    class_type, inputs = sleeper
    sleep = g.node(class_type, value=value.out(0), **inputs)
    out = g.node("TestIntOutput", value=sleep.out(0))

    thread = _interrupt_when_running(client, sleep.id)
    start = time.monotonic()
    result = client.run(g)
    elapsed = time.monotonic() - start
    thread.join()

    assert elapsed < 5.0, "interrupted long before the node's own deadline"
    [interrupted] = result.events_named("execution_interrupted")
    assert interrupted["prompt_id"] == result.prompt_id
    assert interrupted["node_id"] == sleep.id
    assert interrupted["node_type"] == class_type
    assert value.id in interrupted["executed"]
    assert [sid for e, _, sid in result.events if e == "execution_interrupted"] == [None], "broadcast"
    assert not result.events_named("execution_success")
    assert not result.events_named("execution_error")
    assert out.id not in result.outputs
    assert not client.executor.success
    assert not processing_interrupted(), "the flag is consumed"

    # Usable afterwards, and the interrupted node left no result behind.
    if class_type == "TestSleepUntilInterrupted":
        g.nodes[sleep.id] = Node(sleep.id, "TestIdentity", {"value": value.out(0)})
        after = client.run(g)
    else:
        sleep.inputs["seconds"] = 0.05
        after = client.run(g)
        assert after.did_run(sleep)
    assert after.get_values(out) == [1]


def test_interrupt_cancels_parked_async_work(client: Client, builder: GraphBuilder) -> None:
    """Interrupting a sync node while an async sleep is parked ends both; no task is left."""
    g = builder
    value = g.node("StubInt", value=1)
    parked = g.node("TestSleep", value=value.out(0), seconds=10.0)
    blocking = g.node("TestSleepUntilInterrupted", value=value.out(0), max_seconds=10.0)
    g.node("TestIntOutput", value=parked.out(0))
    g.node("TestIntOutput", value=blocking.out(0))

    thread = _interrupt_when_running(client, blocking.id)
    start = time.monotonic()
    result = client.run(g)
    thread.join()

    assert time.monotonic() - start < 5.0
    assert result.did_run(parked), "the async sleep had started"
    assert [d["node_id"] for d in result.events_named("execution_interrupted")] == [blocking.id]
    loop = client.executor._loop
    assert loop is None or not [t for t in asyncio.all_tasks(loop) if not t.done()]


def test_stale_interrupt_is_reset_at_prompt_start(client: Client, builder: GraphBuilder) -> None:
    interrupt_current_processing()
    value = builder.node("StubInt", value=2)
    out = builder.node("TestIntOutput", value=value.out(0))
    result = client.run(builder)
    assert result.get_values(out) == [2]
    assert not result.events_named("execution_interrupted")


# -- the event stream ------------------------------------------------------------------------


def test_executing_only_for_nodes_that_ran_executed_on_cache_hits(client: Client, builder: GraphBuilder) -> None:
    g = builder
    image = g.node("StubImage", content="WHITE", **SIZE)
    save = g.node("SaveImage", images=image.out(0), filename_prefix="events")
    first = client.run(g)
    assert [d["node"] for d in first.events_named("executing")] == [image.id, save.id]
    [executed] = first.events_named("executed")
    assert executed["node"] == save.id and executed["display_node"] == save.id
    assert executed["prompt_id"] == first.prompt_id

    second = client.run(g)
    if client.executor.cache_policy == "none":
        assert [d["node"] for d in second.events_named("executing")] == [image.id, save.id]
        return
    assert second.events_named("executing") == []
    [replayed] = second.events_named("executed")
    assert replayed["node"] == save.id
    assert replayed["output"] == executed["output"]
    assert replayed["prompt_id"] == second.prompt_id
    assert set(second.events_named("execution_cached")[0]["nodes"]) == {image.id, save.id}


def test_canonical_event_order(client: Client, builder: GraphBuilder) -> None:
    g = builder
    value = g.node("StubInt", value=5)
    out = g.node("TestIntOutput", value=value.out(0))
    result = client.run(g)
    names = [e for e, _, _ in result.events]
    assert names == [
        "execution_start",
        "execution_cached",
        "progress_state", "executing", "progress_state",
        "progress_state", "executing", "executed", "progress_state",
        "execution_success",
    ]
    for name in ("execution_start", "execution_cached", "execution_success"):
        [data] = result.events_named(name)
        assert data["prompt_id"] == result.prompt_id and isinstance(data["timestamp"], int)
    assert all(sid == client.handler.client_id for _, _, sid in result.events)
    assert result.get_values(out) == [5]


PROGRESS_STATE_FIELDS = {"value", "max", "state", "node_id", "prompt_id", "display_node_id", "parent_node_id", "real_node_id"}


def test_progress_state_fields(client: Client, builder: GraphBuilder) -> None:
    g = builder
    image = g.node("StubImage", content="BLACK", **SIZE)
    sleep = g.node("TestSleep", value=image.out(0), seconds=0.05)
    g.node("PreviewImage", images=sleep.out(0))
    result = client.run(g)

    states = result.events_named("progress_state")
    assert states
    for event in states:
        assert event["prompt_id"] == result.prompt_id
        for node_id, state in event["nodes"].items():
            assert set(state) == PROGRESS_STATE_FIELDS
            assert state["node_id"] == node_id
            assert state["prompt_id"] == result.prompt_id
            assert state["state"] in ("running", "finished", "error")
            assert state["display_node_id"] == node_id and state["real_node_id"] == node_id
            assert state["parent_node_id"] is None
    sleep_states = [e["nodes"][sleep.id] for e in states if sleep.id in e["nodes"]]
    assert sleep_states[0]["state"] == "running" and sleep_states[0]["value"] == 0
    assert sleep_states[-1]["state"] == "finished" and sleep_states[-1]["value"] == sleep_states[-1]["max"]
    assert any(0 < s["value"] < s["max"] for s in sleep_states), "intermediate progress from the ProgressBar"
    progress = [d for d in result.events_named("progress") if d["node"] == sleep.id]
    assert progress and all(d["prompt_id"] == result.prompt_id and d["max"] == pytest.approx(0.05) for d in progress)


def test_progress_state_of_expanded_nodes(client: Client, builder: GraphBuilder) -> None:
    g = builder
    image = g.node("StubImage", content="BLACK", **SIZE)
    parallel = g.node("TestParallelSleep", image1=image.out(0), image2=image.out(0), image3=image.out(0), sleep1=0.01, sleep2=0.01, sleep3=0.01)
    g.node("PreviewImage", images=parallel.out(0))
    result = client.run(g)
    child_states = [
        state for e in result.events_named("progress_state") for nid, state in e["nodes"].items() if nid not in g.nodes
    ]
    assert child_states
    for state in child_states:
        assert state["display_node_id"] == parallel.id
        assert state["parent_node_id"] == parallel.id
        assert state["real_node_id"] == parallel.id


def test_no_events_without_a_client_id(testing_nodes: NodeRegistry, builder: GraphBuilder, workspace: Path) -> None:
    """Lifecycle events go to the client only; without a client id nothing is sent, yet the
    ui outputs are still returned."""
    handler = RecordingHandler(client_id=None)  # type: ignore[arg-type]
    executor = PromptExecutor(testing_nodes, handler=handler)
    try:
        value = builder.node("StubInt", value=9)
        out = builder.node("TestIntOutput", value=value.out(0))
        outputs = executor.execute(builder.finalize(), "no-client", {})
    finally:
        executor.close()
    assert outputs[out.id] == {"value": [9]}
    assert handler.events == []

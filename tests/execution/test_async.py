"""Async nodes (spec §3.7), after ComfyUI's TestAsyncNodes: coroutine FUNCTIONs overlap, async
VALIDATE_INPUTS / check_lazy_status, errors and timeouts inside tasks, caching, expansion into
async nodes, concurrency limits and progress reported from sync and async code."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from harness import Client, uniform_value, warm_up

from comfy.execution import PromptValidationError
from comfy_execution.graph_utils import GraphBuilder

SIZE = {"height": 32, "width": 32, "batch_size": 1}


def no_pending_tasks(client: Client) -> bool:
    loop = client.executor._loop
    return loop is None or not [t for t in asyncio.all_tasks(loop) if not t.done()]


def test_basic_async_execution(client: Client, builder: GraphBuilder) -> None:
    g = builder
    image = g.node("StubImage", content="BLACK", **SIZE)
    sleep = g.node("TestSleep", value=image.out(0), seconds=0.1)
    save = g.node("SaveImage", images=sleep.out(0), filename_prefix="async")
    result = client.run(g)
    assert result.did_run(sleep) and result.did_run(save)
    [png] = result.get_images(save)
    assert uniform_value(png) == 0
    assert no_pending_tasks(client)


@pytest.mark.parametrize("cache_config", ["classic"])
def test_parallel_sleeps_overlap(client: Client, builder: GraphBuilder) -> None:
    """Three ~1 s async sleeps take about 1 s together, not 3 s."""
    g = builder
    image = g.node("StubImage", content="BLACK", **SIZE)
    seconds = (0.9, 1.0, 1.1)
    sleeps = [g.node("TestSleep", value=image.out(0), seconds=s) for s in seconds]
    for sleep in sleeps:
        g.node("PreviewImage", images=sleep.out(0))

    warm_up(client)
    start = time.monotonic()
    result = client.run(g)
    elapsed = time.monotonic() - start

    assert all(result.did_run(s) for s in sleeps)
    assert elapsed < sum(seconds) - 0.5, f"async sleeps did not overlap: {elapsed:.2f}s"


def test_async_with_dependencies(client: Client, builder: GraphBuilder) -> None:
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    sleep1 = g.node("TestSleep", value=black.out(0), seconds=0.2)
    sleep2 = g.node("TestSleep", value=white.out(0), seconds=0.2)
    average = g.node("TestVariadicAverage", input1=sleep1.out(0), input2=sleep2.out(0))
    save = g.node("SaveImage", images=average.out(0), filename_prefix="deps")
    result = client.run(g)
    assert all(result.did_run(n) for n in (sleep1, sleep2, average, save))
    assert uniform_value(result.get_images(save)[0]) == 127
    order = [d["node"] for d in result.events_named("executing")]
    assert order.index(average.id) > max(order.index(sleep1.id), order.index(sleep2.id))


@pytest.mark.parametrize(
    ("class_type", "inputs", "valid"),
    [
        pytest.param("TestAsyncValidation", {"value": 5.0, "threshold": 10.0}, True, id="validation-pass"),
        pytest.param("TestAsyncValidation", {"value": 5.0, "threshold": 3.0}, False, id="validation-fail"),
        pytest.param("TestAsyncValidationError", {"value": 5.0, "max_value": 10.0}, True, id="error-node-pass"),
        pytest.param("TestAsyncValidationError", {"value": 15.0, "max_value": 10.0}, False, id="error-node-fail"),
    ],
)
def test_async_validate_inputs(
    client: Client, builder: GraphBuilder, class_type: str, inputs: dict[str, float], valid: bool
) -> None:
    g = builder
    node = g.node(class_type, **inputs)
    g.node("SaveImage", images=node.out(0), filename_prefix="avalid")
    if valid:
        assert client.run(g).did_run(node)
    else:
        with pytest.raises(PromptValidationError) as info:
            client.run(g)
        errors = info.value.node_errors[node.id]["errors"]
        assert {e["type"] for e in errors} == {"custom_validation_failed"}
        assert all(str(inputs["value"]) in e["details"] for e in errors)


def test_async_lazy_evaluation(client: Client, builder: GraphBuilder) -> None:
    """The async sleep on the unneeded lazy branch never starts."""
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    mask = g.node("StubMask", value=0.0, **SIZE)
    sleep1 = g.node("TestSleep", value=black.out(0), seconds=0.3)
    sleep2 = g.node("TestSleep", value=white.out(0), seconds=0.3)
    mix = g.node("TestLazyMixImages", image1=sleep1.out(0), image2=sleep2.out(0), mask=mask.out(0))
    save = g.node("SaveImage", images=mix.out(0), filename_prefix="alazy")
    result = client.run(g)
    assert result.did_run(sleep1)
    assert not result.did_run(sleep2) and not result.did_run(white)
    assert uniform_value(result.get_images(save)[0]) == 0


def test_async_check_lazy_status_with_constants(client: Client, builder: GraphBuilder) -> None:
    g = builder
    node = g.node("TestAsyncLazyCheck", input1="value1", input2="value2", condition=True)
    save = g.node("SaveImage", images=node.out(0), filename_prefix="acheck")
    result = client.run(g)
    assert result.did_run(node)
    assert uniform_value(result.get_images(save)[0]) == 255


@pytest.mark.parametrize("condition", [True, False])
def test_async_check_lazy_status_with_links(client: Client, builder: GraphBuilder, condition: bool) -> None:
    g = builder
    first = g.node("StubInt", value=1)
    second = g.node("StubInt", value=2)
    node = g.node("TestAsyncLazyCheck", input1=first.out(0), input2=second.out(0), condition=condition)
    g.node("SaveImage", images=node.out(0), filename_prefix="acheck")
    result = client.run(g)
    assert result.did_run(node)
    assert result.did_run(first) is condition
    assert result.did_run(second) is not condition


def test_async_execution_error(client: Client, builder: GraphBuilder) -> None:
    g = builder
    image = g.node("StubImage", content="BLACK", **SIZE)
    error_node = g.node("TestAsyncError", value=image.out(0), error_after=0.1)
    g.node("SaveImage", images=error_node.out(0), filename_prefix="aerror")
    with pytest.raises(Exception) as info:
        client.run(g)
    error = info.value.args[0]
    assert error["prompt_id"]
    assert error["node_id"] == error_node.id
    assert error["node_type"] == "TestAsyncError"
    assert error["exception_type"] == "RuntimeError"
    assert error["exception_message"] == "Intentional async execution error for testing\n"
    assert any("error_execution" in frame for frame in error["traceback"])
    assert error["current_inputs"] == {"value": ["<class 'torch.Tensor'>"], "error_after": [0.1]}
    assert no_pending_tasks(client)


def test_async_timeout(client: Client, builder: GraphBuilder) -> None:
    g = builder
    image = g.node("StubImage", content="BLACK", **SIZE)
    node = g.node("TestAsyncTimeout", value=image.out(0), timeout=0.2, operation_time=1.0)
    g.node("SaveImage", images=node.out(0), filename_prefix="timeout")
    warm_up(client)
    start = time.monotonic()
    with pytest.raises(Exception) as info:
        client.run(g)
    assert time.monotonic() - start < 1.0
    assert "timeout" in str(info.value).lower()
    assert "timed out after 0.2 seconds" in info.value.args[0]["exception_message"]


def test_recovery_after_async_error(client: Client, builder: GraphBuilder) -> None:
    g = builder
    image = g.node("StubImage", content="BLACK", **SIZE)
    error_node = g.node("TestAsyncError", value=image.out(0), error_after=0.05)
    g.node("SaveImage", images=error_node.out(0), filename_prefix="recover")
    with pytest.raises(Exception):
        client.run(g)

    g2 = GraphBuilder(prefix="recovery_test")
    white = g2.node("StubImage", content="WHITE", **SIZE)
    sleep = g2.node("TestSleep", value=white.out(0), seconds=0.1)
    save = g2.node("SaveImage", images=sleep.out(0), filename_prefix="recovered")
    result = client.run(g2)
    assert result.did_run(sleep)
    assert uniform_value(result.get_images(save)[0]) == 255


def test_sync_error_while_async_runs(client: Client, builder: GraphBuilder) -> None:
    """A sync node fails while an async sleep is in flight: the error is reported for the sync
    node, the sleep is cancelled (the run does not wait for it) and no task is left behind."""
    g = builder
    image = g.node("StubImage", content="BLACK", **SIZE)
    sleep = g.node("TestSleep", value=image.out(0), seconds=3.0)
    error_node = g.node("TestSyncError", value=image.out(0))
    g.node("PreviewImage", images=sleep.out(0))
    g.node("PreviewImage", images=error_node.out(0))

    warm_up(client)
    start = time.monotonic()
    result = client.run(g, raise_on_error=False)
    assert time.monotonic() - start < 2.0, "the in-flight sleep was cancelled"

    [error] = result.events_named("execution_error")
    assert error["prompt_id"] == result.prompt_id
    assert error["node_id"] == error_node.id
    assert error["exception_message"] == "Intentional sync execution error for testing\n"
    assert not result.events_named("execution_success")
    assert no_pending_tasks(client)


def test_async_list_with_execution_blocker(client: Client, builder: GraphBuilder) -> None:
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    sleep1 = g.node("TestSleep", value=black.out(0), seconds=0.1)
    sleep2 = g.node("TestSleep", value=white.out(0), seconds=0.1)
    image_list = g.node("TestMakeListNode", value1=sleep1.out(0), value2=sleep2.out(0))
    ints = [g.node("StubInt", value=v) for v in (1, 2)]
    block_list = g.node("TestMakeListNode", value1=ints[0].out(0), value2=ints[1].out(0))
    compare = g.node("TestIntConditions", a=block_list.out(0), b=2, operation="==")
    blocker = g.node("TestExecutionBlocker", input=image_list.out(0), block=compare.out(0), verbose=False)
    preview = g.node("PreviewImage", images=blocker.out(0))
    result = client.run(g)
    assert [uniform_value(i) for i in result.get_images(preview)] == [0]


def test_async_caching(client: Client, builder: GraphBuilder) -> None:
    g = builder
    image = g.node("StubImage", content="BLACK", **SIZE)
    sleep = g.node("TestSleep", value=image.out(0), seconds=0.2)
    save = g.node("SaveImage", images=sleep.out(0), filename_prefix="acache")
    assert client.run(g).did_run(sleep)
    start = time.monotonic()
    result = client.run(g)
    elapsed = time.monotonic() - start
    if client.executor.cache_policy == "none":
        assert result.did_run(sleep)
    else:
        assert not result.did_run(sleep) and not result.did_run(save)
        assert elapsed < 0.2, f"a cached run does not sleep ({elapsed:.2f}s)"


def test_dynamic_async_generation(client: Client, builder: GraphBuilder) -> None:
    """An expansion into five async sleeps: they overlap, and the average comes out right."""
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    seconds = 0.3
    dynamic = g.node("TestDynamicAsyncGeneration", image1=black.out(0), image2=white.out(0), num_async_nodes=5, sleep_duration=seconds)
    save = g.node("SaveImage", images=dynamic.out(0), filename_prefix="dynamic")

    warm_up(client)
    start = time.monotonic()
    result = client.run(g)
    elapsed = time.monotonic() - start

    assert result.did_run(dynamic)
    assert elapsed < 5 * seconds, f"expanded async sleeps did not overlap: {elapsed:.2f}s"
    assert uniform_value(result.get_images(save)[0]) == 102, "2 of 5 inputs are white"
    children = [d for d in result.events_named("executing") if d["node"] not in g.nodes]
    assert len(children) == 6, "five sleeps and the average"
    assert {d["display_node"] for d in children} == {dynamic.id}


def test_async_resource_cleanup(client: Client, builder: GraphBuilder) -> None:
    g = builder
    image = g.node("StubImage", content="BLACK", **SIZE)
    users = []
    for i in range(5):
        user = g.node("TestAsyncResourceUser", value=image.out(0), resource_id=f"resource_{i}", duration=0.05)
        users.append(user)
        g.node("PreviewImage", images=user.out(0))
    result = client.run(g)
    assert all(result.did_run(u) for u in users)
    second = client.run(g)
    assert all(second.did_run(u) is (client.executor.cache_policy == "none") for u in users)


@pytest.mark.parametrize("cache_config", ["classic"])
def test_async_concurrent_limit(client: Client, builder: GraphBuilder) -> None:
    """Four 0.3 s nodes under a semaphore of 2 run in two waves: about 0.6 s, not 0.3 or 1.2."""
    g = builder
    image = g.node("StubImage", content="BLACK", **SIZE)
    limited = [g.node("TestAsyncConcurrentLimit", value=image.out(0), duration=0.3, node_id=i) for i in range(4)]
    for node in limited:
        g.node("PreviewImage", images=node.out(0))
    warm_up(client)
    start = time.monotonic()
    result = client.run(g)
    elapsed = time.monotonic() - start
    assert all(result.did_run(n) for n in limited)
    assert 0.55 <= elapsed < 1.15, f"{elapsed:.2f}s"


def test_mixed_sync_async_chain(client: Client, builder: GraphBuilder) -> None:
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    mask = g.node("StubMask", value=0.5, **SIZE)
    mix = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=mask.out(0))
    sleep1 = g.node("TestSleep", value=mix.out(0), seconds=0.1)
    scaled = g.node("TestCustomValidation1", input1=sleep1.out(0), input2=0.5)
    sleep2 = g.node("TestSleep", value=scaled.out(0), seconds=0.1)
    save = g.node("SaveImage", images=sleep2.out(0), filename_prefix="mixed")
    result = client.run(g)
    assert all(result.did_run(n) for n in (mix, sleep1, scaled, sleep2))
    assert uniform_value(result.get_images(save)[0]) == 63, "0.5 * 0.5"


@pytest.mark.parametrize("class_type", ["TestSyncProgressUpdate", "TestAsyncProgressUpdate"])
def test_public_api_progress(client: Client, builder: GraphBuilder, class_type: str) -> None:
    g = builder
    value = g.node("StubInt", value=7)
    node = g.node(class_type, value=value.out(0), sleep_seconds=0.1)
    out = g.node("TestIntOutput", value=node.out(0))
    result = client.run(g)
    assert result.get_values(out) == [7]
    progress = [d for d in result.events_named("progress") if d["node"] == node.id]
    assert len(progress) >= 2
    assert all(d["prompt_id"] == result.prompt_id and d["max"] == 1.0 for d in progress)
    values = [d["value"] for d in progress]
    assert values == sorted(values) and values[0] < 1.0 <= values[-1] + 0.2
    states = [d["nodes"][node.id] for d in result.events_named("progress_state") if node.id in d["nodes"]]
    assert states[0]["state"] == "running" and states[-1]["state"] == "finished"


def test_async_batch_progress(client: Client, builder: GraphBuilder) -> None:
    g = builder
    images = g.node("StubImage", content="BLACK", height=8, width=8, batch_size=3)
    node = g.node("TestAsyncBatchProcessing", images=images.out(0), process_time_per_item=0.02)
    save = g.node("SaveImage", images=node.out(0), filename_prefix="batch")
    result = client.run(g)
    assert [uniform_value(i) for i in result.get_images(save)] == [255, 255, 255]
    progress: list[Any] = [(d["value"], d["max"]) for d in result.events_named("progress") if d["node"] == node.id]
    assert progress == [(1, 3), (2, 3), (3, 3)]


async def test_execute_async_from_a_running_loop(client: Client, builder: GraphBuilder) -> None:
    """`await execute_async()` runs the prompt (and its async nodes) off the caller's loop."""
    g = builder
    value = g.node("StubInt", value=11)
    sleep = g.node("TestSleep", value=value.out(0), seconds=0.2)
    out = g.node("TestIntOutput", value=sleep.out(0))
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.ensure_future(tick())
    try:
        outputs = await client.executor.execute_async(g.finalize(), "async-caller", {"client_id": "x"})
    finally:
        ticker.cancel()
    assert outputs[out.id] == {"value": [11]}
    assert ticks >= 5, "the caller's loop kept running"


def test_async_calls_of_one_list_node_overlap(client: Client, builder: GraphBuilder) -> None:
    """A list input maps an async FUNCTION once per item; those coroutines run concurrently."""
    g = builder
    values = g.node("TestMakeListNode", value1=1, value2=2, value3=3)
    seconds = 0.3
    sleep = g.node("TestSleep", value=values.out(0), seconds=seconds)
    out = g.node("TestIntOutput", value=sleep.out(0))
    warm_up(client)
    start = time.monotonic()
    result = client.run(g)
    elapsed = time.monotonic() - start
    assert result.get_values(out) == [1, 2, 3], "results keep list order"
    assert elapsed < 3 * seconds, f"list calls did not overlap: {elapsed:.2f}s"

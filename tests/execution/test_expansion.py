"""Node expansion (spec §3.6, §5.4): for and while loops, mixed expanding/plain returns,
cycles created by an expansion, and async sleeps inside an expansion."""

from __future__ import annotations

import time

import pytest
from harness import Client, uniform_value, warm_up

from comfy_execution.graph_utils import GraphBuilder

SIZE = {"height": 32, "width": 32, "batch_size": 1}


def test_for_loop(client: Client, builder: GraphBuilder) -> None:
    """Each iteration averages the running image with black: 255 // 2**n after n iterations.
    The always-changed (NaN) source keeps the loop from being cached between runs."""
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    is_changed = g.node("TestCustomIsChanged", should_change=True, image=white.out(0))
    for_open = g.node("TestForLoopOpen", remaining=4, initial_value1=is_changed.out(0))
    average = g.node("TestVariadicAverage", input1=black.out(0), input2=for_open.out(2))
    for_close = g.node("TestForLoopClose", flow_control=for_open.out(0), initial_value1=average.out(0))
    save = g.node("SaveImage", images=for_close.out(0), filename_prefix="loop")

    for iterations in range(1, 5):
        for_open.set_input("remaining", iterations)
        result = client.run(g)
        [image] = result.get_images(save)
        assert uniform_value(image) == 255 // (2**iterations), f"{iterations} iterations"
        assert result.did_run(is_changed)
        assert result.did_run(for_close)


@pytest.mark.parametrize(("start", "total"), [(1, 1), (3, 6), (5, 15)])
def test_while_loop_sums(client: Client, builder: GraphBuilder, start: int, total: int) -> None:
    """while n > 0: total += n; n -= 1 -- via TestWhileLoopOpen/Close and re-expansion."""
    g = builder
    loop_open = g.node("TestWhileLoopOpen", condition=True, initial_value0=start, initial_value1=0)
    add = g.node("TestIntMathOperation", a=loop_open.out(2), b=loop_open.out(1), operation="add")
    sub = g.node("TestIntMathOperation", a=loop_open.out(1), b=1, operation="subtract")
    more = g.node("TestIntConditions", a=sub.out(0), b=0, operation=">")
    loop_close = g.node(
        "TestWhileLoopClose",
        flow_control=loop_open.out(0),
        condition=more.out(0),
        initial_value0=sub.out(0),
        initial_value1=add.out(0),
    )
    remaining = g.node("TestIntOutput", value=loop_close.out(0))
    out = g.node("TestIntOutput", value=loop_close.out(1))

    result = client.run(g)

    assert result.get_values(out) == [total]
    assert result.get_values(remaining) == [0]
    # Clones report under the ids the user placed: every `executing` has a display id in the graph.
    placed = set(g.nodes)
    displays = {d["display_node"] for d in result.events_named("executing")}
    assert displays <= placed
    expanded_runs = [d for d in result.events_named("executing") if d["node"] not in placed]
    assert len(expanded_runs) == (start - 1) * 5, "each further iteration clones the 5-node body"


def test_mixed_expansion_returns(client: Client, builder: GraphBuilder) -> None:
    """Per list item: a tuple (0.1), a result dict (0.2), an expansion mixing at 0.3."""
    g = builder
    values = g.node("TestMakeListNode", value1=0.1, value2=0.2, value3=0.3)
    mixed = g.node("TestMixedExpansionReturns", input1=values.out(0))
    dynamic = g.node("SaveImage", images=mixed.out(0), filename_prefix="dynamic")
    literal = g.node("SaveImage", images=mixed.out(1), filename_prefix="literal")

    result = client.run(g)

    assert [uniform_value(i) for i in result.get_images(dynamic)] == [25, 51, 76]
    assert [uniform_value(i) for i in result.get_images(literal)] == [255, 255, 255]


def test_dynamic_cycle_is_blamed_on_the_expanding_node(client: Client, builder: GraphBuilder) -> None:
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    generator = g.node("TestDynamicDependencyCycle", input1=black.out(0), input2=white.out(0))
    g.node("SaveImage", images=generator.out(0), filename_prefix="cycle")

    with pytest.raises(Exception) as info:
        client.run(g)
    error = info.value.args[0]
    assert error["prompt_id"]
    assert error["node_id"] == generator.id
    assert error["node_type"] == "TestDynamicDependencyCycle"
    assert error["exception_type"].endswith("DependencyCycleError")
    assert "cycle" in error["exception_message"].lower()

    # The executor recovers: a plain prompt runs afterwards.
    g2 = GraphBuilder(prefix="after_cycle")
    image = g2.node("StubImage", content="WHITE", **SIZE)
    save = g2.node("SaveImage", images=image.out(0), filename_prefix="after")
    assert len(client.run(g2).get_images(save)) == 1


def test_expansion_cached_on_rerun(client: Client, builder: GraphBuilder) -> None:
    """An expanding node and its children are cached as a unit: a re-run runs nothing."""
    g = builder
    values = g.node("TestMakeListNode", value1=0.3)
    mixed = g.node("TestMixedExpansionReturns", input1=values.out(0))
    save = g.node("SaveImage", images=mixed.out(0), filename_prefix="expcache")
    client.run(g)
    result = client.run(g)
    runs = result.events_named("executing")
    if client.executor.cache_policy == "none":
        assert result.did_run(mixed) and len(runs) > 4
    else:
        assert runs == []
    assert [uniform_value(i) for i in result.get_images(save)] == [76]


def test_parallel_sleep_expansion(client: Client, builder: GraphBuilder) -> None:
    """TestParallelSleep expands into three TestSleep nodes that overlap, then averages them."""
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white1 = g.node("StubImage", content="WHITE", **SIZE)
    white2 = g.node("StubImage", content="WHITE", height=32, width=32, batch_size=1)
    sleep = 0.4
    parallel = g.node(
        "TestParallelSleep",
        image1=black.out(0),
        image2=white1.out(0),
        image3=white2.out(0),
        sleep1=sleep,
        sleep2=sleep,
        sleep3=sleep,
    )
    save = g.node("SaveImage", images=parallel.out(0), filename_prefix="parallel")

    warm_up(client)
    start = time.monotonic()
    result = client.run(g)
    elapsed = time.monotonic() - start

    assert result.did_run(parallel)
    [image] = result.get_images(save)
    assert uniform_value(image) == 170, "mean of black, white, white"
    assert elapsed < 3 * sleep, f"sleeps did not overlap: {elapsed:.2f}s"
    sleeps = [d for d in result.events_named("executing") if d["node"] not in g.nodes]
    assert sleeps and all(d["display_node"] == parallel.id for d in sleeps)


def test_error_inside_expansion_is_blamed_on_the_real_node(client: Client, builder: GraphBuilder) -> None:
    """TestVariadicAverage inside TestParallelSleep fails (image sizes differ); the error names
    the top-level node that expanded it."""
    g = builder
    small = g.node("StubImage", content="BLACK", height=16, width=16, batch_size=1)
    large = g.node("StubImage", content="WHITE", **SIZE)
    parallel = g.node(
        "TestParallelSleep", image1=small.out(0), image2=large.out(0), image3=large.out(0), sleep1=0.0, sleep2=0.0, sleep3=0.0
    )
    g.node("SaveImage", images=parallel.out(0), filename_prefix="experr")
    result = client.run(g, raise_on_error=False)
    [error] = result.events_named("execution_error")
    assert error["node_id"] == parallel.id
    assert error["node_type"] == "TestParallelSleep", "node_type names the same (real) node as node_id"
    assert error["exception_type"] == "RuntimeError"
    assert "stack" in "".join(error["traceback"])
    assert not result.events_named("execution_success")


def test_while_loop_body_output_repeats_under_its_display_id(client: Client, builder: GraphBuilder) -> None:
    """An output node fed by the loop body is cloned into every iteration; each clone reports
    `executed` under the id the user placed, even for clones of clones (display ids chain)."""
    g = builder
    loop_open = g.node("TestWhileLoopOpen", condition=True, initial_value0=3, initial_value1=0)
    add = g.node("TestIntMathOperation", a=loop_open.out(2), b=loop_open.out(1), operation="add")
    sub = g.node("TestIntMathOperation", a=loop_open.out(1), b=1, operation="subtract")
    more = g.node("TestIntConditions", a=sub.out(0), b=0, operation=">")
    body_out = g.node("TestIntOutput", value=add.out(0))
    loop_close = g.node(
        "TestWhileLoopClose", flow_control=loop_open.out(0), condition=more.out(0), initial_value0=sub.out(0), initial_value1=add.out(0)
    )
    out = g.node("TestIntOutput", value=loop_close.out(1))

    result = client.run(g)

    assert result.get_values(out) == [6]
    body = [d for d in result.events_named("executed") if d["display_node"] == body_out.id]
    assert sorted(d["output"]["value"][0] for d in body) == [3, 5, 6], "running totals of 3 + 2 + 1"
    assert {d["node"] for d in body} - {body_out.id}, "later iterations are clones"
    assert all(d["display_node"] in g.nodes for d in result.events_named("executed"))


def test_for_loop_is_cached_between_runs(client: Client, builder: GraphBuilder) -> None:
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    for_open = g.node("TestForLoopOpen", remaining=2, initial_value1=white.out(0))
    average = g.node("TestVariadicAverage", input1=black.out(0), input2=for_open.out(2))
    for_close = g.node("TestForLoopClose", flow_control=for_open.out(0), initial_value1=average.out(0))
    save = g.node("SaveImage", images=for_close.out(0), filename_prefix="loopcache")

    first = client.run(g)
    second = client.run(g)
    assert uniform_value(second.get_images(save)[0]) == uniform_value(first.get_images(save)[0]) == 63
    if client.executor.cache_policy == "none":
        assert second.did_run(for_close)
    else:
        assert second.events_named("executing") == []
    for_open.set_input("remaining", 3)
    third = client.run(g)
    assert third.did_run(for_close) and uniform_value(third.get_images(save)[0]) == 31

"""ExecutionBlocker (spec §3.6, quirk 7): blocked inputs skip the call and propagate; a blocker
with a message reports `execution_error` without failing the prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Client, uniform_value

from comfy_execution.graph_utils import GraphBuilder

SIZE = {"height": 32, "width": 32, "batch_size": 1}


def test_unblocked_passes_through(client: Client, builder: GraphBuilder) -> None:
    g = builder
    white = g.node("StubImage", content="WHITE", **SIZE)
    blocker = g.node("TestExecutionBlocker", input=white.out(0), block=False, verbose=True)
    save = g.node("SaveImage", images=blocker.out(0), filename_prefix="pass")
    result = client.run(g)
    assert uniform_value(result.get_images(save)[0]) == 255


def test_silent_blocker_skips_downstream(client: Client, builder: GraphBuilder) -> None:
    """The blocked chain runs no node function: the output produces no ui, and the prompt succeeds."""
    g = builder
    white = g.node("StubImage", content="WHITE", **SIZE)
    blocker = g.node("TestExecutionBlocker", input=white.out(0), block=True, verbose=False)
    identity = g.node("TestIdentity", value=blocker.out(0))
    save = g.node("SaveImage", images=identity.out(0), filename_prefix="blocked")
    other = g.node("SaveImage", images=white.out(0), filename_prefix="unblocked")

    result = client.run(g)

    assert save.id not in result.outputs, "a blocked output node produces no ui"
    [saved] = result.get_output(other)["images"]
    assert not list(Path(saved["abs_path"]).parent.glob("blocked_*")), "the blocked saver wrote nothing"
    assert result.events_named("execution_success")
    assert not result.events_named("execution_error")
    assert not [e for e in result.events_named("executed") if e["node"] == save.id]


def test_blocker_with_message_reports_but_succeeds(client: Client, builder: GraphBuilder) -> None:
    g = builder
    white = g.node("StubImage", content="WHITE", **SIZE)
    blocker = g.node("TestExecutionBlocker", input=white.out(0), block=True, verbose=True)
    save = g.node("SaveImage", images=blocker.out(0), filename_prefix="verbose")

    result = client.run(g, raise_on_error=False)

    [error] = result.events_named("execution_error")
    assert error["prompt_id"] == result.prompt_id
    assert error["node_id"] == save.id, "reported by the node whose input was blocked"
    assert error["node_type"] == "SaveImage"
    assert error["exception_type"] == "ExecutionBlocked"
    assert error["exception_message"] == "Execution Blocked: Blocked Execution"
    assert error["traceback"] == []
    assert result.events_named("execution_success"), "the prompt is not failed (quirk 7)"
    assert save.id not in result.outputs
    assert client.executor.success


def test_blocker_message_is_reported_once(client: Client, builder: GraphBuilder) -> None:
    """Past the first consumer the blocker continues silently (ExecutionBlocker(None))."""
    g = builder
    white = g.node("StubImage", content="WHITE", **SIZE)
    blocker = g.node("TestExecutionBlocker", input=white.out(0), block=True, verbose=True)
    identity = g.node("TestIdentity", value=blocker.out(0))
    g.node("SaveImage", images=identity.out(0), filename_prefix="once")
    result = client.run(g, raise_on_error=False)
    assert [e["node_id"] for e in result.events_named("execution_error")] == [identity.id]


def test_harness_treats_a_blocker_message_as_a_failure(client: Client, builder: GraphBuilder) -> None:
    """ComfyUI's harness raises on any execution_error, including a blocker message (quirk 7)."""
    g = builder
    white = g.node("StubImage", content="WHITE", **SIZE)
    blocker = g.node("TestExecutionBlocker", input=white.out(0), block=True, verbose=True)
    g.node("SaveImage", images=blocker.out(0), filename_prefix="raise")
    with pytest.raises(Exception) as info:
        client.run(g)
    assert info.value.args[0]["exception_type"] == "ExecutionBlocked"


def test_blocker_in_a_list_blocks_only_its_item(client: Client, builder: GraphBuilder) -> None:
    """ComfyUI's test_execution_block_list_output: [black, white, black] with the middle item
    blocked; an OUTPUT_IS_LIST node after it keeps the blocker as one element, and the output
    gets the two unblocked images."""
    g = builder
    images = [g.node("StubImage", content=c, **SIZE) for c in ("BLACK", "WHITE", "BLACK")]
    image_list = g.node("TestMakeListNode", **{f"value{i + 1}": n.out(0) for i, n in enumerate(images)})
    ints = [g.node("StubInt", value=v) for v in (1, 2, 3)]
    int_list = g.node("TestMakeListNode", **{f"value{i + 1}": n.out(0) for i, n in enumerate(ints)})
    compare = g.node("TestIntConditions", a=int_list.out(0), b=2, operation="==")
    blocker = g.node("TestExecutionBlocker", input=image_list.out(0), block=compare.out(0), verbose=False)
    list_output = g.node("TestMakeListNode", value1=blocker.out(0))
    preview = g.node("PreviewImage", images=list_output.out(0))

    result = client.run(g)

    assert result.did_run(preview)
    assert [uniform_value(i) for i in result.get_images(preview)] == [0, 0]


def test_input_is_list_node_is_blocked_by_any_element(client: Client, builder: GraphBuilder) -> None:
    """Under INPUT_IS_LIST one blocked element blocks the whole call."""
    g = builder
    ints = [g.node("StubInt", value=v) for v in (1, 2)]
    int_list = g.node("TestMakeListNode", value1=ints[0].out(0), value2=ints[1].out(0))
    compare = g.node("TestIntConditions", a=int_list.out(0), b=2, operation="==")
    blocker = g.node("TestExecutionBlocker", input=int_list.out(0), block=compare.out(0), verbose=False)
    collected = g.node("TestListToAccumulationNode", list=blocker.out(0))
    length = g.node("TestAccumulationGetLengthNode", accumulation=collected.out(0))
    out = g.node("TestIntOutput", value=length.out(0))
    passthrough = g.node("TestIntOutput", value=blocker.out(0))

    result = client.run(g)

    assert out.id not in result.outputs
    assert result.get_values(passthrough) == [1], "the per-item consumer only loses the blocked item"

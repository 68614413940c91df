"""List mapping (spec §3.5, §3.6): per-item calls, INPUT_IS_LIST / OUTPUT_IS_LIST, shorter lists
repeating their last item, ui merging, and undeclared (variadic) linked inputs."""

from __future__ import annotations

import pytest
from harness import Client, uniform_value

from comfy_execution.graph_utils import GraphBuilder

SIZE = {"height": 32, "width": 32, "batch_size": 1}


def test_list_maps_over_a_downstream_node(client: Client, builder: GraphBuilder) -> None:
    """A list output calls its consumer once per item; the output node's ui concatenates."""
    g = builder
    values = g.node("TestMakeListNode", value1=0.1, value2=0.2, value3=0.3)
    images = g.node("StubConstantImage", value=values.out(0), **SIZE)
    save = g.node("SaveImage", images=images.out(0), filename_prefix="list")
    result = client.run(g)
    assert [uniform_value(i) for i in result.get_images(save)] == [25, 51, 76]
    runs = [d["node"] for d in result.events_named("executing")]
    assert runs.count(images.id) == 1, "one node run, three calls"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param([1, 2, 3], [10, 20, 30], [11, 22, 33], id="equal-lengths"),
        pytest.param([1, 2, 3], [10, 20], [11, 22, 23], id="shorter-b-repeats-last"),
        pytest.param([1], [10, 20, 30], [11, 21, 31], id="single-a-repeats"),
    ],
)
def test_shorter_lists_repeat_their_last_item(
    client: Client, builder: GraphBuilder, a: list[int], b: list[int], expected: list[int]
) -> None:
    g = builder
    list_a = g.node("TestMakeListNode", **{f"value{i + 1}": v for i, v in enumerate(a)})
    list_b = g.node("TestMakeListNode", **{f"value{i + 1}": v for i, v in enumerate(b)})
    total = g.node("TestIntMathOperation", a=list_a.out(0), b=list_b.out(0), operation="add")
    out = g.node("TestIntOutput", value=total.out(0))
    assert client.run(g).get_values(out) == expected


def test_list_with_constant_input(client: Client, builder: GraphBuilder) -> None:
    g = builder
    values = g.node("TestMakeListNode", value1=1, value2=2, value3=3)
    product = g.node("TestIntMathOperation", a=values.out(0), b=10, operation="multiply")
    out = g.node("TestIntOutput", value=product.out(0))
    assert client.run(g).get_values(out) == [10, 20, 30]


def _accumulate(g: GraphBuilder, values: list[int]) -> object:
    accumulation = None
    for v in values:
        inputs = {"to_add": v}
        if accumulation is not None:
            inputs["accumulation"] = accumulation.out(0)
        accumulation = g.node("TestAccumulateNode", **inputs)
    return accumulation


@pytest.mark.parametrize(
    ("class_type", "inputs", "slot", "expected"),
    [
        pytest.param("TestAccumulationGetLengthNode", {}, 0, [3], id="length"),
        pytest.param("TestAccumulationHeadNode", {}, 1, [1], id="head"),
        pytest.param("TestAccumulationTailNode", {}, 1, [3], id="tail"),
        pytest.param("TestAccumulationGetItemNode", {"index": 1}, 0, [2], id="get-item"),
        pytest.param("TestAccumulationGetItemNode", {"index": -1}, 0, [3], id="get-item-negative"),
        pytest.param("TestAccumulationToListNode", {}, 0, [1, 2, 3], id="to-list-output-is-list"),
    ],
)
def test_accumulation_nodes(
    client: Client, builder: GraphBuilder, class_type: str, inputs: dict[str, int], slot: int, expected: list[int]
) -> None:
    g = builder
    accumulation = _accumulate(g, [1, 2, 3])
    node = g.node(class_type, accumulation=accumulation.out(0), **inputs)
    out = g.node("TestIntOutput", value=node.out(slot))
    assert client.run(g).get_values(out) == expected


def test_input_is_list_collects_a_whole_list(client: Client, builder: GraphBuilder) -> None:
    """List -> (INPUT_IS_LIST) accumulation -> set item -> (OUTPUT_IS_LIST) list -> per-item math."""
    g = builder
    values = g.node("TestMakeListNode", value1=1, value2=2, value3=3)
    collected = g.node("TestListToAccumulationNode", list=values.out(0))
    length = g.node("TestAccumulationGetLengthNode", accumulation=collected.out(0))
    changed = g.node("TestAccumulationSetItemNode", accumulation=collected.out(0), index=0, value=7)
    as_list = g.node("TestAccumulationToListNode", accumulation=changed.out(0))
    doubled = g.node("TestIntMathOperation", a=as_list.out(0), b=2, operation="multiply")
    length_out = g.node("TestIntOutput", value=length.out(0))
    values_out = g.node("TestIntOutput", value=doubled.out(0))

    result = client.run(g)

    assert result.get_values(length_out) == [3]
    assert result.get_values(values_out) == [14, 4, 6]
    runs = [d["node"] for d in result.events_named("executing")]
    assert runs.count(collected.id) == 1


def test_rebatch_images_with_lazy_mix_over_a_list(client: Client, builder: GraphBuilder) -> None:
    """ComfyUI's test_mixed_lazy_results: three masks -> three lazy mixes (each asking for what
    its mask needs) -> RebatchImages (INPUT_IS_LIST, OUTPUT_IS_LIST) into one batch of three."""
    g = builder
    values = g.node("TestMakeListNode", value1=0.0, value2=0.5, value3=1.0)
    mask = g.node("StubMask", value=values.out(0), **SIZE)
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    mix = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=mask.out(0))
    rebatch = g.node("RebatchImages", images=mix.out(0), batch_size=3)
    save = g.node("SaveImage", images=rebatch.out(0), filename_prefix="rebatch")

    result = client.run(g)
    assert [uniform_value(i) for i in result.get_images(save)] == [0, 127, 255]


@pytest.mark.parametrize(("batch_size", "batches"), [(1, 3), (2, 2), (4, 1)])
def test_rebatch_sizes(client: Client, builder: GraphBuilder, batch_size: int, batches: int) -> None:
    """Three single images rebatched into ceil(3 / batch_size) batches, order kept."""
    g = builder
    values = g.node("TestMakeListNode", value1=0.0, value2=0.5, value3=1.0)
    images = g.node("StubConstantImage", value=values.out(0), **SIZE)
    rebatch = g.node("RebatchImages", images=images.out(0), batch_size=batch_size)
    save = g.node("SaveImage", images=rebatch.out(0), filename_prefix="sizes")
    collected = g.node("TestListToAccumulationNode", list=rebatch.out(0))
    count = g.node("TestAccumulationGetLengthNode", accumulation=collected.out(0))
    count_out = g.node("TestIntOutput", value=count.out(0))
    result = client.run(g)
    assert [uniform_value(i) for i in result.get_images(save)] == [0, 127, 255]
    assert result.get_values(count_out) == [batches]


def test_undeclared_variadic_inputs(client: Client, builder: GraphBuilder) -> None:
    """TestVariadicAverage declares only input1; linked input2..4 are still evaluated and passed."""
    g = builder
    images = [g.node("StubImage", content=c, **SIZE) for c in ("BLACK", "WHITE", "BLACK", "BLACK")]
    links = {f"input{i + 1}": image.out(0) for i, image in enumerate(images)}
    average = g.node("TestVariadicAverage", **links)
    save = g.node("SaveImage", images=average.out(0), filename_prefix="variadic")
    result = client.run(g)
    assert all(result.did_run(image) for image in images[:2])
    assert uniform_value(result.get_images(save)[0]) == 255 // 4


def test_undeclared_constant_is_dropped(client: Client, builder: GraphBuilder) -> None:
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    average = g.node("TestVariadicAverage", input1=black.out(0), input2=0.5)
    save = g.node("SaveImage", images=average.out(0), filename_prefix="dropped")
    assert uniform_value(client.run(g).get_images(save)[0]) == 0

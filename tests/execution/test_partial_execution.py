"""partial_execution_targets (spec §3.2, §4.1): only the listed output nodes are scheduled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from harness import Client

from comfy.execution import PromptValidationError
from comfy_execution.graph_utils import GraphBuilder

SIZE = {"height": 32, "width": 32, "batch_size": 1}


def _three_outputs(g: GraphBuilder) -> tuple[list[Any], list[Any]]:
    inputs = [g.node("StubImage", content=c, **SIZE) for c in ("BLACK", "WHITE", "NOISE")]
    outputs = [g.node("SaveImage", images=n.out(0), filename_prefix=f"partial{i}") for i, n in enumerate(inputs)]
    return inputs, outputs


@pytest.mark.parametrize(
    "targets",
    [
        pytest.param([0], id="one"),
        pytest.param([0, 2], id="subset"),
        pytest.param([0, 1, 2], id="all"),
        pytest.param([2, 0], id="order-irrelevant"),
    ],
)
def test_only_targeted_outputs_run(client: Client, builder: GraphBuilder, targets: list[int]) -> None:
    inputs, outputs = _three_outputs(builder)
    result = client.run(builder, partial_execution_targets=[outputs[i].id for i in targets])
    for i in range(3):
        targeted = i in targets
        assert result.was_executed(inputs[i]) is targeted
        assert result.did_run(outputs[i]) is targeted
        assert (outputs[i].id in result.outputs) is targeted
        if targeted:
            assert len(result.get_images(outputs[i])) == 1


def test_none_means_every_output(client: Client, builder: GraphBuilder) -> None:
    _, outputs = _three_outputs(builder)
    result = client.run(builder, partial_execution_targets=None)
    assert all(result.did_run(o) for o in outputs)


@pytest.mark.parametrize(
    "targets",
    [
        pytest.param(lambda inputs, outputs: [], id="empty-list"),
        pytest.param(lambda inputs, outputs: [inputs[0].id], id="non-output-only"),
        pytest.param(lambda inputs, outputs: ["no-such-node"], id="unknown-id"),
    ],
)
def test_no_targeted_output_is_an_error(
    client: Client, builder: GraphBuilder, targets: Callable[[list[Any], list[Any]], list[str]]
) -> None:
    inputs, outputs = _three_outputs(builder)
    with pytest.raises(PromptValidationError) as info:
        client.run(builder, partial_execution_targets=targets(inputs, outputs))
    assert info.value.error["type"] == "prompt_no_outputs"
    assert info.value.error["message"] == "Prompt has no outputs"
    assert not client.handler.events


def test_non_output_target_beside_an_output_is_ignored(client: Client, builder: GraphBuilder) -> None:
    inputs, outputs = _three_outputs(builder)
    result = client.run(builder, partial_execution_targets=[inputs[1].id, outputs[0].id])
    assert result.did_run(outputs[0])
    assert not result.did_run(inputs[1]) and not result.did_run(outputs[1])


def test_untargeted_output_nodes_run_as_dependencies(client: Client, builder: GraphBuilder) -> None:
    """An OUTPUT_NODE that is not targeted still runs when a target needs its socket output."""
    g = builder
    source = g.node("StubImage", content="BLACK", **SIZE)
    first = g.node("TestOutputNodeWithSocketOutput", image=source.out(0), value=1.5)
    second = g.node("TestOutputNodeWithSocketOutput", image=first.out(0), value=2.0)
    save1 = g.node("SaveImage", images=first.out(0), filename_prefix="dep1")
    save2 = g.node("SaveImage", images=second.out(0), filename_prefix="dep2")
    other = g.node("StubImage", content="WHITE", **SIZE)
    save3 = g.node("SaveImage", images=other.out(0), filename_prefix="dep3")

    result = client.run(g, partial_execution_targets=[save2.id])

    for node in (source, first, second, save2):
        assert result.was_executed(node)
    for node in (other, save1, save3):
        assert not result.did_run(node)


def test_partial_execution_with_lazy_nodes(client: Client, builder: GraphBuilder) -> None:
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    noise = g.node("StubImage", content="NOISE", **SIZE)
    mask0 = g.node("StubMask", value=0.0, **SIZE)
    mask_half = g.node("StubMask", value=0.5, **SIZE)
    mix1 = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=mask0.out(0))
    mix2 = g.node("TestLazyMixImages", image1=white.out(0), image2=noise.out(0), mask=mask_half.out(0))
    out1 = g.node("SaveImage", images=mix1.out(0), filename_prefix="lazy1")
    out2 = g.node("SaveImage", images=mix2.out(0), filename_prefix="lazy2")

    result = client.run(g, partial_execution_targets=[out1.id])

    for node in (black, mask0, mix1, out1):
        assert result.did_run(node)
    for node in (white, noise, mask_half, mix2, out2):
        assert not result.did_run(node)


def test_partial_then_full_reuses_the_cache(client: Client, builder: GraphBuilder) -> None:
    inputs, outputs = _three_outputs(builder)
    client.run(builder, partial_execution_targets=[outputs[0].id])
    result = client.run(builder)
    caches = client.executor.cache_policy != "none"
    assert result.did_run(outputs[0]) is not caches
    assert result.did_run(outputs[1]) and result.did_run(outputs[2])


def test_invalid_target_beside_a_valid_one_is_dropped(client: Client, builder: GraphBuilder) -> None:
    """Quirk 13: a targeted output that fails validation is dropped when another target is valid."""
    g = builder
    good_source = g.node("StubImage", content="BLACK", **SIZE)
    good = g.node("SaveImage", images=good_source.out(0), filename_prefix="good")
    bad_source = g.node("StubImage", content="PURPLE", **SIZE)
    bad = g.node("SaveImage", images=bad_source.out(0), filename_prefix="bad")
    result = client.run(g, partial_execution_targets=[bad.id, good.id])
    assert result.did_run(good) and not result.did_run(bad)

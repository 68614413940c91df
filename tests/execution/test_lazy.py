"""Lazy inputs (spec §3.4): only requested inputs are evaluated; LazySwitch / BinaryOperation
short-circuit; a branch that really returns None counts as evaluated."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from harness import Client

from comfy_execution.graph_utils import GraphBuilder

SIZE = {"height": 32, "width": 32, "batch_size": 1}


def uniform_value(image: np.ndarray) -> int:
    """The single pixel value of a uniform image (fails when it is not uniform)."""
    assert image.min() == image.max(), f"image is not uniform: {image.min()}..{image.max()}"
    return int(image.min())


@pytest.mark.parametrize(
    ("mask", "expected", "image1_runs", "image2_runs"),
    [
        pytest.param(0.0, 0, True, False, id="mask0-only-image1"),
        pytest.param(1.0, 255, False, True, id="mask1-only-image2"),
        pytest.param(0.5, 127, True, True, id="mask-half-both"),
    ],
)
def test_lazy_mix_images(
    client: Client, builder: GraphBuilder, mask: float, expected: int, image1_runs: bool, image2_runs: bool
) -> None:
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    stub_mask = g.node("StubMask", value=mask, **SIZE)
    mix = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=stub_mask.out(0))
    save = g.node("SaveImage", images=mix.out(0), filename_prefix="lazy")

    result = client.run(g)

    [image] = result.get_images(save)
    assert uniform_value(image) == expected
    assert result.did_run(black) is image1_runs
    assert result.did_run(white) is image2_runs
    assert result.did_run(stub_mask) and result.did_run(mix) and result.did_run(save)


def test_unrequested_lazy_branch_stays_unevaluated_on_rerun(client: Client, builder: GraphBuilder) -> None:
    """A cached lazy consumer does not pull its unneeded branch in on a second run either."""
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    stub_mask = g.node("StubMask", value=0.0, **SIZE)
    mix = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=stub_mask.out(0))
    g.node("SaveImage", images=mix.out(0), filename_prefix="lazy")

    client.run(g)
    second = client.run(g)
    assert not second.did_run(white)
    assert not second.was_cached(white)


def _bool_from_int(g: GraphBuilder, value: int, offset: int = 0) -> tuple[Any, Any]:
    """StubInt(value + offset) -> TestIntConditions(== 1 + offset): a BOOLEAN (value == 1) and
    its int node. Different offsets give structurally different nodes, which matters because
    identical sub-DAGs share cache entries (spec §5.2)."""
    stub = g.node("StubInt", value=value + offset)
    cond = g.node("TestIntConditions", a=stub.out(0), b=1 + offset, operation="==")
    return stub, cond


@pytest.mark.parametrize(("switch", "expected"), [(True, 255), (False, 0)], ids=["true-branch", "false-branch"])
def test_lazy_switch_evaluates_only_the_chosen_branch(
    client: Client, builder: GraphBuilder, switch: bool, expected: int
) -> None:
    g = builder
    stub, cond = _bool_from_int(g, 1 if switch else 0)
    on_true = g.node("StubImage", content="WHITE", **SIZE)
    on_false = g.node("StubImage", content="BLACK", **SIZE)
    lazy = g.node("LazySwitch", switch=cond.out(0), on_true=on_true.out(0), on_false=on_false.out(0))
    save = g.node("SaveImage", images=lazy.out(0), filename_prefix="switch")

    result = client.run(g)

    assert result.did_run(stub) and result.did_run(cond) and result.did_run(lazy) and result.did_run(save)
    assert result.did_run(on_true) is switch
    assert result.did_run(on_false) is not switch
    [image] = result.get_images(save)
    assert uniform_value(image) == expected


@pytest.mark.parametrize(
    ("op", "lhs_value", "rhs_value", "expected"),
    [
        pytest.param("and", 0, 1, 0, id="and-false-skips-rhs"),
        pytest.param("or", 1, 0, 255, id="or-true-skips-rhs"),
    ],
)
def test_binary_operation_short_circuits(
    client: Client, builder: GraphBuilder, op: str, lhs_value: int, rhs_value: int, expected: int
) -> None:
    g = builder
    lhs_int, lhs = _bool_from_int(g, lhs_value)
    rhs_int, rhs = _bool_from_int(g, rhs_value, offset=100)
    binary = g.node("BinaryOperation", lhs=lhs.out(0), op=op, rhs=rhs.out(0))
    on_true = g.node("StubImage", content="WHITE", **SIZE)
    on_false = g.node("StubImage", content="BLACK", **SIZE)
    lazy = g.node("LazySwitch", switch=binary.out(0), on_true=on_true.out(0), on_false=on_false.out(0))
    save = g.node("SaveImage", images=lazy.out(0), filename_prefix="binop")

    result = client.run(g)

    assert result.did_run(lhs_int) and result.did_run(lhs) and result.did_run(binary)
    assert not result.did_run(rhs_int), "rhs is short-circuited"
    assert not result.did_run(rhs)
    assert result.did_run(on_true) is (expected == 255)
    assert result.did_run(on_false) is (expected == 0)
    [image] = result.get_images(save)
    assert uniform_value(image) == expected


@pytest.mark.parametrize(
    ("op", "lhs_value", "rhs_value", "expected"),
    [
        pytest.param("and", 1, 1, 255, id="and-true-needs-rhs"),
        pytest.param("or", 0, 0, 0, id="or-false-needs-rhs"),
    ],
)
def test_binary_operation_evaluates_rhs_when_undecided(
    client: Client, builder: GraphBuilder, op: str, lhs_value: int, rhs_value: int, expected: int
) -> None:
    g = builder
    _, lhs = _bool_from_int(g, lhs_value)
    rhs_int, rhs = _bool_from_int(g, rhs_value, offset=100)
    binary = g.node("BinaryOperation", lhs=lhs.out(0), op=op, rhs=rhs.out(0))
    on_true = g.node("StubImage", content="WHITE", **SIZE)
    on_false = g.node("StubImage", content="BLACK", **SIZE)
    lazy = g.node("LazySwitch", switch=binary.out(0), on_true=on_true.out(0), on_false=on_false.out(0))
    save = g.node("SaveImage", images=lazy.out(0), filename_prefix="binop")

    result = client.run(g)

    assert result.did_run(rhs_int) and result.did_run(rhs)
    [image] = result.get_images(save)
    assert uniform_value(image) == expected


def test_lazy_switch_unchosen_branch_that_would_return_none(client: Client, builder: GraphBuilder) -> None:
    """ComfyUI's test_lazy_switch_with_none_input: the on_true branch (an empty
    ImageRequestParameter, which returns None) is not chosen and never runs."""
    g = builder
    stub, cond = _bool_from_int(g, 0)
    none_image = g.node("ImageRequestParameter", value="", description="1")
    black = g.node("StubImage", content="BLACK", **SIZE)
    lazy = g.node("LazySwitch", switch=cond.out(0), on_true=none_image.out(0), on_false=black.out(0))
    save = g.node("SaveImage", images=lazy.out(0), filename_prefix="none")

    result = client.run(g)

    assert result.did_run(stub) and result.did_run(cond) and result.did_run(black) and result.did_run(lazy)
    assert not result.did_run(none_image)
    [image] = result.get_images(save)
    assert uniform_value(image) == 0


def test_lazy_switch_chosen_branch_returning_none(client: Client, builder: GraphBuilder) -> None:
    """The chosen branch really produces None: it runs exactly once, the switch passes None on
    (is_input_pending sees it as evaluated, so check_lazy_status does not ask again forever)."""
    g = builder
    _, cond = _bool_from_int(g, 1)
    none_image = g.node("ImageRequestParameter", value="")
    unused = g.node("StubImage", content="WHITE", **SIZE)
    lazy = g.node("LazySwitch", switch=cond.out(0), on_true=none_image.out(0), on_false=unused.out(0))
    is_set = g.node("TestToBoolNode", value=lazy.out(0))  # None -> False
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", height=16, width=16, batch_size=1)
    pick = g.node("LazySwitch", switch=is_set.out(0), on_true=white.out(0), on_false=black.out(0))
    save = g.node("SaveImage", images=pick.out(0), filename_prefix="none")

    result = client.run(g)

    runs = [d["node"] for d in result.events_named("executing")]
    assert runs.count(none_image.id) == 1
    assert not result.did_run(unused)
    assert not result.did_run(white)
    [image] = result.get_images(save)
    assert image.shape == (32, 32, 3) and uniform_value(image) == 0

"""Validation as the execution suite sees it (spec §4): custom VALIDATE_INPUTS on literals and
links, link type checks, a missing required input, and a prompt with one broken output."""

from __future__ import annotations

from typing import Any

import pytest
from harness import Client

from comfy.execution import PromptValidationError
from comfy_execution.graph_utils import GraphBuilder

SIZE = {"height": 32, "width": 32, "batch_size": 1}


def error_types(error: PromptValidationError, node_id: str) -> list[str]:
    return [e["type"] for e in error.node_errors[node_id]["errors"]]


@pytest.mark.parametrize(
    ("value", "expect_error"),
    [
        pytest.param(5, True, id="int-not-coerced-for-union-type"),
        pytest.param("foo", True, id="string"),
        pytest.param(5.0, False, id="float"),
    ],
)
def test_custom_validation_literal(client: Client, builder: GraphBuilder, value: Any, expect_error: bool) -> None:
    g = builder
    node = g.node("TestCustomValidation1", input1=value, input2=3.0)
    save = g.node("SaveImage", images=node.out(0), filename_prefix="valid")
    if expect_error:
        with pytest.raises(PromptValidationError) as info:
            client.run(g)
        assert isinstance(info.value, ValueError)
        assert info.value.error["type"] == "prompt_outputs_failed_validation"
        errors = info.value.node_errors[node.id]["errors"]
        assert {e["type"] for e in errors} == {"custom_validation_failed"}
        message = f"Invalid type of input1: {type(value)}"
        assert [e["details"] for e in errors] == [f"input1 - {message}", f"input2 - {message}"], "one per input (quirk 3)"
        assert save.id not in info.value.node_errors, "only nodes with their own errors are listed"
    else:
        result = client.run(g)
        assert result.did_run(node)
        assert len(result.get_images(save)) == 1


@pytest.mark.parametrize(
    ("stub_type", "stub_value", "expected_type"),
    [
        pytest.param("StubInt", 5, "return_type_mismatch", id="int-link-into-image-or-float"),
        # MASK is not in IMAGE,FLOAT: the mismatch is recorded and the source is not visited,
        # so its out-of-range value is never reported (ComfyUI's order of checks).
        pytest.param("StubMask", 5.0, "return_type_mismatch", id="mask-link-into-image-or-float"),
    ],
)
def test_custom_validation1_linked_edge(
    client: Client, builder: GraphBuilder, stub_type: str, stub_value: Any, expected_type: str
) -> None:
    """ComfyUI's test_validation_error_edge1: both are validation errors (ValueError)."""
    g = builder
    stub = g.node(stub_type, value=stub_value)
    node = g.node("TestCustomValidation1", input1=stub.out(0), input2=3.0)
    g.node("SaveImage", images=node.out(0), filename_prefix="valid")
    with pytest.raises(PromptValidationError) as info:
        client.run(g)
    assert list(info.value.node_errors) == [node.id]
    [error] = info.value.node_errors[node.id]["errors"]
    assert error["type"] == expected_type
    assert error["extra_info"]["input_name"] == "input1"
    assert error["extra_info"]["linked_node"] == [stub.id, 0]


@pytest.mark.parametrize("validator", ["TestCustomValidation2", "TestCustomValidation3", "TestCustomValidation4"])
@pytest.mark.parametrize(
    ("stub_type", "stub_value", "expect_error"),
    [("StubInt", 5, True), ("StubFloat", 5.0, False)],
    ids=["int-link", "float-link"],
)
def test_custom_validation_linked(
    client: Client, builder: GraphBuilder, validator: str, stub_type: str, stub_value: Any, expect_error: bool
) -> None:
    """Edge cases 2-4: input_types-based checks (2), VariantSupport's synthesised check (3) and
    a plain FLOAT input (4) all reject an INT link and accept a FLOAT one."""
    g = builder
    stub = g.node(stub_type, value=stub_value)
    node = g.node(validator, input1=stub.out(0), input2=3.0)
    save = g.node("SaveImage", images=node.out(0), filename_prefix="valid")
    if expect_error:
        with pytest.raises(PromptValidationError):
            client.run(g)
    else:
        result = client.run(g)
        [image] = result.get_images(save)
        assert image.min() == image.max() == 255, "1 * 5.0 * 3.0 clipped to white"


def test_custom_validation4_coerces_int_literal_to_float(client: Client, builder: GraphBuilder) -> None:
    """A FLOAT input's constant 5 becomes 5.0 before VALIDATE_INPUTS sees it (spec §4.2)."""
    g = builder
    node = g.node("TestCustomValidation4", input1=5, input2=0.1)
    save = g.node("SaveImage", images=node.out(0), filename_prefix="coerce")
    result = client.run(g)
    [image] = result.get_images(save)
    assert image.min() == image.max() == 127


def test_missing_required_input(client: Client, builder: GraphBuilder) -> None:
    """ComfyUI's test_cycle_error: mix1 lacks image2, a required input -> validation error."""
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    mask = g.node("StubMask", value=0.5, **SIZE)
    mix1 = g.node("TestLazyMixImages", image1=black.out(0), mask=mask.out(0))
    mix2 = g.node("TestLazyMixImages", image1=mix1.out(0), image2=white.out(0), mask=mask.out(0))
    g.node("SaveImage", images=mix2.out(0), filename_prefix="missing")

    with pytest.raises(PromptValidationError) as info:
        client.run(g)
    assert info.value.error["type"] == "prompt_outputs_failed_validation"
    assert error_types(info.value, mix1.id) == ["required_input_missing"]
    assert info.value.node_errors[mix1.id]["errors"][0]["details"] == "image2"
    assert mix2.id not in info.value.node_errors
    assert not client.handler.events, "nothing ran, no events"


def test_link_to_missing_node_with_one_good_output(client: Client, builder: GraphBuilder) -> None:
    """One output links (through mix1) to a removed node; the other output is fine and runs."""
    g = builder
    black = g.node("StubImage", content="BLACK", **SIZE)
    g.node("StubImage", id="removeme", content="WHITE", **SIZE)
    white = g.node("StubImage", content="WHITE", **SIZE)
    mask = g.node("StubMask", value=0.5, **SIZE)
    mix1 = g.node("TestLazyMixImages", image1=black.out(0), image2=[g.prefix + "removeme", 0], mask=mask.out(0))
    mix2 = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=mask.out(0))
    bad = g.node("SaveImage", images=mix1.out(0), filename_prefix="bad")
    good = g.node("SaveImage", images=mix2.out(0), filename_prefix="good")
    g.remove_node("removeme")

    result = client.run(g)
    assert result.did_run(good) and result.did_run(mix2)
    assert not result.did_run(mix1) and not result.did_run(bad)
    assert bad.id not in result.outputs
    assert result.get_images(good)[0].min() == 127

    validation = client.executor.validate(g.finalize())
    assert validation.valid and validation.good_outputs == [good.id]
    assert error_types(_as_error(validation), mix1.id) == ["exception_during_inner_validation"]

    # Putting the node back makes both outputs run; the earlier error did not break anything.
    g.node("StubImage", id="removeme", content="WHITE", **SIZE)
    result = client.run(g)
    assert result.did_run(bad)
    assert len(result.get_images(bad)) == 1


def _as_error(validation: Any) -> PromptValidationError:
    return PromptValidationError(validation.error, validation.node_errors)


def test_no_valid_output_raises(client: Client, builder: GraphBuilder) -> None:
    g = builder
    g.node("SaveImage", images=["nowhere", 0], filename_prefix="none")
    with pytest.raises(PromptValidationError) as info:
        client.run(g)
    assert info.value.error["type"] == "prompt_outputs_failed_validation"


@pytest.mark.parametrize(
    ("class_type", "inputs", "expected"),
    [
        pytest.param("StubImage", {"content": "GREY", **SIZE}, "value_not_in_list", id="combo"),
        pytest.param("StubMask", {"value": -1.0, **SIZE}, "value_smaller_than_min", id="min"),
        pytest.param("StubMask", {"value": 2.0, **SIZE}, "value_bigger_than_max", id="max"),
        pytest.param("StubImage", {"content": "BLACK", "height": "tall", "width": 32, "batch_size": 1}, "invalid_input_type", id="coercion"),
    ],
)
def test_widget_checks(client: Client, builder: GraphBuilder, class_type: str, inputs: dict[str, Any], expected: str) -> None:
    g = builder
    source = g.node(class_type, **inputs)
    if class_type == "StubMask":
        image = g.node("StubImage", content="BLACK", **SIZE)
        out = g.node("TestLazyMixImages", image1=image.out(0), image2=image.out(0), mask=source.out(0))
    else:
        out = source
    g.node("SaveImage", images=out.out(0), filename_prefix="widgets")
    with pytest.raises(PromptValidationError) as info:
        client.run(g)
    assert error_types(info.value, source.id) == [expected]

"""Every validation error type, with ComfyUI's exact JSON, through the Python executor."""

from __future__ import annotations

from typing import Any

import pytest

import comfy_nodes_base
import comfy_nodes_testing
from comfy.execution import PromptExecutor, PromptValidationError

NODES = {**comfy_nodes_base.NODE_CLASS_MAPPINGS, **comfy_nodes_testing.NODE_CLASS_MAPPINGS}


@pytest.fixture(scope="module")
def executor() -> PromptExecutor:
    return PromptExecutor(NODES)


def out(value: Any) -> dict[str, Any]:
    return {"class_type": "TestIntOutput", "inputs": {"value": value}}


def stub_image(**inputs: Any) -> dict[str, Any]:
    base = {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}
    return {"class_type": "StubImage", "inputs": {**base, **inputs}}


# (case id, prompt, node with the error, expected error dict)
NODE_ERROR_CASES: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
    (
        "required_input_missing",
        {"1": {"class_type": "TestIntOutput", "inputs": {}}},
        "1",
        {"type": "required_input_missing", "message": "Required input is missing", "details": "value",
         "extra_info": {"input_name": "value"}},
    ),
    (
        "bad_linked_input",
        {"1": out(["2", 0, 1])},
        "1",
        {"type": "bad_linked_input", "message": "Bad linked input, must be a length-2 list of [node_id, slot_index]",
         "details": "value",
         "extra_info": {"input_name": "value", "received_value": ["2", 0, 1]}},
    ),
    (
        "return_type_mismatch",
        {"1": {"class_type": "StubFloat", "inputs": {"value": 1.5}}, "2": out(["1", 0])},
        "2",
        {"type": "return_type_mismatch", "message": "Return type mismatch between linked nodes",
         "details": "value, FLOAT != INT",
         "extra_info": {"input_name": "value", "received_type": "FLOAT", "linked_node": ["1", 0]}},
    ),
    (
        "link_to_missing_node",
        {"1": out(["9", 0])},
        "1",
        {"type": "exception_during_inner_validation", "message": "Exception when validating inner node",
         "details": "'9'"},
    ),
    (
        "link_to_missing_slot",
        {"1": {"class_type": "StubInt", "inputs": {"value": 1}}, "2": out(["1", 3])},
        "2",
        {"type": "exception_during_inner_validation", "message": "Exception when validating inner node",
         "details": "tuple index out of range"},
    ),
    (
        "invalid_input_type",
        {"1": out("abc")},
        "1",
        {"type": "invalid_input_type", "message": "Failed to convert an input value to a INT value",
         "details": "value, abc, invalid literal for int() with base 10: 'abc'"},
    ),
    (
        "value_smaller_than_min",
        {"1": stub_image(height=0), "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}},
        "1",
        {"type": "value_smaller_than_min", "message": "Value 0 smaller than min of 1", "details": "height"},
    ),
    (
        "value_bigger_than_max_float",
        {"1": {"class_type": "StubMask", "inputs": {"value": 1.5, "height": 8, "width": 8, "batch_size": 1}},
         "2": {"class_type": "TestToBoolNode", "inputs": {"value": ["1", 0]}},
         "3": {"class_type": "TestIntOutput", "inputs": {"value": 1}}},
        "1",
        None,  # node 1 feeds no output: not reported, so the prompt is valid (checked below)
    ),
    (
        "value_not_in_list",
        {"1": stub_image(content="PURPLE"), "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}},
        "1",
        {"type": "value_not_in_list", "message": "Value not in list",
         "details": "content: 'PURPLE' not in ['WHITE', 'BLACK', 'NOISE']"},
    ),
    (
        "custom_validation_failed",
        {"1": {"class_type": "TestCustomValidation1", "inputs": {"input1": "x", "input2": 1.0}},
         "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}},
        "1",
        {"type": "custom_validation_failed", "message": "Custom validation failed for node"},
    ),
    (
        "dependency_cycle",
        {"1": {"class_type": "TestIntMathOperation", "inputs": {"a": ["2", 0], "b": 1, "operation": "add"}},
         "2": {"class_type": "TestIntMathOperation", "inputs": {"a": ["1", 0], "b": 1, "operation": "add"}},
         "3": out(["1", 0])},
        "2",
        {"type": "dependency_cycle", "message": "Dependency cycle detected", "details": "a: 1 -> 2 -> 1"},
    ),
]


@pytest.mark.parametrize(("prompt", "node", "expected"), [c[1:] for c in NODE_ERROR_CASES], ids=[c[0] for c in NODE_ERROR_CASES])
def test_node_error_json(executor: PromptExecutor, prompt: dict[str, Any], node: str, expected: dict[str, Any] | None) -> None:
    result = executor.validate(prompt)
    if expected is None:
        assert result.valid and node not in result.node_errors
        return
    assert not result.valid
    assert result.error is not None and result.error["type"] == "prompt_outputs_failed_validation"
    assert result.error["message"] == "Prompt outputs failed validation"
    assert result.error["extra_info"]["node_errors"] == result.node_errors
    entry = result.node_errors[node]
    assert entry["class_type"] == prompt[node]["class_type"]
    assert set(entry) == {"errors", "dependent_outputs", "class_type"}
    error = entry["errors"][0]
    assert set(error) == {"type", "message", "details", "extra_info"}
    for key, value in expected.items():
        if key == "extra_info" and "input_config" in error["extra_info"]:
            assert error["extra_info"]["input_config"][0] == "INT"
            for k, v in value.items():
                assert error["extra_info"][k] == v, k
        else:
            assert error[key] == value, key
    with pytest.raises(PromptValidationError) as raised:
        executor.execute(prompt)
    assert raised.value.node_errors == result.node_errors


PROMPT_ERROR_CASES: list[tuple[str, Any, dict[str, Any]]] = [
    ("missing_class_type", {"1": {"inputs": {}}},
     {"type": "invalid_prompt", "message": "Cannot execute because a node is missing the class_type property.",
      "details": "Node ID '#1'", "extra_info": {}}),
    ("unknown_class", {"1": {"class_type": "NoSuchNode", "inputs": {}}},
     {"type": "invalid_prompt", "message": "Cannot execute because node NoSuchNode does not exist.",
      "details": "Node ID '#1'", "extra_info": {}}),
    ("non_string_class", {"1": {"class_type": 5, "inputs": {}}},
     {"type": "invalid_prompt", "message": "Cannot execute because node 5 does not exist.",
      "details": "Node ID '#1'", "extra_info": {}}),
    ("node_not_an_object", {"1": 7},
     {"type": "invalid_prompt", "message": "Cannot execute because a node is missing the class_type property.",
      "details": "Node ID '#1'", "extra_info": {}}),
    ("no_outputs", {"1": {"class_type": "StubInt", "inputs": {"value": 1}}},
     {"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "", "extra_info": {}}),
    ("empty_prompt", {}, {"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "", "extra_info": {}}),
]


@pytest.mark.parametrize(("prompt", "expected"), [c[1:] for c in PROMPT_ERROR_CASES], ids=[c[0] for c in PROMPT_ERROR_CASES])
def test_prompt_error_json(executor: PromptExecutor, prompt: Any, expected: dict[str, Any]) -> None:
    result = executor.validate(prompt)
    assert not result.valid
    assert result.error == expected
    assert result.node_errors == {}


@pytest.mark.parametrize("prompt", [[1, 2], "text", 5, None], ids=["list", "str", "int", "none"])
def test_non_object_prompt(executor: PromptExecutor, prompt: Any) -> None:
    result = executor.validate(prompt)
    assert not result.valid and result.error is not None and result.error["type"] == "invalid_prompt"


def test_outputs_failed_details_and_extra_info(executor: PromptExecutor) -> None:
    prompt = {"1": out("x"), "2": {"class_type": "TestIntOutput", "inputs": {}}}
    result = executor.validate(prompt)
    assert result.error is not None
    assert result.error["details"] == (
        "Failed to convert an input value to a INT value: value, x, invalid literal for int() with base 10: 'x'\n"
        "Required input is missing: value"
    )
    assert result.error["extra_info"]["exception_type"] == "ValidationError"
    assert result.error["extra_info"]["traceback"] == []
    assert result.node_errors["1"]["dependent_outputs"] == ["1"]


def test_one_good_output_runs_and_reports_the_bad_one(executor: PromptExecutor) -> None:
    prompt = {"1": out(3), "2": out("not a number")}
    result = executor.validate(prompt)
    assert result.valid and result.good_outputs == ["1"]
    assert list(result.node_errors) == ["2"]
    assert executor.execute(prompt) == {"1": {"value": [3]}}


def test_dependent_outputs_lists_only_real_dependents(executor: PromptExecutor) -> None:
    prompt = {
        "1": {"class_type": "StubInt", "inputs": {"value": "bad"}},
        "2": out(["1", 0]),
        "3": out(["1", 0]),
        "4": out(4),
    }
    result = executor.validate(prompt)
    assert result.valid and result.good_outputs == ["4"]
    assert result.node_errors["1"]["dependent_outputs"] == ["2", "3"]


def test_coercion_reaches_the_node(executor: PromptExecutor) -> None:
    prompt = {"1": out("7"), "2": out(5.9), "3": out(True)}
    assert executor.execute(prompt) == {"1": {"value": [7]}, "2": {"value": [5]}, "3": {"value": [1]}}
    assert prompt["1"]["inputs"]["value"] == "7", "the caller's prompt is not changed"


def test_partial_targets_with_no_outputs(executor: PromptExecutor) -> None:
    prompt = {"1": out(1), "2": {"class_type": "StubInt", "inputs": {"value": 1}}}
    for targets in ([], ["2"], ["9"]):
        result = executor.validate(prompt, targets)
        assert result.error is not None and result.error["type"] == "prompt_no_outputs", targets

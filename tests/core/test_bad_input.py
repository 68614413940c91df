"""Hostile and huge input: clear errors or correct results, and the executor keeps working."""

from __future__ import annotations

from typing import Any

import pytest

import comfy_nodes_testing
from comfy.execution import PromptExecutor, PromptValidationError

NODES = comfy_nodes_testing.NODE_CLASS_MAPPINGS


def chain(depth: int) -> dict[str, Any]:
    p: dict[str, Any] = {"0": {"class_type": "StubInt", "inputs": {"value": 7}}}
    for i in range(1, depth):
        p[str(i)] = {"class_type": "TestIdentity", "inputs": {"value": [str(i - 1), 0]}}
    p["out"] = {"class_type": "TestIntOutput", "inputs": {"value": [str(depth - 1), 0]}}
    return p


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_deep_chain_runs_without_recursion_limits(depth: int) -> None:
    executor = PromptExecutor(NODES)
    assert executor.execute(chain(depth)) == {"out": {"value": [7]}}
    assert executor.execute(chain(depth)) == {"out": {"value": [7]}}, "fully cached re-run"


def test_ten_thousand_node_graph() -> None:
    prompt: dict[str, Any] = {"src": {"class_type": "StubInt", "inputs": {"value": 1}}}
    for i in range(5_000):
        prompt[f"m{i}"] = {"class_type": "TestIntMathOperation", "inputs": {"a": ["src", 0], "b": i, "operation": "add"}}
        prompt[f"o{i}"] = {"class_type": "TestIntOutput", "inputs": {"value": [f"m{i}", 0]}}
    outputs = PromptExecutor(NODES).execute(prompt)
    assert len(outputs) == 5_000
    assert outputs["o4999"] == {"value": [5_000]}


def test_deep_static_cycle_is_a_validation_error() -> None:
    prompt = chain(5_000)
    prompt["0"] = {"class_type": "TestIdentity", "inputs": {"value": ["4999", 0]}}
    with pytest.raises(PromptValidationError) as raised:
        PromptExecutor(NODES).execute(prompt)
    [entry] = raised.value.node_errors.values()
    assert entry["errors"][0]["type"] == "dependency_cycle"


def test_ten_megabyte_string_input() -> None:
    text = "x" * (10 * 1024 * 1024)
    prompt = {
        "1": {"class_type": "TestStringConditions", "inputs": {"a": text, "b": text, "operation": "==", "case_sensitive": True}},
        "2": {"class_type": "TestToBoolNode", "inputs": {"value": ["1", 0]}},
        "3": {"class_type": "TestIntMathOperation", "inputs": {"a": 1, "b": 2, "operation": "add"}},
        "4": {"class_type": "TestIntOutput", "inputs": {"value": ["3", 0]}},
    }
    executor = PromptExecutor(NODES)
    assert executor.validate(prompt).valid
    assert executor.execute(prompt) == {"4": {"value": [3]}}


def test_node_error_then_healthy() -> None:
    executor = PromptExecutor(NODES)
    bad = {"1": {"class_type": "TestRaise", "inputs": {"message": "boom"}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": 1}}}
    bad["2"]["inputs"]["value"] = ["1", 0]
    executor.execute(bad)
    assert executor.success is False
    [(event, data)] = [(e, d) for e, d in executor.status_messages if e == "execution_error"]
    assert data["exception_type"] == "RuntimeError" and data["exception_message"] == "boom\n"
    assert data["node_id"] == "1" and data["node_type"] == "TestRaise"
    assert executor.execute({"9": {"class_type": "TestIntOutput", "inputs": {"value": 9}}}) == {"9": {"value": [9]}}
    assert executor.success is True


def test_raise_exceptions_passes_the_node_exception_through() -> None:
    executor = PromptExecutor(NODES, raise_exceptions=True)
    prompt = {"1": {"class_type": "TestRaise", "inputs": {"message": "boom"}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}
    with pytest.raises(RuntimeError, match="boom") as raised:
        executor.execute(prompt)
    assert any("node 1" in note for note in raised.value.__notes__)

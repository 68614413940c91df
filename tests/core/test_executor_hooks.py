"""The executor's use of plugin hooks and cache policies: events observed by plugins, plugin
fingerprints in cache keys, RAM-pressure eviction, and registries built from plugins."""

from __future__ import annotations

from typing import Any

import pytest

import comfy_nodes_testing
from comfy.execution import PromptExecutor
from comfy.nodes.registry import load_registry
from comfy.plugins import hookimpl
from comfy.plugins.manager import make_plugin_manager

NODES = comfy_nodes_testing.NODE_CLASS_MAPPINGS


class Counter:
    """A node with IS_CHANGED that counts its runs."""

    runs = 0

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("INT",)}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "run"

    @classmethod
    def IS_CHANGED(cls, value: int) -> int:
        return 0

    def run(self, value: int) -> tuple[int]:
        Counter.runs += 1
        return (value,)


PROMPT = {"1": {"class_type": "Counter", "inputs": {"value": 3}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}


def test_comfy_on_event_sees_every_event() -> None:
    seen: list[tuple[Any, str | None]] = []

    class Observer:
        @hookimpl
        def comfy_on_event(self, event: Any, data: Any, prompt_id: str | None) -> None:
            seen.append((event, prompt_id))

    pm = make_plugin_manager(load_entry_points=False, plugins=[Observer()])
    executor = PromptExecutor({**NODES, "Counter": Counter}, plugin_manager=pm)
    executor.execute(PROMPT, "p1")
    names = [e for e, _ in seen]
    assert names[0] == "execution_start" and names[-1] == "execution_success"
    assert "executing" in names and "executed" in names
    assert {p for _, p in seen} == {"p1"}


@pytest.mark.parametrize(("fingerprints", "runs"), [(["same", "same"], 1), (["a", "b"], 2)], ids=["stable", "changed"])
def test_comfy_fingerprint_joins_the_cache_key(fingerprints: list[str], runs: int) -> None:
    answers = iter(fingerprints)

    class Fingerprinter:
        @hookimpl
        def comfy_fingerprint(self, class_type: str, node_class: type, inputs: dict[str, Any]) -> object | None:
            return next(answers) if class_type == "Counter" else None

    pm = make_plugin_manager(load_entry_points=False, plugins=[Fingerprinter()])
    executor = PromptExecutor({**NODES, "Counter": Counter}, plugin_manager=pm)
    Counter.runs = 0
    executor.execute(PROMPT)
    executor.execute(PROMPT)
    assert Counter.runs == runs


@pytest.mark.parametrize(
    ("cache", "kwargs", "runs"),
    [
        ("classic", {}, 1),
        ("lru", {"lru_size": 10}, 1),
        ("none", {}, 2),
        ("ram", {"ram_headroom_gb": 1e9}, 2),  # no machine has that much free: everything is evicted
        ("ram", {"ram_headroom_gb": 0.0}, 1),
    ],
    ids=["classic", "lru", "none", "ram-pressure", "ram-plenty"],
)
def test_cache_policies(cache: str, kwargs: dict[str, Any], runs: int) -> None:
    executor = PromptExecutor({**NODES, "Counter": Counter}, cache=cache, **kwargs)
    Counter.runs = 0
    assert executor.execute(PROMPT) == {"2": {"value": [3]}}
    assert executor.execute(PROMPT) == {"2": {"value": [3]}}
    assert Counter.runs == runs


def test_lru_keeps_older_prompts_classic_does_not() -> None:
    other = {"1": {"class_type": "Counter", "inputs": {"value": 4}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}
    for cache, kwargs, runs in (("classic", {}, 3), ("lru", {"lru_size": 100}, 2)):
        executor = PromptExecutor({**NODES, "Counter": Counter}, cache=cache, **kwargs)
        Counter.runs = 0
        for prompt in (PROMPT, other, PROMPT):
            executor.execute(prompt)
        assert Counter.runs == runs, cache


def test_from_configuration_picks_the_policy() -> None:
    cases = [({"cache_lru": 5}, "lru"), ({"cache_ram": 2.0}, "ram"), ({"cache_none": True}, "none"), ({}, "classic")]
    for config, policy in cases:
        assert PromptExecutor.from_configuration(config, NODES).cache_policy == policy


def test_registry_from_entry_point_plugins() -> None:
    registry = load_registry()
    assert "StubImage" in registry and "TestIntOutput" in registry
    executor = PromptExecutor(registry)
    assert executor.execute({"1": {"class_type": "TestIntOutput", "inputs": {"value": 2}}}) == {"1": {"value": [2]}}

"""One executor used from several threads: validation while a prompt runs, and a clear error for
a second concurrent run (use one executor per worker to run prompts in parallel)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import comfy_nodes_base
import comfy_nodes_testing
from comfy.execution import PromptExecutor
from comfy.model_management import interrupt_current_processing

NODES = {**comfy_nodes_base.NODE_CLASS_MAPPINGS, **comfy_nodes_testing.NODE_CLASS_MAPPINGS}

HANG: dict[str, Any] = {
    "1": {"class_type": "StubInt", "inputs": {"value": 1}},
    "2": {"class_type": "TestSleepUntilInterrupted", "inputs": {"value": ["1", 0]}},
    "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
}
SMALL = {"1": {"class_type": "TestIntOutput", "inputs": {"value": 5}}}


def test_validate_and_reject_while_a_prompt_runs() -> None:
    executor = PromptExecutor(NODES)
    started = threading.Event()
    original = executor.engine.start

    def start(*args: Any) -> Any:
        run = original(*args)
        started.set()
        return run

    executor.engine = _Proxy(executor.engine, start=start)
    worker = threading.Thread(target=executor.execute, args=(HANG,))
    worker.start()
    try:
        assert started.wait(30)
        for _ in range(50):
            assert executor.validate(SMALL).valid
        with pytest.raises(RuntimeError, match="already running"):
            executor.execute(SMALL)
    finally:
        interrupt_current_processing()
        worker.join(30)
    assert not worker.is_alive()
    assert executor.execute(SMALL) == {"1": {"value": [5]}}, "usable again after the interrupt"


class _Proxy:
    """Wraps the engine to observe `start` without changing it."""

    def __init__(self, engine: Any, **overrides: Any) -> None:
        self._engine = engine
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides.get(name) or getattr(self._engine, name)


def test_runs_while_another_thread_validates_a_big_prompt() -> None:
    executor = PromptExecutor(NODES)
    big: dict[str, Any] = {"0": {"class_type": "StubInt", "inputs": {"value": 1}}}
    for i in range(1, 20_000):
        big[str(i)] = {"class_type": "TestIdentity", "inputs": {"value": [str(i - 1), 0]}}
    big["out"] = {"class_type": "TestIntOutput", "inputs": {"value": ["19999", 0]}}
    stop = threading.Event()
    errors: list[BaseException] = []
    validations = [0]

    def validate_loop() -> None:
        try:
            while not stop.is_set():
                assert executor.validate(big).valid
                validations[0] += 1
        except BaseException as e:  # reported below
            errors.append(e)

    thread = threading.Thread(target=validate_loop)
    thread.start()
    try:
        i = 0
        while (validations[0] < 5 or i < 200) and not errors and i < 100_000:
            i += 1
            assert executor.execute({"1": {"class_type": "TestIntOutput", "inputs": {"value": i}}}) == {"1": {"value": [i]}}
    finally:
        stop.set()
        thread.join(30)
    assert not errors

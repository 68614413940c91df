"""Extra nodes for this engine's own tests and benchmarks (not in ComfyUI's testing pack).

- `TestIdentity`: the cheapest possible node (any value in, same value out, no torch); chains,
  fans and diamonds of it measure per-node engine overhead.
- `TestIntOutput`: an output node with an INT socket, reporting its value in the UI.
- `TestRaise`: raises `RuntimeError(message)` on demand, for error-path tests.
- `TestSleepUntilInterrupted`: blocks until the engine's interrupt flag is set, for interrupt tests.
  Every 10 ms it calls `comfy.model_management.throw_exception_if_processing_interrupted()`, which
  raises `InterruptProcessingException`; with no interrupt within `max_seconds` (default 300) it
  raises `TimeoutError`, so a broken interrupt path fails a test instead of hanging it.
- `TestExitProcess`: ends the whole process at once (`os._exit`), like a native crash or an OOM
  kill; the poison job of the distributed-queue tests (dead-lettered after the delivery limit).
"""

from __future__ import annotations

import os
import time
from typing import Any

from .tools import ANY

CATEGORY = "Testing/Engine"


class TestIdentity:
    """Returns its input unchanged (cheap, no torch): the benchmark node."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": (ANY,)}}

    RETURN_TYPES = (ANY,)
    FUNCTION = "identity"
    CATEGORY = CATEGORY

    def identity(self, value: Any) -> tuple[Any]:
        return (value,)


class TestIntOutput:
    """Output node: shows value in the UI (`{"value": [value]}`) and passes it on as INT."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("INT", {"default": 0, "min": -0xFFFFFFFFFFFFFFFF, "max": 0xFFFFFFFFFFFFFFFF})}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "output"
    CATEGORY = CATEGORY
    OUTPUT_NODE = True

    def output(self, value: int) -> dict[str, Any]:
        return {"ui": {"value": [value]}, "result": (value,)}


class TestRaise:
    """Raises RuntimeError(message); the optional `value` input only orders it after another node."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"message": ("STRING", {"default": "TestRaise"})},
            "optional": {"value": (ANY,)},
        }

    RETURN_TYPES = (ANY,)
    FUNCTION = "raise_error"
    CATEGORY = CATEGORY
    OUTPUT_NODE = False

    def raise_error(self, message: str, value: Any = None) -> tuple[Any]:
        raise RuntimeError(message)


class TestSleepUntilInterrupted:
    """Polls the interrupt flag every 10 ms until interrupted; TimeoutError after max_seconds."""

    POLL_SECONDS = 0.01

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"value": (ANY,)},
            "optional": {"max_seconds": ("FLOAT", {"default": 300.0, "min": 0.0, "max": 86400.0})},
        }

    RETURN_TYPES = (ANY,)
    FUNCTION = "sleep_until_interrupted"
    CATEGORY = CATEGORY

    def sleep_until_interrupted(self, value: Any, max_seconds: float = 300.0) -> tuple[Any]:
        from comfy.model_management import throw_exception_if_processing_interrupted

        deadline = time.monotonic() + max_seconds
        while True:
            throw_exception_if_processing_interrupted()
            if time.monotonic() >= deadline:
                raise TimeoutError(f"TestSleepUntilInterrupted was not interrupted within {max_seconds} seconds")
            time.sleep(self.POLL_SECONDS)


class TestExitProcess:
    """Ends the process running it at once (os._exit(exit_code)): a crashing node, for poison-job tests."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"exit_code": ("INT", {"default": 1, "min": 0, "max": 255})},
            "optional": {"value": (ANY,)},
        }

    RETURN_TYPES = (ANY,)
    FUNCTION = "exit_process"
    CATEGORY = CATEGORY
    OUTPUT_NODE = True

    def exit_process(self, exit_code: int = 1, value: Any = None) -> tuple[Any]:
        os._exit(exit_code)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "TestIdentity": TestIdentity,
    "TestIntOutput": TestIntOutput,
    "TestRaise": TestRaise,
    "TestSleepUntilInterrupted": TestSleepUntilInterrupted,
    "TestExitProcess": TestExitProcess,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "TestIdentity": "Identity",
    "TestIntOutput": "Int Output",
    "TestRaise": "Raise Error",
    "TestSleepUntilInterrupted": "Sleep Until Interrupted",
    "TestExitProcess": "Exit Process",
}

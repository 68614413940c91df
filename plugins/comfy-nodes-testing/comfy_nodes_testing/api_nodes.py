"""Nodes that report progress through the public API (`comfy_api.latest` `execution.set_progress`).

`TestAsyncProgressUpdate` awaits `ComfyAPI().execution.set_progress`; `TestSyncProgressUpdate`
calls the blocking `ComfyAPISync` twin from a plain function. Both report value in 0..1 every
10 ms for `sleep_seconds`, then pass their value through.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from .tools import ANY

CATEGORY = "experimental/async"


def _input_types() -> dict[str, Any]:
    return {"required": {"value": (ANY, {}), "sleep_seconds": ("FLOAT", {"default": 1.0})}}


def _fraction(start: float, now: float, sleep_seconds: float) -> float:
    if sleep_seconds <= 0:
        return 1.0
    return (now - start) / sleep_seconds


class TestAsyncProgressUpdate:
    """Sleeps asynchronously, reporting progress with `await ComfyAPI().execution.set_progress`."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return _input_types()

    RETURN_TYPES = (ANY,)
    FUNCTION = "execute"
    CATEGORY = CATEGORY

    async def execute(self, value: Any, sleep_seconds: float) -> tuple[Any]:
        from comfy_api.latest import ComfyAPI

        api = ComfyAPI()
        start = time.time()
        expiration = start + sleep_seconds
        now = start
        while now < expiration:
            now = time.time()
            await api.execution.set_progress(value=_fraction(start, now, sleep_seconds), max_value=1.0)
            await asyncio.sleep(0.01)
        return (value,)


class TestSyncProgressUpdate:
    """Sleeps synchronously, reporting progress with `ComfyAPISync().execution.set_progress`."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return _input_types()

    RETURN_TYPES = (ANY,)
    FUNCTION = "execute"
    CATEGORY = CATEGORY

    def execute(self, value: Any, sleep_seconds: float) -> tuple[Any]:
        from comfy_api.latest import ComfyAPISync

        api = ComfyAPISync()
        start = time.time()
        expiration = start + sleep_seconds
        now = start
        while now < expiration:
            now = time.time()
            api.execution.set_progress(value=_fraction(start, now, sleep_seconds), max_value=1.0)
            time.sleep(0.01)
        return (value,)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "TestAsyncProgressUpdate": TestAsyncProgressUpdate,
    "TestSyncProgressUpdate": TestSyncProgressUpdate,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "TestAsyncProgressUpdate": "Async Progress Update Test Node",
    "TestSyncProgressUpdate": "Sync Progress Update Test Node",
}

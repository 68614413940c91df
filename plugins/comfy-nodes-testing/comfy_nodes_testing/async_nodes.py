"""Coroutine nodes: sleeps, async validation and lazy checks, errors, timeouts and concurrency.

ComfyUI's `async_test_nodes.py` plus `TestSleep`. Every FUNCTION here except `TestSyncError`
and the image producers is `async def`, so the engine runs them as tasks that overlap.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any, ClassVar

from .tools import ANY, progress_bar

CATEGORY = "_for_testing/async"


def _image(value: float) -> Any:
    import torch

    return torch.ones([1, 512, 512, 3]) * value


class TestSleep:
    """Waits `seconds` in 10 ms async steps, reporting progress, then passes value through."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "value": (ANY, {}),
                "seconds": (
                    "FLOAT",
                    {
                        "default": 1.0,
                        "min": 0.0,
                        "max": 9999.0,
                        "step": 0.01,
                        "tooltip": "The amount of seconds to sleep.",
                    },
                ),
            },
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    RETURN_TYPES = (ANY,)
    FUNCTION = "sleep"
    CATEGORY = "experimental"

    async def sleep(self, value: Any, seconds: float, unique_id: str | None = None) -> tuple[Any]:
        pbar = progress_bar(seconds, node_id=unique_id)
        start = time.time()
        expiration = start + seconds
        now = start
        while now < expiration:
            now = time.time()
            pbar.update_absolute(now - start)
            await asyncio.sleep(0.01)
        return (value,)


class TestAsyncValidation:
    """Async VALIDATE_INPUTS that rejects value > threshold; makes an image of intensity value/10."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("FLOAT", {"default": 5.0}), "threshold": ("FLOAT", {"default": 10.0})}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "process"
    CATEGORY = CATEGORY

    @classmethod
    async def VALIDATE_INPUTS(cls, value: float, threshold: float) -> bool | str:
        await asyncio.sleep(0.05)
        if value > threshold:
            return f"Value {value} exceeds threshold {threshold}"
        return True

    def process(self, value: float, threshold: float) -> tuple[Any]:
        return (_image(value / 10.0),)


class TestAsyncError:
    """Sleeps error_after seconds, then raises RuntimeError."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "value": (ANY, {}),
                "error_after": ("FLOAT", {"default": 0.1, "min": 0.0, "max": 10.0}),
            },
        }

    RETURN_TYPES = (ANY,)
    FUNCTION = "error_execution"
    CATEGORY = CATEGORY

    async def error_execution(self, value: Any, error_after: float) -> tuple[Any]:
        await asyncio.sleep(error_after)
        raise RuntimeError("Intentional async execution error for testing")


class TestAsyncValidationError:
    """Async VALIDATE_INPUTS that fails when value > max_value."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("FLOAT", {"default": 5.0}), "max_value": ("FLOAT", {"default": 10.0})}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "process"
    CATEGORY = CATEGORY

    @classmethod
    async def VALIDATE_INPUTS(cls, value: float, max_value: float) -> bool | str:
        await asyncio.sleep(0.05)
        if value > max_value:
            return f"Async validation failed: {value} > {max_value}"
        return True

    def process(self, value: float, max_value: float) -> tuple[Any]:
        return (_image(value / max_value),)


class TestAsyncTimeout:
    """Sleeps operation_time under a `timeout`; raises "Operation timed out after ..." when it expires."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "value": (ANY, {}),
                "timeout": ("FLOAT", {"default": 1.0, "min": 0.1, "max": 10.0}),
                "operation_time": ("FLOAT", {"default": 2.0, "min": 0.1, "max": 10.0}),
            },
        }

    RETURN_TYPES = (ANY,)
    FUNCTION = "timeout_execution"
    CATEGORY = CATEGORY

    async def timeout_execution(self, value: Any, timeout: float, operation_time: float) -> tuple[Any]:
        try:
            await asyncio.wait_for(asyncio.sleep(operation_time), timeout=timeout)
        except TimeoutError:
            raise RuntimeError(f"Operation timed out after {timeout} seconds") from None
        return (value,)


class TestSyncError:
    """Raises RuntimeError synchronously (for mixed sync/async error tests)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": (ANY, {})}}

    RETURN_TYPES = (ANY,)
    FUNCTION = "sync_error"
    CATEGORY = CATEGORY

    def sync_error(self, value: Any) -> tuple[Any]:
        raise RuntimeError("Intentional sync execution error for testing")


class TestAsyncLazyCheck:
    """Async check_lazy_status: asks for input1 when condition holds, else input2; returns white."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "input1": (ANY, {"lazy": True}),
                "input2": (ANY, {"lazy": True}),
                "condition": ("BOOLEAN", {"default": True}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "process"
    CATEGORY = CATEGORY

    async def check_lazy_status(self, condition: bool, input1: Any, input2: Any) -> list[str]:
        await asyncio.sleep(0.05)
        needed = []
        if condition and input1 is None:
            needed.append("input1")
        if not condition and input2 is None:
            needed.append("input2")
        return needed

    def process(self, input1: Any, input2: Any, condition: bool) -> tuple[Any]:
        return (_image(1.0),)


class TestAsyncResourceUser:
    """Holds resource_id for duration seconds; raises if another run holds the same id."""

    _active_resources: ClassVar[dict[str, bool]] = {}

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "value": (ANY, {}),
                "resource_id": ("STRING", {"default": "resource_0"}),
                "duration": ("FLOAT", {"default": 0.1, "min": 0.0, "max": 1.0}),
            },
        }

    RETURN_TYPES = (ANY,)
    FUNCTION = "use_resource"
    CATEGORY = CATEGORY

    async def use_resource(self, value: Any, resource_id: str, duration: float) -> tuple[Any]:
        if self._active_resources.get(resource_id, False):
            raise RuntimeError(f"Resource {resource_id} is already in use!")
        self._active_resources[resource_id] = True
        try:
            await asyncio.sleep(duration)
            return (value,)
        finally:
            self._active_resources[resource_id] = False


class TestAsyncBatchProcessing:
    """Inverts each image of the batch after an async sleep, advancing a progress bar per item."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "images": ("IMAGE",),
                "process_time_per_item": ("FLOAT", {"default": 0.1, "min": 0.01, "max": 1.0}),
            },
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "process_batch"
    CATEGORY = CATEGORY

    async def process_batch(
        self, images: Any, process_time_per_item: float, unique_id: str | None = None
    ) -> tuple[Any]:
        import torch

        batch_size = images.shape[0]
        pbar = progress_bar(batch_size, node_id=unique_id)
        processed = []
        for i in range(batch_size):
            await asyncio.sleep(process_time_per_item)
            processed.append(1.0 - images[i : i + 1])
            pbar.update(1)
        return (torch.cat(processed, dim=0),)


class TestAsyncConcurrentLimit:
    """Sleeps duration seconds while holding a class-wide semaphore of 2 (one per event loop)."""

    LIMIT: ClassVar[int] = 2
    _semaphores: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]] = (
        weakref.WeakKeyDictionary()
    )

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "value": (ANY, {}),
                "duration": ("FLOAT", {"default": 0.5, "min": 0.1, "max": 2.0}),
                "node_id": ("INT", {"default": 0}),
            },
        }

    RETURN_TYPES = (ANY,)
    FUNCTION = "limited_execution"
    CATEGORY = CATEGORY

    @classmethod
    def semaphore(cls) -> asyncio.Semaphore:
        """The semaphore of the running event loop (a semaphore cannot be shared across loops)."""
        loop = asyncio.get_running_loop()
        semaphore = cls._semaphores.get(loop)
        if semaphore is None:
            semaphore = cls._semaphores[loop] = asyncio.Semaphore(cls.LIMIT)
        return semaphore

    async def limited_execution(self, value: Any, duration: float, node_id: int) -> tuple[Any]:
        async with self.semaphore():
            await asyncio.sleep(duration)
            return (value,)


NODE_CLASS_MAPPINGS: dict[str, type] = {
    "TestSleep": TestSleep,
    "TestAsyncValidation": TestAsyncValidation,
    "TestAsyncError": TestAsyncError,
    "TestAsyncValidationError": TestAsyncValidationError,
    "TestAsyncTimeout": TestAsyncTimeout,
    "TestSyncError": TestSyncError,
    "TestAsyncLazyCheck": TestAsyncLazyCheck,
    "TestAsyncResourceUser": TestAsyncResourceUser,
    "TestAsyncBatchProcessing": TestAsyncBatchProcessing,
    "TestAsyncConcurrentLimit": TestAsyncConcurrentLimit,
}

NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "TestSleep": "Test Sleep",
    "TestAsyncValidation": "Test Async Validation",
    "TestAsyncError": "Test Async Error",
    "TestAsyncValidationError": "Test Async Validation Error",
    "TestAsyncTimeout": "Test Async Timeout",
    "TestSyncError": "Test Sync Error",
    "TestAsyncLazyCheck": "Test Async Lazy Check",
    "TestAsyncResourceUser": "Test Async Resource User",
    "TestAsyncBatchProcessing": "Test Async Batch Processing",
    "TestAsyncConcurrentLimit": "Test Async Concurrent Limit",
}

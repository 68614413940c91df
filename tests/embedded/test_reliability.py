"""The embedded client over time: failures, cancellation, concurrency, memory, shutdown."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from typing import Any

import psutil
import pytest

import comfy.plugins.manager as manager_module
from comfy.client.embedded_comfy_client import Comfy
from comfy.execution import InterruptProcessingException
from comfy.model_management import processing_interrupted
from comfy.plugins import hookimpl

SLEEP_UNTIL_INTERRUPTED = {
    "1": {"class_type": "StubInt", "inputs": {"value": 1}},
    "2": {"class_type": "TestSleepUntilInterrupted", "inputs": {"value": ["1", 0], "max_seconds": 30.0}},
    "3": {"class_type": "TestIntOutput", "inputs": {"value": ["2", 0]}},
}


def int_prompt(value: int) -> dict[str, Any]:
    return {"1": {"class_type": "StubInt", "inputs": {"value": value}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}


class Watcher:
    """A progress handler that lets a test wait for an event."""

    def __init__(self) -> None:
        self.client_id = "watcher"
        self.events: list[tuple[Any, Any]] = []
        self.loop = asyncio.get_running_loop()
        self.changed = asyncio.Event()

    def send_sync(self, event: Any, data: Any, sid: Any = None) -> None:
        self.events.append((event, data))
        self.loop.call_soon_threadsafe(self.changed.set)

    async def wait_for(self, predicate: Any, timeout: float = 20.0) -> None:
        async def loop() -> None:
            while not any(predicate(e, d) for e, d in self.events):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(loop(), timeout)


def executing(node: str) -> Any:
    return lambda event, data: event == "executing" and data.get("node") == node


async def test_cancelling_the_awaiting_task_interrupts_the_prompt(workspace: Path) -> None:
    watcher = Watcher()
    async with Comfy(progress_handler=watcher) as client:
        task = asyncio.create_task(client.queue_prompt(SLEEP_UNTIL_INTERRUPTED, prompt_id="long"))
        await watcher.wait_for(executing("2"))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await watcher.wait_for(lambda e, d: e == "execution_interrupted")
        interrupted = next(d for e, d in watcher.events if e == "execution_interrupted")
        assert interrupted["prompt_id"] == "long" and interrupted["node_id"] == "2"
        assert await client.queue_prompt(int_prompt(2)) == {"2": {"value": [2]}}
    assert not processing_interrupted()
    assert client.history.copy()["long"]["status"]["status_str"] == "error"


async def test_cancelling_a_queued_prompt_keeps_it_from_running(workspace: Path) -> None:
    watcher = Watcher()
    async with Comfy(progress_handler=watcher) as client:
        first = asyncio.create_task(client.queue_prompt(SLEEP_UNTIL_INTERRUPTED, prompt_id="first"))
        await watcher.wait_for(executing("2"))
        second = asyncio.create_task(client.queue_prompt(int_prompt(3), prompt_id="second"))
        await asyncio.sleep(0.05)
        second.cancel()
        first.cancel()
        results = await asyncio.gather(first, second, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        assert await client.queue_prompt(int_prompt(4)) == {"2": {"value": [4]}}
    started = [d["prompt_id"] for e, d in watcher.events if e == "execution_start"]
    assert "second" not in started and not processing_interrupted()


async def test_an_interrupt_raises_interrupt_processing_exception(workspace: Path) -> None:
    from comfy.model_management import interrupt_current_processing

    watcher = Watcher()
    async with Comfy(progress_handler=watcher) as client:
        task = asyncio.create_task(client.queue_prompt(SLEEP_UNTIL_INTERRUPTED))
        await watcher.wait_for(executing("2"))
        interrupt_current_processing()
        with pytest.raises(InterruptProcessingException):
            await task


async def test_four_concurrent_prompts_on_two_workers(pack_workspace: Path) -> None:
    def prompt(i: int) -> dict[str, Any]:
        return {
            "1": {"class_type": "SlowProgress", "inputs": {"steps": 4, "seconds": 0.05}},
            "2": {"class_type": "WhereAmI", "inputs": {"salt": i}},
        }

    async with Comfy(max_workers=2) as client:
        results = await asyncio.gather(*(client.queue_prompt(prompt(i)) for i in range(4)))
        assert client.task_count == 0
    assert [r["1"] for r in results] == [{"value": [4]}] * 4
    threads = {r["2"]["thread"][0] for r in results}
    assert len(threads) == 2 and all(name.startswith("comfy-embedded") for name in threads)


async def test_an_exception_in_a_progress_handler_does_not_stop_the_prompt(workspace: Path, caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        client_id = "broken"

        def send_sync(self, event: Any, data: Any, sid: Any = None) -> None:
            raise ValueError(f"handler failed on {event}")

    async with Comfy(progress_handler=Broken()) as client:
        with caplog.at_level(logging.ERROR, logger="comfy.client.relay"):
            assert await client.queue_prompt(int_prompt(5)) == {"2": {"value": [5]}}
            task = client.queue_with_progress(int_prompt(6))
            assert (await task.get()).outputs == {"2": {"value": [6]}}
    errors = [r for r in caplog.records if r.name == "comfy.client.relay"]
    assert len(errors) == 1 and "handler failed on execution_start" in (errors[0].exc_text or "")


async def test_leaving_the_context_waits_for_prompts_in_flight(pack_workspace: Path) -> None:
    async with Comfy() as client:
        task = asyncio.create_task(client.queue_prompt({"1": {"class_type": "SlowProgress", "inputs": {"steps": 5, "seconds": 0.05}}}))
        await asyncio.sleep(0.02)
        assert client.task_count == 1
    assert task.done() and task.result() == {"1": {"value": [5]}}
    assert client.task_count == 0 and not client.is_running


class ReleaseRecorder:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def comfy_release_memory(self) -> None:
        self.calls += 1


async def test_shutdown_and_clear_cache_ask_plugins_to_release_memory(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = ReleaseRecorder()
    make = manager_module.make_plugin_manager
    monkeypatch.setattr(manager_module, "make_plugin_manager", lambda **kw: make(plugins=[recorder], **kw))
    async with Comfy() as client:
        await client.queue_prompt(int_prompt(1))
        assert recorder.calls == 0
        await client.clear_cache()
        assert recorder.calls == 1
    assert recorder.calls == 2


async def test_two_hundred_prompts_do_not_grow_memory(workspace: Path) -> None:
    def prompt(i: int) -> dict[str, Any]:
        return {
            "1": {"class_type": "StubInt", "inputs": {"value": i}},
            "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}},
            "3": {"class_type": "StubImage", "inputs": {"content": "WHITE" if i % 2 else "BLACK", "height": 64, "width": 64 + i % 7, "batch_size": 1}},
            "4": {"class_type": "PreviewImage", "inputs": {"images": ["3", 0]}},
        }

    process = psutil.Process()
    async with Comfy() as client:
        for i in range(30):  # warm up: imports, caches, allocator pools
            await client.queue_prompt(prompt(i))
        gc.collect()
        before = process.memory_info().rss
        for i in range(30, 230):
            outputs = await client.queue_prompt(prompt(i))
            assert outputs["2"] == {"value": [i]}
        gc.collect()
        grown = process.memory_info().rss - before
    assert grown < 30 * 2**20, f"resident memory grew by {grown / 2**20:.1f} MB over 200 prompts"

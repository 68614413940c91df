"""`Comfy` on the process executor: prompts run in spawned children, and progress events,
previews, errors and interrupts still reach the caller."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from comfy.cli_args_types import Configuration
from comfy.client.embedded_comfy_client import Comfy
from comfy.component_model.executor_types import UnencodedPreviewImageMessage
from comfy.component_model.queue_types import BinaryEventTypes
from comfy.distributed.process_pool_executor import ProcessPoolExecutor
from comfy.execution import PromptValidationError

pytestmark = pytest.mark.slow

SLEEP_UNTIL_INTERRUPTED = {
    "1": {"class_type": "StubInt", "inputs": {"value": 1}},
    "2": {"class_type": "TestSleepUntilInterrupted", "inputs": {"value": ["1", 0], "max_seconds": 30.0}},
    "3": {"class_type": "TestIntOutput", "inputs": {"value": ["2", 0]}},
}
RAISE = {
    "1": {"class_type": "TestRaise", "inputs": {"message": "kaput"}},
    "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}},
}


def int_prompt(value: int) -> dict[str, Any]:
    return {"1": {"class_type": "StubInt", "inputs": {"value": value}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}


async def test_progress_and_previews_come_back_from_the_child(configuration: Configuration) -> None:
    prompt = {
        "1": {"class_type": "EmitPreviews", "inputs": {"steps": 3, "form": "tuple"}},
        "2": {"class_type": "WhereAmI", "inputs": {"salt": 0}},
    }
    async with Comfy(configuration, executor="ProcessPoolExecutor") as client:
        assert isinstance(client.executor, ProcessPoolExecutor)
        task = client.queue_with_progress(prompt)
        notifications = [n async for n in task.progress()]
        response = await task.get()
    names = [n.event for n in notifications]
    assert names[0] == "execution_start" and names[-1] == "execution_success"
    assert names.count("progress") == 3 and names.count(BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA) == 3
    previews = [n.data for n in notifications if n.event == BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA]
    for step, (message, metadata) in enumerate(previews):
        assert isinstance(message, UnencodedPreviewImageMessage) and isinstance(message.pil_image, Image.Image)
        assert message.pil_image.size == (8 + step, 8) and message.task_id == response.prompt_id
        assert metadata["node_id"] == "1"
    assert response.outputs["2"]["pid"][0] != os.getpid()
    assert response.outputs["1"] == {"value": [3]}


async def test_errors_come_back_and_the_child_goes_on(configuration: Configuration) -> None:
    async with Comfy(configuration, executor="ProcessPoolExecutor") as client:
        with pytest.raises(PromptValidationError) as caught:
            await client.queue_prompt({"1": {"class_type": "TestIntOutput", "inputs": {"value": "x"}}})
        assert json.loads(str(caught.value))["1"]["errors"][0]["type"] == "invalid_input_type"
        assert caught.value.node_errors["1"]["class_type"] == "TestIntOutput"
        with pytest.raises(RuntimeError, match="kaput") as raised:
            await client.queue_prompt(RAISE)
        assert type(raised.value) is RuntimeError and any("node 1" in n for n in raised.value.__notes__)
        assert await client.queue_prompt(int_prompt(3)) == {"2": {"value": [3]}}


async def test_cancelling_interrupts_the_prompt_in_the_child(configuration: Configuration) -> None:
    class Watcher:
        client_id = "watcher"

        def __init__(self) -> None:
            self.events: list[tuple[Any, Any]] = []

        def send_sync(self, event: Any, data: Any, sid: Any = None) -> None:
            self.events.append((event, data))

    watcher = Watcher()
    async with Comfy(configuration, progress_handler=watcher, executor="ProcessPoolExecutor") as client:
        task = asyncio.create_task(client.queue_prompt(SLEEP_UNTIL_INTERRUPTED, prompt_id="long"))
        for _ in range(600):
            if any(e == "executing" and d.get("node") == "2" for e, d in watcher.events):
                break
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The child stops the prompt and runs the next one (TestSleepUntilInterrupted would
        # otherwise hold it for 30 s).
        assert await asyncio.wait_for(client.queue_prompt(int_prompt(4)), 20) == {"2": {"value": [4]}}
    assert any(e == "execution_interrupted" and d["prompt_id"] == "long" for e, d in watcher.events)


async def test_the_docs_process_pool_example(configuration: Configuration) -> None:
    """``docs/embedded.md``: a ProcessPoolExecutor the caller owns, for isolation."""
    config = configuration
    config.disable_all_custom_nodes = True
    config.novram = True
    with ProcessPoolExecutor(max_workers=1) as executor:
        async with Comfy(configuration=config, executor=executor) as client:
            outputs = await client.queue_prompt(int_prompt(5))
        assert outputs == {"2": {"value": [5]}}
        async with Comfy(configuration=config, executor=executor) as client:  # the pool outlives a client
            assert await client.queue_prompt(int_prompt(6)) == {"2": {"value": [6]}}


def test_model_management_options_choose_processes(configuration: Configuration) -> None:
    configuration.lowvram = True
    with Comfy(configuration) as client:
        assert isinstance(client.executor, ProcessPoolExecutor)
        assert asyncio.run(client.queue_prompt(int_prompt(7))) == {"2": {"value": [7]}}
    assert client.executor is None


async def test_a_crashed_child_is_replaced(configuration: Configuration, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures.process import BrokenProcessPool

    monkeypatch.setenv("COMFY_TEST_ALLOW_CRASH", "1")  # inherited by the spawned children only
    async with Comfy(configuration, executor="ProcessPoolExecutor") as client:
        first = client.executor
        with pytest.raises(BrokenProcessPool):
            await client.queue_prompt({"1": {"class_type": "Crash", "inputs": {"code": 3}}})
        assert client.executor is not first
        assert await client.queue_prompt(int_prompt(8)) == {"2": {"value": [8]}}


async def test_without_configuration_the_child_uses_the_callers_workspace(pack_workspace: Path) -> None:
    prompt = {
        "1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 4, "width": 4, "batch_size": 1}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "child"}},
        "3": {"class_type": "WhereAmI", "inputs": {"salt": 0}},
    }
    async with Comfy(executor="ProcessPoolExecutor") as client:
        outputs = await client.queue_prompt(prompt)
    assert Path(outputs["2"]["images"][0]["abs_path"]) == pack_workspace / "output" / "child_00001_.png"
    assert outputs["3"]["pid"][0] != os.getpid()

"""`Comfy`, the embedded client, on the thread executor: the contract of ``spec/api.md`` §2–3."""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from comfy.api.components.schema.prompt import Prompt
from comfy.cli_args_types import Configuration
from comfy.client.client_types import ProgressNotification, V1QueuePromptResponse
from comfy.client.embedded_comfy_client import Comfy, EmbeddedComfyClient
from comfy.client.executors import ContextVarExecutor, ProcessPoolExecutor, requires_process_pool_executor
from comfy.component_model.executor_types import UnencodedPreviewImageMessage
from comfy.component_model.queue_types import BinaryEventTypes
from comfy.execution import PromptValidationError
from comfy_execution.graph_utils import GraphBuilder

INT = {"1": {"class_type": "StubInt", "inputs": {"value": 4}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}
IMAGE = {
    "1": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
    "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "embedded/test"}},
}
RAISE = {
    "1": {"class_type": "TestRaise", "inputs": {"message": "kaput"}},
    "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}},
}


class Recorder:
    """A progress handler that records every notification."""

    def __init__(self, client_id: str = "recorder") -> None:
        self.client_id = client_id
        self.events: list[tuple[Any, Any, Any]] = []

    def send_sync(self, event: Any, data: Any, sid: Any = None) -> None:
        self.events.append((event, data, sid))

    def names(self) -> list[Any]:
        return [e for e, _, _ in self.events]


def int_prompt(value: int) -> dict[str, Any]:
    return {"1": {"class_type": "StubInt", "inputs": {"value": value}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}


# --- lifecycle ---------------------------------------------------------------------------------


async def test_alias_lifecycle_and_outputs(workspace: Path) -> None:
    assert EmbeddedComfyClient is Comfy
    client = Comfy()
    assert not client.is_running
    async with client as entered:
        assert entered is client and client.is_running and client.task_count == 0
        outputs = await client.queue_prompt(IMAGE)
    assert not client.is_running
    (image,) = outputs["2"]["images"]
    assert list(image) == ["abs_path", "filename", "subfolder", "type"]
    assert image["filename"] == "test_00001_.png" and image["subfolder"] == "embedded" and image["type"] == "output"
    assert Path(image["abs_path"]) == workspace / "output" / "embedded" / "test_00001_.png"
    with Image.open(image["abs_path"]) as png:
        assert png.size == (8, 8)


async def test_queue_prompt_needs_a_running_client() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        await Comfy().queue_prompt(INT)


def test_plain_with_block_runs_prompts(workspace: Path) -> None:
    with Comfy() as client:
        assert client.is_running
        assert asyncio.run(client.queue_prompt(INT)) == {"2": {"value": [4]}}
        assert asyncio.run(client.queue_prompt(int_prompt(5))) == {"2": {"value": [5]}}
    assert not client.is_running


async def test_str_names_the_task_count_changed_options_and_executor() -> None:
    text = str(Comfy(Configuration(cache_lru=8), max_workers=2))
    assert text.startswith("<Comfy task_count=0 configuration={'cache_lru': 8}") and "ContextVarExecutor" in text


# --- prompts in, outputs out ---------------------------------------------------------------------


@pytest.mark.parametrize("form", ["dict", "validated", "json"])
async def test_prompt_forms_and_the_callers_dict_is_not_changed(workspace: Path, form: str) -> None:
    prompt = {
        "1": {"class_type": "StubInt", "inputs": {"value": "7"}},  # coerced to 7 by validation
        "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}, "_meta": {"title": "out"}},
    }
    before = copy.deepcopy(prompt)
    given: Any = {"dict": prompt, "validated": Prompt.validate(prompt), "json": json.dumps(prompt)}[form]
    async with Comfy() as client:
        assert await client.queue_prompt(given) == {"2": {"value": [7]}}
        assert await client.queue_prompt(given) == {"2": {"value": [7]}}  # and again, from the cache
    assert prompt == before


async def test_prompt_id_client_id_and_history(workspace: Path) -> None:
    recorder = Recorder()
    async with Comfy(progress_handler=recorder) as client:
        await client.queue_prompt(INT, prompt_id="p-1", client_id="me")
        with pytest.raises(RuntimeError):
            await client.queue_prompt(RAISE, prompt_id="p-2")
        history = client.history.copy()
    assert list(history) == ["p-1", "p-2"]
    assert history["p-1"]["outputs"] == {"2": {"value": [4]}}
    assert history["p-1"]["status"] == {"status_str": "success", "completed": True, "messages": []}
    assert history["p-1"]["prompt"].prompt_id == "p-1" and history["p-1"]["prompt"].prompt == INT
    assert history["p-2"]["status"]["status_str"] == "error" and history["p-2"]["outputs"] == {}
    assert "kaput" in history["p-2"]["status"]["messages"][0]
    sids = {sid for event, _, sid in recorder.events if event == "execution_start"}
    assert sids == {"me", "recorder"}  # client_id= wins over the handler's own id
    assert client.history.copy(max_items=1) == {"p-2": history["p-2"]}
    assert client.history.copy(prompt_id="nope") == {}


async def test_partial_execution_targets(workspace: Path) -> None:
    prompt = {**int_prompt(1), "3": {"class_type": "StubInt", "inputs": {"value": 2}}, "4": {"class_type": "TestIntOutput", "inputs": {"value": ["3", 0]}}}
    async with Comfy() as client:
        assert await client.queue_prompt(prompt, partial_execution_targets=["4"]) == {"4": {"value": [2]}}


async def test_validation_failure_is_a_value_error_with_comfyuis_json(workspace: Path) -> None:
    bad = {"1": {"class_type": "TestIntOutput", "inputs": {"value": "not a number"}}}
    async with Comfy() as client:
        with pytest.raises(ValueError) as caught:
            await client.queue_prompt(bad)
        assert isinstance(caught.value, PromptValidationError)
        node_errors = json.loads(str(caught.value))
        assert node_errors["1"]["errors"][0]["type"] == "invalid_input_type"
        assert node_errors["1"]["class_type"] == "TestIntOutput"
        with pytest.raises(ValueError) as caught:
            await client.queue_prompt({"1": {"class_type": "NoSuchNode", "inputs": {}}})
        assert json.loads(str(caught.value))["type"] == "invalid_prompt"
        assert await client.queue_prompt(INT) == {"2": {"value": [4]}}


async def test_a_node_exception_comes_back_unchanged_and_the_client_goes_on(workspace: Path) -> None:
    async with Comfy() as client:
        for _ in range(2):
            with pytest.raises(RuntimeError) as caught:
                await client.queue_prompt(RAISE)
            assert type(caught.value) is RuntimeError and str(caught.value) == "kaput"
            assert any("node 1" in note for note in caught.value.__notes__)
            assert await client.queue_prompt(INT) == {"2": {"value": [4]}}


async def test_async_nodes_run(workspace: Path) -> None:
    prompt = {
        "1": {"class_type": "StubInt", "inputs": {"value": 3}},
        "2": {"class_type": "TestSleep", "inputs": {"value": ["1", 0], "seconds": 0.05}},
        "3": {"class_type": "TestIntOutput", "inputs": {"value": ["2", 0]}},
    }
    async with Comfy() as client:
        assert await client.queue_prompt(prompt) == {"3": {"value": [3]}}


async def test_graph_builder_prompts(workspace: Path) -> None:
    builder = GraphBuilder()
    value = builder.node("StubInt", value=11)
    builder.node("TestIntOutput", value=value.out(0))
    async with Comfy() as client:
        outputs = await client.queue_prompt(builder.finalize())
    assert list(outputs.values()) == [{"value": [11]}]


async def test_clear_cache_forgets_outputs(workspace: Path) -> None:
    recorder = Recorder()
    async with Comfy(progress_handler=recorder) as client:

        async def ran() -> bool:
            recorder.events.clear()
            await client.queue_prompt(INT)
            return any(e == "executing" for e in recorder.names())

        assert await ran() is True
        assert await ran() is False  # cached
        await client.clear_cache()
        assert await ran() is True


# --- queue_prompt_api and queue_with_progress ----------------------------------------------------


@pytest.mark.parametrize("form", ["dict", "json", "validated"])
async def test_queue_prompt_api(workspace: Path, form: str) -> None:
    given: Any = {"dict": INT, "json": json.dumps(INT), "validated": Prompt.validate(INT)}[form]
    async with Comfy() as client:
        response = await client.queue_prompt_api(given, prompt_id="api-1")
    assert response == V1QueuePromptResponse(urls=[], outputs={"2": {"value": [4]}}, prompt_id="api-1")


async def test_queue_prompt_api_checks_the_schema(workspace: Path) -> None:
    from comfy.api.exceptions import ApiValueError

    async with Comfy() as client:
        with pytest.raises(ApiValueError):
            await client.queue_prompt_api({"1": {"inputs": {}}})


async def test_queue_with_progress_yields_every_event_in_order(workspace: Path) -> None:
    async with Comfy() as client:
        task = client.queue_with_progress(IMAGE)
        notifications = [n async for n in task.progress()]
        response = await task.get()
    assert all(isinstance(n, ProgressNotification) for n in notifications)
    names = [n.event for n in notifications]
    assert names[0] == "execution_start" and names[1] == "execution_cached" and names[-1] == "execution_success"
    assert names.count("executing") == 2 and names.count("executed") == 1
    assert names.index("executing") < names.index("executed")
    assert {n.data["prompt_id"] for n in notifications} == {response.prompt_id}
    assert len({n.sid for n in notifications}) == 1 and notifications[0].sid is not None
    executed = next(n.data for n in notifications if n.event == "executed")
    assert executed["output"] == response.outputs["2"]
    assert await task == response and task.future().result() == response


async def test_queue_with_progress_raises_the_failure(workspace: Path) -> None:
    async with Comfy() as client:
        task = client.queue_with_progress(RAISE)
        seen: list[Any] = []
        with pytest.raises(RuntimeError, match="kaput"):
            async for notification in task.progress():
                seen.append(notification.event)
        assert seen[-1] == "execution_error"
        with pytest.raises(RuntimeError, match="kaput"):
            await task.get()


@pytest.mark.parametrize(
    ("form", "fmt", "max_size"),
    [("tuple", "JPEG", 256), ("png_tuple", "PNG", 512), ("pil", "JPEG", 512), ("tensor", "JPEG", 512), ("message", "JPEG", 128)],
)
async def test_previews_arrive_as_unencoded_messages(pack_workspace: Path, form: str, fmt: str, max_size: int) -> None:
    prompt = {"1": {"class_type": "EmitPreviews", "inputs": {"steps": 3, "form": form}}}
    async with Comfy() as client:
        task = client.queue_with_progress(prompt)
        previews = [n.data async for n in task.progress() if n.event == BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA]
        response = await task.get()
    assert len(previews) == 3
    for step, (message, metadata) in enumerate(previews):
        assert isinstance(message, UnencodedPreviewImageMessage)
        assert (message.format, message.max_size, message.node_id, message.task_id) == (fmt, max_size, "1", response.prompt_id)
        assert isinstance(message.pil_image, Image.Image)
        if form != "tensor":
            assert message.pil_image.size == (8 + step, 8)
        assert metadata["node_id"] == "1" and metadata["prompt_id"] == response.prompt_id
        assert metadata["image_type"] == ("image/png" if fmt == "PNG" else "image/jpeg")


async def test_the_seed_preview_loop_on_test_nodes(pack_workspace: Path) -> None:
    """The seed's preview loop, verbatim, over a node that previews like a sampler."""
    prompt = Prompt.validate({"1": {"class_type": "EmitPreviews", "inputs": {"steps": 4, "form": "tuple"}}})
    preview_frames = []
    async with Comfy() as client:
        task = client.queue_with_progress(prompt)
        async for notification in task.progress():
            if notification.event == BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA:
                image_data = notification.data
                unencoded_preview, _ = image_data
                preview_frames.append(unencoded_preview.pil_image.copy())
    assert [frame.size for frame in preview_frames] == [(8, 8), (9, 8), (10, 8), (11, 8)]


async def test_handlers_of_the_client_and_of_one_prompt(pack_workspace: Path) -> None:
    default, special = Recorder("default"), Recorder("special")
    async with Comfy(progress_handler=default) as client:
        await client.queue_prompt(INT)
        await client.queue_prompt({"1": {"class_type": "SlowProgress", "inputs": {"steps": 2, "seconds": 0.0}}}, progress_handler=special)
    assert default.names()[0] == "execution_start" and "progress" not in default.names()
    assert special.names().count("progress") == 2 and {sid for *_, sid in special.events} <= {"special", None}
    progress = [d for e, d, _ in special.events if e == "progress"]
    assert [(p["value"], p["max"], p["node"]) for p in progress] == [(1, 2, "1"), (2, 2, "1")]


# --- executor choice (spec §2.1) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, False),
        ({"cache_lru": 4, "cwd": "/x"}, False),
        ({"lowvram": False, "cpu": False, "fast": None, "reserve_vram": None}, False),
        ({"lowvram": True}, True),
        ({"novram": True}, True),
        ({"fp16_vae": True}, True),
        ({"reserve_vram": 1.5}, True),
        ({"use_sage_attention": True}, True),
    ],
)
def test_requires_process_pool_executor(options: dict[str, Any], expected: bool) -> None:
    assert requires_process_pool_executor(Configuration(options)) is expected
    assert requires_process_pool_executor(options) is expected


def test_executor_arguments() -> None:
    assert "ContextVarExecutor" in str(Comfy())
    assert "ProcessPoolExecutor" in str(Comfy(Configuration(lowvram=True)))
    assert "ProcessPoolExecutor" in str(Comfy(executor="ProcessPoolExecutor"))
    with pytest.raises(ValueError, match="requires ProcessPoolExecutor but ContextVarExecutor was requested"):
        Comfy(Configuration(novram=True), executor="ContextVarExecutor")
    with pytest.raises(ValueError, match="Unknown executor type string"):
        Comfy(executor="ThreadPool")  # type: ignore[arg-type]
    with ContextVarExecutor(max_workers=1) as threads:
        with pytest.raises(ValueError, match="requires ProcessPoolExecutor"):
            Comfy(Configuration(lowvram=True), executor=threads)
        assert Comfy(executor=threads).executor is threads
    with pytest.raises(ValueError, match="max_workers"):
        Comfy(max_workers=0)


async def test_a_given_thread_pool_is_used_and_not_shut_down(workspace: Path) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as threads:
        async with Comfy(executor=threads) as client:
            assert await client.queue_prompt(INT) == {"2": {"value": [4]}}
        assert threads.submit(lambda: 1).result() == 1


def test_process_pool_executor_paths() -> None:
    from comfy.distributed.executors import ContextVarExecutor as Legacy
    from comfy.distributed.process_pool_executor import ProcessPoolExecutor as LegacyPool
    from comfy.distributed.server_stub import ServerStub

    assert Legacy is ContextVarExecutor and LegacyPool is ProcessPoolExecutor
    stub = ServerStub()
    assert stub.client_id and stub.send_sync("executing", {}, None) is None


async def test_the_configured_workspace_is_the_one_nodes_see(configuration: Configuration, tmp_path: Path) -> None:
    """File lists (a checkpoint loader's choices), inputs and outputs come from the configuration's
    folders, whatever folders are current where the client is used."""
    (tmp_path / "models" / "checkpoints").mkdir(parents=True)
    (tmp_path / "models" / "checkpoints" / "tiny.safetensors").write_bytes(b"")
    (tmp_path / "input").mkdir()
    Image.new("RGB", (3, 2), (1, 2, 3)).save(tmp_path / "input" / "in.png")
    prompt = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "in.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "configured"}},
        "3": {"class_type": "PickCheckpoint", "inputs": {"ckpt_name": "tiny.safetensors"}},
    }
    async with Comfy(configuration) as client:
        outputs = await client.queue_prompt(prompt)
    assert Path(outputs["2"]["images"][0]["abs_path"]) == tmp_path / "output" / "configured_00001_.png"
    assert outputs["3"] == {"path": [str(tmp_path / "models" / "checkpoints" / "tiny.safetensors")]}

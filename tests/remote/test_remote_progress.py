"""`AsyncRemoteComfyClient.queue_with_progress` and jobs against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import pytest
from server_helpers import RunningServer, image_prompt, raise_prompt

from comfy.client.aio_client import AsyncRemoteComfyClient, ComfyClientError, PromptExecutionError, PromptValidationError
from comfy.client.aio_progress import decode_frame
from comfy.client.client_types import ProgressNotification, V1QueuePromptResponse
from comfy.component_model.executor_types import UnencodedPreviewImageMessage
from comfy.component_model.queue_types import BinaryEventTypes

PNG_MAGIC = b"\x89PNG"


def batch_prompt(prefix: str, batch: int = 3, content: str = "BLACK", size: int = 8) -> dict[str, Any]:
    """StubImage(batch) → TestAsyncBatchProcessing (one progress step per image) → SaveImage.

    Tests of one module share a server: give each test its own `content`/`size`, or a cached
    TestAsyncBatchProcessing of an earlier test reports no progress."""
    return {
        "1": {"class_type": "StubImage", "inputs": {"content": content, "height": size, "width": size, "batch_size": batch}},
        "2": {"class_type": "TestAsyncBatchProcessing", "inputs": {"images": ["1", 0], "process_time_per_item": 0.01}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": prefix}},
    }


async def test_queue_with_progress_yields_this_prompts_events(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        task = client.queue_with_progress(batch_prompt(f"progress-{uuid.uuid4().hex[:8]}"))
        assert task.prompt_id and task.client_id != client.client_id
        notifications = [n async for n in task.progress()]
        response = await task.get()
        assert await task == response and task.future().done()

        async with client.session.get(response.urls[0]) as fetched:
            assert fetched.status == 200 and (await fetched.read()).startswith(PNG_MAGIC)

    assert all(isinstance(n, ProgressNotification) and n.sid == task.client_id for n in notifications)
    assert all(n.data["prompt_id"] == task.prompt_id for n in notifications)
    events = [n.event for n in notifications]
    assert events[0] == "execution_start" and events[-1] == "execution_success"
    assert "execution_cached" in events and "status" not in events
    assert [n.data["value"] for n in notifications if n.event == "progress"] == [1, 2, 3]
    assert all(n.data["node"] is not None for n in notifications if n.event == "executing")
    executed = [n.data for n in notifications if n.event == "executed"]
    assert [e["node"] for e in executed] == ["3"]
    assert isinstance(response, V1QueuePromptResponse) and response.prompt_id == task.prompt_id
    assert response.outputs["3"] == executed[0]["output"]
    assert len(response.urls) == 3 and all(u.startswith(server.url + "/view?") for u in response.urls)


async def test_overlapping_runs_on_one_client_see_only_their_own_events(server: RunningServer) -> None:
    async def one(client: AsyncRemoteComfyClient, index: int) -> tuple[Any, list[ProgressNotification], V1QueuePromptResponse]:
        task = client.queue_with_progress(batch_prompt(f"overlap{index}-{uuid.uuid4().hex[:6]}", batch=index + 1, content="WHITE", size=5))
        notifications = [n async for n in task.progress()]
        return task, notifications, await task.get()

    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        runs = await asyncio.gather(*(one(client, i) for i in range(3)))
    assert len({task.prompt_id for task, _, _ in runs}) == 3
    for index, (task, notifications, response) in enumerate(runs):
        assert {n.data["prompt_id"] for n in notifications} == {task.prompt_id}
        assert len([n for n in notifications if n.event == "progress"]) == index + 1
        assert notifications[-1].event == "execution_success"
        assert len(response.outputs["3"]["images"]) == index + 1


async def test_previews_arrive_as_the_embedded_client_gives_them(server: RunningServer) -> None:
    prompt = {"1": {"class_type": "PreviewEmitter", "inputs": {"format": "JPEG", "seed": uuid.uuid4().int % 10_000}}}
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        # the seed's preview loop, unchanged
        preview_frames = []
        task = client.queue_with_progress(prompt)
        async for notification in task.progress():
            if notification.event == BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA:
                image_data = notification.data
                unencoded_preview, _ = image_data
                preview_frames.append(unencoded_preview.pil_image.copy())
        response = await task.get()
    assert len(preview_frames) == 1
    assert preview_frames[0].size == (512, 384)  # the server fits previews in 512 px
    assert response.outputs["1"] == {"text": ["done"]}


async def test_failed_run_raises_after_its_error_event(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        task = client.queue_with_progress(raise_prompt(f"remote progress {uuid.uuid4().hex}"))
        seen: list[Any] = []
        with pytest.raises(PromptExecutionError) as caught:
            async for notification in task.progress():
                seen.append(notification.event)
        assert seen[0] == "execution_start" and seen[-1] == "execution_error"
        status = caught.value.status
        assert status["status_str"] == "error" and status["error_details"]["exception_type"].endswith("RuntimeError")
        assert caught.value.prompt_id == task.prompt_id
        with pytest.raises(PromptExecutionError):
            await task.get()

        bad = image_prompt("progress-bad")
        bad["1"]["inputs"]["content"] = "NOT_A_COLOR"
        invalid = client.queue_with_progress(json.dumps(bad))
        with pytest.raises(PromptValidationError) as rejected:
            async for _ in invalid.progress():
                raise AssertionError("a rejected prompt has no events")
        assert rejected.value.error["type"] == "prompt_outputs_failed_validation"


async def test_jobs(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        done = await client.queue_prompt_api(image_prompt(f"jobs-{uuid.uuid4().hex[:8]}"))
        failed = client.queue_with_progress(raise_prompt("jobs boom"))
        with pytest.raises(PromptExecutionError):
            await failed.get()

        listing = await client.get_jobs(limit=100)
        assert set(listing) == {"jobs", "pagination"}
        ids = [job["id"] for job in listing["jobs"]]
        assert done.prompt_id in ids and failed.prompt_id in ids
        assert listing["pagination"]["total"] >= 2

        completed = await client.get_jobs(status="completed", limit=100)
        assert {job["status"] for job in completed["jobs"]} == {"completed"}
        both = await client.get_jobs(status=["completed", "failed"], sort_order="asc", sort_by="created_at", limit=100, offset=0)
        assert {done.prompt_id, failed.prompt_id} <= {job["id"] for job in both["jobs"]}
        page = await client.get_jobs(limit=1, offset=0)
        assert len(page["jobs"]) == 1 and page["pagination"]["has_more"] is True

        job = await client.get_job(done.prompt_id)
        assert job is not None and job["status"] == "completed"
        assert job["outputs"] == done.outputs
        failed_job = await client.get_job(failed.prompt_id)
        assert failed_job is not None and failed_job["status"] == "failed"
        assert await client.get_job(str(uuid.uuid4())) is None
        with pytest.raises(ComfyClientError) as caught:
            await client.get_jobs(status="sleeping")
        assert caught.value.status_code == 400


def _message(kind: aiohttp.WSMsgType, data: Any) -> aiohttp.WSMessage:
    return aiohttp.WSMessage(kind, data, None)


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}}}, (None, False)),
        ({"type": "executing", "data": {"node": "1", "prompt_id": "other"}}, (None, False)),
        ({"type": "executing", "data": {"node": None, "prompt_id": "p"}}, (None, True)),
        ({"type": "executing", "data": {"node": "1", "prompt_id": "p"}}, (ProgressNotification("executing", {"node": "1", "prompt_id": "p"}, "s"), False)),
        ({"type": "execution_success", "data": {"prompt_id": "p"}}, (ProgressNotification("execution_success", {"prompt_id": "p"}, "s"), True)),
        ({"type": "execution_interrupted", "data": {"prompt_id": "p"}}, (ProgressNotification("execution_interrupted", {"prompt_id": "p"}, "s"), True)),
        ({"type": "feature_flags", "data": {"supports_preview_metadata": True}}, (None, False)),
    ],
)
def test_decode_text_frames(frame: dict[str, Any], expected: tuple[Any, bool]) -> None:
    assert decode_frame(_message(aiohttp.WSMsgType.TEXT, json.dumps(frame)), "p", "s") == expected


def test_decode_binary_frames() -> None:
    import io
    import struct

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 2), (0, 255, 0)).save(buffer, format="PNG")
    png = buffer.getvalue()
    meta = json.dumps({"node_id": "7", "prompt_id": "p", "display_node_id": "7", "image_type": "image/png"}).encode()
    frame = struct.pack(">II", 4, len(meta)) + meta + png
    notification, finished = decode_frame(_message(aiohttp.WSMsgType.BINARY, frame), "p", "s")
    assert notification is not None and not finished
    preview, metadata = notification.data
    assert notification.event is BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA
    assert isinstance(preview, UnencodedPreviewImageMessage) and preview.format == "PNG" and preview.node_id == "7"
    assert preview.pil_image.size == (4, 2) and metadata["node_id"] == "7"

    other = struct.pack(">II", 4, len(meta)) + meta.replace(b'"p"', b'"q"') + png
    assert decode_frame(_message(aiohttp.WSMsgType.BINARY, other), "p", "s") == (None, False)
    legacy, _ = decode_frame(_message(aiohttp.WSMsgType.BINARY, struct.pack(">II", 1, 2) + png), "p", "s")
    assert legacy is not None and legacy.event is BinaryEventTypes.UNENCODED_PREVIEW_IMAGE and legacy.data.format == "PNG"
    text_payload = struct.pack(">I", 1) + b"7hello"
    text, _ = decode_frame(_message(aiohttp.WSMsgType.BINARY, struct.pack(">I", 3) + text_payload), "p", "s")
    assert text == ProgressNotification(BinaryEventTypes.TEXT, text_payload, "s")
    assert decode_frame(_message(aiohttp.WSMsgType.BINARY, struct.pack(">I", 99)), "p", "s") == (None, False)


def test_a_custom_websocket_address_keeps_its_query() -> None:
    from comfy.client.aio_progress import _with_client_id

    assert _with_client_id("ws://h/ws?clientId=a&token=x", "b") == "ws://h/ws?token=x&clientId=b"
    assert _with_client_id("wss://h/p/ws", "b") == "wss://h/p/ws?clientId=b"

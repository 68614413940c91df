"""`DistributedComfyClient` against a real broker and a real `comfyui-worker` process.

One worker serves the whole module. The client must answer like the embedded client: the same
outputs, the same events in the same order, the same errors; output files come back as bytes
(the worker's workspace is not shared); progress reaches only the client that submitted.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiormq
import pytest
from amqp_support import PREVIEW_PACK, WorkerProcess, delete_cluster, node_pack, start_workers
from pamqp.commands import Basic

from comfy.component_model.queue_types import BinaryEventTypes
from comfy.distributed import wire
from comfy.distributed.client import DistributedComfyClient
from comfy.distributed.errors import RemoteExecutionError
from comfy.execution.errors import PromptValidationError

pytestmark = [pytest.mark.amqp]

INT_PROMPT = {"1": {"class_type": "TestIntOutput", "inputs": {"value": 7}}}
SLEEP_PROMPT = {
    "1": {"class_type": "TestSleep", "inputs": {"value": 5, "seconds": 0.1}},
    "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}},
}
IMAGE_PROMPT = {
    "1": {"class_type": "StubImage", "inputs": {"content": "NOISE", "height": 512, "width": 768, "batch_size": 1}},
    "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "sub/dist"}},
}


class Recorder:
    """A progress handler that keeps every event."""

    def __init__(self, client_id: str | None = None) -> None:
        self.client_id = client_id
        self.last_node_id: str | None = None
        self.last_prompt_id: str | None = None
        self.events: list[tuple[Any, Any, str | None]] = []

    def send_sync(self, event: Any, data: Any, sid: str | None = None) -> None:
        self.events.append((event, data, sid))

    def prompt_ids(self) -> set[str]:
        return {d.get("prompt_id") for e, d, _ in self.events if isinstance(d, dict) and d.get("prompt_id")}


@pytest.fixture(scope="module")
def cluster(amqp_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, WorkerProcess]]:
    name = f"test-client-{uuid.uuid4().hex[:8]}"
    (worker,) = start_workers(amqp_uri, name, tmp_path_factory.mktemp("client-workers"), 1, prepare=node_pack("preview_pack", PREVIEW_PACK))
    yield name, worker
    worker.stop()
    delete_cluster(amqp_uri, name, [q for q in [worker.capability_queue()] if q])


@pytest.fixture
async def client(amqp_uri: str, cluster: tuple[str, WorkerProcess], tmp_path: Path) -> Any:
    async with DistributedComfyClient(amqp_uri, cluster[0], output_directory=str(tmp_path / "received")) as c:
        await c.wait_for_workers(1)
        yield c


async def test_outputs_and_events_match_the_embedded_client(client: DistributedComfyClient) -> None:
    from comfy.client.embedded_comfy_client import Comfy

    async with Comfy() as embedded:
        expected = await embedded.queue_prompt(SLEEP_PROMPT)
        embedded_task = embedded.queue_with_progress(SLEEP_PROMPT)
        embedded_events = [n.event async for n in embedded_task.progress()]
    assert await client.queue_prompt(SLEEP_PROMPT) == expected == {"2": {"value": [5]}}

    task = client.queue_with_progress(SLEEP_PROMPT)
    notifications = [n async for n in task.progress()]
    response = await task.get()
    assert response.outputs == expected and response.urls == []
    events = [n.event for n in notifications]
    # the cached-run sequence is the same (both executors ran the prompt once before)
    assert [e for e in events if e != "progress"] == [e for e in embedded_events if e != "progress"]
    assert events[0] == "execution_start" and events[-1] == "execution_success"
    assert {n.data["prompt_id"] for n in notifications} == {response.prompt_id}
    assert client.history[response.prompt_id]["status"]["status_str"] == "success"


async def test_progress_events_of_a_fresh_run(client: DistributedComfyClient) -> None:
    prompt = json.loads(json.dumps(SLEEP_PROMPT))
    prompt["1"]["inputs"]["seconds"] = 0.3 + uuid.uuid4().int % 100 / 1000  # not cached
    recorder = Recorder()
    outputs = await client.queue_prompt(prompt, progress_handler=recorder)
    assert outputs == {"2": {"value": [5]}}
    names = [e for e, _, _ in recorder.events]
    assert names[0] == "execution_start" and names[-1] == "execution_success"
    assert "progress" in names and names.index("executing") < names.index("progress")
    executed = [d for e, d, _ in recorder.events if e == "executed"]
    assert executed and executed[-1]["output"] == {"value": [5]}
    assert all(sid == client.client_id for _, _, sid in recorder.events)


async def test_validation_error_is_the_embedded_clients(client: DistributedComfyClient) -> None:
    from comfy.client.embedded_comfy_client import Comfy

    bad = {"1": {"class_type": "TestIntOutput", "inputs": {"value": "not a number"}}}
    async with Comfy() as embedded:
        with pytest.raises(PromptValidationError) as local:
            await embedded.queue_prompt(bad)
    with pytest.raises(PromptValidationError) as remote:
        await client.queue_prompt(bad)
    assert str(remote.value) == str(local.value)
    assert remote.value.node_errors == json.loads(json.dumps(local.value.node_errors))
    assert remote.value.status["status_str"] == "error"  # type: ignore[attr-defined]


async def test_node_error_names_node_and_exception(client: DistributedComfyClient) -> None:
    prompt = {
        "1": {"class_type": "TestRaise", "inputs": {"message": "boom from the node"}},
        "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}},
    }
    with pytest.raises(RemoteExecutionError) as raised:
        await client.queue_prompt(prompt)
    error = raised.value
    assert "boom from the node" in str(error)
    assert error.exception_type == "RuntimeError" and error.node_id == "1"
    assert error.status["status_str"] == "error" and error.status["completed"] is False
    assert error.traceback


async def test_unknown_node_and_bad_json(client: DistributedComfyClient) -> None:
    with pytest.raises(PromptValidationError, match="does not exist"):
        await client.queue_prompt({"1": {"class_type": "NoSuchNode", "inputs": {}}})
    with pytest.raises(ValueError):
        await client.queue_prompt("{not json")
    assert await client.queue_prompt(INT_PROMPT) == {"1": {"value": [7]}}  # the worker goes on


async def test_reply_queue_does_not_outlive_its_client(amqp_uri: str, cluster: tuple[str, WorkerProcess]) -> None:
    async with DistributedComfyClient(amqp_uri, cluster[0]) as c:
        assert await c.queue_prompt(INT_PROMPT) == {"1": {"value": [7]}}
        reply_queue = c.reply_queue
    connection = await aiormq.connect(amqp_uri)
    try:
        channel = await connection.channel()
        with pytest.raises(aiormq.exceptions.ChannelNotFoundEntity):
            await channel.queue_declare(reply_queue, passive=True)
    finally:
        await connection.close()


async def test_node_schemas_come_from_the_worker(client: DistributedComfyClient) -> None:
    from comfy.nodes.object_info import node_info
    from comfy_nodes_testing import NODE_CLASS_MAPPINGS

    schemas = await client.node_schemas()
    assert {"TestIntOutput", "TestSleep", "SaveImage"} <= set(schemas)
    local = json.loads(json.dumps(node_info("TestIntOutput", NODE_CLASS_MAPPINGS["TestIntOutput"], "Int Output")))
    assert schemas["TestIntOutput"]["input"] == local["input"]
    (worker,) = client.workers
    assert worker.queue == f"{client.names.queue}.nodes.{wire.nodes_hash(worker.nodes)}"


async def test_two_clients_see_only_their_own_progress(amqp_uri: str, cluster: tuple[str, WorkerProcess]) -> None:
    handlers = [Recorder(), Recorder()]
    bystander = Recorder()
    async with (
        DistributedComfyClient(amqp_uri, cluster[0], progress_handler=handlers[0]) as first,
        DistributedComfyClient(amqp_uri, cluster[0], progress_handler=handlers[1]) as second,
        DistributedComfyClient(amqp_uri, cluster[0], progress_handler=bystander) as third,
    ):
        ids = [[f"a-{uuid.uuid4()}" for _ in range(2)], [f"b-{uuid.uuid4()}" for _ in range(2)]]
        jobs = [first.queue_prompt(SLEEP_PROMPT, prompt_id=p) for p in ids[0]] + [second.queue_prompt(SLEEP_PROMPT, prompt_id=p) for p in ids[1]]
        results = await asyncio.gather(*jobs)
        assert all(r == {"2": {"value": [5]}} for r in results)
        assert third.client_id not in (first.client_id, second.client_id)
    assert handlers[0].prompt_ids() == set(ids[0])
    assert handlers[1].prompt_ids() == set(ids[1])
    assert bystander.events == []


async def test_job_published_without_the_client(amqp_uri: str, client: DistributedComfyClient) -> None:
    """What a STOMP browser does: the reference body on the base queue, a private reply queue,
    progress read from Q.progress by client id."""
    names = client.names
    connection = await aiormq.connect(amqp_uri)
    try:
        channel = await connection.channel()
        reply = await channel.queue_declare("", exclusive=True, auto_delete=True)
        await channel.queue_bind(reply.queue, names.progress_exchange, routing_key="browser-1")
        received: asyncio.Queue[aiormq.abc.DeliveredMessage] = asyncio.Queue()

        async def on_message(message: aiormq.abc.DeliveredMessage) -> None:
            await received.put(message)

        await channel.basic_consume(reply.queue, on_message, no_ack=True)
        body = {"request": {"prompt_id": "from-browser", "client_id": "browser-1", "prompt": SLEEP_PROMPT}}
        await channel.basic_publish(
            json.dumps(body).encode(),
            routing_key=names.queue,
            properties=Basic.Properties(content_type="application/json", correlation_id="from-browser", reply_to=reply.queue, delivery_mode=2),
        )
        kinds = []
        while True:
            message = await asyncio.wait_for(received.get(), 60)
            kinds.append(message.header.properties.message_type)
            if message.header.properties.message_type == wire.RESULT:
                result = json.loads(message.body)
                break
        assert result["prompt_id"] == "from-browser" and result["outputs"] == {"2": {"value": [5]}}
        assert result["status"]["status_str"] == "success" and result["version"] == wire.WIRE_VERSION
        assert message.header.properties.correlation_id == "from-browser"
        assert wire.PROGRESS in kinds
    finally:
        await connection.close()


@pytest.mark.slow
async def test_output_files_come_back_as_bytes(client: DistributedComfyClient, cluster: tuple[str, WorkerProcess], tmp_path: Path) -> None:
    from PIL import Image

    result = await client.queue_prompt_result(IMAGE_PROMPT)
    (image,) = result.outputs["2"]["images"]
    assert image["subfolder"] == "sub" and image["type"] == "output" and image["filename"].startswith("dist_")
    stored = result.file(image["filename"], "sub")
    assert stored is not None and stored.data.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(stored.data)).size == (768, 512)
    assert len(stored.data) > wire.FILE_CHUNK_BYTES  # noise does not compress: it travelled in chunks
    # the client wrote its own copy; the worker's copy lives in the worker's workspace only
    local = Path(image["abs_path"])
    assert local.is_relative_to(tmp_path / "received") and local.read_bytes() == stored.data
    worker_copy = cluster[1].workspace / "output" / "sub" / image["filename"]
    assert worker_copy.read_bytes() == stored.data


async def test_extra_pnginfo_reaches_the_workers_save_image(client: DistributedComfyClient) -> None:
    """``extra_data`` travels in the job and is applied on the worker: SaveImage writes the workflow
    of ``extra_pnginfo`` into the PNG's text chunks (the bytes come back in the result)."""
    from PIL import Image

    workflow = {"id": f"wf-{uuid.uuid4().hex[:6]}", "nodes": [{"id": 1, "type": "EmptyImage"}], "links": []}
    prompt = {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0x102030}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "pnginfo"}},
    }
    result = await client.queue_prompt_result(prompt, extra_data={"extra_pnginfo": {"workflow": workflow}})
    (image,) = result.outputs["2"]["images"]
    stored = result.file(image["filename"], image["subfolder"])
    assert stored is not None
    with Image.open(io.BytesIO(stored.data)) as png:
        png.load()
        text = dict(png.text)
    assert json.loads(text["workflow"]) == workflow and json.loads(text["prompt"]) == prompt


@pytest.mark.parametrize("decode", [True, False], ids=["decoded", "encoded"])
async def test_previews_arrive_as_binary_messages(amqp_uri: str, cluster: tuple[str, WorkerProcess], decode: bool) -> None:
    from PIL import Image

    recorder = Recorder()
    size = 40 if decode else 44  # another prompt: no cache hit
    prompt = {"1": {"class_type": "SendPreview", "inputs": {"size": size}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}
    async with DistributedComfyClient(amqp_uri, cluster[0], decode_previews=decode) as c:
        await c.wait_for_workers(1)
        result = await c.queue_prompt_result(prompt, progress_handler=recorder)
    assert result.outputs == {"2": {"value": [size]}}
    previews = [d for e, d, _ in recorder.events if e == BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA]
    assert len(previews) == 2
    sizes = []
    for preview, fmt in zip(previews, ["PNG", "JPEG"], strict=True):
        if decode:  # the embedded client's shape: (UnencodedPreviewImageMessage, metadata)
            message, metadata = preview
            assert message.format == fmt and message.task_id == result.prompt_id and message.node_id == "1"
            sizes.append(message.pil_image.size)
        else:
            assert preview.format == fmt and preview.mime == f"image/{fmt.lower()}"
            metadata = preview.metadata
            sizes.append(Image.open(io.BytesIO(preview.image)).size)
        assert metadata["prompt_id"] == result.prompt_id and metadata["node_id"] == "1"
    assert sizes == [(size, size), (size, size // 2)]

"""The distributed frontend (`comfyui --distributed-queue-frontend`) against a real RabbitMQ and a
real `comfyui-worker` process: the HTTP API with prompts running on the worker.

The worker and the frontend are separate processes with separate workspaces (`--cwd`): they
share no disk, so every output file the frontend serves came back inside a result. The frontend
runs with `torch` made unimportable (an import hook that records any attempt), which is how a
`pip install comfy-server comfy-amqp` machine runs it.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from amqp_support import HIDDEN_PACK, PREVIEW_PACK, WorkerProcess, free_port, node_packs, start_workers, teardown_cluster

pytestmark = [pytest.mark.amqp, pytest.mark.slow]

# Run the real `comfyui` entry point in a process where importing torch fails and is recorded.
FRONTEND_WITHOUT_TORCH = """
import sys
class _NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            sys.stderr.write("TORCH IMPORT ATTEMPTED: " + name + "\\n")
            sys.stderr.flush()
            raise ImportError("torch is not installed on this frontend")
        return None
sys.meta_path.insert(0, _NoTorch())
from comfy.cmd.main import main
sys.exit(main())
"""


@dataclass
class Cluster:
    uri: str
    queue: str
    base_url: str
    frontend_dir: Path
    worker_dir: Path
    frontend_log: Path
    frontend: subprocess.Popen[bytes]
    worker: WorkerProcess

    def url(self, path: str) -> str:
        return self.base_url + path


def _wait_ready(cluster: Cluster, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        if cluster.frontend.poll() is not None:
            raise RuntimeError(f"the frontend exited:\n{cluster.frontend_log.read_text(errors='replace')[-4000:]}")
        try:
            response = httpx.get(cluster.url("/ready"), timeout=2)
            last = response.text
            if response.status_code == 200:
                return
        except httpx.HTTPError as e:
            last = e
        time.sleep(0.2)
    raise TimeoutError(f"the frontend was not ready within {timeout} s: {last}")


@pytest.fixture(scope="module")
def cluster(amqp_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One worker and one frontend (module-wide: the worker's first image run imports torch)."""
    root = tmp_path_factory.mktemp("frontend-cluster")
    queue = f"test-frontend-{uuid.uuid4().hex[:8]}"
    frontend_dir = root / "frontend"
    frontend_dir.mkdir()
    port = free_port()
    command = [
        sys.executable, "-c", FRONTEND_WITHOUT_TORCH, "--distributed-queue-frontend",
        f"--distributed-queue-connection-uri={amqp_uri}", "--distributed-queue-name", queue,
        "--cwd", str(frontend_dir), "--port", str(port),
    ]  # fmt: skip
    with open(root / "frontend.log", "wb") as frontend_log:
        frontend = subprocess.Popen(command, stdout=frontend_log, stderr=subprocess.STDOUT, cwd=frontend_dir)
    workers: list[WorkerProcess] = []
    try:
        start_workers(amqp_uri, queue, root / "workers", 1, prepare=node_packs(preview_pack=PREVIEW_PACK, hidden_pack=HIDDEN_PACK), started=workers)
        running = Cluster(amqp_uri, queue, f"http://127.0.0.1:{port}", frontend_dir, workers[0].workspace, root / "frontend.log", frontend, workers[0])
        _wait_ready(running)
        yield running
    finally:
        frontend.terminate()
        try:
            frontend.wait(15)
        except subprocess.TimeoutExpired:
            frontend.kill()
            frontend.wait()
        teardown_cluster(amqp_uri, queue, workers)  # nothing of test-frontend-* stays on the broker


def image_prompt(color: int, prefix: str = "fe", size: int = 8) -> dict[str, Any]:
    return {
        "1": {"class_type": "EmptyImage", "inputs": {"width": size, "height": size, "batch_size": 1, "color": color}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": prefix}},
    }


def sleep_prompt(seconds: float, value: int) -> dict[str, Any]:
    return {
        "1": {"class_type": "PrimitiveInt", "inputs": {"value": value}},
        "2": {"class_type": "TestSleep", "inputs": {"value": ["1", 0], "seconds": seconds}},
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
    }


def until_interrupted_prompt(value: int) -> dict[str, Any]:
    return {
        "1": {"class_type": "PrimitiveInt", "inputs": {"value": value}},
        "2": {"class_type": "TestSleepUntilInterrupted", "inputs": {"value": ["1", 0], "max_seconds": 60.0}},
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
    }


def _rgb_of_png(data: bytes) -> tuple[tuple[int, int], tuple[int, ...]]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size, image.convert("RGB").getpixel((0, 0))


def _wait_for(predicate: Any, timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


# -- node classes, validation ----------------------------------------------------------------------


def test_object_info_comes_from_the_workers(cluster: Cluster) -> None:
    info = httpx.get(cluster.url("/object_info"), timeout=10).json()
    for class_type in ("EmptyImage", "SaveImage", "TestSleep", "PreviewAny", "SendPreview"):  # SendPreview: the worker's custom node
        assert class_type in info
    assert info["EmptyImage"]["input"]["required"]["width"][0] == "INT"
    assert info["SaveImage"]["output_node"] is True
    one = httpx.get(cluster.url("/api/object_info/EmptyImage"), timeout=10).json()
    assert one == {"EmptyImage": info["EmptyImage"]}
    assert httpx.get(cluster.url("/object_info/NoSuchNode"), timeout=10).json() == {}
    ready = httpx.get(cluster.url("/ready"), timeout=10).json()
    assert ready["status"] == "ready" and ready["workers"] == 1 and ready["nodes"] == len(info)


def test_unknown_node_is_comfyui_validation_error(cluster: Cluster) -> None:
    response = httpx.post(cluster.url("/prompt"), json={"prompt": {"1": {"class_type": "NoSuchNode", "inputs": {}}}}, timeout=10)
    assert response.status_code == 400
    assert response.json() == {
        "error": {"type": "invalid_prompt", "message": "Cannot execute because node NoSuchNode does not exist.", "details": "Node ID '#1'", "extra_info": {}},
        "node_errors": {},
    }
    bad = image_prompt(0)
    bad["1"]["inputs"]["width"] = 0  # below EmptyImage's min of 1: checked with the worker's schema
    response = httpx.post(cluster.url("/prompt"), json={"prompt": bad}, timeout=10)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    error = body["node_errors"]["1"]["errors"][0]
    assert error["type"] == "value_smaller_than_min" and error["extra_info"]["input_name"] == "width"
    response = httpx.post(cluster.url("/api/v1/prompts"), json=bad, timeout=10)
    assert response.status_code == 400 and response.json()["type"] == "prompt_outputs_failed_validation"
    assert httpx.get(cluster.url("/history"), timeout=10).status_code == 200  # still serving


def test_frontend_never_imported_torch(cluster: Cluster) -> None:
    # The fixture's frontend has served by now (ready, object_info); any torch import attempt
    # would be in its log. The worker, which runs the nodes, does import it.
    httpx.post(cluster.url("/api/v1/prompts"), json=image_prompt(7, "torchless"), timeout=60).raise_for_status()
    for path in ("/system_stats", "/features", "/api/jobs", "/queue", "/history", "/prompt", "/embeddings", "/models", "/health"):
        assert httpx.get(cluster.url(path), timeout=10).status_code == 200, path
    log = cluster.frontend_log.read_text(errors="replace")
    assert "TORCH IMPORT ATTEMPTED" not in log
    assert "Traceback" not in log


# -- results and files without a shared disk ----------------------------------------------------------


def test_png_and_view_without_shared_disk(cluster: Cluster) -> None:
    color = 0x3366CC
    response = httpx.post(cluster.url("/api/v1/prompts"), json=image_prompt(color, "nodisk"), headers={"Accept": "image/png"}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert _rgb_of_png(response.content) == ((8, 8), (0x33, 0x66, 0xCC))

    response = httpx.post(cluster.url("/api/v1/prompts"), json=image_prompt(color + 1, "nodisk"), timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    image = body["outputs"]["2"]["images"][0]
    stored = cluster.frontend_dir / "output" / image["subfolder"] / image["filename"]
    assert image["abs_path"] == str(stored) and stored.is_file()
    assert (cluster.worker_dir / "output" / image["filename"]).is_file()  # the worker wrote its own copy
    view = httpx.get(body["urls"][0], timeout=10)
    assert view.status_code == 200
    assert view.content == stored.read_bytes()
    assert _rgb_of_png(view.content)[1] == (0x33, 0x66, 0xCD)


def test_async_prompt_polling(cluster: Cluster) -> None:
    response = httpx.post(cluster.url("/api/v1/prompts"), json=sleep_prompt(0.5, 99), headers={"Prefer": "respond-async"}, timeout=10)
    assert response.status_code == 202
    location = response.headers["Location"]
    assert location == f"/api/v1/prompts/{response.json()['prompt_id']}"
    assert httpx.get(cluster.url(location), timeout=10).status_code == 204  # queued or running on the worker
    done = _wait_for(lambda: (r := httpx.get(cluster.url(location), timeout=10)).status_code == 200 and r, 30, "the async prompt")
    assert done.json()["3"]["text"] == ["99"]
    assert httpx.get(cluster.url("/api/v1/prompts/no-such-prompt"), timeout=10).status_code == 404


# -- extra_data -------------------------------------------------------------------------------------------


def test_extra_data_reaches_the_worker_but_not_its_secrets(cluster: Cluster) -> None:
    """The frontend forwards ``extra_data`` (``extra_pnginfo``: the workflow in saved PNGs) but not
    ComfyUI's sensitive keys (comfy.org credentials): a job sits in the broker, readable there."""
    workflow = {"id": f"wf-{uuid.uuid4().hex[:6]}", "nodes": [{"id": 1, "type": "ShowHidden"}], "links": []}
    extra_data = {"extra_pnginfo": {"workflow": workflow}, "api_key_comfy_org": "secret-key", "auth_token_comfy_org": "secret-token"}
    body = {"prompt": {"1": {"class_type": "ShowHidden", "inputs": {"salt": uuid.uuid4().int % 10_000}}}, "extra_data": extra_data}
    response = httpx.post(cluster.url("/prompt"), json=body, timeout=10)
    assert response.status_code == 200, response.text
    prompt_id = response.json()["prompt_id"]
    entry = _wait_for(lambda: httpx.get(cluster.url(f"/history/{prompt_id}"), timeout=10).json().get(prompt_id), 60, "history entry")
    assert entry["status"]["status_str"] == "success", entry["status"]
    seen = json.loads(entry["outputs"]["1"]["text"][0])
    assert seen == {"pnginfo": {"workflow": workflow}, "api_key": None, "auth_token": None}
    assert "secret" not in json.dumps(entry) and "secret" not in httpx.get(cluster.url("/queue"), timeout=10).text

    # SaveImage on the worker writes the workflow; the PNG the frontend serves carries it
    image_body = {"prompt": image_prompt(0x405060, "pnginfo"), "extra_data": {"extra_pnginfo": {"workflow": workflow}}}
    prompt_id = httpx.post(cluster.url("/prompt"), json=image_body, timeout=10).json()["prompt_id"]
    entry = _wait_for(lambda: httpx.get(cluster.url(f"/history/{prompt_id}"), timeout=10).json().get(prompt_id), 60, "history entry")
    (image,) = entry["outputs"]["2"]["images"]
    view = httpx.get(cluster.url("/view"), params={"filename": image["filename"], "subfolder": image["subfolder"], "type": "output"}, timeout=10)
    assert view.status_code == 200
    from PIL import Image

    with Image.open(io.BytesIO(view.content)) as png:
        png.load()
        assert json.loads(png.text["workflow"]) == workflow


# -- websocket progress ----------------------------------------------------------------------------------


def test_ws_progress_reaches_only_the_submitting_client(cluster: Cluster) -> None:
    from websockets.sync.client import connect

    ws_url = cluster.base_url.replace("http://", "ws://")
    with connect(f"{ws_url}/ws?clientId=alice") as alice, connect(f"{ws_url}/ws?clientId=bob") as bob:
        for socket_ in (alice, bob):
            assert json.loads(socket_.recv(timeout=10))["type"] == "status"
        response = httpx.post(cluster.url("/prompt"), json={"prompt": sleep_prompt(0.3, 4242), "client_id": "alice"}, timeout=10)
        assert response.status_code == 200, response.text
        prompt_id = response.json()["prompt_id"]
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = json.loads(alice.recv(timeout=60))
            events.append(message)
            if message["type"] == "executing" and message["data"]["node"] is None:
                break
        kinds = [m["type"] for m in events]
        for kind in ("execution_start", "executing", "progress", "executed", "execution_success"):
            assert kind in kinds, kinds
        assert kinds.index("execution_start") < kinds.index("progress") < kinds.index("execution_success")
        assert all(m["data"].get("prompt_id") == prompt_id for m in events if m["type"] not in ("status",))
        executed = next(m for m in events if m["type"] == "executed")
        assert executed["data"]["node"] == "3" and executed["data"]["output"]["text"] == ["4242"]
        # `executing null` comes after the history entry exists (the web UI reads it then)
        assert prompt_id in httpx.get(cluster.url(f"/history/{prompt_id}"), timeout=10).json()
        # bob saw queue status broadcasts only
        seen_by_bob: list[dict[str, Any]] = []
        while True:
            try:
                seen_by_bob.append(json.loads(bob.recv(timeout=0.5)))
            except TimeoutError:
                break
        assert {m["type"] for m in seen_by_bob} <= {"status"}


def test_ws_previews_are_relayed_as_comfyui_binary_frames(cluster: Cluster) -> None:
    """Previews travel as encoded images over the broker; the frontend sends each client the
    frame its feature flags ask for: type 4 (with metadata) or the legacy type 1."""
    import struct

    from PIL import Image
    from websockets.sync.client import connect

    ws_url = cluster.base_url.replace("http://", "ws://")
    prompt = {"1": {"class_type": "SendPreview", "inputs": {"size": 16}}, "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}
    for client_id, modern in (("dave", True), ("erin", False)):
        with connect(f"{ws_url}/ws?clientId={client_id}") as socket_:
            socket_.recv(timeout=10)  # status
            if modern:
                socket_.send(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
                assert json.loads(socket_.recv(timeout=10))["type"] == "feature_flags"
            prompt["1"]["inputs"]["size"] += 1  # a fresh run every time (no cache)
            response = httpx.post(cluster.url("/prompt"), json={"prompt": prompt, "client_id": client_id}, timeout=10)
            assert response.status_code == 200, response.text
            prompt_id = response.json()["prompt_id"]
            frames: list[bytes] = []
            while True:
                message = socket_.recv(timeout=60)
                if isinstance(message, bytes):
                    frames.append(message)
                elif json.loads(message)["type"] == "executing" and json.loads(message)["data"]["node"] is None:
                    break
            assert len(frames) == 2
            size = prompt["1"]["inputs"]["size"]
            for frame, (fmt, shape) in zip(frames, [("PNG", (size, size)), ("JPEG", (size, size // 2))], strict=True):
                kind = struct.unpack(">I", frame[:4])[0]
                if modern:
                    assert kind == 4
                    length = struct.unpack(">I", frame[4:8])[0]
                    metadata = json.loads(frame[8 : 8 + length])
                    assert metadata["node_id"] == "1" and metadata["prompt_id"] == prompt_id
                    assert metadata["image_type"] == f"image/{fmt.lower()}"
                    image_bytes = frame[8 + length :]
                else:
                    assert kind == 1 and struct.unpack(">I", frame[4:8])[0] == (2 if fmt == "PNG" else 1)
                    image_bytes = frame[8:]
                with Image.open(io.BytesIO(image_bytes)) as image:
                    assert image.format == fmt and image.size == shape


# -- cluster view, cancel, interrupt ---------------------------------------------------------------------


def test_queue_and_history_show_the_cluster(cluster: Cluster) -> None:
    """A prompt another client submits straight to the broker shows in this frontend's /queue
    while it runs and in its /history when it is done."""
    import asyncio

    from comfy.distributed.client import DistributedComfyClient

    prompt_id = str(uuid.uuid4())

    async def submit_elsewhere() -> dict[str, Any]:
        async with DistributedComfyClient(cluster.uri, cluster.queue) as client:
            await client.wait_for_workers(1)
            return await client.queue_prompt(sleep_prompt(1.5, 777), prompt_id=prompt_id)

    import threading

    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(asyncio.run(submit_elsewhere())))
    thread.start()
    try:
        def running() -> bool:
            queue = httpx.get(cluster.url("/queue"), timeout=10).json()
            return any(item[1] == prompt_id for item in queue["queue_running"])

        _wait_for(running, 30, "the other client's prompt in /queue")
        assert httpx.get(cluster.url("/prompt"), timeout=10).json()["exec_info"]["queue_remaining"] >= 1
        job = httpx.get(cluster.url(f"/api/jobs/{prompt_id}"), timeout=10).json()
        assert job["status"] == "in_progress"
    finally:
        thread.join(60)
    assert result["3"]["text"] == ["777"]
    entry = _wait_for(lambda: httpx.get(cluster.url(f"/history/{prompt_id}"), timeout=10).json().get(prompt_id), 10, "history entry")
    assert entry["status"]["status_str"] == "success"
    assert entry["outputs"]["3"]["text"] == ["777"]
    assert entry["prompt"][1] == prompt_id and entry["prompt"][2]["2"]["class_type"] == "TestSleep"


def test_queue_delete_and_interrupt_reach_the_worker(cluster: Cluster) -> None:
    from websockets.sync.client import connect

    ws_url = cluster.base_url.replace("http://", "ws://")
    with connect(f"{ws_url}/ws?clientId=carol") as carol:
        running = httpx.post(cluster.url("/prompt"), json={"prompt": until_interrupted_prompt(1), "client_id": "carol"}, timeout=10).json()["prompt_id"]
        queued = httpx.post(cluster.url("/prompt"), json={"prompt": image_prompt(0x010203, "deleted"), "client_id": "carol"}, timeout=10).json()["prompt_id"]

        def started() -> bool:
            queue = httpx.get(cluster.url("/queue"), timeout=10).json()
            return [i[1] for i in queue["queue_running"]] == [running] and [i[1] for i in queue["queue_pending"]] == [queued]

        _wait_for(started, 30, "one running and one pending prompt")
        assert httpx.post(cluster.url("/queue"), json={"delete": [queued]}, timeout=10).status_code == 200
        assert [i[1] for i in httpx.get(cluster.url("/queue"), timeout=10).json()["queue_pending"]] == []

        started_at = time.monotonic()
        assert httpx.post(cluster.url("/interrupt"), json={"prompt_id": running}, timeout=10).status_code == 200
        entry = _wait_for(lambda: httpx.get(cluster.url(f"/history/{running}"), timeout=10).json().get(running), 30, "the interrupted prompt's history")
        assert time.monotonic() - started_at < 30  # not the node's 60 s timeout
        assert entry["status"]["status_str"] == "error"
        assert any(m[0] == "execution_interrupted" for m in entry["status"]["messages"]), entry["status"]
        events: list[str] = []
        while True:
            try:
                events.append(json.loads(carol.recv(timeout=1))["type"])
            except TimeoutError:
                break
        assert "execution_interrupted" in events, [e for e in events if e != "status"]

    # The worker took the deleted prompt after the interrupted one and answered "cancelled"
    # without running it: no file, no history entry, and the worker is free for the next prompt.
    response = httpx.post(cluster.url("/api/v1/prompts"), json=image_prompt(0x040506, "after"), timeout=60)
    assert response.status_code == 200
    assert not list((cluster.worker_dir / "output").glob("deleted_*"))
    assert httpx.get(cluster.url(f"/history/{queued}"), timeout=10).json() == {}

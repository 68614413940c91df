"""STOMP clients of the job queue, against a real RabbitMQ (STOMP and Web-STOMP plugins) and a real
`comfyui-worker` process: plain STOMP with stomp-py, and the example page
(`comfy/distributed/stomp/index.html`) in headless Chromium.

A STOMP client needs no Python of ours: it SENDs a `comfy.job` to `/amq/queue/<queue>` with a
`reply-to` temp queue, subscribes to `/exchange/<queue>.progress/<client_id>` for the progress,
and gets the output file chunks and the `comfy.result` on the temp queue.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import queue as queue_module
import shutil
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from amqp_support import SYSTEM_URI, WorkerProcess, port_open, start_workers, teardown_cluster

pytestmark = [pytest.mark.amqp, pytest.mark.slow]

STOMP_PORT = 61613
WEB_STOMP_URL = "ws://127.0.0.1:15674/ws"


def _port_open(port: int) -> bool:
    return port_open(port)


@dataclass
class Worker:
    queue: str
    directory: Path


async def _wait_for_worker(uri: str, queue: str, timeout: float) -> None:
    from comfy.distributed.client import DistributedComfyClient

    async with DistributedComfyClient(uri, queue) as client:
        await client.wait_for_workers(1, timeout=timeout)


@pytest.fixture(scope="module")
def worker(amqp_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """One worker on the system broker (the one whose STOMP plugins listen on 127.0.0.1)."""
    if amqp_uri != SYSTEM_URI or not _port_open(STOMP_PORT):
        pytest.skip("the STOMP tests need the system RabbitMQ with its STOMP plugin on 127.0.0.1:61613")
    queue = f"test-stomp-{uuid.uuid4().hex[:8]}"
    workers: list[WorkerProcess] = []
    try:
        start_workers(amqp_uri, queue, tmp_path_factory.mktemp("stomp"), 1, started=workers)
        asyncio.run(_wait_for_worker(amqp_uri, queue, 60))  # announced: jobs on the base queue get routed
        yield Worker(queue, workers[0].workspace)
    finally:
        teardown_cluster(amqp_uri, queue, workers)  # nothing of test-stomp-* stays on the broker


def job_body(prompt: dict[str, Any], prompt_id: str, client_id: str) -> dict[str, Any]:
    return {"version": 1, "type": "comfy.job", "prompt_id": prompt_id, "prompt": prompt, "client_id": client_id, "extra_data": {}, "partial_execution_targets": None, "timeout": None}


def image_prompt(color: int, prefix: str) -> dict[str, Any]:
    return {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": color}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": prefix}},
    }


# -- plain STOMP (stomp-py) ------------------------------------------------------------------------


class _Collector:
    """A stomp-py listener that queues every frame."""

    def __init__(self) -> None:
        self.frames: queue_module.Queue[Any] = queue_module.Queue()
        self.receipts: queue_module.Queue[str] = queue_module.Queue()
        self.errors: list[Any] = []

    def on_message(self, frame: Any) -> None:
        self.frames.put(frame)

    def on_receipt(self, frame: Any) -> None:
        self.receipts.put(frame.headers.get("receipt-id", ""))

    def on_error(self, frame: Any) -> None:
        self.errors.append(frame)


def _run_over_stomp(worker: Worker, body: dict[str, Any], prompt_id: str, client_id: str) -> tuple[list[dict[str, Any]], list[Any], dict[str, Any]]:
    """Submit `body` over STOMP; returns (progress messages, file frames, result)."""
    import stomp

    connection = stomp.Connection([("127.0.0.1", STOMP_PORT)], auto_decode=False)
    collector = _Collector()
    connection.set_listener("collector", collector)
    connection.connect("guest", "guest", wait=True)
    try:
        connection.subscribe(f"/exchange/{worker.queue}.progress/{client_id}", id="progress", ack="auto", headers={"receipt": "subscribed"})
        assert collector.receipts.get(timeout=10) == "subscribed"
        connection.send(
            f"/amq/queue/{worker.queue}",
            json.dumps(body),
            content_type="application/json",
            headers={"reply-to": "/temp-queue/results", "correlation-id": prompt_id, "persistent": "true", "type": "comfy.job"},
        )
        progress: list[dict[str, Any]] = []
        files: list[Any] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            frame = collector.frames.get(timeout=max(0.1, deadline - time.monotonic()))
            kind = frame.headers.get("type")
            if kind == "comfy.progress":
                progress.append(json.loads(frame.body))
            elif kind == "comfy.file":
                files.append(frame)
            elif kind == "comfy.result":
                return progress, files, json.loads(frame.body)
        raise TimeoutError("no result over STOMP")
    finally:
        assert not collector.errors, [f.headers for f in collector.errors]
        connection.disconnect()


def test_stomp_py_job_progress_and_result(worker: Worker) -> None:
    from PIL import Image

    prompt_id, client_id = str(uuid.uuid4()), str(uuid.uuid4())
    progress, files, result = _run_over_stomp(worker, job_body(image_prompt(0x102030, "stomppy"), prompt_id, client_id), prompt_id, client_id)
    assert result["prompt_id"] == prompt_id and result["error"] is None
    assert result["status"]["status_str"] == "success"
    events = [p["event"] for p in progress]
    assert events[0] == "execution_start" and "executed" in events and events[-1] == "execution_success", events
    assert all(p["prompt_id"] == prompt_id for p in progress)
    # the PNG arrives as binary chunks (string headers name it), then the result describes it
    (record,) = result["files"]
    assert record["filename"].startswith("stomppy_") and record["type"] == "output"
    chunks = [f for f in files if f.headers.get("x-comfy-attempt") == result["attempt"]]
    assert [f.headers["x-comfy-filename"] for f in chunks] == [record["filename"]] * record["chunks"]
    data = b"".join(f.body for f in chunks)
    assert len(data) == record["size"] and hashlib.sha256(data).hexdigest() == record["sha256"]
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (8, 8) and image.convert("RGB").getpixel((3, 3)) == (0x10, 0x20, 0x30)


def test_stomp_py_reference_request_body(worker: Worker) -> None:
    """The reference implementation's STOMP body `{"request": {...}}` is answered as well."""
    prompt_id = str(uuid.uuid4())
    body = {"request": {"prompt_id": prompt_id, "user_token": "", "prompt": image_prompt(0x405060, "stompref")}}
    _, _, result = _run_over_stomp(worker, body, prompt_id, prompt_id)
    assert result["prompt_id"] == prompt_id and result["status"]["status_str"] == "success"
    assert result["outputs"]["2"]["images"][0]["filename"].startswith("stompref_")


def test_stomp_py_unknown_node_gets_an_error_reply(worker: Worker) -> None:
    prompt_id, client_id = str(uuid.uuid4()), str(uuid.uuid4())
    body = job_body({"1": {"class_type": "NoSuchNode", "inputs": {}}}, prompt_id, client_id)
    _, files, result = _run_over_stomp(worker, body, prompt_id, client_id)
    assert files == [] and result["outputs"] == {}
    assert result["status"]["status_str"] == "error"
    assert result["error"]["type"] in ("validation", "no_worker_for_nodes"), result["error"]


# -- the example page in Chromium (Web-STOMP) -----------------------------------------------------------


def _page_path() -> Path:
    import comfy.distributed

    for folder in comfy.distributed.__path__:
        candidate = Path(folder) / "stomp" / "index.html"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("comfy/distributed/stomp/index.html")


@pytest.fixture(scope="module")
def web_stomp_binary_frames() -> None:
    """Web-STOMP must send binary WebSocket frames for the page to receive images: with RabbitMQ's
    default text frames a PNG body is invalid UTF-8 and the browser drops the connection. Deploy
    with `web_stomp.ws_frame = binary` in rabbitmq.conf; here the test broker's listener is
    switched at run time (README, "Distributed (RabbitMQ)")."""
    if not _port_open(15674):
        pytest.skip("no Web-STOMP listener on 127.0.0.1:15674")
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        pytest.skip("rabbitmqctl is needed to switch Web-STOMP to binary frames")
    current = subprocess.run([rabbitmqctl, "eval", "application:get_env(rabbitmq_web_stomp, ws_frame)."], check=False, capture_output=True, text=True, timeout=60)
    if "binary" in current.stdout:
        return
    switch = "application:set_env(rabbitmq_web_stomp, ws_frame, binary), ok = application:stop(rabbitmq_web_stomp), application:start(rabbitmq_web_stomp)."
    done = subprocess.run([rabbitmqctl, "eval", switch], check=False, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        pytest.skip(f"cannot switch Web-STOMP to binary frames: {done.stderr or done.stdout}")
    deadline = time.monotonic() + 30
    while not _port_open(15674):
        if time.monotonic() > deadline:
            raise TimeoutError("Web-STOMP did not come back")
        time.sleep(0.1)


def _open_page(browser: Any, worker: Worker, prompt: dict[str, Any] | None = None) -> Any:
    query = {"ws": WEB_STOMP_URL, "queue": worker.queue, "autosubmit": "1"}
    if prompt is not None:
        query["prompt"] = json.dumps(prompt)
    page = browser.new_page()
    page.goto(_page_path().as_uri() + "?" + urllib.parse.urlencode(query))
    page.wait_for_function("window.comfyStomp.status === 'done' || window.comfyStomp.error !== null || /error/.test(window.comfyStomp.status)", timeout=90_000)
    return page


def test_browser_page_submits_and_shows_progress_and_image(worker: Worker, web_stomp_binary_frames: None) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = _open_page(browser, worker)
            state = page.evaluate("window.comfyStomp")
            assert state["status"] == "done" and state["error"] is None, state
            events = [e["event"] for e in state["events"]]
            assert events[:2] == ["queued", "execution_start"] and "executed" in events and events[-1] == "execution_success", events
            assert state["result"]["prompt_id"] == state["promptId"]
            (image,) = state["images"]
            assert image["filename"].startswith("stomp_")
            assert (worker.directory / "output" / image["filename"]).stat().st_size == image["size"]
            # the page decoded the PNG the worker sent: the default prompt is a 64x64 #FF8800 image
            pixel = page.evaluate(
                """() => { const img = document.querySelector('#images img'); const c = document.createElement('canvas');
                c.width = img.naturalWidth; c.height = img.naturalHeight; const g = c.getContext('2d'); g.drawImage(img, 0, 0);
                return [img.naturalWidth, img.naturalHeight, Array.from(g.getImageData(5, 5, 1, 1).data)]; }"""
            )
            assert pixel == [64, 64, [255, 136, 0, 255]]
            assert page.locator("#status").inner_text() == "done"

            failing = _open_page(browser, worker, {"1": {"class_type": "NoSuchNode", "inputs": {}}})
            state = failing.evaluate("window.comfyStomp")
            assert state["result"]["status"]["status_str"] == "error" and state["images"] == []
            assert "error" in failing.locator("#status").inner_text()
        finally:
            browser.close()

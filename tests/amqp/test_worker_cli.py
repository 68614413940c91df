"""The worker's command lines: `comfyui-worker` and `comfyui --distributed-queue-worker`, and the
output-file size threshold (`--distributed-queue-max-file-bytes`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from amqp_support import WORKER_SCRIPT, WorkerProcess, delete_cluster

from comfy.distributed.client import DistributedComfyClient

pytestmark = [pytest.mark.amqp]


def test_worker_needs_a_broker_uri(tmp_path: Path) -> None:
    done = subprocess.run([str(WORKER_SCRIPT), "--cwd", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--distributed-queue-connection-uri is required" in done.stderr


@pytest.mark.slow
async def test_comfyui_distributed_queue_worker(amqp_uri: str, queue_name: str, tmp_path: Path) -> None:
    comfyui = Path(sys.executable).with_name("comfyui")
    worker = WorkerProcess(amqp_uri, queue_name, tmp_path / "w", command=[str(comfyui), "--distributed-queue-worker"])
    try:
        worker.wait_healthy()
        async with DistributedComfyClient(amqp_uri, queue_name) as client:
            await client.wait_for_workers(1)
            assert await client.queue_prompt({"1": {"class_type": "TestIntOutput", "inputs": {"value": 11}}}) == {"1": {"value": [11]}}
        assert worker.terminate() == 0
    finally:
        worker.stop()
        delete_cluster(amqp_uri, queue_name, [q for q in [worker.capability_queue()] if q])


@pytest.mark.slow
async def test_files_over_the_threshold_stay_on_the_worker(amqp_uri: str, queue_name: str, tmp_path: Path) -> None:
    worker = WorkerProcess(amqp_uri, queue_name, tmp_path / "w", args=["--distributed-queue-max-file-bytes", "100"])
    try:
        worker.wait_healthy()
        prompt = {
            "1": {"class_type": "StubImage", "inputs": {"content": "NOISE", "height": 32, "width": 32, "batch_size": 1}},
            "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "big"}},
        }
        async with DistributedComfyClient(amqp_uri, queue_name) as client:
            await client.wait_for_workers(1)
            result = await client.queue_prompt_result(prompt, timeout=180)
        (image,) = result.outputs["2"]["images"]
        (record,) = result.raw["files"]
        assert record["stored"] is False and record["size"] > 100 and result.files == []
        assert (worker.workspace / "output" / image["filename"]).stat().st_size == record["size"]
    finally:
        worker.stop()
        delete_cluster(amqp_uri, queue_name, [q for q in [worker.capability_queue()] if q])

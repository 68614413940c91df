"""The worker's command lines: `comfyui-worker` and `comfyui --distributed-queue-worker`, and the
output-file size threshold (`--distributed-queue-max-file-bytes`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from amqp_support import WORKER_SCRIPT, WorkerProcess, delete_cluster, node_pack

from comfy.distributed.client import DistributedComfyClient, JobResult

pytestmark = [pytest.mark.amqp]


async def client_result(uri: str, queue: str, prompt: dict[str, Any]) -> JobResult:
    async with DistributedComfyClient(uri, queue) as client:
        await client.wait_for_workers(1)
        return await client.queue_prompt_result(prompt, timeout=120)


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


SAVE_TEXT_PACK = '''
import os
from comfy import folder_paths


class SaveTextFile:
    """Writes text to output/<name> and reports it as a file output (no torch)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"name": ("STRING", {"default": "a.txt"}), "size": ("INT", {"default": 10})}}

    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True
    CATEGORY = "testing"

    def run(self, name, size):
        path = os.path.join(folder_paths.get_output_directory(), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write("x" * size)
        return {"ui": {"files": [{"filename": name, "subfolder": "", "type": "output"}]}}


NODE_CLASS_MAPPINGS = {"SaveTextFile": SaveTextFile}
'''


@pytest.mark.slow
async def test_files_over_the_threshold_stay_on_the_worker(amqp_uri: str, queue_name: str, tmp_path: Path) -> None:
    worker = WorkerProcess(
        amqp_uri, queue_name, tmp_path / "w", args=["--distributed-queue-max-file-bytes", "100"], prepare=node_pack("save_text", SAVE_TEXT_PACK)
    )
    try:
        worker.wait_healthy()
        prompt = {"1": {"class_type": "SaveTextFile", "inputs": {"name": "big.txt", "size": 1000}}}
        async with DistributedComfyClient(amqp_uri, queue_name) as client:
            await client.wait_for_workers(1)
            result = await client.queue_prompt_result(prompt, timeout=180)
        assert result.outputs == {"1": {"files": [{"filename": "big.txt", "subfolder": "", "type": "output"}]}}
        (record,) = result.raw["files"]
        assert record["stored"] is False and record["size"] == 1000 and result.files == []
        assert (worker.workspace / "output" / "big.txt").stat().st_size == 1000
        # under the threshold the bytes travel
        small = await client_result(amqp_uri, queue_name, {"1": {"class_type": "SaveTextFile", "inputs": {"name": "small.txt", "size": 50}}})
        assert [(f.filename, f.data) for f in small.files] == [("small.txt", b"x" * 50)]
    finally:
        worker.stop()
        delete_cluster(amqp_uri, queue_name, [q for q in [worker.capability_queue()] if q])

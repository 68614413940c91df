"""Console progress: `comfyui --workflows` draws tqdm bars on stderr for checkpoint loading and sampling,
from the same `progress` events API clients receive."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from comfy.cmd.console_progress import ConsoleProgress

STEPS = 3


def workflow(ckpt: str) -> dict[str, Any]:
    return {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["1", 1]}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["1", 1]}},
        "4": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "5": {
            "class_type": "KSampler",
            "inputs": {
                "model": ["1", 0], "positive": ["2", 0], "negative": ["3", 0], "latent_image": ["4", 0], "seed": 1,
                "steps": STEPS, "cfg": 5.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0,
            },
        },  # fmt: skip
        "6": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["1", 2]}},
        "7": {"class_type": "PreviewImage", "inputs": {"images": ["6", 0]}},
    }


class Recorder:
    client_id = "recorder"

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def send_sync(self, event: str, data: Any, sid: Any = None) -> None:
        self.events.append((event, data))


def test_bars_follow_progress_events_and_pass_them_on() -> None:
    pytest.importorskip("tqdm")
    stream, inner = io.StringIO(), Recorder()
    console = ConsoleProgress(stream, inner=inner)
    events = [("executing", {"node": "5", "prompt_id": "p"})]
    events += [("progress", {"node": "5", "prompt_id": "p", "value": v, "max": 4}) for v in (1, 2, 3, 4)]
    events += [("executing", {"node": "6", "prompt_id": "p"}), ("progress", {"node": "6", "prompt_id": "p", "value": 1, "max": 2})]
    events += [("execution_success", {"prompt_id": "p"})]
    for event, data in events:
        console.send_sync(event, data, "sid")
    assert inner.events == [(e, d) for e, d in events]
    text = stream.getvalue()
    assert re.search(r"#5: 100%\|[^\r\n]*\| 4/4", text), text
    assert re.search(r"#6:  50%\|[^\r\n]*\| 1/2", text), text
    assert console._bars == {}


@pytest.fixture(scope="module")
def sd_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    from comfy_nodes_sd import tiny

    return tiny.make_checkpoint("sd15", tmp_path_factory.mktemp("ckpt") / "tiny_sd15.safetensors")


def _workspace(tmp_path: Path, checkpoint: Path) -> Path:
    folder = tmp_path / "models" / "checkpoints"
    folder.mkdir(parents=True)
    (folder / checkpoint.name).symlink_to(checkpoint)
    return tmp_path


async def test_loading_and_sampling_send_progress_events(tmp_path: Path, sd_checkpoint: Path) -> None:
    from comfy.cli_args_types import Configuration
    from comfy.client.embedded_comfy_client import Comfy

    _workspace(tmp_path, sd_checkpoint)
    recorder = Recorder()
    async with Comfy(configuration=Configuration(cwd=str(tmp_path), cpu=True)) as client:
        await client.queue_prompt(workflow(sd_checkpoint.name), progress_handler=recorder)
    progress = [(d["node"], d["value"], d["max"]) for e, d in recorder.events if e == "progress"]
    loading = [p for p in progress if p[0] == "1"]
    assert loading and loading[-1][1] == loading[-1][2] > 1 and len(loading) > 2
    assert [p for p in progress if p[0] == "5"] == [("5", i, STEPS) for i in range(1, STEPS + 1)]


@pytest.mark.slow
def test_comfyui_workflows_draws_bars_on_stderr(tmp_path: Path, sd_checkpoint: Path) -> None:
    pytest.importorskip("tqdm")
    _workspace(tmp_path, sd_checkpoint)
    (tmp_path / "wf.json").write_text(json.dumps(workflow(sd_checkpoint.name)))
    exe = Path(sys.executable).with_name("comfyui")
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    env["COMFYUI_LOGGING_LEVEL"] = "WARNING"
    proc = subprocess.run(
        [str(exe), "--cwd", str(tmp_path), "--cpu", "--workflows", "wf.json"],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "outputs" in json.loads(proc.stdout.splitlines()[-1])
    stderr = proc.stderr
    loading = re.findall(r"#1: 100%\|[^\r\n]*\| (\d+)/(\d+)", stderr)
    assert loading and loading[-1][0] == loading[-1][1], stderr
    assert re.search(rf"#5: 100%\|[^\r\n]*\| {STEPS}/{STEPS}", stderr), stderr

"""A workspace's packs through the ``comfyui`` command (the embedded client when it is installed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PACKS = Path(__file__).parent / "packs"

WORKFLOW = {
    "1": {"class_type": "V3CountUp", "inputs": {"n": 2}},
    "2": {"class_type": "V3ShowText", "inputs": {"value": ["1", 1]}},
    "3": {"class_type": "ExtGreeting", "inputs": {"name": "cli", "style": "loud"}},
    "4": {"class_type": "V3ShowText", "inputs": {"value": ["3", 0]}},
    "5": {"class_type": "EmptyImage", "inputs": {"width": 4, "height": 4, "batch_size": 1, "color": 0}},
    "6": {"class_type": "V1ScaleToSquare", "inputs": {"image": ["5", 0], "size": 2}},
    "7": {"class_type": "V1SaveSquare", "inputs": {"images": ["6", 0], "filename_prefix": "v1_pack/cli"}},
}


def test_comfyui_command_runs_custom_node_packs(tmp_path: Path) -> None:
    shutil.copytree(PACKS, tmp_path / "custom_nodes", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "wf.json").write_text(json.dumps(WORKFLOW))
    env = {**os.environ, "COMFYUI_LOGGING_LEVEL": "WARNING"}
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("comfyui")), "--cwd", str(tmp_path), "--workflows", "wf.json"],
        capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    [result] = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    outputs = result["outputs"]
    assert outputs["2"] == {"text": ["2@2:True"]} and outputs["4"] == {"text": ["HELLO CLI@4:True"]}
    assert [i["filename"] for i in outputs["7"]["images"]] == ["cli_00001_.png"]
    assert (tmp_path / "output" / "v1_pack" / "cli_00001_.png").is_file()
    assert "a_dependency_that_is_not_installed" in proc.stderr, "the broken pack is reported, the rest run"

"""`comfyui --workflows` runs through the embedded client when comfy-embedded is installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from embedded_support import write_pack

pytestmark = pytest.mark.slow


def test_workflows_run_in_the_embedded_clients_worker(tmp_path: Path) -> None:
    write_pack(tmp_path)
    good = {"1": {"class_type": "WhereAmI", "inputs": {"salt": 1}}}
    bad = {"1": {"class_type": "TestRaise", "inputs": {"message": "kaput"}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}
    exe = Path(sys.executable).with_name("comfyui")
    proc = subprocess.run(
        [str(exe), "--cwd", str(tmp_path), "--workflows", "-"],
        input=json.dumps(good) + json.dumps(bad) + json.dumps(good),
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "COMFYUI_LOGGING_LEVEL": "WARNING"},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    first, failed, last = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert first["outputs"]["1"]["thread"][0].startswith("comfy-embedded")
    assert failed["error"]["exception_message"] == "kaput\n" and failed["error"]["node_id"] == "1"
    assert last["outputs"]["1"]["thread"][0].startswith("comfy-embedded")

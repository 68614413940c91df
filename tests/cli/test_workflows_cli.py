"""`comfyui --workflows`: one JSON line per workflow on stdout, logs on stderr, exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

GOOD = {"1": {"class_type": "StubInt", "inputs": {"value": 4}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}
IMAGE = {
    "1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
    "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "cli/test"}},
}
BAD = {"1": {"class_type": "TestIntOutput", "inputs": {"value": "nope"}}}


def comfyui(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("comfyui")
    env = {**os.environ, "COMFYUI_LOGGING_LEVEL": "WARNING"}
    return subprocess.run(
        [str(exe), "--cwd", str(tmp_path), *args], input=stdin, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
    )


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_files_and_stdin(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps(GOOD))
    (tmp_path / "image.json").write_text(json.dumps(IMAGE))
    proc = comfyui(tmp_path, "--workflows", "good.json", "image.json", "-", stdin=json.dumps(GOOD) + "\n" + json.dumps(GOOD))
    assert proc.returncode == 0, proc.stderr
    results = lines(proc.stdout)
    assert len(results) == 4
    assert results[0]["outputs"] == {"2": {"value": [4]}}
    image = results[1]["outputs"]["2"]["images"][0]
    assert image["subfolder"] == "cli" and Path(image["abs_path"]).is_file()
    assert Path(image["abs_path"]).is_relative_to(tmp_path / "output")


@pytest.mark.parametrize(
    ("stdin", "error_type"),
    [
        (json.dumps(BAD), "prompt_outputs_failed_validation"),
        ('{"1": {"class_type": "Nope", "inputs": {}}}', "invalid_prompt"),
        ("[1, 2, 3]", "invalid_prompt"),
        ('{"nodes": [], "links": []}', "invalid_prompt"),
        (json.dumps(GOOD) + " {not json", "invalid_prompt"),
    ],
    ids=["validation", "unknown-node", "not-an-object", "ui-format", "malformed-after-good"],
)
def test_errors_print_comfyui_json_and_fail(tmp_path: Path, stdin: str, error_type: str) -> None:
    proc = comfyui(tmp_path, "--workflows", "-", stdin=stdin)
    assert proc.returncode == 1
    last = lines(proc.stdout)[-1]
    assert last["error"]["type"] == error_type
    assert set(last["error"]) == {"type", "message", "details", "extra_info"}


def test_execution_error_line(tmp_path: Path) -> None:
    prompt = {"1": {"class_type": "TestRaise", "inputs": {"message": "kaput"}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}
    proc = comfyui(tmp_path, "--workflows", "-", stdin=json.dumps(prompt))
    assert proc.returncode == 1
    [line] = lines(proc.stdout)
    assert line["error"]["exception_message"] == "kaput\n" and line["error"]["node_id"] == "1"

"""The remote client in a fresh virtual environment holding only aiohttp, comfy-api and
comfy-remote (no torch, numpy, PIL or Rust module), against a live server (issue 7)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from server_helpers import RunningServer, image_prompt

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    from comfy.client.aio_client import AsyncRemoteComfyClient, PromptValidationError

    async def main(url, prompt):
        async with AsyncRemoteComfyClient(server_address=url) as client:
            png = await client.queue_prompt(prompt)
            assert png.startswith(b"\\x89PNG"), png[:8]
            response = await client.queue_prompt_api(prompt)
            assert len(response.urls) == 2, response.urls
            outputs = await client.queue_prompt_ui(prompt)
            assert outputs["2"]["images"], outputs
            assert await client.len_queue() == 0
            task = client.queue_with_progress(prompt)
            events = [n.event async for n in task.progress()]
            assert events[0] == "execution_start" and events[-1] == "execution_success", events
            assert (await task.get()).outputs["2"]["images"]
            assert (await client.get_job(task.prompt_id))["status"] == "completed"
            assert task.prompt_id in [job["id"] for job in (await client.get_jobs(limit=100))["jobs"]]
            bad = dict(prompt, **{"1": dict(prompt["1"], inputs=dict(prompt["1"]["inputs"], content="NOPE"))})
            try:
                await client.queue_prompt(bad)
            except PromptValidationError as e:
                assert e.error["type"] == "prompt_outputs_failed_validation"
            else:
                raise AssertionError("no validation error")

    asyncio.run(main(sys.argv[1], json.loads(sys.argv[2])))
    heavy = [m for m in ("torch", "numpy", "PIL", "comfy._scheduler") if m in sys.modules]
    assert not heavy, heavy
    for name in ("torch", "numpy", "PIL", "starlette", "comfy_nodes_base"):
        try:
            __import__(name)
        except ImportError:
            pass
        else:
            raise AssertionError(name + " is installed in the fresh environment")
    print("remote-ok")
    """
)


def _find_uv() -> list[str] | None:
    """`uv` on PATH, else `python -m uv` of this or the base interpreter or of `python3`."""
    candidates: list[list[str]] = []
    if shutil.which("uv"):
        candidates.append([str(shutil.which("uv"))])
    for python in (sys.executable, getattr(sys, "_base_executable", sys.executable), shutil.which("python3")):
        if python:
            candidates.append([python, "-m", "uv"])
    for command in candidates:
        try:
            subprocess.run([*command, "--version"], check=True, capture_output=True)
        except (subprocess.CalledProcessError, OSError):
            continue
        return command
    return None


@pytest.mark.slow
def test_client_in_a_fresh_aiohttp_only_venv(server: RunningServer, tmp_path: Path) -> None:
    import json

    venv = tmp_path / "venv"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    uv = _find_uv()
    if uv is None:
        pytest.skip("uv is not available")
    subprocess.run([*uv, "venv", "-q", str(venv)], check=True)
    subprocess.run(
        [*uv, "pip", "install", "-q", "--python", str(python), str(ROOT / "packages/comfy-api"), str(ROOT / "packages/comfy-remote")],
        check=True,
    )
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [str(python), "-W", "error", "-c", SCRIPT, server.url, json.dumps(image_prompt("fresh-venv"))],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "remote-ok" in result.stdout

"""Health, readiness, resilience (the server keeps serving after bad input), graceful shutdown
(503 for waiting and new prompts), and the `comfyui` command serving over HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import RunningServer, blocking_prompt, int_prompt, raise_prompt, wait_until

from comfy.server.main import bind_sockets


def test_health_and_ready(http: httpx.Client) -> None:
    assert http.get("/health").json() == {"status": "ok"}
    assert http.head("/health").status_code == 200
    ready = http.get("/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["nodes"] > 10 and body["workers"] == 1
    assert http.get("/api/ready").status_code == 200


def test_unknown_route_is_404(http: httpx.Client) -> None:
    assert http.get("/no/such/route").status_code == 404


@pytest.mark.parametrize(
    "bad",
    [
        b"{not json",
        b"\xff\xfe",
        b"[" * 100_000 + b"]" * 100_000,
        json.dumps({"1": {"class_type": "NoSuchNode", "inputs": {}}, "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}).encode(),
        json.dumps(
            {
                "1": {"class_type": "TestIdentity", "inputs": {"value": ["2", 0]}},
                "2": {"class_type": "TestIdentity", "inputs": {"value": ["1", 0]}},
                "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
            }
        ).encode(),
        json.dumps({"1": {"class_type": "PreviewAny", "inputs": {"source": ["9", 0]}}}).encode(),
        json.dumps({"1": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0, 0]}}}).encode(),
        json.dumps({"1": None}).encode(),
        json.dumps("a string").encode(),
    ],
    ids=["malformed", "not-utf8", "deep", "unknown-node", "cycle", "missing-link", "bad-link", "null-node", "string"],
)
def test_server_keeps_serving_after_bad_input(http: httpx.Client, bad: bytes) -> None:
    for path in ("/api/v1/prompts", "/prompt"):
        body = bad if path == "/api/v1/prompts" or not bad.startswith((b"{", b"[")) else b'{"prompt": ' + bad + b"}"
        response = http.post(path, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (path, response.text)
        error = response.json()
        error = error.get("error", error)
        assert set(error) >= {"type", "message", "details"}
    assert http.post("/api/v1/prompts", json=int_prompt(901)).status_code == 200


def test_cycle_is_a_validation_error(http: httpx.Client) -> None:
    cycle = {
        "1": {"class_type": "TestIdentity", "inputs": {"value": ["2", 0]}},
        "2": {"class_type": "TestIdentity", "inputs": {"value": ["1", 0]}},
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
    }
    error = http.post("/prompt", json={"prompt": cycle}).json()
    assert any(e["type"] == "dependency_cycle" for n in error["node_errors"].values() for e in n["errors"])


def test_server_keeps_serving_after_a_node_raises(http: httpx.Client) -> None:
    for i in range(3):
        assert http.post("/api/v1/prompts", json=raise_prompt(f"raise {i}")).status_code == 500
    assert http.post("/api/v1/prompts", json=int_prompt(902)).json()["outputs"]["2"] == {"text": ["902"]}


def test_concurrent_sync_requests(http: httpx.Client, server: RunningServer) -> None:
    results: list[Any] = [None] * 16

    def one(i: int) -> None:
        with server.client() as client:
            results[i] = client.post("/api/v1/prompts", json=int_prompt(1000 + i)).json()["outputs"]["2"]["text"]

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [[str(1000 + i)] for i in range(len(results))]


def test_max_workers_runs_prompts_side_by_side(make_server: Any) -> None:
    running = make_server(max_workers=2)
    with running.client() as http:
        first = http.post("/prompt", json={"prompt": blocking_prompt(61)}).json()["prompt_id"]
        wait_until(lambda: first in running.state.queue.running_ids())
        # the second worker still answers while the first is blocked
        assert http.post("/api/v1/prompts", json=int_prompt(62)).json()["outputs"]["2"] == {"text": ["62"]}
        http.post("/interrupt", json={"prompt_id": first})
        wait_until(lambda: http.get(f"/history/{first}").json())


def test_graceful_shutdown_answers_waiting_requests_with_503(make_server: Any) -> None:
    running = make_server()
    answers: dict[str, int] = {}

    def wait_for(name: str, prompt: dict[str, Any]) -> None:
        with running.client() as client:
            answers[name] = client.post("/api/v1/prompts", json=prompt).status_code

    running_thread = threading.Thread(target=wait_for, args=("running", blocking_prompt(71)))
    running_thread.start()
    wait_until(lambda: running.state.queue.running_ids())
    pending_thread = threading.Thread(target=wait_for, args=("pending", int_prompt(72)))
    pending_thread.start()
    wait_until(lambda: running.state.queue.pending_count == 1)
    started = time.monotonic()
    running.stop()
    running_thread.join(20)
    pending_thread.join(20)
    assert answers == {"running": 503, "pending": 503}
    assert time.monotonic() - started < 10
    assert not running.state.queue.alive


def test_new_prompts_are_503_while_shutting_down(make_server: Any) -> None:
    running = make_server()
    running.state.shutting_down = True
    with running.client() as http:
        assert http.post("/api/v1/prompts", json=int_prompt()).status_code == 503
        assert http.post("/prompt", json={"prompt": int_prompt()}).status_code == 503
        assert http.get("/ready").status_code == 503
        assert http.get("/health").status_code == 200


def test_bind_sockets_port_zero_and_several_addresses() -> None:
    sockets = bind_sockets("127.0.0.1", 0)
    try:
        assert len(sockets) == 1 and sockets[0].getsockname()[1] > 0
    finally:
        for s in sockets:
            s.close()


@pytest.mark.slow
def test_comfyui_command_serves_and_shuts_down(tmp_path: Path) -> None:
    """`comfyui --cwd DIR --port 0`: empties temp at start-up, serves, stops on SIGTERM."""
    (tmp_path / "temp").mkdir()
    (tmp_path / "temp" / "stale.png").write_bytes(b"old preview")
    executable = Path(sys.executable).with_name("comfyui")
    process = subprocess.Popen(
        [str(executable), "--cwd", str(tmp_path), "--port", "0", "--disable-all-custom-nodes"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert process.stderr is not None
        url = None
        deadline = time.monotonic() + 60
        lines = []
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"To see the GUI go to: (http://\S+)", line)
            if match:
                url = match.group(1)
        assert url is not None, "".join(lines)
        assert url.startswith("http://127.0.0.1:")
        assert not (tmp_path / "temp" / "stale.png").exists()
        with httpx.Client(base_url=url, timeout=30) as http:
            assert wait_until(lambda: http.get("/health").status_code == 200)
            assert http.post("/api/v1/prompts", json=int_prompt(81)).json()["outputs"]["2"] == {"text": ["81"]}
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()

"""`GET /api/jobs`, `GET /api/jobs/{id}`, `POST /history` and `GET /view_metadata/{folder}` against a
live server (spec/api.md §6)."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import RunningServer, blocking_prompt, int_prompt, raise_prompt, wait_until

JOB_KEYS = {"id", "status", "priority", "create_time", "outputs_count"}


def submit(http: httpx.Client, prompt: dict[str, Any], **extra: Any) -> str:
    response = http.post("/prompt", json={"prompt": prompt, **extra})
    assert response.status_code == 200, response.text
    time.sleep(0.01)  # distinct create_time (ms)
    return response.json()["prompt_id"]


def finished(http: httpx.Client, *ids: str) -> None:
    wait_until(lambda: all(http.get(f"/history/{i}").json() for i in ids))


def jobs(http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = http.get("/api/jobs", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_jobs_list_filters_sorting_and_pagination(make_server: Any) -> None:
    running: RunningServer = make_server()
    with running.client() as http:
        assert jobs(http) == {"jobs": [], "pagination": {"offset": 0, "limit": None, "total": 0, "has_more": False}}
        workflow = {"extra_pnginfo": {"workflow": {"id": "wf-1"}}}
        ok = [submit(http, int_prompt(600 + i), extra_data=workflow if i == 0 else {}) for i in range(3)]
        bad = submit(http, raise_prompt("jobs boom"))
        finished(http, *ok, bad)
        blocker = submit(http, blocking_prompt(601))
        wait_until(lambda: blocker in running.state.queue.running_ids())
        waiting = submit(http, int_prompt(699))
        try:
            body = jobs(http)
            assert [j["id"] for j in body["jobs"]] == [waiting, blocker, bad, *reversed(ok)]
            assert body["pagination"] == {"offset": 0, "limit": None, "total": 6, "has_more": False}
            by_id = {j["id"]: j for j in body["jobs"]}
            for job in body["jobs"]:
                assert JOB_KEYS <= set(job) and isinstance(job["create_time"], int)
                assert "outputs" not in job and "workflow" not in job
            assert by_id[waiting]["status"] == "pending" and "execution_start_time" not in by_id[waiting]
            assert by_id[blocker]["status"] == "in_progress" and isinstance(by_id[blocker]["execution_start_time"], int)
            assert by_id[bad]["status"] == "failed" and "jobs boom" in by_id[bad]["execution_error"]["exception_message"]
            done = by_id[ok[0]]
            assert done["status"] == "completed" and done["workflow_id"] == "wf-1" and done["outputs_count"] >= 1
            assert done["execution_end_time"] >= done["execution_start_time"] >= done["create_time"]
            assert "workflow_id" not in by_id[ok[1]]

            assert [j["id"] for j in jobs(http, sort_order="asc")["jobs"]] == [*ok, bad, blocker, waiting]
            assert {j["id"] for j in jobs(http, status="completed")["jobs"]} == set(ok)
            assert {j["id"] for j in jobs(http, status="pending,in_progress")["jobs"]} == {waiting, blocker}
            assert [j["id"] for j in jobs(http, status="failed")["jobs"]] == [bad]
            assert [j["id"] for j in jobs(http, workflow_id="wf-1")["jobs"]] == [ok[0]]
            assert jobs(http, workflow_id="nope")["jobs"] == []
            durations = [j["execution_end_time"] - j["execution_start_time"] for j in jobs(http, status="completed,failed", sort_by="execution_duration")["jobs"]]
            assert durations == sorted(durations, reverse=True)
            asc = [j["execution_end_time"] - j["execution_start_time"] for j in jobs(http, status="completed,failed", sort_by="execution_duration", sort_order="asc")["jobs"]]
            assert asc == sorted(asc)

            page = jobs(http, limit=2, offset=1)
            assert [j["id"] for j in page["jobs"]] == [blocker, bad]
            assert page["pagination"] == {"offset": 1, "limit": 2, "total": 6, "has_more": True}
            last = jobs(http, limit=2, offset=4)
            assert [j["id"] for j in last["jobs"]] == list(reversed(ok))[1:]
            assert last["pagination"]["has_more"] is False
            assert jobs(http, offset=10)["jobs"] == []
        finally:
            http.post("/interrupt")
        finished(http, blocker, waiting)
        cancelled = jobs(http, status="cancelled")["jobs"]
        assert [j["id"] for j in cancelled] == [blocker]
        assert http.get(f"/api/jobs/{blocker}").json()["status"] == "cancelled"


@pytest.mark.parametrize(
    "params",
    [
        {"status": "done"},
        {"status": "completed,bogus"},
        {"sort_by": "name"},
        {"sort_order": "up"},
        {"limit": "x"},
        {"limit": 0},
        {"offset": -1},
        {"offset": "1.5"},
    ],
)
def test_jobs_bad_params(http: httpx.Client, params: dict[str, Any]) -> None:
    response = http.get("/api/jobs", params=params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]


def test_job_detail_and_not_found(http: httpx.Client) -> None:
    extra = {"extra_pnginfo": {"workflow": {"id": "wf-detail"}}}
    prompt_id = submit(http, int_prompt(700), extra_data=extra)
    finished(http, prompt_id)
    job = http.get(f"/api/jobs/{prompt_id}").json()
    assert job["id"] == prompt_id and job["status"] == "completed" and job["workflow_id"] == "wf-detail"
    assert job["outputs"] == http.get(f"/history/{prompt_id}").json()[prompt_id]["outputs"]
    assert job["execution_status"]["status_str"] == "success"
    assert job["workflow"]["prompt"] == int_prompt(700)
    assert job["workflow"]["extra_data"]["extra_pnginfo"] == extra["extra_pnginfo"]
    assert job["outputs_count"] == sum(len(v) for out in job["outputs"].values() for k, v in out.items() if isinstance(v, list))
    missing = http.get("/api/jobs/no-such-job")
    assert missing.status_code == 404 and missing.json() == {"error": "Job not found"}
    # /api/jobs is not prefixed twice
    assert http.get("/api/api/jobs").status_code == 404


def test_post_history_delete_and_clear(make_server: Any) -> None:
    running: RunningServer = make_server()
    with running.client() as http:
        ids = [submit(http, int_prompt(800 + i)) for i in range(3)]
        finished(http, *ids)
        assert http.post("/history", json={"delete": [ids[0]]}).status_code == 200
        assert list(http.get("/history").json()) == ids[1:]
        assert http.get(f"/api/jobs/{ids[0]}").status_code == 404
        assert http.post("/api/history", json={"clear": True}).status_code == 200
        assert http.get("/history").json() == {}
        assert jobs(http)["pagination"]["total"] == 0


# --- /view_metadata ------------------------------------------------------------------------------


def write_safetensors(path: Path, metadata: dict[str, str] | None) -> None:
    import torch
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({"weight": torch.zeros(4, 4)}, str(path), metadata=metadata)


def test_view_metadata(server: RunningServer, http: httpx.Client) -> None:
    checkpoints = server.workspace / "models" / "checkpoints"
    metadata = {"modelspec.title": "tiny", "ss_network_dim": "4"}
    write_safetensors(checkpoints / "tiny.safetensors", metadata)
    write_safetensors(checkpoints / "sub" / "nested.safetensors", {"k": "v"})
    write_safetensors(checkpoints / "bare.safetensors", None)
    for prefix in ("", "/api"):
        response = http.get(f"{prefix}/view_metadata/checkpoints", params={"filename": "tiny.safetensors"})
        assert response.status_code == 200 and response.json() == metadata
    assert http.get("/view_metadata/checkpoints", params={"filename": "sub/nested.safetensors"}).json() == {"k": "v"}
    # missing: file, folder, metadata, filename, extension
    assert http.get("/view_metadata/checkpoints", params={"filename": "nope.safetensors"}).status_code == 404
    assert http.get("/view_metadata/no_such_folder", params={"filename": "tiny.safetensors"}).status_code == 404
    assert http.get("/view_metadata/loras", params={"filename": "tiny.safetensors"}).status_code == 404
    assert http.get("/view_metadata/checkpoints", params={"filename": "bare.safetensors"}).status_code == 404
    assert http.get("/view_metadata/checkpoints").status_code == 404
    (checkpoints / "tiny.ckpt").write_bytes(b"x")
    assert http.get("/view_metadata/checkpoints", params={"filename": "tiny.ckpt"}).status_code == 404


def test_view_metadata_refuses_escapes_and_bad_headers(server: RunningServer, http: httpx.Client) -> None:
    checkpoints = server.workspace / "models" / "checkpoints"
    outside = server.workspace / "outside.safetensors"
    write_safetensors(outside, {"secret": "yes"})
    for name in ("../../outside.safetensors", str(outside), "sub/../../../outside.safetensors"):
        response = http.get("/view_metadata/checkpoints", params={"filename": name})
        assert response.status_code in (400, 403), name
        assert "secret" not in response.text
    # a header claiming more than 100 MB is refused without reading it
    checkpoints.mkdir(parents=True, exist_ok=True)
    (checkpoints / "huge.safetensors").write_bytes(struct.pack("<Q", 200 * 1024 * 1024) + b"{}")
    assert http.get("/view_metadata/checkpoints", params={"filename": "huge.safetensors"}).status_code == 400
    (checkpoints / "garbage.safetensors").write_bytes(struct.pack("<Q", 5) + b"nojsn")
    assert http.get("/view_metadata/checkpoints", params={"filename": "garbage.safetensors"}).status_code == 400
    header = json.dumps({"__metadata__": {"a": "b"}}).encode()
    (checkpoints / "headeronly.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    assert http.get("/view_metadata/checkpoints", params={"filename": "headeronly.safetensors"}).json() == {"a": "b"}

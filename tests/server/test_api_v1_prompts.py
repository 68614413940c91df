"""`/api/v1/prompts` (spec/api.md §5, §6.3, §10 items 9-10), and the seed's REST examples verbatim."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import RunningServer, blocking_prompt, image_prompt, int_prompt, raise_prompt, wait_until

from comfy.server.routes.prompts import choose_media_type, unwrap_prompt

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def post(http: httpx.Client, body: Any, accept: str | None = "application/json", **headers: str) -> httpx.Response:
    if accept is not None:
        headers["Accept"] = accept
    return http.post("/api/v1/prompts", content=json.dumps(body), headers={"Content-Type": "application/json", **headers})


# --- the seed's examples, verbatim ------------------------------------------------------------


def test_seed_python_requests_snippet(server: RunningServer) -> None:
    """The README's Python example, with the workflow's "..." filled in by a runnable one."""
    import requests

    url = "http://localhost:8188/api/v1/prompts".replace("http://localhost:8188", server.url)
    headers = {
        "Content-Type": "application/json",
        "Accept": "image/png"
    }
    workflow = image_prompt("seed_requests")
    payload = {"prompt": workflow}
    response = requests.post(url, json=payload, headers=headers)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(PNG_MAGIC)
    assert response.headers["Content-Disposition"] == 'filename="seed_requests_00001_.png"'


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_seed_curl_command(server: RunningServer, tmp_path: Path) -> None:
    """The README's curl command (`-d '{"prompt": {...}}'`, `-o output.png`)."""
    body = json.dumps({"prompt": image_prompt("seed_curl")}, indent=1)
    command = [
        "curl", "-X", "POST", f"{server.url}/api/v1/prompts",
        "-H", "Content-Type: application/json",
        "-H", "Accept: image/png",
        "-o", "output.png",
        "-d", body,
        "--silent", "--show-error", "--fail",
    ]  # fmt: skip
    subprocess.run(command, cwd=tmp_path, check=True, timeout=60)
    assert (tmp_path / "output.png").read_bytes().startswith(PNG_MAGIC)


# --- POST: success ------------------------------------------------------------------------------


def test_png_with_digest_location_and_disposition(http: httpx.Client, server: RunningServer) -> None:
    prompt = image_prompt("png_headers")
    response = post(http, prompt, accept="image/png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_MAGIC)
    digest = hashlib.sha256(json.dumps(prompt, separators=(",", ":")).encode()).hexdigest()
    assert response.headers["Digest"] == f"SHA-256={digest}"
    location = response.headers["Location"]
    assert location.startswith("/api/v1/prompts/")
    assert response.headers["Content-Disposition"] == 'filename="png_headers_00001_.png"'
    # the Location answers with the outputs
    outputs = http.get(location).json()
    assert outputs["2"]["images"][0]["filename"] == "png_headers_00001_.png"


@pytest.mark.parametrize(
    "accept",
    ["application/json", "*/*", "text/html;q=0.9, application/json;q=0.8", "image/png;q=0.1, application/json", None],
)
def test_json_answer(http: httpx.Client, accept: str | None) -> None:
    response = post(http, image_prompt("json_answer"), accept=accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"urls", "outputs", "prompt_id"}
    image = body["outputs"]["2"]["images"][0]
    assert set(image) >= {"abs_path", "filename", "subfolder", "type"}
    assert Path(image["abs_path"]).is_file()
    assert len(body["urls"]) == 2
    for url in body["urls"]:
        parts = urllib.parse.urlsplit(url)
        assert parts.hostname in ("localhost", "127.0.0.1", "::1") and parts.path == "/view"
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        assert query["type"] == ["output"] and "subfolder" in query
        assert query["filename"] == [image["filename"]]
        fetched = http.get(url)
        assert fetched.status_code in (200, 404)  # /view belongs to the files module
        if fetched.status_code == 200:
            assert fetched.headers["content-type"] == "image/png"


def test_accept_with_q_values_prefers_png(http: httpx.Client) -> None:
    response = post(http, image_prompt("q_values"), accept="application/json;q=0.5, image/png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"


def test_bare_prompt_with_a_node_named_prompt() -> None:
    bare = {"prompt": {"class_type": "PreviewAny", "inputs": {"source": 1}}}
    assert unwrap_prompt(bare) == (bare, {})
    wrapped = {"prompt": int_prompt(), "client_id": "x"}
    assert unwrap_prompt(wrapped)[0] == int_prompt()


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/json+respond-async", "application/json"),
        ("image/*", "image/png"),
        ("image/png; q=0.2, application/json; q=0.9", "application/json"),
        ("application/json;q=0, image/png", "image/png"),
        ("text/html", None),
        ("image/jpeg", None),
    ],
)
def test_choose_media_type(accept: str | None, chosen: str | None) -> None:
    assert choose_media_type(accept) == chosen


def test_no_images(http: httpx.Client) -> None:
    png = post(http, int_prompt(5), accept="image/png")
    assert png.status_code == 204 and png.content == b""
    as_json = post(http, int_prompt(6))
    assert as_json.status_code == 200  # the documented contract (the reference answers 204 here)
    assert as_json.json()["urls"] == [] and as_json.json()["outputs"]["2"] == {"text": ["6"]}


def test_multipart_prompt_and_input_files(http: httpx.Client, server: RunningServer) -> None:
    """A real multipart body (with its boundary): the prompt part plus a file for LoadImage."""
    png = post(http, image_prompt("for_upload"), accept="image/png").content
    prompt = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "uploaded_input.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "from_upload"}},
    }
    files = {
        "prompt": ("prompt.json", json.dumps({"prompt": prompt}), "application/json"),
        "uploaded_input.png": ("uploaded_input.png", png, "image/png"),
    }
    response = http.post("/api/v1/prompts", files=files, headers={"Accept": "image/png"})
    assert response.status_code == 200, response.text
    assert response.content.startswith(PNG_MAGIC)
    assert (server.workspace / "input" / "uploaded_input.png").read_bytes() == png


def test_multipart_prompt_as_text_field(http: httpx.Client) -> None:
    response = http.post("/api/v1/prompts", data={"prompt": json.dumps(int_prompt(9))}, files={"x": ("x.txt", b"x", "text/plain")})
    assert response.status_code == 200 and response.json()["outputs"]["2"] == {"text": ["9"]}


def test_multipart_file_name_cannot_escape(http: httpx.Client, server: RunningServer) -> None:
    files = {"prompt": (None, json.dumps(int_prompt())), "f": ("../escape.png", b"x", "image/png")}
    response = http.post("/api/v1/prompts", files=files)
    assert response.status_code == 400
    assert not (server.workspace / "escape.png").exists()


def test_disk_full_while_storing_an_upload(http: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import comfy.server.routes.prompts as prompts

    def full(path: str, upload: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(prompts, "_save_upload", full)
    files = {"prompt": (None, json.dumps(int_prompt())), "f": ("a.png", b"x", "image/png")}
    assert http.post("/api/v1/prompts", files=files).status_code == 507


def test_disk_full_while_running_is_507(http: httpx.Client) -> None:
    response = post(http, {"1": {"class_type": "DiskFull", "inputs": {"seed": 1}}})
    assert response.status_code == 507
    assert response.json()["error_details"]["exception_type"] == "OSError"


# --- POST: errors -------------------------------------------------------------------------------


def test_validation_error_is_the_error_dict(http: httpx.Client) -> None:
    prompt = image_prompt()
    prompt["1"]["inputs"]["content"] = "sd_xl_base_1.0.safetensors"
    response = post(http, prompt)
    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "prompt_outputs_failed_validation"
    assert "sd_xl_base_1.0.safetensors" in error["details"] or "sd_xl_base_1.0.safetensors" in json.dumps(error)
    extra = error["extra_info"]
    assert extra["exception_type"] and isinstance(extra["traceback"], list)
    node = extra["node_errors"]["1"]
    assert node["errors"][0]["type"] == "value_not_in_list"
    assert node["class_type"] == "StubImage" and node["dependent_outputs"] == ["2"]


@pytest.mark.parametrize(
    ("body", "type_"),
    [
        ({}, "no_prompt"),
        ({"prompt": {}}, "no_prompt"),
        ({"1": {"class_type": "NoSuchNode", "inputs": {}}}, "invalid_prompt"),
        ({"1": {"class_type": "PrimitiveInt", "inputs": {"value": 1}}}, "prompt_no_outputs"),
        ([1, 2], "invalid_prompt"),
    ],
)
def test_bad_prompts_are_400(http: httpx.Client, body: Any, type_: str) -> None:
    response = post(http, body)
    assert response.status_code == 400
    assert response.json()["type"] == type_


def test_malformed_json_is_400(http: httpx.Client) -> None:
    response = http.post("/api/v1/prompts", content=b'{"1": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"] == "Cannot parse the request body as JSON"


def test_unsupported_accept_is_400(http: httpx.Client) -> None:
    assert post(http, int_prompt(), accept="text/html").status_code == 400


def test_execution_error_is_500_with_the_status(http: httpx.Client) -> None:
    response = post(http, raise_prompt("it broke"))
    assert response.status_code == 500
    status = response.json()
    assert status["status_str"] == "error" and status["completed"] is False
    assert status["messages"] and any("it broke" in m for m in status["messages"])
    assert status["error_details"]["node_id"] == "1"
    assert status["error_details"]["exception_type"] == "RuntimeError"


# --- async mode and polling ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "how",
    [
        {"headers": {"Prefer": "respond-async"}},
        {"headers": {"Accept": "application/json+respond-async"}},
        {"headers": {"Content-Type": "application/json+respond-async"}},
        {"params": {"prefer": "respond-async"}},
    ],
    ids=["prefer", "accept", "content-type", "query"],
)
def test_async_mode(http: httpx.Client, how: dict[str, Any]) -> None:
    headers = {"Content-Type": "application/json", "Accept": "application/json", **how.get("headers", {})}
    response = http.post("/api/v1/prompts", content=json.dumps(image_prompt("async")), headers=headers, params=how.get("params"))
    assert response.status_code == 202
    prompt_id = response.json()["prompt_id"]
    assert response.headers["Location"] == f"/api/v1/prompts/{prompt_id}"
    assert int(response.headers["Retry-After"]) >= 0
    done = wait_until(lambda: (r := http.get(response.headers["Location"])).status_code != 204 and r)
    assert done.status_code == 200
    outputs = done.json()
    assert set(outputs) == {"2"} and "prompt" not in outputs and "status" not in outputs


def test_polling_running_failed_and_unknown(http: httpx.Client, server: RunningServer) -> None:
    response = http.post(
        "/api/v1/prompts", content=json.dumps(blocking_prompt(11)), headers={"Prefer": "respond-async", "Content-Type": "application/json"}
    )
    location = response.headers["Location"]
    wait_until(lambda: server.state.queue.running_ids())
    assert http.get(location).status_code == 204
    http.post("/interrupt", json={})
    failed = wait_until(lambda: (r := http.get(location)).status_code != 204 and r)
    assert failed.status_code == 500
    assert failed.json()["status_str"] == "error"
    assert http.get("/api/v1/prompts/no-such-prompt").status_code == 404


def test_last_prompt(make_server: Any) -> None:
    running = make_server()
    with running.client() as http:
        assert http.get("/api/v1/prompts").status_code == 404
        post(http, int_prompt(21))
        prompt = int_prompt(22)
        post(http, prompt)
        last = http.get("/api/v1/prompts")
        assert last.status_code == 200 and last.json() == prompt
        # prompts queued through /prompt share the history
        http.post("/prompt", json={"prompt": int_prompt(23)})
        wait_until(lambda: http.get("/api/v1/prompts").json() == int_prompt(23))

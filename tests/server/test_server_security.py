"""Security and limits: 413 body size, 400 prompt size, 403 cross-origin, CORS, 401 API key, 429."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from server_helpers import RunningServer, blocking_prompt, int_prompt, wait_until
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from comfy.server.security import check_prompt_limits, is_loopback


# --- request size -------------------------------------------------------------------------------


def test_body_over_max_upload_size_is_413(make_server: Any) -> None:
    running = make_server(max_upload_size=0.001)  # 1,048 bytes
    big = {"prompt": int_prompt(), "padding": "x" * 2000}
    with running.client() as http:
        response = http.post("/api/v1/prompts", content=json.dumps(big), headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert response.json()["type"] == "request_too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while streaming
            yield json.dumps(big).encode()

        streamed = http.post("/prompt", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413
        files = {"prompt": (None, json.dumps(int_prompt())), "f": ("big.png", b"x" * 5000, "image/png")}
        assert http.post("/api/v1/prompts", files=files).status_code == 413
        # small requests still pass
        assert http.post("/api/v1/prompts", json=int_prompt(3)).status_code == 200


# --- prompt size --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "prompt"),
    [
        ({"max_prompt_nodes": 1}, int_prompt()),
        ({"max_string_length": 10}, {"1": {"class_type": "PreviewAny", "inputs": {"source": "y" * 11}}}),
        ({"max_string_length": 10}, {"k" * 11: {"class_type": "PreviewAny", "inputs": {"source": "y"}}}),
    ],
    ids=["nodes", "string", "node-id"],
)
def test_prompt_size_limits(make_server: Any, options: dict[str, Any], prompt: dict[str, Any]) -> None:
    running = make_server(**options)
    with running.client() as http:
        v1 = http.post("/api/v1/prompts", json=prompt)
        assert v1.status_code == 400
        assert v1.json()["type"] == "invalid_prompt" and v1.json()["message"] == "Prompt too large"
        classic = http.post("/prompt", json={"prompt": prompt})
        assert classic.status_code == 400
        assert classic.json()["error"]["message"] == "Prompt too large" and classic.json()["node_errors"] == {}


def test_check_prompt_limits_walks_nested_values() -> None:
    config = {"max_prompt_nodes": 10, "max_string_length": 10}  # "class_type" has 10
    assert check_prompt_limits({"1": {"class_type": "A", "inputs": {"x": {"__value__": ["a" * 10]}}}}, config) is None
    error = check_prompt_limits({"1": {"class_type": "A", "inputs": {"x": {"__value__": [["a" * 11]]}}}}, config)
    assert error is not None and "--max-string-length" in error["details"]
    assert check_prompt_limits("not a dict", config) is None


# --- origin and CORS ----------------------------------------------------------------------------


def test_cross_origin_post_is_403_without_cors(server: RunningServer) -> None:
    with server.client() as http:
        evil = http.post("/prompt", json={"prompt": int_prompt()}, headers={"Origin": "http://evil.example"})
        assert evil.status_code == 403
        evil_v1 = http.post("/api/v1/prompts", json=int_prompt(), headers={"Origin": "http://evil.example:8188"})
        assert evil_v1.status_code == 403
        host = server.url.removeprefix("http://")
        same = http.post("/api/v1/prompts", json=int_prompt(801), headers={"Origin": f"http://{host}"})
        assert same.status_code == 200
        assert "access-control-allow-origin" not in same.headers
    with pytest.raises(InvalidStatus):
        with connect(server.ws_url, proxy=None, origin="http://evil.example"):  # type: ignore[arg-type]
            pass


def test_cors_header(make_server: Any) -> None:
    running = make_server(enable_cors_header="*")
    with running.client() as http:
        preflight = http.options(
            "/api/v1/prompts",
            headers={"Origin": "http://page.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
        response = http.post("/api/v1/prompts", json=int_prompt(802), headers={"Origin": "http://page.example", "Accept": "application/json"})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
        assert "Location" in response.headers["access-control-expose-headers"]


def test_cors_with_a_named_origin(make_server: Any) -> None:
    running = make_server(enable_cors_header="http://app.example")
    with running.client() as http:
        response = http.get("/prompt", headers={"Origin": "http://app.example"})
        assert response.headers["access-control-allow-origin"] == "http://app.example"


@pytest.mark.parametrize(("host", "loopback"), [("localhost", True), ("127.0.0.1", True), ("::1", True), ("[::1]", True), ("10.0.0.1", False), ("example.com", False), (None, False)])
def test_is_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# --- API key --------------------------------------------------------------------------------------


def test_api_key(make_server: Any) -> None:
    running = make_server(api_key="s3cret")
    good = {"Authorization": "Bearer s3cret"}
    with running.client() as http:
        assert http.get("/health").status_code == 200
        assert http.get("/api/health").status_code == 200
        for path in ("/prompt", "/api/prompt", "/queue", "/history", "/ready", "/object_info", "/api/v1/prompts"):
            refused = http.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"].startswith("Bearer")
        assert http.get("/prompt", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert http.get("/prompt", headers={"Authorization": "Basic s3cret"}).status_code == 401
        assert http.post("/api/v1/prompts", json=int_prompt()).status_code == 401
        assert http.get("/prompt", headers=good).status_code == 200
        assert http.post("/api/v1/prompts", json=int_prompt(803), headers=good).status_code == 200
    with pytest.raises(InvalidStatus):
        with connect(running.ws_url, proxy=None):
            pass
    with connect(running.ws_url, proxy=None, additional_headers=good) as websocket:
        assert json.loads(websocket.recv(timeout=10))["type"] == "status"


# --- queue limit --------------------------------------------------------------------------------


def test_queue_over_the_limit_is_429(make_server: Any) -> None:
    running = make_server(max_queue_size=1)
    with running.client() as http:
        blocking = http.post("/prompt", json={"prompt": blocking_prompt(51)}).json()["prompt_id"]
        wait_until(lambda: blocking in running.state.queue.running_ids())
        assert http.post("/prompt", json={"prompt": int_prompt(52)}).status_code == 200  # one may wait
        refused = http.post("/api/v1/prompts", json=int_prompt(53))
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 0
        classic = http.post("/prompt", json={"prompt": int_prompt(54)})
        assert classic.status_code == 429 and classic.json()["error"]["type"] == "queue_full"
        assert http.get("/ready").status_code == 503
        http.post("/interrupt")
        wait_until(lambda: running.state.queue.remaining == 0)
        assert http.get("/ready").status_code == 200
        assert http.post("/api/v1/prompts", json=int_prompt(55)).status_code == 200

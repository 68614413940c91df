"""Custom node packs over HTTP: a live server whose workspace ``custom_nodes/`` holds the fixture
packs serves their aiohttp-style routes, runs their nodes, relays their ``send_sync`` messages on
``/ws`` and serves their ``WEB_DIRECTORY`` under ``/extensions``."""

from __future__ import annotations

import json
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server_helpers import RunningServer, start_server, wait_until
from websockets.sync.client import connect

from comfy.compat.prompt_server import PromptServer
from comfy.nodes.registry import load_registry
from comfy.plugins.manager import make_plugin_manager


PACKS = Path(__file__).parent / "packs"


def _forget_packs() -> None:
    for name in [n for n in sys.modules if n.startswith("comfy_custom_nodes_")]:
        del sys.modules[name]


MIXED_PROMPT = {
    "1": {"class_type": "ExtGreeting", "inputs": {"name": "http", "style": "loud"}},
    "2": {"class_type": "ExtLegacy", "inputs": {"text": ["1", 0]}},
    "3": {"class_type": "V3ShowText", "inputs": {"value": ["2", 0]}},
    "4": {"class_type": "V1WorkspaceInfo", "inputs": {"folder": "checkpoints"}},
}


@pytest.fixture(scope="module")
def pack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    workspace = tmp_path_factory.mktemp("pack-server")
    shutil.copytree(PACKS, workspace / "custom_nodes", ignore=shutil.ignore_patterns("__pycache__"))
    (workspace / "models" / "checkpoints").mkdir(parents=True)
    (workspace / "models" / "checkpoints" / "tiny.safetensors").write_bytes(b"")
    previous = PromptServer.instance
    PromptServer.instance = PromptServer()
    try:
        registry = load_registry({"cwd": str(workspace)}, plugin_manager=make_plugin_manager())
        running = start_server(workspace, registry=registry)
        try:
            yield running
        finally:
            running.stop()
    finally:
        PromptServer.instance = previous
        _forget_packs()


@pytest.fixture
def http(pack_server: RunningServer) -> Iterator[httpx.Client]:
    with pack_server.client() as client:
        yield client


def test_pack_routes_answer(http: httpx.Client) -> None:
    assert http.get("/route_pack/hello").json() == {"hello": "world"}
    assert http.get("/api/route_pack/hello").json() == {"hello": "world"}, "also under /api, as ComfyUI"
    assert http.post("/route_pack/echo", json={"a": [1, 2]}).json() == {"echo": {"a": [1, 2]}}
    assert http.get("/route_pack/legacy").json() == {"legacy": True}
    static = http.get("/route_pack/static/style.css")
    assert static.status_code == 200 and static.headers["content-type"].startswith("text/css")
    assert http.get("/route_pack/static/..%2F__init__.py").status_code in (403, 404)
    assert http.post("/route_pack/hello").status_code == 405


def test_our_routes_win_conflicts(http: httpx.Client) -> None:
    # the route pack registers nothing on our paths; our own routes keep answering
    assert http.get("/object_info/ExtGreeting").json()["ExtGreeting"]["display_name"] == "Greeting (extension pack)"


def test_mixed_workflow_through_api_v1_prompts(http: httpx.Client) -> None:
    response = http.post("/api/v1/prompts", json={"prompt": MIXED_PROMPT}, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    outputs = response.json()["outputs"]
    assert outputs["3"] == {"text": ["HELLO HTTP!@3:True"]}
    assert outputs["4"]["text"][0].endswith("tiny.safetensors|True")


def test_mixed_workflow_through_classic_prompt_and_history(http: httpx.Client) -> None:
    response = http.post("/prompt", json={"prompt": MIXED_PROMPT, "client_id": "classic"})
    assert response.status_code == 200, response.text
    prompt_id = response.json()["prompt_id"]
    entry = wait_until(lambda: http.get(f"/history/{prompt_id}").json().get(prompt_id), timeout=20)
    assert entry["status"]["status_str"] == "success"
    assert entry["outputs"]["3"] == {"text": ["HELLO HTTP!@3:True"]}


def test_send_sync_reaches_the_websocket_of_the_prompt(pack_server: RunningServer, http: httpx.Client) -> None:
    client_id = uuid.uuid4().hex
    with connect(f"{pack_server.ws_url}?clientId={client_id}", proxy=None, open_timeout=10) as websocket:
        websocket.recv(timeout=10)  # status
        prompt = {"1": {"class_type": "MsgAnnounce", "inputs": {"text": "over http"}}}
        response = http.post("/prompt", json={"prompt": prompt, "client_id": client_id})
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + 20
        while True:
            raw = websocket.recv(timeout=max(0.1, deadline - time.monotonic()))
            if isinstance(raw, str):
                message = json.loads(raw)
                if message["type"] == "messaging_pack.announce":
                    assert message["data"]["text"] == "over http" and message["data"]["node"] == "1"
                    break


def test_web_directory_is_served_and_listed(http: httpx.Client) -> None:
    listed = http.get("/extensions").json()
    assert "/extensions/v1_pack/js/v1_pack.js" in listed
    script = http.get("/extensions/v1_pack/js/v1_pack.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("application/javascript")
    assert http.get("/extensions/route_pack/style.css").status_code == 200
    assert http.get("/extensions/v1_pack/..%2F__init__.py").status_code in (403, 404)


def test_failing_pack_does_not_stop_the_server(pack_server: RunningServer, http: httpx.Client) -> None:
    failed = [pack.name for pack in pack_server.state.registry.failed_custom_node_packs]
    assert "broken_pack" in failed
    assert http.get("/object_info").status_code == 200


def test_aiohttp_responses_convert() -> None:
    from aiohttp import web as aiohttp_web

    from comfy.server.aiohttp_compat import json_response, to_starlette

    real = to_starlette(aiohttp_web.json_response({"a": 1}, status=201, headers={"X-Pack": "1"}))
    assert real.status_code == 201 and json.loads(bytes(real.body)) == {"a": 1}
    assert real.headers["content-type"].startswith("application/json") and real.headers["x-pack"] == "1"
    text = to_starlette(aiohttp_web.Response(text="hi", content_type="text/html"))
    assert bytes(text.body) == b"hi" and text.headers["content-type"].startswith("text/html")
    ours = to_starlette(json_response({"b": 2}, status=202))
    assert ours.status_code == 202 and json.loads(bytes(ours.body)) == {"b": 2}
    assert to_starlette(aiohttp_web.HTTPNotFound()).status_code == 404


def test_pack_route_on_our_path_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    from starlette.routing import Route

    from comfy.compat.prompt_server import RouteTableDef
    from comfy.server.aiohttp_compat import pack_routes

    async def ours(request: Any) -> None:
        return None

    table = RouteTableDef()
    table.get("/object_info")(ours)
    table.post("/object_info")(ours)
    table.get("/my_pack/{name}")(ours)
    mounted = pack_routes(table, [Route("/object_info", ours, methods=["GET"])])
    assert [(r.path, sorted(r.methods or ())) for r in mounted] == [
        ("/api/object_info", ["GET", "HEAD"]),
        ("/object_info", ["POST"]),
        ("/api/object_info", ["POST"]),
        ("/my_pack/{name}", ["GET", "HEAD"]),
        ("/api/my_pack/{name}", ["GET", "HEAD"]),
    ]
    assert "the server's route wins" in caplog.text

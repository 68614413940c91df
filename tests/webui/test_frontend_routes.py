"""The routes the web UI reads besides the programmatic API: i18n, workflow templates, the
template gallery index, model listings, global subgraphs and ComfyUI's `/internal` routes."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_helpers import RunningServer, make_registry, start_server

from comfy.nodes.custom_nodes import CustomNodePack
from comfy.server.routes.webui import pack_translations, pack_workflow_templates


def _pack(root: Path) -> Path:
    """A custom node pack folder with locales and example workflows."""
    pack = root / "custom_nodes" / "my_pack"
    (pack / "locales" / "en").mkdir(parents=True)
    (pack / "locales" / "fr").mkdir(parents=True)
    (pack / "locales" / "en" / "main.json").write_text(json.dumps({"menu": {"hello": "Hello"}}))
    (pack / "locales" / "en" / "nodeDefs.json").write_text(json.dumps({"MyNode": {"display_name": "My node"}}))
    (pack / "locales" / "fr" / "settings.json").write_text(json.dumps({"My.Setting": {"name": "Réglage"}}))
    (pack / "example_workflows").mkdir()
    (pack / "example_workflows" / "demo.json").write_text(json.dumps({"nodes": []}))
    (pack / "example_workflows" / "notes.txt").write_text("not a workflow")
    return pack


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    workspace = tmp_path_factory.mktemp("frontend-routes")
    pack = _pack(workspace)
    registry = make_registry()
    registry.custom_node_packs.append(CustomNodePack(name="my_pack", path=str(pack), module_name="my_pack", loaded=True))
    (workspace / "models" / "checkpoints" / "sub").mkdir(parents=True)
    (workspace / "models" / "checkpoints" / "sub" / "a.safetensors").write_bytes(b"x" * 10)
    (workspace / "models" / "checkpoints" / "notes.txt").write_text("not a model")
    running = start_server(workspace, registry=registry)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(site: RunningServer) -> Iterator[httpx.Client]:
    with site.client() as client:
        yield client


def test_i18n_merges_the_packs_locales(http: httpx.Client) -> None:
    assert http.get("/api/i18n").json() == {
        "en": {"menu": {"hello": "Hello"}, "nodeDefs": {"MyNode": {"display_name": "My node"}}},
        "fr": {"settings": {"My.Setting": {"name": "Réglage"}}},
    }


def test_workflow_templates_of_packs(http: httpx.Client) -> None:
    assert http.get("/api/workflow_templates").json() == {"my_pack": ["demo"]}
    demo = http.get("/api/workflow_templates/my_pack/demo.json")
    assert demo.status_code == 200 and demo.json() == {"nodes": []}
    assert http.get("/api/workflow_templates/my_pack/..%2F..%2F..%2Fuser%2Fx.json").status_code in (403, 404)
    assert http.get("/api/workflow_templates/other/demo.json").status_code == 404


def test_core_template_gallery_is_empty(http: httpx.Client) -> None:
    for name in ("index.json", "index.fr.json"):
        response = http.get(f"/templates/{name}")
        assert response.status_code == 200 and response.json() == []
        assert response.headers["content-type"] == "application/json"
    assert http.get("/templates/index_logo.json").json() == {}
    assert http.get("/templates/some_template.json").status_code == 404


def test_experiment_models(http: httpx.Client, site: RunningServer) -> None:
    folders = http.get("/api/experiment/models").json()
    names = [f["name"] for f in folders]
    assert "checkpoints" in names and "configs" not in names and "custom_nodes" not in names
    checkpoints = next(f for f in folders if f["name"] == "checkpoints")
    assert str(site.workspace / "models" / "checkpoints") in checkpoints["folders"]
    (model,) = http.get("/api/experiment/models/checkpoints").json()
    assert model["name"] == "sub/a.safetensors" and model["pathIndex"] == 0 and model["size"] == 10
    assert http.get("/api/experiment/models/nope").status_code == 404


def test_global_subgraphs(http: httpx.Client) -> None:
    assert http.get("/api/global_subgraphs").json() == {}


def test_internal_folder_paths_and_files(http: httpx.Client, site: RunningServer) -> None:
    paths = http.get("/internal/folder_paths").json()
    assert str(site.workspace / "models" / "checkpoints") in paths["checkpoints"]
    (site.workspace / "input" / "old.png").write_bytes(b"1")
    (site.workspace / "input" / "new.png").write_bytes(b"2")
    os.utime(site.workspace / "input" / "old.png", (time.time() - 100, time.time() - 100))
    assert http.get("/internal/files/input").json()[:2] == ["new.png", "old.png"]
    assert http.get("/api/internal/files/output").status_code == 200
    assert http.get("/internal/files/models").status_code == 400


def test_internal_logs(http: httpx.Client) -> None:
    logging.getLogger("comfy.test.webui").warning("a line for the log panel")
    assert "a line for the log panel" in http.get("/internal/logs").json()
    raw = http.get("/internal/logs/raw").json()
    assert any("a line for the log panel" in e["m"] for e in raw["entries"]) and raw["size"]["cols"] > 0
    assert http.patch("/internal/logs/subscribe", json={"enabled": True, "clientId": "abc"}).status_code == 200
    assert http.patch("/internal/logs/subscribe", json={"enabled": False, "clientId": "abc"}).status_code == 200
    assert http.patch("/internal/logs/subscribe", json={"enabled": True}).status_code == 400


def test_subscribed_clients_get_log_events(site: RunningServer) -> None:
    from websockets.sync.client import connect

    with connect(site.ws_url + "?clientId=logclient") as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "status"
        assert httpx.patch(site.url + "/internal/logs/subscribe", json={"enabled": True, "clientId": "logclient"}).status_code == 200
        logging.getLogger("comfy.test.webui").warning("streamed line")
        while True:
            message = json.loads(ws.recv(timeout=10))
            if message["type"] == "logs":
                break
        assert "streamed line" in message["data"]["entries"][0]["m"]
        httpx.patch(site.url + "/internal/logs/subscribe", json={"enabled": False, "clientId": "logclient"})


def test_pack_helpers_without_packs(tmp_path: Path) -> None:
    assert pack_translations([]) == {} and pack_workflow_templates([]) == {}
    bare = tmp_path / "bare"
    bare.mkdir()
    assert pack_translations([("bare", str(bare))]) == {} and pack_workflow_templates([("bare", str(bare))]) == {}

"""The classic ComfyUI routes (spec/api.md §6, §10 item 11): `/prompt`, `/queue`, `/history`,
`/interrupt`, `/free`, each also under `/api`."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from server_helpers import RunningServer, blocking_prompt, image_prompt, int_prompt, raise_prompt, wait_until


def history_entry(http: httpx.Client, prompt_id: str, prefix: str = "") -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body = http.get(f"{prefix}/history/{prompt_id}").json()
        return body.get(prompt_id)

    return wait_until(done)


@pytest.mark.parametrize("prefix", ["", "/api"])
def test_post_prompt_and_history(http: httpx.Client, prefix: str) -> None:
    client_id = uuid.uuid4().hex
    response = http.post(f"{prefix}/prompt", json={"prompt": image_prompt("classic"), "client_id": client_id, "extra_data": {"extra_pnginfo": {"k": 1}}})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"prompt_id", "number", "node_errors"} and body["node_errors"] == {}
    entry = history_entry(http, body["prompt_id"], prefix)
    assert set(entry) == {"prompt", "outputs", "status", "meta"}
    number, prompt_id, prompt, extra_data, good_outputs = entry["prompt"]
    assert (number, prompt_id, prompt, good_outputs) == (body["number"], body["prompt_id"], image_prompt("classic"), ["2"])
    assert extra_data["client_id"] == client_id and extra_data["extra_pnginfo"] == {"k": 1}
    assert isinstance(extra_data["create_time"], int)
    assert entry["outputs"]["2"]["images"][0]["filename"].startswith("classic_")
    status = entry["status"]
    assert status["status_str"] == "success" and status["completed"] is True
    events = [pair[0] for pair in status["messages"]]
    assert events == ["execution_start", "execution_cached", "execution_success"]
    assert all(isinstance(pair[1]["timestamp"], int) for pair in status["messages"])
    assert entry["meta"]["2"] == {"node_id": "2", "display_node": "2", "parent_node": None, "real_node_id": "2"}


def test_prompt_id_number_and_front(http: httpx.Client) -> None:
    chosen = str(uuid.uuid4())
    body = http.post("/prompt", json={"prompt": int_prompt(1), "prompt_id": chosen, "number": 7.5}).json()
    assert body["prompt_id"] == chosen and body["number"] == 7.5
    front = http.post("/prompt", json={"prompt": int_prompt(2), "front": True}).json()
    assert front["number"] <= 0
    later = http.post("/prompt", json={"prompt": int_prompt(3)}).json()
    assert later["number"] > abs(front["number"]) - 1


def test_partial_execution_targets(http: httpx.Client) -> None:
    prompt = {
        "1": {"class_type": "PrimitiveInt", "inputs": {"value": 5}},
        "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        "3": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}},
    }
    body = http.post("/prompt", json={"prompt": prompt, "partial_execution_targets": ["3"]}).json()
    entry = history_entry(http, body["prompt_id"])
    assert entry["prompt"][4] == ["3"]
    assert set(entry["outputs"]) == {"3"}
    bad = http.post("/prompt", json={"prompt": prompt, "partial_execution_targets": "3"})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("body", "type_"),
    [
        ({}, "no_prompt"),
        ({"client_id": "x"}, "no_prompt"),
        ({"prompt": {"1": {"class_type": "Nope", "inputs": {}}}}, "invalid_prompt"),
        ({"prompt": {"1": {"inputs": {}}}}, "invalid_prompt"),
        ({"prompt": {"1": {"class_type": "PrimitiveInt", "inputs": {"value": 1}}}}, "prompt_no_outputs"),
        ({"prompt": "not a prompt"}, "invalid_prompt"),
    ],
)
def test_prompt_errors(http: httpx.Client, body: dict[str, Any], type_: str) -> None:
    response = http.post("/prompt", json=body)
    assert response.status_code == 400
    error = response.json()
    assert set(error) == {"error", "node_errors"}
    assert error["error"]["type"] == type_
    assert set(error["error"]) == {"type", "message", "details", "extra_info"}


def test_no_prompt_body_is_upstream_exact(http: httpx.Client) -> None:
    assert http.post("/prompt", json={}).json() == {
        "error": {"type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided", "extra_info": {}},
        "node_errors": {},
    }


def test_validation_error_lists_node_errors(http: httpx.Client) -> None:
    prompt = image_prompt()
    prompt["1"]["inputs"]["content"] = "PURPLE"
    body = http.post("/prompt", json={"prompt": prompt}).json()
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    assert body["node_errors"]["1"]["errors"][0]["type"] == "value_not_in_list"


def test_failed_prompt_in_history(http: httpx.Client) -> None:
    prompt_id = http.post("/prompt", json={"prompt": raise_prompt("history boom")}).json()["prompt_id"]
    entry = history_entry(http, prompt_id)
    status = entry["status"]
    assert status["status_str"] == "error" and status["completed"] is False
    event, data = status["messages"][-1]
    assert event == "execution_error"
    assert data["exception_message"].strip() == "history boom" and data["node_id"] == "1"


def test_get_prompt_queue_and_interrupt(http: httpx.Client, server: RunningServer) -> None:
    running = http.post("/prompt", json={"prompt": blocking_prompt(41)}).json()["prompt_id"]
    pending = [http.post("/prompt", json={"prompt": int_prompt(400 + i)}).json()["prompt_id"] for i in range(2)]
    wait_until(lambda: running in server.state.queue.running_ids())
    assert http.get("/prompt").json() == {"exec_info": {"queue_remaining": 3}}
    queue = http.get("/api/queue").json()
    assert [item[1] for item in queue["queue_running"]] == [running]
    assert [item[1] for item in queue["queue_pending"]] == pending
    item = queue["queue_pending"][0]
    assert isinstance(item, list) and len(item) == 5 and item[2] == int_prompt(400) and item[4] == ["2"]
    # delete one pending prompt, then clear the rest
    assert http.post("/queue", json={"delete": [pending[0]]}).status_code == 200
    assert [i[1] for i in http.get("/queue").json()["queue_pending"]] == [pending[1]]
    assert http.post("/queue", json={"clear": True}).status_code == 200
    assert http.get("/queue").json()["queue_pending"] == []
    # interrupting another id leaves it running; no id interrupts it
    assert http.post("/interrupt", json={"prompt_id": "something-else"}).status_code == 200
    assert http.get(f"/history/{running}").json() == {}
    assert http.post("/interrupt").status_code == 200
    entry = history_entry(http, running)
    assert entry["status"]["status_str"] == "error"
    assert entry["status"]["messages"][-1][0] == "execution_interrupted"
    assert http.get("/prompt").json() == {"exec_info": {"queue_remaining": 0}}
    for deleted in pending:
        assert http.get(f"/history/{deleted}").json() == {}


def test_history_paging_delete_and_clear(make_server: Any) -> None:
    running = make_server()
    with running.client() as http:
        ids = [http.post("/prompt", json={"prompt": int_prompt(500 + i)}).json()["prompt_id"] for i in range(5)]
        wait_until(lambda: len(http.get("/history").json()) == 5)
        assert list(http.get("/history").json()) == ids
        assert list(http.get("/history", params={"max_items": 2}).json()) == ids[-2:]
        assert list(http.get("/history", params={"max_items": 2, "offset": 1}).json()) == ids[1:3]
        assert list(http.get("/history", params={"offset": 3}).json()) == ids[3:]
        assert http.get("/history", params={"max_items": "x"}).status_code == 400
        assert http.get("/history/unknown").json() == {}
        assert http.post("/history", json={"delete": [ids[0]]}).status_code == 200
        assert list(http.get("/history").json()) == ids[1:]
        assert http.post("/api/history", json={"clear": True}).status_code == 200
        assert http.get("/history").json() == {}


def test_history_is_capped(make_server: Any) -> None:
    running = make_server()
    running.state.queue.history.max_size = 3
    with running.client() as http:
        ids = [http.post("/prompt", json={"prompt": int_prompt(600 + i)}).json()["prompt_id"] for i in range(5)]
        wait_until(lambda: ids[-1] in http.get("/history").json())
        assert list(http.get("/history").json()) == ids[-3:]


@pytest.mark.parametrize("body", [{"unload_models": True}, {"free_memory": True}, {}])
def test_free(http: httpx.Client, body: dict[str, Any]) -> None:
    assert http.post("/free", json=body).status_code == 200
    # the server keeps working after the flags are applied
    response = http.post("/api/v1/prompts", json=int_prompt(700))
    assert response.status_code == 200


def test_free_memory_clears_the_cache(http: httpx.Client, server: RunningServer) -> None:
    http.post("/api/v1/prompts", json=int_prompt(701))
    executor = server.state.queue.executors[0]
    assert executor.engine.cache_len > 0
    http.post("/free", json={"free_memory": True})
    wait_until(lambda: executor.engine.cache_len == 0)


@pytest.mark.parametrize("path", ["/queue", "/history", "/free"])
def test_bad_bodies_are_400(http: httpx.Client, path: str) -> None:
    assert http.post(path, content=b"{nope").status_code == 400
    assert http.post(path, content=json.dumps([1])).status_code == 400


def test_duplicate_prompt_id_is_refused(http: httpx.Client, server: RunningServer) -> None:
    prompt_id = str(uuid.uuid4())
    assert http.post("/prompt", json={"prompt": blocking_prompt(42), "prompt_id": prompt_id}).status_code == 200
    try:
        duplicate = http.post("/prompt", json={"prompt": int_prompt(), "prompt_id": prompt_id})
        assert duplicate.status_code == 400
    finally:
        wait_until(lambda: prompt_id in server.state.queue.running_ids())
        http.post("/interrupt", json={"prompt_id": prompt_id})
        history_entry(http, prompt_id)


def test_sensitive_extra_data_is_never_stored(http: httpx.Client, server: RunningServer) -> None:
    extra = {"api_key_comfy_org": "secret-key", "auth_token_comfy_org": "secret-token", "extra_pnginfo": {}}
    body = http.post("/prompt", json={"prompt": int_prompt(801), "extra_data": extra}).json()
    entry = history_entry(http, body["prompt_id"])
    assert "secret" not in json.dumps(entry)
    assert "secret" not in http.get("/queue").text


def test_server_options_parse() -> None:
    from comfy.cli_args import parse_args

    config = parse_args(
        ["--api-key", "k", "--max-workers", "3", "--max-prompt-nodes", "10", "--max-string-length", "20", "--listen"],
        env={},
        default_config_files=(),
    )
    assert (config.api_key, config.max_workers, config.max_prompt_nodes, config.max_string_length) == ("k", 3, 10, 20)
    assert config.listen == "0.0.0.0,::" and config.port == 8188
    assert parse_args([], env={"COMFYUI_API_KEY": "from-env"}, default_config_files=()).api_key == "from-env"

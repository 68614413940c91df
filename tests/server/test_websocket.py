"""`/ws` (spec/api.md §3, §6.4, §10 item 12): status on connect, feature flags, event order,
binary frames, routing to the prompt's client, the slow-client policy."""

from __future__ import annotations

import asyncio
import json
import struct
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from server_helpers import RunningServer, blocking_prompt, wait_until
from websockets.sync.client import ClientConnection, connect

from comfy.server import ws as ws_module
from comfy.server.ws import HARD_LIMIT, SOFT_LIMIT, ConnectionManager


@contextmanager
def socket(server: RunningServer, client_id: str | None = None, flags: dict[str, Any] | None = None, path: str = "/ws") -> Iterator[ClientConnection]:
    url = server.url.replace("http", "ws", 1) + path + (f"?clientId={client_id}" if client_id else "")
    with connect(url, proxy=None, open_timeout=10) as websocket:
        if flags is not None:
            status = json.loads(websocket.recv(timeout=10))
            assert status["type"] == "status"
            websocket.send(json.dumps({"type": "feature_flags", "data": flags}))
            reply = json.loads(websocket.recv(timeout=10))
            assert reply["type"] == "feature_flags"
        yield websocket


def frames_until_done(websocket: ClientConnection, prompt_id: str, timeout: float = 20) -> list[Any]:
    """Every frame (text frames decoded) up to `executing {node: null}` of `prompt_id`."""
    frames: list[Any] = []
    while True:
        raw = websocket.recv(timeout=timeout)
        frame = json.loads(raw) if isinstance(raw, str) else raw
        frames.append(frame)
        if isinstance(frame, dict) and frame["type"] == "executing":
            data = frame["data"]
            if data["node"] is None and data.get("prompt_id") == prompt_id:
                return frames


def queue(http: httpx.Client, prompt: dict[str, Any], client_id: str) -> str:
    response = http.post("/prompt", json={"prompt": prompt, "client_id": client_id})
    assert response.status_code == 200, response.text
    return response.json()["prompt_id"]


def counter_prompt(steps: int = 3) -> dict[str, Any]:
    return {"1": {"class_type": "SlowCounter", "inputs": {"steps": steps, "delay": 0.0}}}


def preview_prompt(fmt: str = "JPEG", seed: int = 0) -> dict[str, Any]:
    return {"1": {"class_type": "PreviewEmitter", "inputs": {"format": fmt, "seed": seed}}}


def test_status_with_sid_on_connect(server: RunningServer) -> None:
    with socket(server, "my-client") as websocket:
        first = json.loads(websocket.recv(timeout=10))
    assert first == {"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "my-client"}}
    with socket(server, path="/api/ws") as websocket:
        sid = json.loads(websocket.recv(timeout=10))["data"]["sid"]
    assert len(sid) == 32 and int(sid, 16) >= 0


def test_feature_flags_handshake(server: RunningServer, http: httpx.Client) -> None:
    with socket(server, "flags") as websocket:
        websocket.recv(timeout=10)
        websocket.send(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
        reply = json.loads(websocket.recv(timeout=10))
    assert reply["type"] == "feature_flags"
    assert reply["data"]["supports_preview_metadata"] is True
    assert reply["data"]["max_upload_size"] == server.state.max_upload_bytes
    features = http.get("/features")
    if features.status_code == 200:  # served by the info module
        assert features.json() == reply["data"]


def test_event_order_for_one_prompt(server: RunningServer, http: httpx.Client) -> None:
    client_id = uuid.uuid4().hex
    with socket(server, client_id, flags={"supports_preview_metadata": True}) as websocket:
        prompt_id = queue(http, counter_prompt(3), client_id)
        frames = frames_until_done(websocket, prompt_id)
        after = json.loads(websocket.recv(timeout=10))
    assert after["type"] == "status"
    events = [(f["type"], f["data"]) for f in frames if f["type"] != "status"]
    names = [name for name, _ in events]
    assert names == [
        "execution_start",
        "execution_cached",
        "progress_state",
        "executing",
        *["progress", "progress_state"] * 3,
        "executed",
        "progress_state",
        "execution_success",
        "executing",
    ]
    assert all(data.get("prompt_id") == prompt_id for _, data in events)
    assert events[3][1] == {"node": "1", "display_node": "1", "prompt_id": prompt_id}
    assert [d["value"] for n, d in events if n == "progress"] == [1, 2, 3]
    assert all(d["node"] == "1" and d["max"] == 3 for n, d in events if n == "progress")
    executed = next(d for n, d in events if n == "executed")
    assert executed["output"] == {"value": [3]}
    assert "timestamp" in events[0][1] and "timestamp" in events[-2][1]
    assert events[-1][1] == {"node": None, "prompt_id": prompt_id}


def test_cached_rerun_reports_cached_nodes(server: RunningServer, http: httpx.Client) -> None:
    client_id = uuid.uuid4().hex
    prompt = {
        "1": {"class_type": "PrimitiveInt", "inputs": {"value": 4242}},
        "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
    }
    with socket(server, client_id) as websocket:
        frames_until_done(websocket, queue(http, prompt, client_id))
        prompt_id = queue(http, prompt, client_id)
        frames = [f for f in frames_until_done(websocket, prompt_id) if f["type"] != "status"]
    names = [f["type"] for f in frames]
    assert names == ["execution_start", "execution_cached", "executed", "execution_success", "executing"]
    assert sorted(frames[1]["data"]["nodes"]) == ["1", "2"]


def _parse_binary(frame: bytes) -> tuple[int, bytes]:
    (event_type,) = struct.unpack(">I", frame[:4])
    return event_type, frame[4:]


@pytest.mark.parametrize(("fmt", "mime", "magic"), [("JPEG", "image/jpeg", b"\xff\xd8"), ("PNG", "image/png", b"\x89PNG")])
def test_preview_with_metadata_frame(server: RunningServer, http: httpx.Client, fmt: str, mime: str, magic: bytes) -> None:
    from PIL import Image
    import io

    client_id = uuid.uuid4().hex
    with socket(server, client_id, flags={"supports_preview_metadata": True}) as websocket:
        prompt_id = queue(http, preview_prompt(fmt, seed=hash(client_id) % 1000), client_id)
        frames = frames_until_done(websocket, prompt_id)
    binary = [f for f in frames if isinstance(f, bytes)]
    assert len(binary) == 1
    event_type, payload = _parse_binary(binary[0])
    assert event_type == 4
    (meta_len,) = struct.unpack(">I", payload[:4])
    metadata = json.loads(payload[4 : 4 + meta_len])
    assert metadata == {
        "node_id": "1",
        "prompt_id": prompt_id,
        "display_node_id": "1",
        "parent_node_id": None,
        "real_node_id": "1",
        "image_type": mime,
    }
    image = payload[4 + meta_len :]
    assert image.startswith(magic)
    assert Image.open(io.BytesIO(image)).size == (512, 384)  # scaled to the preview size


def test_legacy_preview_frame_without_the_flag(server: RunningServer, http: httpx.Client) -> None:
    client_id = uuid.uuid4().hex
    with socket(server, client_id) as websocket:
        prompt_id = queue(http, preview_prompt("JPEG", seed=7), client_id)
        frames = frames_until_done(websocket, prompt_id)
    binary = [f for f in frames if isinstance(f, bytes)]
    assert len(binary) == 1
    event_type, payload = _parse_binary(binary[0])
    assert event_type == 1
    assert struct.unpack(">I", payload[:4]) == (1,)  # 1 = JPEG
    assert payload[4:].startswith(b"\xff\xd8")


def test_two_clients_get_only_their_own_events(server: RunningServer, http: httpx.Client) -> None:
    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    with socket(server, a) as ws_a, socket(server, b) as ws_b:
        id_a = queue(http, counter_prompt(2), a)
        id_b = queue(http, {"1": {"class_type": "SlowCounter", "inputs": {"steps": 4, "delay": 0.0}}}, b)
        frames_a = frames_until_done(ws_a, id_a)
        frames_b = frames_until_done(ws_b, id_b)
    for frames, own in ((frames_a, id_a), (frames_b, id_b)):
        prompt_ids = {f["data"].get("prompt_id") for f in frames if f["type"] != "status"}
        assert prompt_ids == {own}
        assert any(f["type"] == "progress" for f in frames)


def test_interrupted_is_broadcast_and_reconnect_sees_running_node(server: RunningServer, http: httpx.Client) -> None:
    owner, other = uuid.uuid4().hex, uuid.uuid4().hex
    with socket(server, other) as ws_other:
        ws_other.recv(timeout=10)
        prompt_id = queue(http, blocking_prompt(31), owner)
        wait_until(lambda: prompt_id in server.state.queue.running_ids())
        wait_until(lambda: server.state.connections.executing.get(owner, ("", None))[1] == "2")
        with socket(server, owner) as ws_owner:
            status = json.loads(ws_owner.recv(timeout=10))
            assert status["type"] == "status" and status["data"]["status"]["exec_info"]["queue_remaining"] == 1
            executing = json.loads(ws_owner.recv(timeout=10))
            assert executing["type"] == "executing" and executing["data"]["node"] == "2"
            assert executing["data"]["prompt_id"] == prompt_id
            assert http.post("/interrupt", json={"prompt_id": prompt_id}).status_code == 200
            owner_frames = frames_until_done(ws_owner, prompt_id)
        interrupted = None
        while interrupted is None:
            frame = json.loads(ws_other.recv(timeout=10))
            if frame["type"] == "execution_interrupted":
                interrupted = frame
    assert interrupted["data"]["prompt_id"] == prompt_id and interrupted["data"]["node_id"] == "2"
    assert any(f["type"] == "execution_interrupted" for f in owner_frames)


def test_same_client_id_replaces_the_old_socket(server: RunningServer) -> None:
    from websockets.exceptions import ConnectionClosed

    with socket(server, "twice") as first:
        first.recv(timeout=10)
        with socket(server, "twice") as second:
            assert json.loads(second.recv(timeout=10))["data"]["sid"] == "twice"
            with pytest.raises(ConnectionClosed):
                first.recv(timeout=10)


def test_malformed_client_messages_are_ignored(server: RunningServer, http: httpx.Client) -> None:
    client_id = uuid.uuid4().hex
    with socket(server, client_id) as websocket:
        websocket.recv(timeout=10)
        for message in ("not json", "[1, 2]", json.dumps({"type": "feature_flags", "data": 5}), json.dumps({"type": "other"})):
            websocket.send(message)
        websocket.send(b"\x00\x01")
        reply = json.loads(websocket.recv(timeout=10))  # only the feature_flags message is answered
        assert reply["type"] == "feature_flags"
        prompt_id = queue(http, counter_prompt(1), client_id)
        assert frames_until_done(websocket, prompt_id)


# --- the slow-client policy (unit level) --------------------------------------------------------


class _FakeSocket:
    pass


def test_slow_client_policy() -> None:
    manager = ConnectionManager()
    connection = ws_module._Connection("slow", _FakeSocket())  # type: ignore[arg-type]
    manager.connections["slow"] = connection
    for i in range(SOFT_LIMIT):
        manager._deliver("slow", f"frame {i}", False)
    manager._deliver("slow", "progress", True)  # dropped: past the soft limit
    assert connection.outbox.qsize() == SOFT_LIMIT
    manager._deliver("slow", "lifecycle", False)  # kept
    assert connection.outbox.qsize() == SOFT_LIMIT + 1
    for i in range(HARD_LIMIT - SOFT_LIMIT - 1):
        manager._deliver("slow", "more", False)
    assert connection.outbox.qsize() == HARD_LIMIT and not connection.closed
    manager._deliver("slow", "one too many", False)
    assert connection.closed and connection.close_code == 1013
    assert connection.outbox.qsize() == 1 and connection.outbox.get_nowait() is ws_module._CLOSE
    manager._deliver("slow", "after close", False)
    assert connection.outbox.empty()


def test_send_sync_without_sockets_costs_nothing() -> None:
    manager = ConnectionManager()
    manager.send_sync("progress", {"value": 1}, "nobody")
    manager.send_sync("executing", {"node": "3", "prompt_id": "p"}, "nobody")
    assert manager.executing == {"nobody": ("p", "3")}
    manager.send_sync("executing", {"node": None, "prompt_id": "p"}, "nobody")
    assert manager.executing == {}


def test_send_sync_from_a_thread_reaches_the_loop() -> None:
    async def scenario() -> list[Any]:
        manager = ConnectionManager()
        manager.loop = asyncio.get_running_loop()
        connection = ws_module._Connection("c", _FakeSocket())  # type: ignore[arg-type]
        manager.connections["c"] = connection
        await asyncio.to_thread(manager.send_sync, "executed", {"node": "1"}, "c")
        await asyncio.to_thread(manager.send_sync, ws_module.BinaryEventTypes.TEXT, b"\x00\x00\x00\x011hello", None)
        await asyncio.sleep(0.01)
        return [connection.outbox.get_nowait() for _ in range(connection.outbox.qsize())]

    frames = asyncio.run(scenario())
    assert json.loads(frames[0]) == {"type": "executed", "data": {"node": "1"}}
    assert frames[1] == struct.pack(">I", 3) + b"\x00\x00\x00\x011hello"


def test_prompt_server_shim_is_bound(server: RunningServer, http: httpx.Client) -> None:
    """Custom node packs' `PromptServer.instance`: `send_sync` outside a prompt reaches the
    sockets, on-prompt handlers rewrite `POST /prompt` bodies."""
    prompt_server_module = pytest.importorskip("comfy.compat.prompt_server")
    instance = prompt_server_module.PromptServer.instance
    assert instance.prompt_queue is server.state.queue

    def double(body: dict[str, Any]) -> dict[str, Any]:
        node = body.get("prompt", {}).get("1", {})
        if node.get("class_type") == "PrimitiveInt":
            node["inputs"]["value"] *= 2
        return body

    client_id = uuid.uuid4().hex
    instance.add_on_prompt_handler(double)
    try:
        with socket(server, client_id) as websocket:
            websocket.recv(timeout=10)
            instance.send_sync("my_pack.hello", {"x": 1}, client_id)
            assert json.loads(websocket.recv(timeout=10)) == {"type": "my_pack.hello", "data": {"x": 1}}
            prompt = {"1": {"class_type": "PrimitiveInt", "inputs": {"value": 21}}, "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}
            prompt_id = queue(http, prompt, client_id)
            frames = frames_until_done(websocket, prompt_id)
    finally:
        instance.on_prompt_handlers.remove(double)
    executed = [f["data"] for f in frames if isinstance(f, dict) and f["type"] == "executed"]
    assert executed[0]["output"] == {"text": ["42"]}

"""``server.PromptServer``: messages into the running prompt, recorded routes, on-prompt hooks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import server
from comfy.compat.prompt_server import PromptServer, RouteDef, StaticDef, encode_text_for_progress
from comfy.execution import PromptExecutor
from comfy.plugins import hookimpl
from comfy.plugins.manager import make_plugin_manager


class Messenger:
    """A V1 node that messages the browser from inside ``execute`` (sync and async)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"text": ("STRING", {})}, "hidden": {"unique_id": "UNIQUE_ID"}}

    RETURN_TYPES = ()
    OUTPUT_NODE = True
    FUNCTION = "run"

    async def run(self, text: str, unique_id: str) -> dict[str, Any]:
        await asyncio.sleep(0)
        instance = server.PromptServer.instance
        instance.send_sync("pack.message", {"text": text, "node": unique_id, "client": instance.client_id})
        await instance.send("pack.async", {"node": unique_id})
        return {"ui": {"text": [text]}}


def test_server_module_is_the_compat_module() -> None:
    assert server.PromptServer is PromptServer
    assert isinstance(PromptServer.instance, PromptServer)


def test_send_sync_reaches_the_handler_of_the_running_prompt(prompt_server: PromptServer, recorder_factory: type) -> None:
    handler = recorder_factory()
    prompt = {"1": {"class_type": "Messenger", "inputs": {"text": "hi"}}}
    PromptExecutor({"Messenger": Messenger}, handler=handler).execute(prompt, extra_data={"client_id": "c1"})
    assert [(e, d, sid) for e, d, sid in handler.events if e.startswith("pack.")] == [
        ("pack.message", {"text": "hi", "node": "1", "client": "c1"}, "c1"),
        ("pack.async", {"node": "1"}, "c1"),
    ]
    assert prompt_server.client_id is None, "outside a prompt: nothing running"


class Observer:
    def __init__(self) -> None:
        self.seen: list[tuple[Any, Any, str | None]] = []

    @hookimpl
    def comfy_on_event(self, event: Any, data: Any, prompt_id: str | None) -> None:
        self.seen.append((event, data, prompt_id))


def test_send_sync_reaches_event_plugins_without_a_handler() -> None:
    observer = Observer()
    pm = make_plugin_manager(load_entry_points=False, plugins=[observer])
    prompt = {"1": {"class_type": "Messenger", "inputs": {"text": "yo"}}}
    PromptExecutor({"Messenger": Messenger}, plugin_manager=pm).execute(prompt, prompt_id="p1")
    assert ("pack.message", {"text": "yo", "node": "1", "client": None}, "p1") in observer.seen


def test_send_sync_outside_a_prompt(prompt_server: PromptServer) -> None:
    prompt_server.send_sync("nobody.listens", {})  # dropped without error
    sent: list[tuple[Any, Any, str | None]] = []
    loop = asyncio.new_event_loop()
    try:
        prompt_server.bind(lambda e, d, sid: sent.append((e, d, sid)), loop=loop, prompt_queue="queue")
        prompt_server.send_sync("status", {"x": 1}, "sid-1")
        prompt_server.send_progress_text("working", "5")
        assert (prompt_server.loop, prompt_server.prompt_queue) == (loop, "queue")
    finally:
        prompt_server.bind()
        loop.close()
    assert sent == [("status", {"x": 1}, "sid-1"), (3, encode_text_for_progress("5", "working"), None)]
    assert prompt_server.loop is None and prompt_server.prompt_queue is None


def test_route_table_records_every_style() -> None:
    instance = PromptServer()

    @instance.routes.get("/a", name="a")
    async def a(request: Any) -> str:
        return "a"

    @instance.routes.view("/v")
    async def v(request: Any) -> str:
        return "v"

    instance.app.router.add_post("/b", a)
    instance.app.router.add_static("/s", "/tmp")
    instance.app.add_routes([RouteDef("DELETE", "/c", a)])
    instance.routes.route("patch", "/d")(a)
    items = list(instance.routes)
    assert [(r.method, r.path) for r in items if isinstance(r, RouteDef)] == [
        ("GET", "/a"),
        ("*", "/v"),
        ("POST", "/b"),
        ("DELETE", "/c"),
        ("PATCH", "/d"),
    ]
    assert items[0].kwargs == {"name": "a"} and items[0].handler is a
    assert [s.prefix for s in items if isinstance(s, StaticDef)] == ["/s"]
    assert len(instance.routes) == 6 and asyncio.run(a(None)) == "a"


def test_on_prompt_handlers(caplog: pytest.LogCaptureFixture) -> None:
    instance = PromptServer()

    def add_marker(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "marked": True}

    def broken(body: dict[str, Any]) -> dict[str, Any]:
        raise ValueError("bad handler")

    instance.add_on_prompt_handler(broken)
    instance.add_on_prompt_handler(add_marker)
    assert instance.trigger_on_prompt({"prompt": {}}) == {"prompt": {}, "marked": True}
    assert "bad handler" in caplog.text


def test_client_and_node_ids_outside_a_prompt() -> None:
    instance = PromptServer()
    instance.client_id = "set-by-server"
    instance.last_node_id = "9"
    instance.last_prompt_id = "p"
    assert (instance.client_id, instance.last_node_id, instance.last_prompt_id) == ("set-by-server", "9", "p")
    assert instance.supports == ["custom_nodes_from_web"]

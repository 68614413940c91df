"""`AsyncRemoteComfyClient` against a real server on 127.0.0.1 (`spec/api.md` §4, §10 item 8)."""

from __future__ import annotations

import asyncio
import os
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from server_helpers import RunningServer, image_prompt, raise_prompt, sleep_prompt

from comfy.client.aio_client import (
    AsyncRemoteComfyClient,
    ComfyClientError,
    ComfyConnectionError,
    ComfyTimeoutError,
    PromptExecutionError,
    PromptValidationError,
    QueueFullError,
)
from comfy.client.client_types import V1QueuePromptResponse

PNG_MAGIC = b"\x89PNG"


def int_output_prompt(value: int = 7) -> dict[str, Any]:
    return {"1": {"class_type": "TestIntOutput", "inputs": {"value": value}}}


def invalid_prompt() -> dict[str, Any]:
    """StubImage with a content value outside its list: a validation error."""
    prompt = image_prompt("remote-invalid")
    prompt["1"]["inputs"]["content"] = "NOT_A_COLOR"
    return prompt


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- §10 item 8 ---------------------------------------------------------------------------------


async def test_queue_prompt_returns_png_bytes(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        png = await client.queue_prompt(image_prompt("remote-png"))
    assert png is not None and png.startswith(PNG_MAGIC)


async def test_queue_prompt_api_two_view_urls_per_image(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        response = await client.queue_prompt_api(image_prompt("remote-api"))
        assert isinstance(response, V1QueuePromptResponse)
        assert len(response.urls) == 2
        for url in response.urls:
            parts = urllib.parse.urlsplit(url)
            assert parts.hostname in ("localhost", "127.0.0.1", "::1")
            assert parts.path == "/view"
            query = urllib.parse.parse_qs(parts.query)
            assert query["type"] == ["output"]
            async with client.session.get(url) as fetched:
                assert fetched.status == 200
                assert fetched.headers["Content-Type"] == "image/png"
                assert (await fetched.read()).startswith(PNG_MAGIC)
        assert response.outputs["2"]["images"][0]["filename"].startswith("remote-api")
        assert response.prompt_id
        two_images = image_prompt("remote-api2")
        two_images["1"]["inputs"]["batch_size"] = 2
        assert len(await client.queue_prompt_uris(two_images)) == 4
        import json

        from_text = await client.queue_prompt_api(json.dumps(image_prompt("remote-text")))
        assert len(from_text.urls) == 2


async def test_failures_raise_runtime_error(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        with pytest.raises(RuntimeError):
            await client.queue_prompt(invalid_prompt())
        with pytest.raises(RuntimeError):
            await client.queue_prompt(raise_prompt("remote boom"))
        with pytest.raises(RuntimeError):
            await client.queue_prompt_api(raise_prompt("remote boom"))
        with pytest.raises(RuntimeError):
            await client.queue_prompt_ui(raise_prompt("remote boom"))


# --- the seed's remote example ------------------------------------------------------------------


async def test_seed_remote_example(server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    prompt = image_prompt("seed-remote")
    server_address = server.url

    from comfy.client.aio_client import AsyncRemoteComfyClient

    client = AsyncRemoteComfyClient(server_address=server_address)
    # Now let's get the bytes of the PNG image saved by the SaveImage node:
    png_image_bytes = await client.queue_prompt(prompt)
    # You can save these bytes wherever you need!
    with open("image.png", "wb") as f:
        f.write(png_image_bytes)

    await client.close()
    assert (tmp_path / "image.png").read_bytes().startswith(PNG_MAGIC)


# --- every method -------------------------------------------------------------------------------


async def test_queue_prompt_without_image_gives_empty_bytes(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        assert await client.queue_prompt(int_output_prompt()) == b""
        response = await client.queue_prompt_api(int_output_prompt())
        assert response.urls == [] and "1" in response.outputs


async def test_validation_error_carries_the_error_dict(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        with pytest.raises(PromptValidationError) as caught:
            await client.queue_prompt_api(invalid_prompt())
        error = caught.value.error
        assert error["type"] == "prompt_outputs_failed_validation"
        assert {"type", "message", "details", "extra_info"} <= set(error)
        assert caught.value.node_errors["1"]["errors"][0]["type"] == "value_not_in_list"
        assert caught.value.status_code == 400
        # the classic route wraps it as {"error", "node_errors"}: same exception, same dict
        with pytest.raises(PromptValidationError) as classic:
            await client.queue_prompt_ui(invalid_prompt())
        assert classic.value.error["type"] == "prompt_outputs_failed_validation"
        assert "1" in classic.value.node_errors


async def test_execution_error_carries_the_status(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        with pytest.raises(PromptExecutionError) as caught:
            await client.queue_prompt(raise_prompt("remote failure"))
        assert caught.value.status["status_str"] == "error"
        assert caught.value.status["completed"] is False
        assert caught.value.status["messages"]
        assert caught.value.status_code == 500
        with pytest.raises(PromptExecutionError) as ui:
            await client.queue_prompt_ui(raise_prompt("remote failure ui"))
        assert ui.value.prompt_id


async def test_queue_and_forget_then_poll(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        prompt_id = await client.queue_and_forget_prompt_api(image_prompt("remote-async"))
        uuid.UUID(prompt_id)
        status, outputs = await client.poll_prompt_until_done(prompt_id, max_attempts=200, poll_interval=0.05)
        assert status == 200 and outputs is not None
        assert outputs["2"]["images"][0]["filename"].startswith("remote-async")
        assert "prompt" not in outputs and "status" not in outputs

        response = await client.get_prompt_status(prompt_id)
        async with response:
            assert response.status == 200
            assert (await response.json()) == outputs

        failed_id = await client.queue_and_forget_prompt_api(raise_prompt("async boom"))
        status, body = await client.poll_prompt_until_done(failed_id, max_attempts=200, poll_interval=0.05)
        assert status == 500 and body is not None and body["status_str"] == "error"

        assert await client.poll_prompt_until_done(str(uuid.uuid4()), max_attempts=3, poll_interval=0.01) == (404, None)


async def test_poll_gives_408_while_running_and_get_prompt_status_204(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        prompt_id = await client.queue_and_forget_prompt_api(sleep_prompt(1.0, value=11))
        response = await client.get_prompt_status(prompt_id)
        async with response:
            assert response.status == 204
        assert await client.poll_prompt_until_done(prompt_id, max_attempts=2, poll_interval=0.01) == (408, None)
        status, _ = await client.poll_prompt_until_done(prompt_id, max_attempts=400, poll_interval=0.05)
        assert status == 200


async def test_len_queue(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        assert await client.len_queue() == 0
        first = await client.queue_and_forget_prompt_api(sleep_prompt(1.0, value=21))
        second = await client.queue_and_forget_prompt_api(sleep_prompt(0.1, value=22))
        assert await client.len_queue() >= 1
        for prompt_id in (first, second):
            status, _ = await client.poll_prompt_until_done(prompt_id, max_attempts=400, poll_interval=0.05)
            assert status == 200
        assert await client.len_queue() == 0


async def test_queue_prompt_ui_returns_the_ui_outputs(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        outputs = await client.queue_prompt_ui(image_prompt("remote-ui"))
        images = outputs["2"]["images"]
        assert images[0]["filename"].startswith("remote-ui") and images[0]["type"] == "output"
        with pytest.raises(TypeError):
            outputs["3"] = {}  # type: ignore[index]
        other = await client.queue_prompt_ui(int_output_prompt(5))
        assert "1" in other or other == {}


async def test_concurrent_ui_prompts_share_one_client(server: RunningServer) -> None:
    async with AsyncRemoteComfyClient(server_address=server.url) as client:
        results = await asyncio.gather(*(client.queue_prompt_ui(image_prompt(f"remote-c{i}")) for i in range(3)))
    for i, outputs in enumerate(results):
        assert outputs["2"]["images"][0]["filename"].startswith(f"remote-c{i}")


# --- lifecycle and addresses --------------------------------------------------------------------


async def test_fresh_client_id_and_session_lifecycle(server: RunningServer) -> None:
    first = AsyncRemoteComfyClient(server_address=server.url)
    second = AsyncRemoteComfyClient(server_address=server.url)
    assert first.client_id != second.client_id
    assert first.websocket_address.endswith(f"/ws?clientId={first.client_id}")
    assert AsyncRemoteComfyClient(client_id="mine").client_id == "mine"
    async with first as entered:
        assert entered is first
        await first.len_queue()
        session = first.session
        assert not first.closed
    assert session.closed and first.closed
    await first.close()  # twice is fine
    assert await first.len_queue() == 0  # a new session after close
    await first.close()
    assert first.closed
    await second.close()


async def test_session_closed_after_an_error_inside_async_with(server: RunningServer) -> None:
    client = AsyncRemoteComfyClient(server_address=server.url)
    with pytest.raises(PromptValidationError):
        async with client:
            await client.queue_prompt(invalid_prompt())
    assert client.closed


def test_addresses() -> None:
    plain = AsyncRemoteComfyClient()
    assert plain.server_address == "http://localhost:8188"
    assert plain.websocket_address.startswith("ws://localhost:8188/ws?clientId=")
    secure = AsyncRemoteComfyClient(server_address="https://comfy.example.com/")
    assert secure.websocket_address == f"wss://comfy.example.com/ws?clientId={secure.client_id}"
    assert secure.url("/api/v1/prompts") == "https://comfy.example.com/api/v1/prompts"
    prefixed = AsyncRemoteComfyClient(server_address="http://example.com/comfy/")
    assert prefixed.url("/prompt") == "http://example.com/comfy/prompt"
    assert prefixed.websocket_address.startswith("ws://example.com/comfy/ws?clientId=")
    bare = AsyncRemoteComfyClient(server_address="127.0.0.1:9000")
    assert bare.url("prompt") == "http://127.0.0.1:9000/prompt"
    custom = AsyncRemoteComfyClient(websocket_address="ws://elsewhere/ws")
    assert custom.websocket_address == "ws://elsewhere/ws"
    with pytest.raises(ValueError):
        AsyncRemoteComfyClient(server_address="ftp://example.com")


async def test_path_prefix_is_kept(server: RunningServer) -> None:
    # every route also answers under /api: a prefix of "/api" must reach /api/api/v1/prompts... so use
    # the classic routes, which exist at /api/prompt and /api/ws
    async with AsyncRemoteComfyClient(server_address=server.url + "/api") as client:
        assert client.websocket_address.startswith(server.url.replace("http", "ws", 1) + "/api/ws?")
        assert await client.len_queue() == 0
        outputs = await client.queue_prompt_ui(image_prompt("remote-prefix"))
        assert outputs["2"]["images"][0]["filename"].startswith("remote-prefix")


# --- distinct errors ----------------------------------------------------------------------------


async def test_connection_error() -> None:
    async with AsyncRemoteComfyClient(server_address=f"http://127.0.0.1:{closed_port()}") as client:
        with pytest.raises(ComfyConnectionError) as caught:
            await client.queue_prompt(image_prompt())
        assert isinstance(caught.value, ConnectionError) and isinstance(caught.value, RuntimeError)
        with pytest.raises(ComfyConnectionError):
            await client.queue_prompt_ui(image_prompt())
        with pytest.raises(ComfyConnectionError):
            await client.len_queue()


async def test_connection_error_retries_are_opt_in() -> None:
    port = closed_port()
    async with AsyncRemoteComfyClient(server_address=f"http://127.0.0.1:{port}", retries=2, retry_delay=0.01) as client:
        calls = 0
        original = client._build_headers

        def counting(*args: Any, **kwargs: Any) -> dict[str, str]:
            nonlocal calls
            calls += 1
            return original(*args, **kwargs)

        client._build_headers = counting  # type: ignore[method-assign]
        with pytest.raises(ComfyConnectionError):
            await client.len_queue()
        assert calls == 3


async def test_timeout_error(make_server: Any) -> None:
    running = make_server()
    async with AsyncRemoteComfyClient(server_address=running.url, timeout=aiohttp.ClientTimeout(total=0.3)) as client:
        with pytest.raises(ComfyTimeoutError) as caught:
            await client.queue_prompt(sleep_prompt(2.0, value=31))
        assert isinstance(caught.value, TimeoutError) and isinstance(caught.value, RuntimeError)
        with pytest.raises(ComfyTimeoutError):  # the websocket routes bound the whole run too
            await client.queue_prompt_ui(sleep_prompt(2.0, value=32))
        with pytest.raises(ComfyTimeoutError):
            await client.queue_with_progress(sleep_prompt(2.0, value=33)).get()


async def test_queue_full_error_with_retry_after(make_server: Any) -> None:
    running = make_server(max_queue_size=0)
    async with AsyncRemoteComfyClient(server_address=running.url) as client:
        with pytest.raises(QueueFullError) as caught:
            await client.queue_prompt(image_prompt())
        assert caught.value.status_code == 429 and caught.value.retry_after is not None
        with pytest.raises(QueueFullError):
            await client.queue_and_forget_prompt_api(image_prompt())
        with pytest.raises(QueueFullError) as classic:
            await client.queue_prompt_ui(image_prompt())
        assert classic.value.retry_after == 1.0
        with pytest.raises(QueueFullError):
            await client.queue_with_progress(image_prompt()).get()
        assert await client.get_jobs() == {"jobs": [], "pagination": {"offset": 0, "limit": None, "total": 0, "has_more": False}}
    async with AsyncRemoteComfyClient(server_address=running.url, retries=1) as retrying:
        started = asyncio.get_running_loop().time()
        with pytest.raises(QueueFullError):
            await retrying.queue_prompt(image_prompt())
        assert asyncio.get_running_loop().time() - started >= 0.9  # waited Retry-After once


async def test_api_key(make_server: Any) -> None:
    running = make_server(api_key="s3cret")
    async with AsyncRemoteComfyClient(server_address=running.url) as anonymous:
        with pytest.raises(ComfyClientError) as caught:
            await anonymous.len_queue()
        assert caught.value.status_code == 401
    async with AsyncRemoteComfyClient(server_address=running.url, api_key="s3cret") as client:
        assert await client.len_queue() == 0
        assert (await client.queue_prompt(image_prompt("remote-key"))).startswith(PNG_MAGIC)
        outputs = await client.queue_prompt_ui(image_prompt("remote-key-ui"))
        assert "2" in outputs


def test_imports_without_heavy_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import comfy.client.aio_client;"
        "bad = [m for m in ('torch', 'numpy', 'PIL', 'comfy._scheduler', 'comfy.execution', 'comfy.nodes') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONWARNINGS": "error"})

"""Helpers of the HTTP tests. A real server: uvicorn on 127.0.0.1, a free port, a fresh workspace.

`start_server(tmp_path, **options)` runs `comfy.server.app.create_app` under uvicorn (the same
server class `comfyui` uses, so shutdown behaves as in production) in a thread and returns a
`RunningServer` with its base URL. Nodes: the base and testing packs plus `PreviewEmitter` (sends one preview frame) and `SlowCounter`
(sends progress).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

import comfy_nodes_base
import comfy_nodes_testing
from comfy.cli_args_types import Configuration
from comfy.nodes.registry import NodeRegistry
from comfy.server.app import create_app
from comfy.server.main import _uvicorn_server, bind_sockets


class PreviewEmitter:
    """Output node: sends one 640×480 preview frame (JPEG or PNG), shows `{"text": ["done"]}`."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"format": (["JPEG", "PNG"],), "seed": ("INT", {"default": 0})}}

    RETURN_TYPES = ()
    FUNCTION = "emit"
    OUTPUT_NODE = True
    CATEGORY = "Testing/Server"

    def emit(self, format: str, seed: int) -> dict[str, Any]:
        from PIL import Image

        from comfy.utils import ProgressBar

        image = Image.new("RGB", (640, 480), (255, 0, 0))
        ProgressBar(2).update_absolute(1, 2, (format, image, 512))
        return {"ui": {"text": ["done"]}}


class SlowCounter:
    """Output node: `steps` progress updates `delay` seconds apart; shows `{"value": [steps]}`."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"steps": ("INT", {"default": 3}), "delay": ("FLOAT", {"default": 0.0})}}

    RETURN_TYPES = ()
    FUNCTION = "count"
    OUTPUT_NODE = True
    CATEGORY = "Testing/Server"

    def count(self, steps: int, delay: float) -> dict[str, Any]:
        from comfy.utils import ProgressBar

        bar = ProgressBar(steps)
        for _ in range(steps):
            time.sleep(delay)
            bar.update(1)
        return {"ui": {"value": [steps]}}


class DiskFull:
    """Output node that fails as a full disk does (`OSError` ENOSPC)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"seed": ("INT", {"default": 0})}}

    RETURN_TYPES = ()
    FUNCTION = "write"
    OUTPUT_NODE = True
    CATEGORY = "Testing/Server"

    def write(self, seed: int) -> dict[str, Any]:
        import errno

        raise OSError(errno.ENOSPC, "No space left on device")


def make_registry() -> NodeRegistry:
    return NodeRegistry(
        {
            **comfy_nodes_base.NODE_CLASS_MAPPINGS,
            **comfy_nodes_testing.NODE_CLASS_MAPPINGS,
            "PreviewEmitter": PreviewEmitter,
            "SlowCounter": SlowCounter,
            "DiskFull": DiskFull,
        },
        {**comfy_nodes_base.NODE_DISPLAY_NAME_MAPPINGS, **comfy_nodes_testing.NODE_DISPLAY_NAME_MAPPINGS},
    )


@dataclass
class RunningServer:
    url: str
    app: Any
    server: Any
    thread: threading.Thread
    workspace: Path

    @property
    def state(self) -> Any:
        return self.app.state.comfy

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[len("http") :] + "/ws"

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def stop(self, timeout: float = 20.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the server did not stop"


def start_server(workspace: Path, registry: NodeRegistry | None = None, **options: Any) -> RunningServer:
    (sock,) = bind_sockets("127.0.0.1", 0)
    port = sock.getsockname()[1]
    configuration = Configuration()
    configuration.cwd = str(workspace)
    configuration.port = port
    configuration.logging_level = "WARNING"
    for key, value in options.items():
        configuration[key] = value
    for folder in ("input", "output", "temp"):
        (workspace / folder).mkdir(parents=True, exist_ok=True)
    app = create_app(configuration, registry=registry if registry is not None else make_registry())
    server = _uvicorn_server(app, configuration)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    return RunningServer(f"http://127.0.0.1:{port}", app, server, thread, workspace)


# --- prompts ------------------------------------------------------------------------------------


def image_prompt(prefix: str = "server", content: str = "WHITE", size: int = 8) -> dict[str, Any]:
    """StubImage → SaveImage: one PNG in the output folder."""
    return {
        "1": {"class_type": "StubImage", "inputs": {"content": content, "height": size, "width": size, "batch_size": 1}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": prefix}},
    }


def int_prompt(value: int = 1) -> dict[str, Any]:
    """PrimitiveInt → PreviewAny: no image, a text output."""
    return {
        "1": {"class_type": "PrimitiveInt", "inputs": {"value": value}},
        "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
    }


def raise_prompt(message: str = "boom") -> dict[str, Any]:
    """A node that raises RuntimeError(message), feeding an output node."""
    return {
        "1": {"class_type": "TestRaise", "inputs": {"message": message}},
        "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
    }


def sleep_prompt(seconds: float, value: int = 0) -> dict[str, Any]:
    """A prompt that runs for about `seconds` (TestSleep), reporting progress."""
    return {
        "1": {"class_type": "PrimitiveInt", "inputs": {"value": value}},
        "2": {"class_type": "TestSleep", "inputs": {"value": ["1", 0], "seconds": seconds}},
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
    }


def blocking_prompt(value: int = 0) -> dict[str, Any]:
    """A prompt that runs until interrupted (TestSleepUntilInterrupted, 60 s at most)."""
    return {
        "1": {"class_type": "PrimitiveInt", "inputs": {"value": value}},
        "2": {"class_type": "TestSleepUntilInterrupted", "inputs": {"value": ["1", 0], "max_seconds": 60.0}},
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
    }


def wait_until(predicate: Callable[[], Any], timeout: float = 60.0, interval: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(interval)

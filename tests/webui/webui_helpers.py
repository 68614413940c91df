"""Helpers of the web UI tests: the tiny checkpoint, the registry, a page that records errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from server_helpers import make_registry

CHECKPOINT = "tiny_sd15.safetensors"


def frontend_installed() -> bool:
    from comfy.server.frontend import package_static_root

    return package_static_root() is not None


requires_frontend = pytest.mark.skipif(not frontend_installed(), reason="comfyui-frontend-package (the comfy-server[ui] extra) is not installed")


def sd_registry() -> Any:
    """The base and testing packs (with the HTTP tests' extra nodes) plus the SD plugin's nodes."""
    from comfy.nodes.registry import NodeRegistry

    import comfy_nodes_sd

    base = make_registry()
    return NodeRegistry(
        {**base.NODE_CLASS_MAPPINGS, **comfy_nodes_sd.NODE_CLASS_MAPPINGS},
        {**base.NODE_DISPLAY_NAME_MAPPINGS, **comfy_nodes_sd.NODE_DISPLAY_NAME_MAPPINGS},
    )


def write_checkpoint(folder: Path) -> Path:
    """`folder/tiny_sd15.safetensors`, a tiny random-weight SD1.5 checkpoint (original key layout)."""
    try:
        from comfy_nodes_sd.tiny import make_checkpoint
    except ImportError as e:
        pytest.skip(f"comfy_nodes_sd.tiny (the tiny checkpoint writer) is not available: {e}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CHECKPOINT
    if not path.is_file():
        make_checkpoint("sd15", str(path), seed=0)
    return path


@dataclass
class PageLog:
    """What a page reported: console errors and HTTP errors from our server, uncaught errors."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        if where.startswith(self.origin):  # errors about other hosts (blocked here) are not ours
            self.console_errors.append(f"{message.text} ({where})")

    def on_response(self, response: Any) -> None:
        if response.status >= 400 and response.url.startswith(self.origin):
            self.http_errors.append(f"{response.status} {response.request.method} {response.url}")


LOAD_TIMEOUT_MS = 240_000
"""Loading the UI (20 MB of JavaScript) takes seconds; on a busy CI machine, minutes."""


def open_ui(browser: Any, origin: str) -> tuple[Any, Any, PageLog]:
    """A new browser context and page showing the UI at `origin` (loaded: the app is up, its
    websocket open, the node definitions registered; the template gallery a new user first
    sees is closed), whose requests to other hosts are aborted (the frontend asks api.comfy.org for
    release notes; tests stay offline), and the `PageLog` recording what it reports."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    context.route(lambda url: not url.startswith(origin), lambda route: route.abort())
    page = context.new_page()
    log = PageLog(origin)
    page.on("console", log.on_console)
    page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    page.on("response", log.on_response)
    page.goto(origin + "/")
    page.wait_for_function(
        """() => window.app?.graph && window.comfyAPI?.api?.api?.socket?.readyState === 1
            && Object.keys(window.LiteGraph?.registered_node_types ?? {}).length > 0
            && !document.getElementById('splash-loader')""",
        timeout=LOAD_TIMEOUT_MS,
    )
    # a new user gets the template gallery (the frontend then marks the tutorial completed): close it
    page.wait_for_function("() => window.app.extensionManager?.setting?.get('Comfy.TutorialCompleted') === true", timeout=LOAD_TIMEOUT_MS)
    gallery = page.locator("[role=dialog]").filter(has_text="Templates")
    if gallery.count():
        page.keyboard.press("Escape")
        gallery.wait_for(state="detached", timeout=30_000)
    return context, page, log

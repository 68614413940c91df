"""Fixtures of the web UI tests: a real server over a workspace with a tiny SD1.5 checkpoint, and a
headless Chromium (Debian's `chromium`) driven by Playwright.

- `ui_server` (module): uvicorn on 127.0.0.1 serving the base, testing and SD node packs and the
  frontend of `comfyui-frontend-package`; its workspace holds
  `models/checkpoints/tiny_sd15.safetensors` (written by `comfy_nodes_sd.tiny`, seeded).
- `chromium_executable`: the browser, or the test is skipped (CI installs it: `.ci/run`).
- `browser` (module): a Playwright-driven Chromium; pages are made by the tests
  (`webui_helpers.open_ui`).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server_helpers import RunningServer, start_server  # noqa: E402
from webui_helpers import sd_registry, write_checkpoint  # noqa: E402


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    pytest.importorskip("torch")
    workspace = tmp_path_factory.mktemp("webui-workspace")
    write_checkpoint(workspace / "models" / "checkpoints")
    running = start_server(workspace, registry=sd_registry())
    yield running
    running.stop()


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    explicit = os.environ.get("COMFY_TEST_CHROMIUM")
    for candidate in ([explicit] if explicit else []) + ["/usr/bin/chromium", "chromium", "chromium-browser"]:
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.path.exists(path):
            return path
    pytest.skip("no chromium executable (apt-get install chromium; CI's .ci/run installs it)")


@pytest.fixture(scope="module")
def browser(chromium_executable: str) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_executable, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()

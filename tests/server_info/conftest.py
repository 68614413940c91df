"""Fixtures of the file and info route tests: a real server (uvicorn on 127.0.0.1, in a thread)
over a prepared workspace, built with `tests/server/server_helpers.start_server`.

The workspace (`info_server.workspace`) holds:

- `output/red.png` (8×6 RGBA, alpha 128, a PNG text chunk), `output/sub/blue.png`,
  `input/green.png`, `temp/preview.png`, `output/page.html`, `output/data.json`;
- `output/link_out.png`, a symlink to a file outside the workspace (`outside/secret.png`);
- `models/checkpoints/tiny.safetensors`, `models/embeddings/{a.pt, sub/b.safetensors}`.

Its registry is the base and testing packs, `CheckpointLoaderSimple` when the SD plugin is
installed, and a web extension `seed_pages` whose folder holds `main.js`, `lib/util.js` and an
HTML page (`extension_dir`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from info_helpers import info_registry, prepare_workspace  # noqa: E402
from server_helpers import RunningServer, start_server  # noqa: E402


@pytest.fixture(scope="module")
def extension_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("web-extension")
    (folder / "lib").mkdir()
    (folder / "main.js").write_text("export const main = 1;\n")
    (folder / "lib" / "util.js").write_text("export const util = 2;\n")
    (folder / "style.css").write_text("body {}\n")
    return folder


@pytest.fixture(scope="module")
def info_server(tmp_path_factory: pytest.TempPathFactory, extension_dir: Path) -> Iterator[RunningServer]:
    workspace = tmp_path_factory.mktemp("info-workspace")
    prepare_workspace(workspace)
    running = start_server(workspace, registry=info_registry(extension_dir))
    yield running
    running.stop()


@pytest.fixture
def client(info_server: RunningServer) -> Iterator[httpx.Client]:
    with info_server.client() as http:
        yield http


@pytest.fixture
def small_server(tmp_path: Path, extension_dir: Path) -> Iterator[Callable[..., RunningServer]]:
    """Start servers with options (`small_server(max_upload_size=0.01)`) over a prepared workspace."""
    started: list[RunningServer] = []

    def make(**options: Any) -> RunningServer:
        workspace = tmp_path / f"ws{len(started)}"
        prepare_workspace(workspace)
        running = start_server(workspace, registry=info_registry(extension_dir), **options)
        started.append(running)
        return running

    yield make
    for running in started:
        if running.thread.is_alive():
            running.stop()

"""Fixtures: a workspace whose ``custom_nodes/`` holds the packs of ``packs/``, copied as files.

``packs/`` holds custom node packs written the way ComfyUI packs are (V1 mappings, V3
``io.ComfyNode`` classes behind ``comfy_entrypoint``, HTTP routes, browser messages, and packs that
fail to load). Each test gets its own copy in a fresh workspace, its own ``PromptServer.instance``,
and the registry ``load_registry`` builds for that workspace.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from comfy import folder_paths
from comfy.compat.prompt_server import PromptServer
from comfy.nodes.registry import NodeRegistry, load_registry
from comfy.plugins.manager import make_plugin_manager

PACKS = Path(__file__).parent / "packs"


class Recorder:
    """An event handler with ComfyUI's ``send_sync(event, data, sid)``, keeping every event."""

    def __init__(self, client_id: str | None = None) -> None:
        self.client_id = client_id
        self.events: list[tuple[Any, Any, str | None]] = []

    def send_sync(self, event: Any, data: Any, sid: str | None = None) -> None:
        self.events.append((event, data, sid))

    def of(self, event: Any) -> list[Any]:
        return [data for e, data, _ in self.events if e == event]

    def executing(self) -> list[str]:
        return [data["node"] for data in self.of("executing")]


@pytest.fixture
def recorder_factory() -> type[Recorder]:
    """The :class:`Recorder` class (``recorder_factory(client_id=...)``)."""
    return Recorder


def _forget_packs() -> None:
    for name in [n for n in sys.modules if n.startswith("comfy_custom_nodes_")]:
        del sys.modules[name]


@pytest.fixture
def prompt_server(monkeypatch: pytest.MonkeyPatch) -> PromptServer:
    """A fresh ``PromptServer.instance`` (packs record routes into it at import)."""
    server = PromptServer()
    monkeypatch.setattr(PromptServer, "instance", server)
    return server


@pytest.fixture
def compat_workspace(tmp_path: Path, prompt_server: PromptServer) -> Iterator[Path]:
    """A workspace with every pack of ``packs/`` in its ``custom_nodes/``, made current."""
    shutil.copytree(PACKS, tmp_path / "custom_nodes", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("input", "output", "temp", "models/checkpoints"):
        (tmp_path / name).mkdir(parents=True, exist_ok=True)
    (tmp_path / "models" / "checkpoints" / "tiny.safetensors").write_bytes(b"")
    with folder_paths.use_folder_paths(folder_paths.FolderPaths(str(tmp_path))):
        yield tmp_path
    _forget_packs()


@pytest.fixture
def registry(compat_workspace: Path) -> NodeRegistry:
    """The registry for the workspace: the installed plugins plus the packs."""
    return load_registry({"cwd": str(compat_workspace)}, plugin_manager=make_plugin_manager())


@pytest.fixture
def pack_module(registry: NodeRegistry) -> Any:
    """``pack_module(name)``: the imported module of a loaded pack (for its recorded state)."""

    def find(name: str) -> Any:
        for pack in registry.custom_node_packs:
            if pack.name == name:
                return sys.modules[pack.module_name]
        raise KeyError(name)

    return find

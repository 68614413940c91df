"""Shared fixtures: every test runs in its own workspace folder (input/, output/, temp/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from comfy import folder_paths

pytest_plugins = ["server_fixtures"]


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Path]:
    """A fresh workspace made current for this test (SaveImage writes under it)."""
    paths = folder_paths.FolderPaths(str(tmp_path))
    with folder_paths.use_folder_paths(paths):
        yield tmp_path


"""Live-server fixtures shared by the HTTP test directories (tests/server, tests/server_info,
tests/remote): `server` (module-wide, default options) and `make_server(**options)`; registered
for the whole suite by `pytest_plugins` in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from server_helpers import RunningServer, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("server-workspace"))
    yield running
    running.stop()


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Start servers with options (`make_server(max_queue_size=1)`); all stop after the test."""
    started: list[RunningServer] = []

    def make(**options: Any) -> RunningServer:
        running = start_server(tmp_path / f"ws{len(started)}", **options)
        started.append(running)
        return running

    yield make
    for running in started:
        if running.thread.is_alive():
            running.stop()

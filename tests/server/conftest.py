"""Fixtures of the HTTP tests: `server` (module-wide, default options), `make_server(**options)`
and `http` (an httpx client of `server`); see `server_helpers`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
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


@pytest.fixture(scope="module")
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client



"""Fixtures of the remote-client tests: a real server on 127.0.0.1 (see `tests/server/server_helpers`).

`remote_server` is module-wide with default options; `make_remote_server(**options)` starts
servers that stop after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from server_helpers import RunningServer, start_server


@pytest.fixture(scope="module")
def remote_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("remote-workspace"))
    yield running
    running.stop()


@pytest.fixture
def make_remote_server(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    started: list[RunningServer] = []

    def make(**options: Any) -> RunningServer:
        running = start_server(tmp_path / f"ws{len(started)}", **options)
        started.append(running)
        return running

    yield make
    for running in started:
        if running.thread.is_alive():
            running.stop()

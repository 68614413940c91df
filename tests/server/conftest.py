"""Fixtures of the HTTP tests: `http` (an httpx client of `server`); `server` and `make_server`
come from `server_fixtures`; see `server_helpers`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from server_helpers import RunningServer


@pytest.fixture(scope="module")
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client



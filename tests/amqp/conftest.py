"""Fixtures of the AMQP tests (also used by the frontend and STOMP tests).

- ``amqp_uri``: a broker. The system one (``COMFY_TEST_AMQP_URI``, default
  ``amqp://guest:guest@127.0.0.1:5672/``) when it answers, else a private ``rabbitmq-server``
  started for the session; skipped when neither exists.
- ``private_broker``: a RabbitMQ node of this module alone (its own node name, ports, mnesia
  folder), for tests that stop and start the broker.
- ``queue_name``: a cluster name of this test alone; its queues and exchanges are deleted after it.
- ``start_worker(count=1, *, uri=None, queue_name=None, args=(), env=None, prepare=None)``: ``comfyui-worker``
  processes with their own workspaces (no shared disk), waited for until ``/health`` answers 200;
  all stopped after the test. Returns a list of :class:`amqp_support.WorkerProcess`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from amqp_support import SYSTEM_URI, PrivateBroker, WorkerProcess, broker_answers, delete_cluster, rabbitmq_available, start_workers


@pytest.fixture(scope="session")
def amqp_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if broker_answers(SYSTEM_URI):
        yield SYSTEM_URI
        return
    if not rabbitmq_available():
        pytest.skip("no RabbitMQ broker answers and rabbitmq-server is not installed")
    broker = PrivateBroker(tmp_path_factory.mktemp("rabbitmq"))
    broker.start()
    try:
        yield broker.uri
    finally:
        broker.stop()


@pytest.fixture(scope="module")
def private_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    if not rabbitmq_available():
        pytest.skip("rabbitmq-server is not installed")
    broker = PrivateBroker(tmp_path_factory.mktemp("private-rabbitmq"))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def queue_name(amqp_uri: str) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    delete_cluster(amqp_uri, name)


@pytest.fixture
def start_worker(amqp_uri: str, queue_name: str, tmp_path: Path) -> Iterator[Callable[..., list[WorkerProcess]]]:
    started: list[WorkerProcess] = []

    def start(
        count: int = 1,
        *,
        uri: str | None = None,
        queue_name: str = queue_name,
        args: Any = (),
        env: dict[str, str] | None = None,
        prepare: Callable[[Path], None] | None = None,
    ) -> list[WorkerProcess]:
        return start_workers(uri or amqp_uri, queue_name, tmp_path / "workers", count, tuple(args), env, prepare, started=started)

    yield start
    for worker in started:
        worker.stop()
    by_cluster: dict[tuple[str, str], set[str]] = {}
    for worker in started:
        queue = worker.capability_queue()
        by_cluster.setdefault((worker.uri, worker.queue_name), set()).update([queue] if queue else [])
    for (uri, name), queues in by_cluster.items():
        if uri == amqp_uri:
            delete_cluster(uri, name, queues)

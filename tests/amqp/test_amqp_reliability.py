"""Delivery guarantees with real worker processes: concurrency, crashes, poison jobs, broker
restarts, cancel and interrupt, SIGTERM and /health."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiormq
import pytest
from amqp_support import PrivateBroker, WorkerProcess

from comfy.distributed.client import DistributedComfyClient
from comfy.distributed.errors import JobCancelledError, JobDeadLetteredError, JobInterruptedError

pytestmark = [pytest.mark.amqp, pytest.mark.slow]

StartWorker = Callable[..., list[WorkerProcess]]


def sleep_prompt(seconds: float, value: int = 1) -> dict[str, Any]:
    return {
        "1": {"class_type": "TestSleep", "inputs": {"value": value, "seconds": seconds}},
        "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}},
    }


UNTIL_INTERRUPTED = {
    "1": {"class_type": "TestSleepUntilInterrupted", "inputs": {"value": 1, "max_seconds": 120.0}},
    "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}},
}


async def wait_until(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{what} not reached within {timeout} s")


def running_worker(client: DistributedComfyClient, prompt_id: str) -> str | None:
    record = client.cluster.jobs.get(prompt_id)
    return record.worker_id if record is not None and record.state == "running" else None


def process_of(workers: list[WorkerProcess], worker_id: str) -> WorkerProcess:
    (found,) = [w for w in workers if f"-{w.pid}-" in worker_id]
    return found


async def test_three_workers_drain_thirty_jobs(amqp_uri: str, queue_name: str, start_worker: StartWorker) -> None:
    workers = start_worker(3)
    async with DistributedComfyClient(amqp_uri, queue_name) as client:
        await client.wait_for_workers(3)
        results = await asyncio.gather(*(client.queue_prompt_result(sleep_prompt(0.2 + i / 1000, i), timeout=120) for i in range(30)))
    assert [r.outputs["2"]["value"] for r in results] == [[i] for i in range(30)]
    by_worker: dict[str, int] = {}
    for result in results:
        by_worker[result.worker_id] = by_worker.get(result.worker_id, 0) + 1
    assert len(by_worker) == 3, by_worker  # prefetch 1: every worker took jobs
    assert all(w.health() == (200, "HEALTHY") for w in workers)


async def test_kill_9_mid_job_completes_elsewhere_once(amqp_uri: str, queue_name: str, start_worker: StartWorker) -> None:
    workers = start_worker(2)
    async with DistributedComfyClient(amqp_uri, queue_name) as client:
        await client.wait_for_workers(2)
        replies: list[str] = []
        client.cluster.listeners.append(lambda key, body: replies.append(body["worker_id"]) if key == "job.finished" else None)
        job = asyncio.create_task(client.queue_prompt_result(sleep_prompt(2.0, 42), prompt_id="survivor", timeout=120))
        first = await wait_until(lambda: running_worker(client, "survivor"), what="job start")
        victim = process_of(workers, first)
        victim.kill()
        result = await job
        assert result.outputs == {"2": {"value": [42]}}
        assert result.worker_id != first
        assert result.raw["attempt"] and client.task_count == 0
        await asyncio.sleep(0.5)
    assert replies == [result.worker_id]  # one answer: the dead worker never finished


async def test_poison_job_is_dead_lettered_with_an_error(amqp_uri: str, queue_name: str, start_worker: StartWorker) -> None:
    workers = start_worker(3, args=["--distributed-queue-delivery-limit", "1"])
    poison = {"1": {"class_type": "TestExitProcess", "inputs": {"exit_code": 3}}}
    async with DistributedComfyClient(amqp_uri, queue_name, consume_dead_letters=False) as client:
        await client.wait_for_workers(3)
        with pytest.raises(JobDeadLetteredError) as raised:
            await client.queue_prompt(poison, timeout=120)
        error = raised.value
        assert "delivery_limit" in str(error) or "x-delivery-limit" in str(error)
        assert error.status["status_str"] == "error"
        dead = await wait_until(lambda: [w for w in workers if w.process.poll() is not None], what="dead workers")
        await asyncio.sleep(0.5)
        dead = [w for w in workers if w.process.poll() is not None]
        assert len(dead) == 2 and all(w.process.returncode == 3 for w in dead)  # returned more than once: dead-lettered
        # the survivor answered the dead letter and still runs jobs
        assert await client.queue_prompt(sleep_prompt(0.01, 9), timeout=60) == {"2": {"value": [9]}}


async def test_broker_restart_loses_nothing(private_broker: PrivateBroker, tmp_path: Any, start_worker: StartWorker) -> None:
    name = f"restart-{uuid.uuid4().hex[:6]}"
    (worker,) = start_worker(1, uri=private_broker.uri, queue_name=name)
    async with DistributedComfyClient(private_broker.uri, name) as client:
        await client.wait_for_workers(1)
        before = [asyncio.create_task(client.queue_prompt(sleep_prompt(0.5, i), timeout=180)) for i in range(6)]
        await wait_until(lambda: client.cluster.history, what="a finished job")
        await asyncio.to_thread(private_broker.stop_app)
        await wait_until(lambda: worker.health() == (503, "UNHEALTHY"), timeout=10, what="unhealthy without a broker")
        during = [asyncio.create_task(client.queue_prompt(sleep_prompt(0.1, 100 + i), timeout=180)) for i in range(2)]
        await asyncio.sleep(0.5)
        await asyncio.to_thread(private_broker.start_app)
        results = await asyncio.gather(*before, *during)
        assert results == [{"2": {"value": [i]}} for i in [*range(6), 100, 101]]
        await wait_until(lambda: worker.health() == (200, "HEALTHY"), what="healthy again")


async def test_dropped_connections_lose_nothing(private_broker: PrivateBroker, start_worker: StartWorker) -> None:
    name = f"drop-{uuid.uuid4().hex[:6]}"
    (worker,) = start_worker(1, uri=private_broker.uri, queue_name=name)
    async with DistributedComfyClient(private_broker.uri, name) as client:
        await client.wait_for_workers(1)
        jobs = [asyncio.create_task(client.queue_prompt(sleep_prompt(1.5 if i == 0 else 0.1, i), timeout=120)) for i in range(3)]
        await wait_until(lambda: any(r.state == "running" for r in client.cluster.jobs.values()), what="a job running")
        await asyncio.to_thread(private_broker.close_connections)
        results = await asyncio.gather(*jobs)
        assert results == [{"2": {"value": [i]}} for i in range(3)]
        assert client.task_count == 0
    assert "reconnected to the broker" in worker.log()


async def test_cancel_a_queued_and_a_running_job(amqp_uri: str, queue_name: str, start_worker: StartWorker) -> None:
    start_worker(1)
    async with DistributedComfyClient(amqp_uri, queue_name) as client:
        await client.wait_for_workers(1)
        finished: dict[str, dict[str, Any]] = {}
        started: list[str] = []
        client.cluster.listeners.append(lambda key, body: finished.__setitem__(body["prompt_id"], body) if key == "job.finished" else None)
        client.cluster.listeners.append(lambda key, body: started.append(body["prompt_id"]) if key == "job.started" else None)
        running = asyncio.create_task(client.queue_prompt(UNTIL_INTERRUPTED, prompt_id="running"))
        queued = asyncio.create_task(client.queue_prompt(sleep_prompt(0.01, 5), prompt_id="queued"))
        await wait_until(lambda: running_worker(client, "running"), what="job start")
        await client.cancel("queued")
        with pytest.raises(JobCancelledError):
            await queued
        await client.cancel("running")
        with pytest.raises(JobCancelledError):
            await running
        await wait_until(lambda: {"running", "queued"} <= set(finished), what="both jobs finished")
        assert finished["running"]["status"]["status_str"] == "interrupted"
        assert finished["queued"]["status"]["status_str"] == "cancelled"
        assert "queued" not in started  # never ran
        # interrupt: the caller gets the worker's answer
        task = asyncio.create_task(client.queue_prompt(UNTIL_INTERRUPTED, prompt_id="interrupted"))
        await wait_until(lambda: running_worker(client, "interrupted"), what="job start")
        await client.interrupt("interrupted")
        with pytest.raises(JobInterruptedError):
            await task
        assert await client.queue_prompt(sleep_prompt(0.01, 6)) == {"2": {"value": [6]}}


async def test_sigterm_finishes_the_running_job(amqp_uri: str, queue_name: str, start_worker: StartWorker) -> None:
    (worker,) = start_worker(1)
    assert worker.health() == (200, "HEALTHY")
    async with DistributedComfyClient(amqp_uri, queue_name) as client:
        await client.wait_for_workers(1)
        job = asyncio.create_task(client.queue_prompt(sleep_prompt(1.5, 77), prompt_id="last", timeout=120))
        await wait_until(lambda: running_worker(client, "last"), what="job start")
        os.kill(worker.pid, signal.SIGTERM)
        await wait_until(lambda: worker.health() != (200, "HEALTHY"), timeout=10, what="unhealthy while stopping")
        await wait_until(lambda: "stopped consuming" in worker.log(), timeout=10, what="consumers cancelled")
        later = asyncio.create_task(client.queue_prompt(sleep_prompt(0.01, 78), prompt_id="later", timeout=120))
        assert await job == {"2": {"value": [77]}}
        assert await asyncio.to_thread(worker.process.wait, 30) == 0
        assert not later.done()  # the stopping worker took no new job
        (replacement,) = start_worker(1)
        assert await later == {"2": {"value": [78]}}
        assert replacement.health() == (200, "HEALTHY")


async def test_job_timeout_frees_the_worker(amqp_uri: str, queue_name: str, start_worker: StartWorker) -> None:
    start_worker(1)
    async with DistributedComfyClient(amqp_uri, queue_name) as client:
        await client.wait_for_workers(1)
        finished: dict[str, dict[str, Any]] = {}
        client.cluster.listeners.append(lambda key, body: finished.__setitem__(body["prompt_id"], body) if key == "job.finished" else None)
        with pytest.raises(TimeoutError):
            await client.queue_prompt(UNTIL_INTERRUPTED, prompt_id="slow", timeout=1.0)
        await wait_until(lambda: "slow" in finished, what="the worker gave up")
        assert finished["slow"]["status"]["status_str"] in ("error", "interrupted")
        assert await client.queue_prompt(sleep_prompt(0.01, 3), timeout=60) == {"2": {"value": [3]}}


async def test_deleted_capability_queue_is_declared_again(amqp_uri: str, queue_name: str, start_worker: StartWorker) -> None:
    (worker,) = start_worker(1)
    async with DistributedComfyClient(amqp_uri, queue_name) as client:
        (info,) = await client.wait_for_workers(1)
        assert await client.queue_prompt(sleep_prompt(0.01, 1)) == {"2": {"value": [1]}}
        connection = await aiormq.connect(amqp_uri)
        try:
            channel = await connection.channel()
            await channel.queue_delete(info.queue)  # the broker cancels the worker's consumer
        finally:
            await connection.close()
        # published at once: to the base queue if the capability queue is still missing
        assert await client.queue_prompt(sleep_prompt(0.01, 2), timeout=60) == {"2": {"value": [2]}}
        await wait_until(lambda: "reconnected to the broker" in worker.log(), what="the worker reconnected")
        assert await client.queue_prompt(sleep_prompt(0.01, 3), timeout=60) == {"2": {"value": [3]}}

"""AMQP round trips and throughput: trivial prompts through RabbitMQ and `comfyui-worker` processes.

Measures, against a real broker (``--uri``, default the local RabbitMQ) and real worker processes
(each with its own workspace):

- latency of one trivial prompt, sequential (median, p90): ``PrimitiveInt → PreviewAny`` with a
  new value each time (every node runs), through ``DistributedComfyClient`` and one worker;
- the added latency over the embedded client (``Comfy.queue_prompt`` of the same prompts in this
  process: the baseline, measured in the same run);
- throughput (jobs/s) of distinct trivial prompts with 1, 2 and 4 worker processes, the client
  keeping ``--in-flight`` prompts queued; the embedded client's sequential jobs/s as baseline.

    uv run python benchmarks/amqp_throughput.py [--requests 200] [--jobs 400] [--workers 1,2,4]

Prints a table. Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

WORKER = Path(sys.executable).with_name("comfyui-worker")


def trivial_prompt(value: int) -> dict[str, Any]:
    return {
        "1": {"class_type": "PrimitiveInt", "inputs": {"value": value}},
        "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
    }


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Worker:
    def __init__(self, uri: str, queue: str, root: Path) -> None:
        self.port = free_port()
        root.mkdir(parents=True, exist_ok=True)
        self.log = open(root / "worker.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(WORKER), f"--distributed-queue-connection-uri={uri}", "--distributed-queue-name", queue,
             "--health-port", str(self.port), "--cwd", str(root), "--logging-level", "WARNING"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("worker did not become healthy")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


async def embedded_baseline(requests: int, workspace: str) -> tuple[list[float], float]:
    from comfy.client.embedded_comfy_client import Comfy

    async with Comfy(configuration={"cwd": workspace}) as client:
        for i in range(20):
            await client.queue_prompt(trivial_prompt(-1 - i))
        samples = []
        for i in range(requests):
            start = time.perf_counter()
            await client.queue_prompt(trivial_prompt(i))
            samples.append(time.perf_counter() - start)
        start = time.perf_counter()
        for i in range(requests):
            await client.queue_prompt(trivial_prompt(10_000_000 + i))
        rate = requests / (time.perf_counter() - start)
    return samples, rate


async def amqp_latency(uri: str, queue: str, requests: int) -> list[float]:
    from comfy.distributed.client import DistributedComfyClient

    async with DistributedComfyClient(uri, queue) as client:
        await client.wait_for_workers(1)
        for i in range(20):
            await client.queue_prompt(trivial_prompt(-1 - i))
        samples = []
        for i in range(requests):
            start = time.perf_counter()
            await client.queue_prompt(trivial_prompt(i))
            samples.append(time.perf_counter() - start)
    return samples


async def amqp_throughput(uri: str, queue: str, workers: int, jobs: int, in_flight: int, offset: int) -> float:
    from comfy.distributed.client import DistributedComfyClient

    async with DistributedComfyClient(uri, queue) as client:
        await client.wait_for_workers(workers)
        await asyncio.gather(*(client.queue_prompt(trivial_prompt(-100 - i)) for i in range(workers * 4)))  # warm-up
        semaphore = asyncio.Semaphore(in_flight)

        async def one(value: int) -> None:
            async with semaphore:
                await client.queue_prompt(trivial_prompt(value))

        start = time.perf_counter()
        await asyncio.gather(*(one(offset + i) for i in range(jobs)))
        return jobs / (time.perf_counter() - start)


async def delete_cluster(uri: str, queue: str, extra: list[str]) -> None:
    import aiormq

    connection = await aiormq.connect(uri)
    for name in [queue, f"{queue}.dead", *extra]:
        channel = await connection.channel()
        try:
            await channel.queue_delete(name)
        except Exception:
            pass
    for suffix in ("dlx", "progress", "cluster"):
        channel = await connection.channel()
        try:
            await channel.exchange_delete(f"{queue}.{suffix}")
        except Exception:
            pass
    await connection.close()


async def capability_queues(uri: str, queue: str) -> list[str]:
    from comfy.distributed.client import DistributedComfyClient

    async with DistributedComfyClient(uri, queue, consume_dead_letters=False) as client:
        try:
            await client.wait_for_workers(1, timeout=3)
        except TimeoutError:
            return []
        return sorted({w.queue for w in client.workers})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", default=os.environ.get("COMFY_TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--requests", type=int, default=200, help="sequential prompts for the latency rows")
    parser.add_argument("--jobs", type=int, default=400, help="prompts per throughput row")
    parser.add_argument("--in-flight", type=int, default=16, help="prompts the client keeps queued")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    counts = [int(c) for c in args.workers.split(",")]
    root = Path(tempfile.mkdtemp(prefix="amqp-bench-"))
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    rows: list[tuple[str, str]] = []
    workers: list[Worker] = []
    try:
        base_samples, base_rate = asyncio.run(embedded_baseline(args.requests, str(root / "embedded")))
        workers.append(Worker(args.uri, queue, root / "w0"))
        workers[0].wait_healthy()
        samples = asyncio.run(amqp_latency(args.uri, queue, args.requests))
        embedded_median = statistics.median(base_samples) * 1000
        amqp_median = statistics.median(samples) * 1000
        rows += [
            ("embedded Comfy.queue_prompt, median / p90 (baseline)", f"{embedded_median:.2f} ms / {percentile(base_samples, 90) * 1000:.2f} ms"),
            ("AMQP DistributedComfyClient, 1 worker, median / p90", f"{amqp_median:.2f} ms / {percentile(samples, 90) * 1000:.2f} ms"),
            ("added latency of AMQP (median)", f"{amqp_median - embedded_median:.2f} ms"),
            ("embedded, sequential (baseline)", f"{base_rate:.0f} jobs/s"),
        ]
        offset = 1_000_000
        for count in counts:
            while len(workers) < count:
                workers.append(Worker(args.uri, queue, root / f"w{len(workers)}"))
            for worker in workers:
                worker.wait_healthy()
            rate = asyncio.run(amqp_throughput(args.uri, queue, count, args.jobs, args.in_flight, offset))
            offset += args.jobs
            rows.append((f"AMQP, {count} worker process{'es' if count > 1 else ''}, {args.in_flight} in flight", f"{rate:.0f} jobs/s"))
    finally:
        extra = asyncio.run(capability_queues(args.uri, queue)) if workers else []
        for worker in workers:
            worker.stop()
        asyncio.run(delete_cluster(args.uri, queue, extra))
        shutil.rmtree(root, ignore_errors=True)
    width = max(len(name) for name, _ in rows)
    print(f"\nAMQP round trips ({platform.node()}, {os.cpu_count()} CPUs, trivial prompt PrimitiveInt → PreviewAny, {args.requests} sequential, {args.jobs} per throughput row)\n")
    print(f"{'measure'.ljust(width)} | value")
    print(f"{'-' * width}-|-{'-' * 24}")
    for name, value in rows:
        print(f"{name.ljust(width)} | {value}")


if __name__ == "__main__":
    main()

"""HTTP round trips: trivial prompts through `POST /api/v1/prompts` of a real `comfyui` server.

Starts `comfyui --cwd <temp workspace> --port <free port>` as a child process and measures:

- time from process start to the first 200 on `/health` (median of `--starts` starts);
- the server's resident memory when idle, after start-up and again after the load below;
- round trip of one trivial prompt, sequential (median, p99): `PrimitiveInt → PreviewAny`
  with a new value every time ("distinct", every node runs) and the same prompt again
  ("cached"); `Accept: application/json`, so the answer is `{urls, outputs, prompt_id}`;
- throughput of distinct trivial prompts at 1, 8 and 64 concurrent clients (each client one
  keep-alive connection, posting and waiting for the result, then the next).

Baseline, in the same run: the embedded `PromptExecutor.execute` of the same prompts (what the
engine itself costs, no HTTP). The client is a minimal asyncio HTTP/1.1 client, so its own cost
stays small next to the server's.

    uv run python benchmarks/http_roundtrip.py [--requests 2000] [--starts 3]

Prints a table. Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psutil


def trivial_prompt(value: int) -> dict[str, Any]:
    return {
        "1": {"class_type": "PrimitiveInt", "inputs": {"value": value}},
        "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
    }


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the server process ----------------------------------------------------------------------------


class ServerProcess:
    def __init__(self, workspace: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [
            sys.executable,
            "-c",
            "from comfy.cmd.main import entrypoint; entrypoint()",
            "--cwd",
            workspace,
            "--port",
            str(self.port),
            "--logging-level",
            "WARNING",
        ]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.ready_after = self._wait_healthy()

    def _wait_healthy(self, timeout: float = 120.0) -> float:
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"comfyui exited with {self.process.returncode}: {self.process.stderr.read().decode()[-3000:]}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.002)
        raise TimeoutError("comfyui did not answer /health")

    def rss(self) -> int:
        return int(psutil.Process(self.process.pid).memory_info().rss)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()


@contextmanager
def server(workspace: str) -> Iterator[ServerProcess]:
    running = ServerProcess(workspace)
    try:
        yield running
    finally:
        running.stop()


# --- a minimal keep-alive HTTP/1.1 client ---------------------------------------------------------


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, f"127.0.0.1:{port}")

    async def post_json(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        return status, await self.reader.readexactly(length) if length else b""

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


class Counter:
    def __init__(self, start: int) -> None:
        self.value = start

    def next(self) -> int:
        self.value += 1
        return self.value


async def sequential(port: int, prompts: Callable[[], dict[str, Any]], n: int) -> list[float]:
    connection = await Connection.open(port)
    samples = []
    try:
        for _ in range(n):
            body = json.dumps(prompts()).encode()
            start = time.perf_counter()
            status, reply = await connection.post_json("/api/v1/prompts", body)
            samples.append(time.perf_counter() - start)
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {reply[:500]!r}")
    finally:
        await connection.close()
    return samples


async def concurrent(port: int, counter: Counter, clients: int, total: int) -> float:
    """Prompts per second with `clients` connections posting `total` distinct prompts in all."""
    connections = [await Connection.open(port) for _ in range(clients)]
    remaining = total

    async def client(connection: Connection) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            status, reply = await connection.post_json("/api/v1/prompts", json.dumps(trivial_prompt(counter.next())).encode())
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {reply[:500]!r}")

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - start
    for connection in connections:
        await connection.close()
    return total / elapsed


# --- the embedded baseline ------------------------------------------------------------------------------


def embedded(n: int) -> tuple[list[float], list[float], float]:
    from comfy.execution import PromptExecutor

    executor = PromptExecutor()
    executor.execute(trivial_prompt(-1))  # warm up
    distinct, cached = [], []
    for i in range(n):
        prompt = trivial_prompt(10_000_000 + i)
        start = time.perf_counter()
        executor.execute(prompt)
        distinct.append(time.perf_counter() - start)
    same = trivial_prompt(-2)
    executor.execute(same)
    for _ in range(n):
        start = time.perf_counter()
        executor.execute(same)
        cached.append(time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(n):
        executor.execute(trivial_prompt(20_000_000 + i))
    throughput = n / (time.perf_counter() - start)
    close = getattr(executor, "close", None)
    if callable(close):
        close()
    return distinct, cached, throughput


# --- report ---------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="round trips per measurement (default 2000)")
    parser.add_argument("--starts", type=int, default=3, help="server starts to time (default 3)")
    args = parser.parse_args()
    n = args.requests

    workspace = tempfile.mkdtemp(prefix="http-roundtrip-")
    rows: list[tuple[str, str, str]] = []
    try:
        start_times = []
        for _ in range(max(1, args.starts) - 1):
            with server(workspace) as running:
                start_times.append(running.ready_after)
        with server(workspace) as running:
            start_times.append(running.ready_after)
            time.sleep(1.0)
            idle_rss = running.rss()
            counter = Counter(0)

            async def load() -> dict[str, Any]:
                await sequential(running.port, lambda: trivial_prompt(counter.next()), 200)  # warm up
                distinct = await sequential(running.port, lambda: trivial_prompt(counter.next()), n)
                same = trivial_prompt(-7)
                cached = await sequential(running.port, lambda: same, n)
                throughput = {c: await concurrent(running.port, counter, c, n) for c in (1, 8, 64)}
                return {"distinct": distinct, "cached": cached, "throughput": throughput}

            results = asyncio.run(load())
            time.sleep(1.0)
            after_rss = running.rss()

        base_distinct, base_cached, base_throughput = embedded(n)

        rows.append(("server start → first 200 on /health", f"{statistics.median(start_times) * 1000:.0f} ms (median of {len(start_times)})", "—"))
        rows.append(("idle resident memory (after start / after load)", f"{idle_rss / 2**20:.1f} MiB / {after_rss / 2**20:.1f} MiB", "—"))
        for name, base in (("distinct", base_distinct), ("cached", base_cached)):
            samples = results[name]
            rows.append((f"round trip, {name} prompt: median", ms(statistics.median(samples)), ms(statistics.median(base))))
            rows.append((f"round trip, {name} prompt: p99", ms(percentile(samples, 99)), ms(percentile(base, 99))))
        for clients, rate in results["throughput"].items():
            rows.append((f"throughput, {clients} concurrent client{'s' if clients > 1 else ''}", f"{rate:,.0f} prompts/s", f"{base_throughput:,.0f} prompts/s (1 thread)"))
    finally:
        shutil.rmtree(workspace, ignore_errors=True)

    print(f"HTTP round trip: PrimitiveInt → PreviewAny via POST /api/v1/prompts (Accept: application/json), {n} requests per row")
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}; server: uvicorn on 127.0.0.1, one worker")
    print()
    widths = [max(len(r[i]) for r in rows + [("measure", "HTTP server", "baseline: embedded PromptExecutor.execute")]) for i in range(3)]
    header = ("measure", "HTTP server", "baseline: embedded PromptExecutor.execute")
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths)))


if __name__ == "__main__":
    main()

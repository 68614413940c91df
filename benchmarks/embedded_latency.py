"""Embedded client latency and throughput: what `Comfy.queue_prompt` adds to running a prompt.

The prompt is trivial (`StubInt` -> `TestIntOutput`, plain Python, no torch), so the numbers are
the client's own cost: copying the prompt, handing it to a worker thread (or process) and back,
history, events. Every table has its baseline, measured in the same run: `PromptExecutor.execute`
called directly on one executor.

Round trip (median and p99 over ``--n`` prompts): with a fresh constant each time (every node
runs) and fully cached (the same prompt again); embedded with no handler, with a progress
handler (every event made and delivered), and on the process executor.

Throughput (prompts/s) with 1, 2 and 4 workers, ``--throughput-n`` prompts queued at once: the
trivial prompt (bound by the GIL: more threads do not help), and a prompt whose node sleeps
``--sleep-ms`` (waiting releases the GIL, as torch kernels do: this is what workers are for).

    uv run python benchmarks/embedded_latency.py [--n 500] [--throughput-n 400] [--sleep-ms 10]

Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

_counter = itertools.count(1_000_000)


def trivial(value: int) -> dict[str, Any]:
    return {"1": {"class_type": "StubInt", "inputs": {"value": value}}, "2": {"class_type": "TestIntOutput", "inputs": {"value": ["1", 0]}}}


def sleeping(value: int, seconds: float) -> dict[str, Any]:
    return {
        "1": {"class_type": "StubInt", "inputs": {"value": value}},
        "2": {"class_type": "TestSleep", "inputs": {"value": ["1", 0], "seconds": seconds}},
        "3": {"class_type": "TestIntOutput", "inputs": {"value": ["2", 0]}},
    }


class CountingHandler:
    """A progress handler that receives every event (and only counts them)."""

    client_id = "benchmark"

    def __init__(self) -> None:
        self.count = 0

    def send_sync(self, event: Any, data: Any, sid: Any = None) -> None:
        self.count += 1


def summary(samples: list[float]) -> tuple[float, float]:
    """(median, p99) in microseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * len(ordered))) - 1)]
    return statistics.median(ordered) * 1e6, p99 * 1e6


def time_sync(fn: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


async def time_async(fn: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - start)
    return out


def row(name: str, samples: list[float], baseline: float | None = None) -> str:
    median, p99 = summary(samples)
    extra = f"{median - baseline:+10.1f}" if baseline is not None else f"{'(baseline)':>10}"
    return f"  {name:<44} {median:10.1f} {p99:10.1f} {extra}"


async def round_trips(n: int) -> None:
    from comfy.cli_args import default_configuration
    from comfy.client.embedded_comfy_client import Comfy
    from comfy.execution import PromptExecutor
    from comfy.nodes.registry import load_registry

    registry = load_registry()
    executor = PromptExecutor(registry, raise_exceptions=True)
    cached = trivial(7)
    for _ in range(20):
        executor.execute(trivial(next(_counter)))
    print(f"\nRound trip of a trivial prompt (StubInt -> TestIntOutput), {n} prompts, microseconds")
    print(f"  {'':<44} {'median':>10} {'p99':>10} {'vs base':>10}")
    base_fresh = time_sync(lambda: executor.execute(trivial(next(_counter))), n)
    executor.execute(cached)
    base_cached = time_sync(lambda: executor.execute(cached), n)
    print(row("PromptExecutor.execute, fresh constant", base_fresh))
    print(row("PromptExecutor.execute, fully cached", base_cached))
    b_fresh, b_cached = summary(base_fresh)[0], summary(base_cached)[0]

    async with Comfy() as client:
        for _ in range(20):
            await client.queue_prompt(trivial(next(_counter)))
        fresh = await time_async(lambda: client.queue_prompt(trivial(next(_counter))), n)
        await client.queue_prompt(cached)
        hits = await time_async(lambda: client.queue_prompt(cached), n)
    print(row("Comfy.queue_prompt, fresh constant", fresh, b_fresh))
    print(row("Comfy.queue_prompt, fully cached", hits, b_cached))

    handler = CountingHandler()
    async with Comfy(progress_handler=handler) as client:
        for _ in range(20):
            await client.queue_prompt(trivial(next(_counter)))
        with_events = await time_async(lambda: client.queue_prompt(trivial(next(_counter))), n)
    print(row(f"  + progress handler ({handler.count // (n + 20)} events/prompt)", with_events, b_fresh))

    config = default_configuration()
    config.cwd = os.getcwd()
    m = max(50, n // 5)
    async with Comfy(config, executor="ProcessPoolExecutor") as client:
        for _ in range(10):
            await client.queue_prompt(trivial(next(_counter)))
        in_process = await time_async(lambda: client.queue_prompt(trivial(next(_counter))), m)
        with_events = await time_async(lambda: client.queue_prompt(trivial(next(_counter)), progress_handler=handler), m)
    print(row(f"ProcessPoolExecutor, fresh constant ({m})", in_process, b_fresh))
    print(row(f"  + progress handler ({m})", with_events, b_fresh))
    executor.close()


async def throughput(n: int, sleep_ms: float) -> None:
    from comfy.client.embedded_comfy_client import Comfy
    from comfy.execution import PromptExecutor
    from comfy.nodes.registry import load_registry

    seconds = sleep_ms / 1000
    executor = PromptExecutor(load_registry(), raise_exceptions=True)
    kinds: list[tuple[str, Callable[[int], dict[str, Any]], int]] = [
        ("trivial", trivial, n),
        (f"{sleep_ms:g} ms sleep node", lambda v: sleeping(v, seconds), max(40, min(n, int(8 / max(seconds, 1e-3))))),
    ]
    print("\nThroughput, prompts per second (all queued at once)")
    print(f"  {'':<22} {'prompts':>8} {'direct':>10} {'1 worker':>10} {'2 workers':>10} {'4 workers':>10}")
    for name, make, count in kinds:

        def direct_rate() -> float:  # in a thread: async nodes need a thread without a running loop
            executor.execute(make(next(_counter)))
            start = time.perf_counter()
            for _ in range(count):
                executor.execute(make(next(_counter)))
            return count / (time.perf_counter() - start)

        direct = await asyncio.to_thread(direct_rate)
        rates = []
        for workers in (1, 2, 4):
            async with Comfy(max_workers=workers) as client:
                await asyncio.gather(*(client.queue_prompt(make(next(_counter))) for _ in range(workers * 4)))
                start = time.perf_counter()
                await asyncio.gather(*(client.queue_prompt(make(next(_counter))) for _ in range(count)))
                rates.append(count / (time.perf_counter() - start))
        print(f"  {name:<22} {count:8d} {direct:10.0f} " + " ".join(f"{r:10.0f}" for r in rates))
    executor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=500, help="prompts per round-trip measurement")
    parser.add_argument("--throughput-n", type=int, default=400, help="prompts per throughput measurement")
    parser.add_argument("--sleep-ms", type=float, default=10.0, help="how long the sleeping node waits")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="comfy-embedded-bench-") as workspace:
        os.chdir(workspace)  # outputs and temp files land here
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        asyncio.run(round_trips(args.n))
        asyncio.run(throughput(args.throughput_n, args.sleep_ms))


if __name__ == "__main__":
    main()

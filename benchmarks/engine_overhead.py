"""Engine overhead: validation, planning, per-node cost and fully cached re-runs.

Graphs of 10 to 10,000 cheap testing nodes (`StubInt`, `TestIdentity`, `TestIntMathOperation`,
`TestIntOutput`: plain Python, no torch) as a chain, a fan-out and a diamond lattice. The
baseline measured in the same run is the cost of calling the same node functions directly in
topological order, with no engine at all: the difference is the engine's overhead.

    uv run python benchmarks/engine_overhead.py [--sizes 10,100,1000,10000] [--repeat 5]

Prints medians. Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import comfy_nodes_testing
from comfy.execution import PromptExecutor

NODES = comfy_nodes_testing.NODE_CLASS_MAPPINGS


def chain(n: int) -> dict[str, Any]:
    p: dict[str, Any] = {"0": {"class_type": "StubInt", "inputs": {"value": 1}}}
    for i in range(1, n - 1):
        p[str(i)] = {"class_type": "TestIdentity", "inputs": {"value": [str(i - 1), 0]}}
    p[str(n - 1)] = {"class_type": "TestIntOutput", "inputs": {"value": [str(n - 2), 0]}}
    return p


def fan(n: int) -> dict[str, Any]:
    """One source feeding (n-1)/2 distinct nodes, each shown by its own output node."""
    p: dict[str, Any] = {"0": {"class_type": "StubInt", "inputs": {"value": 1}}}
    for i in range(1, (n + 1) // 2):
        p[f"{i}a"] = {"class_type": "TestIntMathOperation", "inputs": {"a": ["0", 0], "b": i, "operation": "add"}}
        p[f"{i}b"] = {"class_type": "TestIntOutput", "inputs": {"value": [f"{i}a", 0]}}
    return p


def lattice(n: int) -> dict[str, Any]:
    """Layers of width ~sqrt(n); node (k, i) combines (k-1, i) and (k-1, i+1); outputs at the end."""
    width = max(2, int(math.sqrt(n)))
    layers = max(2, n // width)
    p: dict[str, Any] = {}
    for i in range(width):
        p[f"0.{i}"] = {"class_type": "StubInt", "inputs": {"value": i}}
    for k in range(1, layers - 1):
        for i in range(width):
            p[f"{k}.{i}"] = {
                "class_type": "TestIntMathOperation",
                "inputs": {"a": [f"{k - 1}.{i}", 0], "b": [f"{k - 1}.{(i + 1) % width}", 0], "operation": "subtract"},
            }
    for i in range(width):
        p[f"{layers - 1}.{i}"] = {"class_type": "TestIntOutput", "inputs": {"value": [f"{layers - 2}.{i}", 0]}}
    return p


def salted(prompt: dict[str, Any], salt: int) -> dict[str, Any]:
    """The prompt with every `StubInt` root shifted, so no node's result is in the cache."""
    out = dict(prompt)
    for node_id, node in prompt.items():
        if node["class_type"] == "StubInt":
            out[node_id] = {"class_type": "StubInt", "inputs": {"value": node["inputs"]["value"] + 1_000_000 * salt}}
    return out


SHAPES: dict[str, Callable[[int], dict[str, Any]]] = {"chain": chain, "fan": fan, "lattice": lattice}


def direct_calls(prompt: dict[str, Any]) -> float:
    """Seconds to run the prompt's node functions directly, in the prompt's (topological) order."""
    start = time.perf_counter()
    values: dict[str, Any] = {}
    for node_id, node in prompt.items():
        cls = NODES[node["class_type"]]
        kwargs = {k: (values[v[0]][v[1]] if isinstance(v, list) else v) for k, v in node["inputs"].items()}
        result = getattr(cls(), cls.FUNCTION)(**kwargs)
        values[node_id] = result["result"] if isinstance(result, dict) else result
    return time.perf_counter() - start


class NullHandler:
    client_id = "bench"

    def send_sync(self, event: Any, data: Any, sid: Any = None) -> None:
        pass


def median_of(repeat: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(repeat))


def measure(prompt: dict[str, Any], repeat: int) -> dict[str, float]:
    n = len(prompt)
    ex = PromptExecutor(NODES)

    def validate() -> float:
        t = time.perf_counter()
        ex.validate(prompt)
        return time.perf_counter() - t

    def validate_plan() -> float:
        t = time.perf_counter()
        v = ex.validate(prompt)
        run = ex.engine.start(v.prepared, v.good_outputs, lambda *a: None)
        run.finish()
        return time.perf_counter() - t

    salt = iter(range(1, 1_000_000))

    def first_run(handler: Any = None) -> Callable[[], float]:
        """A warm engine running a graph none of whose results are cached (new root constants)."""
        executor = PromptExecutor(NODES, handler=handler)
        executor.execute(prompt)

        def go() -> float:
            fresh = salted(prompt, next(salt))
            t = time.perf_counter()
            executor.execute(fresh)
            return time.perf_counter() - t

        return go

    def cached() -> float:
        ex.execute(prompt)
        t = time.perf_counter()
        ex.execute(prompt)
        return time.perf_counter() - t

    return {
        "validate_ms": median_of(repeat, validate) * 1e3,
        "plan_ms": median_of(repeat, validate_plan) * 1e3,
        "first_us": median_of(repeat, first_run()) / n * 1e6,
        "events_us": median_of(repeat, first_run(NullHandler())) / n * 1e6,
        "cached_ms": median_of(repeat, cached) * 1e3,
        "direct_us": median_of(repeat, lambda: direct_calls(prompt)) / n * 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    sys.setrecursionlimit(10_000)
    print("Engine overhead (medians of %d runs; µs/node = run time / nodes; runs on a warm engine with new constants)" % args.repeat)
    header = (
        f"{'shape':8} {'nodes':>6} {'validate ms':>12} {'valid+plan ms':>14} {'run µs/node':>12} "
        f"{'+events µs/node':>16} {'cached ms':>10} {'baseline µs/node':>17} {'overhead µs/node':>17}"
    )
    print(header)
    print("-" * len(header))
    rows = {}
    for shape, make in SHAPES.items():
        for size in sizes:
            prompt = make(size)
            r = measure(prompt, args.repeat)
            rows[(shape, size)] = r
            print(
                f"{shape:8} {len(prompt):>6} {r['validate_ms']:>12.3f} {r['plan_ms']:>14.3f} {r['first_us']:>12.2f} "
                f"{r['events_us']:>16.2f} {r['cached_ms']:>10.3f} {r['direct_us']:>17.2f} {r['first_us'] - r['direct_us']:>17.2f}",
                flush=True,
            )
    print()
    print("Targets (issue 2, this 2-core machine):")
    big = max(sizes)
    worst_plan = max(r["plan_ms"] for (s, n), r in rows.items() if n == big)
    worst_overhead = max(r["first_us"] - r["direct_us"] for (s, n), r in rows.items() if n >= 100)
    print(f"  validate + plan of {big} nodes <= 20 ms: worst shape {worst_plan:.2f} ms")
    print(f"  engine overhead <= 20 µs per executed node: worst shape (>= 100 nodes) {worst_overhead:.2f} µs")
    if 1000 in sizes:
        worst_cached = max(r["cached_ms"] for (s, n), r in rows.items() if n == 1000)
        print(f"  fully cached re-run of 1,000 nodes <= 5 ms: worst shape {worst_cached:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

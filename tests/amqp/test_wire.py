"""The wire contract and the cluster view, without a broker."""

from __future__ import annotations

import time
from typing import Any

import pytest

from comfy.distributed import wire
from comfy.distributed.cluster import ClusterView
from comfy.distributed.dead_letters import death_reason
from comfy.distributed.errors import (
    JobCancelledError,
    JobDeadLetteredError,
    JobInterruptedError,
    JobTimeoutError,
    RemoteExecutionError,
    error_from_result,
)
from comfy.execution.errors import InterruptProcessingException, PromptValidationError

PROMPT = {"1": {"class_type": "A", "inputs": {}}, "2": {"class_type": "B", "inputs": {"x": ["1", 0]}}, "extra": "ignored"}


def test_names_of_a_cluster() -> None:
    names = wire.Names("cq")
    assert (names.queue, names.dead_letter_exchange, names.dead_letter_queue, names.progress_exchange, names.cluster_exchange) == (
        "cq", "cq.dlx", "cq.dead", "cq.progress", "cq.cluster",
    )  # fmt: skip
    assert names.capability_queue("abc") == "cq.nodes.abc" and names.reply_queue("r") == "cq.reply.r"
    with pytest.raises(ValueError):
        wire.Names("")


def test_nodes_hash_ignores_order_and_duplicates() -> None:
    digest = wire.nodes_hash(["B", "A", "A"])
    assert digest == wire.nodes_hash(["A", "B"]) != wire.nodes_hash(["A", "B", "C"])
    assert len(digest) == 16 and int(digest, 16) >= 0


def test_job_queue_arguments() -> None:
    names = wire.Names("q")
    assert wire.job_queue_arguments(names) == {"x-dead-letter-exchange": "q.dlx", "x-queue-type": "quorum", "x-delivery-limit": wire.DELIVERY_LIMIT}
    assert wire.job_queue_arguments(names, quorum=False) == {"x-dead-letter-exchange": "q.dlx"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (wire.job_body(PROMPT, "p1", "c1", {"k": 1}, ["2"], 5.0), {"prompt_id": "p1", "client_id": "c1", "partial_execution_targets": ["2"], "timeout": 5.0, "progress": True}),
        ({"request": {"prompt_id": "p2", "prompt": PROMPT}}, {"prompt_id": "p2", "client_id": "p2", "timeout": None, "progress": True}),
        ({"prompt": PROMPT, "progress": False}, {"prompt_id": "corr", "client_id": "corr", "progress": False}),
    ],
    ids=["current", "reference-shape", "correlation-id"],
)
def test_parse_job(body: dict[str, Any], expected: dict[str, Any]) -> None:
    job = wire.parse_job(wire.loads(wire.dumps(body)), "corr")
    assert job["prompt"] == PROMPT and job["version"] == wire.WIRE_VERSION
    assert {k: job[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({"prompt_id": "x"}, "no prompt"),
        ({"prompt": PROMPT}, "no prompt_id"),
        ({"prompt": PROMPT, "prompt_id": "x", "version": 99}, "unsupported job version"),
    ],
)
def test_parse_job_rejects(body: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wire.parse_job(body)


def test_prompt_class_types() -> None:
    assert wire.prompt_class_types(PROMPT) == {"A", "B"}


def test_dumps_is_json_only() -> None:
    assert wire.loads(wire.dumps({"s": {1}, "b": b"raw", "o": object})) == {"s": [1], "b": None, "o": str(object)}


@pytest.mark.parametrize(
    ("kind", "exception"),
    [
        ("interrupted", JobInterruptedError),
        ("cancelled", JobCancelledError),
        ("timeout", JobTimeoutError),
        ("dead_lettered", JobDeadLetteredError),
        ("execution", RemoteExecutionError),
        ("bad_request", RemoteExecutionError),
    ],
)
def test_errors_from_results(kind: str, exception: type[BaseException]) -> None:
    result = wire.error_result("p", kind, "went wrong")
    error = error_from_result(result)
    assert isinstance(error, exception) and "went wrong" in str(error)
    assert error.status == result["status"] and error.prompt_id == "p"  # type: ignore[attr-defined]
    if kind in ("interrupted", "cancelled"):
        assert isinstance(error, InterruptProcessingException)


def test_validation_error_keeps_comfyui_shape() -> None:
    node_errors = {"1": {"errors": [{"type": "value_not_in_list"}], "dependent_outputs": ["1"], "class_type": "A"}}
    result = wire.error_result("p", "validation", "bad", error={"type": "prompt_outputs_failed_validation"}, node_errors=node_errors)
    error = error_from_result(result)
    assert isinstance(error, PromptValidationError) and isinstance(error, ValueError)
    assert error.node_errors == node_errors and error.error == {"type": "prompt_outputs_failed_validation"}
    assert error_from_result({"prompt_id": "p", "status": wire.status_dict("success"), "error": None}) is None


def test_death_reason() -> None:
    headers = {"x-death": [{"reason": b"delivery_limit", "queue": b"q.nodes.x", "count": 1}]}
    assert death_reason(headers) == ("delivery_limit", "q.nodes.x", 1)
    assert death_reason({}) == ("unknown", "", 1)


def announce(worker_id: str, nodes: list[str], busy: bool = False) -> dict[str, Any]:
    return {
        "worker_id": worker_id,
        "queue": f"q.nodes.{wire.nodes_hash(nodes)}",
        "nodes_hash": wire.nodes_hash(nodes),
        "nodes": nodes,
        "object_info": {n: {"name": n, "worker": worker_id} for n in nodes},
        "busy": busy,
        "heartbeat_seconds": 1.0,
    }


def test_cluster_routes_by_nodes_and_idleness() -> None:
    view = ClusterView()
    view.handle(wire.ANNOUNCE, announce("w1", ["A", "B"], busy=True))
    view.handle(wire.ANNOUNCE, announce("w2", ["A", "B", "C"]))
    small, large = f"q.nodes.{wire.nodes_hash(['A', 'B'])}", f"q.nodes.{wire.nodes_hash(['A', 'B', 'C'])}"
    assert view.queue_for({"C"}) == large
    assert view.queue_for({"A"}) == large  # w1 is busy, w2 idle
    assert view.queue_for({"D"}) is None
    view.handle(wire.HEARTBEAT, {"worker_id": "w1", "nodes_hash": wire.nodes_hash(["A", "B"]), "busy": False})
    view.handle(wire.HEARTBEAT, {"worker_id": "w2", "nodes_hash": wire.nodes_hash(["A", "B", "C"]), "busy": True})
    assert view.queue_for({"A"}) == small
    assert set(view.object_info()) == {"A", "B", "C"}
    view.handle(wire.BYE, {"worker_id": "w2"})
    assert view.queue_for({"C"}) is None and [w.worker_id for w in view.live_workers()] == ["w1"]
    # a heartbeat of an unknown node set asks for an announcement; silence drops a worker
    view.handle(wire.HEARTBEAT, {"worker_id": "w9", "nodes_hash": "feed", "busy": False})
    assert view.unknown_hashes == {"feed"}
    view.workers["w1"].last_seen = time.monotonic() - 60
    assert view.live_workers() == []


def test_cluster_job_lifecycle() -> None:
    view = ClusterView(history_size=2)
    seen: list[str] = []
    view.listeners.append(lambda key, body: seen.append(key))
    view.handle(wire.JOB_QUEUED, {"prompt_id": "a", "client_id": "c", "prompt": {"1": {}}})
    view.handle(wire.JOB_QUEUED, {"prompt_id": "b", "client_id": "c"})
    view.handle(wire.JOB_STARTED, {"prompt_id": "a", "worker_id": "w"})
    assert [r.prompt_id for r in view.queue_running()] == ["a"] and [r.prompt_id for r in view.queue_pending()] == ["b"]
    for prompt_id in ("a", "b", "c"):
        view.handle(wire.JOB_FINISHED, {"prompt_id": prompt_id, "status": wire.status_dict("success"), "outputs": {}})
    assert list(view.history) == ["b", "c"] and view.jobs == {}
    view.handle(wire.JOB_STARTED, {"prompt_id": "c", "worker_id": "late"})  # a late duplicate
    assert view.jobs == {}
    assert seen[:3] == ["job.queued", "job.queued", "job.started"]

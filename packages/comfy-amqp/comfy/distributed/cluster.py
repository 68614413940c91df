"""What a participant knows of the cluster, from the ``Q.cluster`` exchange.

:class:`ClusterView` keeps the live workers (announcements and heartbeats; a worker unheard for
three heartbeats is dropped), their merged node schemas (``/object_info`` for a frontend without
plugins), the capability queue a prompt should go to, and the jobs' lifecycle (queued, running,
finished: a frontend's cluster-wide ``/queue`` and ``/history``).
"""

from __future__ import annotations

import collections
import dataclasses
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import wire

__all__ = ["WorkerInfo", "JobRecord", "ClusterView"]

_MISSED_HEARTBEATS = 3.0


@dataclasses.dataclass
class WorkerInfo:
    """One live worker, as it announced itself."""

    worker_id: str
    queue: str
    nodes_hash: str
    nodes: frozenset[str]
    object_info: dict[str, Any]
    heartbeat_seconds: float = wire.HEARTBEAT_SECONDS
    busy: bool = False
    prompt_id: str | None = None
    last_seen: float = dataclasses.field(default_factory=time.monotonic)

    def alive(self, now: float) -> bool:
        return now - self.last_seen <= self.heartbeat_seconds * _MISSED_HEARTBEATS + 1.0


@dataclasses.dataclass
class JobRecord:
    """A job's lifecycle as the cluster reported it."""

    prompt_id: str
    client_id: str = ""
    prompt: dict[str, Any] | None = None
    queue: str = ""
    state: str = "queued"
    """``queued``, ``running`` or ``finished``."""
    worker_id: str | None = None
    status: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    submitted_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    number: int = 0


class ClusterView:
    """Workers and jobs seen on the cluster exchange (fed by :meth:`handle`)."""

    def __init__(self, history_size: int = 10_000) -> None:
        self.workers: dict[str, WorkerInfo] = {}
        self.jobs: dict[str, JobRecord] = {}
        """Queued and running jobs, in submission order."""
        self.history: collections.OrderedDict[str, JobRecord] = collections.OrderedDict()
        """Finished jobs, oldest first (at most ``history_size``)."""
        self._history_size = history_size
        self._counter = 0
        self.unknown_hashes: set[str] = set()
        """Node-set hashes heard in heartbeats before their announcement (ask for it)."""
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []
        """Called as ``listener(routing_key, body)`` for every cluster message."""

    # -- feeding ---------------------------------------------------------------------------

    def handle(self, routing_key: str, body: dict[str, Any]) -> None:
        now = time.monotonic()
        if routing_key == wire.ANNOUNCE:
            self._announce(body, now)
        elif routing_key == wire.HEARTBEAT:
            self._heartbeat(body, now)
        elif routing_key == wire.BYE:
            self.workers.pop(str(body.get("worker_id")), None)
        elif routing_key == wire.JOB_QUEUED:
            self._job_queued(body)
        elif routing_key == wire.JOB_STARTED:
            self._job_started(body)
        elif routing_key == wire.JOB_FINISHED:
            self._job_finished(body)
        for listener in list(self.listeners):
            try:
                listener(routing_key, body)
            except Exception:
                pass

    def _announce(self, body: dict[str, Any], now: float) -> None:
        worker_id = str(body.get("worker_id"))
        nodes = frozenset(body.get("nodes") or ())
        self.workers[worker_id] = WorkerInfo(
            worker_id=worker_id,
            queue=str(body.get("queue")),
            nodes_hash=str(body.get("nodes_hash")),
            nodes=nodes,
            object_info=dict(body.get("object_info") or {}),
            heartbeat_seconds=float(body.get("heartbeat_seconds") or wire.HEARTBEAT_SECONDS),
            busy=bool(body.get("busy")),
            prompt_id=body.get("prompt_id"),
            last_seen=now,
        )
        self.unknown_hashes.discard(str(body.get("nodes_hash")))

    def _heartbeat(self, body: dict[str, Any], now: float) -> None:
        worker_id = str(body.get("worker_id"))
        worker = self.workers.get(worker_id)
        if worker is None:
            known = next((w for w in self.workers.values() if w.nodes_hash == body.get("nodes_hash")), None)
            if known is None:
                self.unknown_hashes.add(str(body.get("nodes_hash")))
                return
            worker = dataclasses.replace(known, worker_id=worker_id)
            self.workers[worker_id] = worker
        worker.last_seen = now
        worker.busy = bool(body.get("busy"))
        worker.prompt_id = body.get("prompt_id")
        worker.heartbeat_seconds = float(body.get("heartbeat_seconds") or worker.heartbeat_seconds)

    def _job_queued(self, body: dict[str, Any]) -> None:
        prompt_id = str(body.get("prompt_id"))
        if prompt_id in self.history:
            return
        record = self.jobs.get(prompt_id)
        if record is None:
            self._counter += 1
            record = JobRecord(prompt_id=prompt_id, number=self._counter)
            self.jobs[prompt_id] = record
        record.client_id = str(body.get("client_id") or "")
        record.prompt = body.get("prompt") if isinstance(body.get("prompt"), dict) else record.prompt
        record.queue = str(body.get("queue") or "")
        record.submitted_at = body.get("submitted_at")

    def _job_started(self, body: dict[str, Any]) -> None:
        prompt_id = str(body.get("prompt_id"))
        if prompt_id in self.history:
            return
        record = self.jobs.get(prompt_id)
        if record is None:
            self._counter += 1
            record = JobRecord(prompt_id=prompt_id, client_id=str(body.get("client_id") or ""), number=self._counter)
            self.jobs[prompt_id] = record
        record.state = "running"
        record.worker_id = body.get("worker_id")
        record.started_at = body.get("started_at")
        if isinstance(body.get("prompt"), dict) and record.prompt is None:
            record.prompt = body["prompt"]

    def _job_finished(self, body: dict[str, Any]) -> None:
        prompt_id = str(body.get("prompt_id"))
        record = self.jobs.pop(prompt_id, None) or self.history.pop(prompt_id, None)
        if record is None:
            self._counter += 1
            record = JobRecord(prompt_id=prompt_id, client_id=str(body.get("client_id") or ""), number=self._counter)
        record.state = "finished"
        record.worker_id = body.get("worker_id") or record.worker_id
        record.status = body.get("status")
        record.outputs = body.get("outputs") or {}
        record.finished_at = body.get("finished_at")
        self.history[prompt_id] = record
        while len(self.history) > self._history_size:
            self.history.popitem(last=False)

    # -- reading -----------------------------------------------------------------------------

    def live_workers(self) -> list[WorkerInfo]:
        now = time.monotonic()
        for worker_id in [w.worker_id for w in self.workers.values() if not w.alive(now)]:
            self.workers.pop(worker_id, None)
        return list(self.workers.values())

    def object_info(self) -> dict[str, Any]:
        """Every live worker's node schemas merged (``/object_info``)."""
        merged: dict[str, Any] = {}
        for worker in sorted(self.live_workers(), key=lambda w: w.worker_id):
            for class_type, info in worker.object_info.items():
                merged.setdefault(class_type, info)
        return merged

    def queue_for(self, class_types: set[str]) -> str | None:
        """The capability queue of live workers that have every class in ``class_types``
        (the one with the most idle workers; ties at random), or None."""
        groups: dict[str, list[WorkerInfo]] = {}
        for worker in self.live_workers():
            if class_types <= worker.nodes:
                groups.setdefault(worker.queue, []).append(worker)
        if not groups:
            return None
        best = max(sum(not w.busy for w in ws) for ws in groups.values())
        candidates = [queue for queue, ws in groups.items() if sum(not w.busy for w in ws) == best]
        return random.choice(candidates)

    def queue_running(self) -> list[JobRecord]:
        return [r for r in self.jobs.values() if r.state == "running"]

    def queue_pending(self) -> list[JobRecord]:
        return [r for r in self.jobs.values() if r.state == "queued"]

    def forget(self, prompt_ids: Mapping[str, Any] | list[str] | None = None) -> None:
        """Drop history entries (all when None)."""
        if prompt_ids is None:
            self.history.clear()
            return
        for prompt_id in prompt_ids:
            self.history.pop(prompt_id, None)

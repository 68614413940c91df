"""`comfyui-worker`: a distributed-queue worker process (also `comfyui --distributed-queue-worker`).

::

    comfyui-worker --distributed-queue-connection-uri=amqp://guest:guest@rabbit:5672/ \\
        [--distributed-queue-name comfyui] [--health-port 9090] [--cwd /srv/comfy] [any comfyui option]

Worker-only tuning options (``comfyui-worker`` only): ``--heartbeat-seconds`` (default 2),
``--distributed-queue-delivery-limit`` (``x-delivery-limit`` of queues this worker creates,
default 2), ``--distributed-queue-max-file-bytes`` (output files are sent only while a job's files
total at most this, default 256 MiB), ``--worker-id``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import Any

from . import wire

__all__ = ["main", "run_worker", "entrypoint"]


def _tuning_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--heartbeat-seconds", type=float, default=wire.HEARTBEAT_SECONDS)
    parser.add_argument("--distributed-queue-delivery-limit", type=int, default=wire.DELIVERY_LIMIT)
    parser.add_argument("--distributed-queue-max-file-bytes", type=int, default=wire.MAX_INLINE_FILE_BYTES)
    parser.add_argument("--worker-id", type=str, default=None)
    return parser


def run_worker(config: Any, tuning: argparse.Namespace | None = None) -> int:
    """Run a worker with a parsed configuration until SIGTERM/SIGINT; returns the exit code."""
    from comfy.cmd.main import start_up

    from .worker import DistributedWorker

    uri = config.get("distributed_queue_connection_uri")
    if not uri:
        print("comfyui-worker: --distributed-queue-connection-uri is required (e.g. amqp://guest:guest@127.0.0.1:5672/)", file=sys.stderr)
        return 2
    if tuning is None:
        tuning = _tuning_parser().parse_args([])
    config["distributed_queue_worker"] = True
    config["distributed_queue_frontend"] = False
    start_up(config)
    worker = DistributedWorker(
        uri,
        config.get("distributed_queue_name") or wire.DEFAULT_QUEUE_NAME,
        config,
        health_port=config.get("health_port"),
        heartbeat_seconds=tuning.heartbeat_seconds,
        delivery_limit=tuning.distributed_queue_delivery_limit,
        max_file_bytes=tuning.distributed_queue_max_file_bytes,
        worker_id=tuning.worker_id,
    )
    try:
        return asyncio.run(worker.run())
    except KeyboardInterrupt:
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    from comfy.cli_args import parse_args

    args = list(sys.argv[1:] if argv is None else argv)
    tuning, rest = _tuning_parser().parse_known_args(args)
    config = parse_args(rest)
    level = getattr(logging, str(config.logging_level or "INFO").upper(), logging.INFO)
    logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiormq").setLevel(max(level, logging.WARNING))
    return run_worker(config, tuning)


def entrypoint() -> None:
    sys.exit(main())

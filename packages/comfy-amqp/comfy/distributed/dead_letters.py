"""Answering dead-lettered jobs, so their callers get an error instead of waiting forever.

A job lands in ``Q.dead`` when its queue's ``x-delivery-limit`` is exceeded (the workers that
took it died: a poison job), when it expired (``expiration``), or when a router rejected it. Any
participant (workers, and clients unless told otherwise) consumes ``Q.dead`` as a competing
consumer: for each message it publishes a ``comfy.result`` with ``error.type = "dead_lettered"``
to the job's ``reply_to`` (same ``correlation_id``), announces ``job.finished`` and acks.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import aiormq
import aiormq.abc
from pamqp.commands import Basic

from . import wire
from .connection import ReconnectingConnection

__all__ = ["DeadLetterRelay", "death_reason"]

logger = logging.getLogger(__name__)


def death_reason(headers: dict[str, Any] | None) -> tuple[str, str, int]:
    """``(reason, queue, count)`` from a dead-lettered message's ``x-death`` headers."""
    deaths = (headers or {}).get("x-death") or []
    if deaths and isinstance(deaths, list) and isinstance(deaths[0], dict):
        first = deaths[0]
        reason = wire.header(first, "reason", "") or ""
        queue = wire.header(first, "queue", "") or ""
        count = int(first.get("count") or 1)
        return str(reason), str(queue), count
    return str(wire.header(headers, "x-first-death-reason", "unknown")), str(wire.header(headers, "x-first-death-queue", "")), 1


def _explain(reason: str, queue: str, delivery_count: int | None) -> str:
    if reason == "delivery_limit":
        times = f" {delivery_count} times" if delivery_count else ""
        return (
            f"the job was dead-lettered from queue {queue!r}: it was returned{times} by workers that died "
            "or lost their connection while running it (a poison job), more than the queue's x-delivery-limit"
        )
    if reason == "expired":
        return f"the job was dead-lettered from queue {queue!r}: it expired before a worker took it"
    return f"the job was dead-lettered from queue {queue!r} (reason: {reason})"


class DeadLetterRelay:
    """Consumes ``Q.dead`` on every (re)connect of ``connection``; see the module docstring."""

    def __init__(self, names: wire.Names, connection: ReconnectingConnection, participant: str) -> None:
        self.names = names
        self.connection = connection
        self.participant = participant
        self.answered = 0

    async def start(self, connection: aiormq.abc.AbstractConnection) -> None:
        channel = await connection.channel()
        await channel.basic_qos(prefetch_count=8)
        await channel.basic_consume(self.names.dead_letter_queue, self._on_message)

    async def _on_message(self, message: aiormq.abc.DeliveredMessage) -> None:
        properties = message.header.properties
        headers = dict(properties.headers or {})
        reason, queue, count = death_reason(headers)
        delivery_count = headers.get("x-delivery-count")
        prompt_id = str(properties.correlation_id or "")
        client_id = str(wire.header(headers, wire.H_CLIENT_ID, "") or "")
        try:
            body = wire.loads(message.body)
            job = wire.parse_job(body, properties.correlation_id)
            prompt_id = job["prompt_id"]
            client_id = job["client_id"]
        except (ValueError, UnicodeDecodeError):
            pass
        text = _explain(reason, queue, int(delivery_count) if isinstance(delivery_count, int) else None)
        logger.warning("dead-lettered job %s: %s", prompt_id or "?", text)
        result = wire.error_result(prompt_id, "dead_lettered", text, worker_id=self.participant, reason=reason, queue=queue)
        try:
            if properties.reply_to:
                await self.connection.publish(
                    wire.dumps(result),
                    routing_key=properties.reply_to,
                    properties=Basic.Properties(
                        content_type="application/json",
                        delivery_mode=2,
                        correlation_id=properties.correlation_id or prompt_id,
                        message_type=wire.RESULT,
                        headers={wire.H_VERSION: wire.WIRE_VERSION, wire.H_PROMPT_ID: prompt_id},
                    ),
                    retry=False,
                )
            await self.connection.publish(
                wire.dumps(
                    {
                        "version": wire.WIRE_VERSION,
                        "prompt_id": prompt_id,
                        "client_id": client_id,
                        "worker_id": None,
                        "status": result["status"],
                        "outputs": {},
                        "finished_at": time.time(),
                    }
                ),
                exchange=self.names.cluster_exchange,
                routing_key=wire.JOB_FINISHED,
                properties=Basic.Properties(content_type="application/json", message_type=wire.CLUSTER),
                retry=False,
            )
        except Exception:
            logger.warning("could not answer dead-lettered job %s; it stays in %s", prompt_id, self.names.dead_letter_queue, exc_info=True)
            try:
                await message.channel.basic_nack(message.delivery_tag or 0, requeue=True)
            except Exception:
                pass
            return
        self.answered += 1
        await message.channel.basic_ack(message.delivery_tag or 0)

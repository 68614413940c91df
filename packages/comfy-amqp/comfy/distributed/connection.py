"""A reconnecting aiormq connection, and the topology declarations both roles share.

:class:`ReconnectingConnection` keeps one AMQP connection up: it connects with exponential
backoff, runs the owner's ``on_connect(connection)`` after every (re)connect (declare topology,
start consumers), and lets callers :meth:`~ReconnectingConnection.publish` through a channel with
publisher confirms, waiting out a broker restart instead of failing. aiormq itself does not
reconnect (aio-pika's ``connect_robust`` does, but it is not a dependency).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiormq
import aiormq.exceptions
from pamqp.commands import Basic

from . import wire

__all__ = ["ReconnectingConnection", "declare_topology", "declare_job_queue", "CONNECTION_ERRORS", "REFUSALS"]

logger = logging.getLogger(__name__)

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    aiormq.exceptions.AMQPConnectionError,
    aiormq.exceptions.ChannelInvalidStateError,
    aiormq.exceptions.ChannelClosed,
    ConnectionError,
    OSError,
    RuntimeError,  # aiormq raises it for writes on a closed connection
)
"""What a publish raises when the connection went away (retry after the reconnect)."""

REFUSALS: tuple[type[BaseException], ...] = (
    aiormq.exceptions.ChannelNotFoundEntity,
    aiormq.exceptions.ChannelAccessRefused,
    aiormq.exceptions.ChannelPreconditionFailed,
    aiormq.exceptions.ChannelLockedResource,
)
"""The broker refused this publish (no such exchange, ...): raised, never retried."""
_NOT_RETRIED: tuple[type[BaseException], ...] = (aiormq.exceptions.PublishError, *REFUSALS)


class ReconnectingConnection:
    """One AMQP connection, re-established with backoff; see the module docstring.

    ``on_connect`` is awaited after each successful connect; if it raises, the connection is
    closed and retried. ``connected`` is set while a set-up connection is up.
    """

    def __init__(
        self,
        uri: str,
        on_connect: Callable[[aiormq.abc.AbstractConnection], Awaitable[None]],
        *,
        name: str = "comfy",
        max_delay: float = 5.0,
    ) -> None:
        self.uri = uri
        self.name = name
        self._on_connect = on_connect
        self._max_delay = max_delay
        self.connection: aiormq.abc.AbstractConnection | None = None
        self.channel: aiormq.abc.AbstractChannel | None = None
        """The confirming publish channel of the current connection."""
        self.connected = asyncio.Event()
        self.generation = 0
        """Increments on every successful (re)connect."""
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._first = asyncio.get_running_loop().create_future()
        self._unconfirmed: set[asyncio.Future[Any]] = set()
        self._channel_lock = asyncio.Lock()

    async def start(self, timeout: float | None = 30.0) -> None:
        """Connect (retrying) and return once the first connection is set up."""
        self._task = asyncio.create_task(self._supervise(), name=f"{self.name}-amqp")
        try:
            await asyncio.wait_for(asyncio.shield(self._first), timeout)
        except BaseException:
            await self.close()
            raise

    async def _supervise(self) -> None:
        delay = 0.2
        while not self._closing:
            connection: aiormq.abc.AbstractConnection | None = None
            try:
                connection = await aiormq.connect(self.uri)
                self.connection = connection
                self.channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
                await self._on_connect(connection)
                self.generation += 1
                self.connected.set()
                if not self._first.done():
                    self._first.set_result(None)
                if self.generation > 1:
                    logger.info("%s: reconnected to the broker", self.name)
                delay = 0.2
                # wait() does not raise: ``closing`` ends cancelled when our own close() ran
                await asyncio.wait([connection.closing])
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not self._first.done() and isinstance(error, aiormq.exceptions.AuthenticationError):
                    self._first.set_exception(error)
                    return
                if not self._closing:
                    logger.warning("%s: broker connection lost or refused (%s); retrying in %.1f s", self.name, error or type(error).__name__, delay)
            finally:
                self.connected.clear()
                self.channel = None
                if connection is not None and not connection.is_closed:
                    try:
                        await asyncio.wait_for(connection.close(), 5)
                    except Exception:
                        pass
            if self._closing:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_delay)

    def reconnect_on_consumer_cancel(self, channel: aiormq.abc.AbstractChannel) -> None:
        """When the broker cancels a consumer of ``channel`` (its queue was deleted), reconnect:
        the set-up declares the queues again and consumes them."""

        async def cancelled(frame: Any) -> None:
            connection = self.connection
            if self._closing or connection is None or connection.is_closed:
                return
            logger.warning("%s: the broker cancelled consumer %s; reconnecting", self.name, getattr(frame, "consumer_tag", "?"))
            # not awaited here: this runs inside the connection's reader, which close() waits for
            task = asyncio.ensure_future(connection.close())
            self._unconfirmed.add(task)
            task.add_done_callback(self._unconfirmed.discard)

        channel.on_consumer_cancel_callbacks.add(cancelled)

    async def wait_connected(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self.connected.wait(), timeout)

    async def publish(
        self,
        body: bytes,
        *,
        exchange: str = "",
        routing_key: str = "",
        properties: Basic.Properties | None = None,
        mandatory: bool = False,
        confirm: bool = True,
        retry: bool = True,
    ) -> None:
        """Publish and (with ``confirm``) wait for the broker's confirm; while the connection is
        down, wait for the reconnect and publish again (``retry``). A mandatory message nobody
        can route raises ``aiormq.exceptions.PublishError``; a nack raises ``DeliveryError``.

        Without ``confirm`` the message is handed to the connection and the call returns at once
        (fire and forget: progress, cluster events); such messages keep their order with every
        later publish, and :meth:`flush` waits until the broker has confirmed them.
        """
        if mandatory and properties is not None and not properties.message_id:
            properties.message_id = uuid.uuid4().hex
        while True:
            channel = await self._publish_channel()
            if not confirm:
                # aiormq's basic_publish enqueues its frames before its first suspension, so
                # tasks started in order publish in order
                task = asyncio.ensure_future(
                    channel.basic_publish(body, exchange=exchange, routing_key=routing_key, properties=properties, mandatory=mandatory)
                )
                self._unconfirmed.add(task)
                task.add_done_callback(self._forget)
                return
            try:
                result = await channel.basic_publish(
                    body, exchange=exchange, routing_key=routing_key, properties=properties, mandatory=mandatory
                )
            except _NOT_RETRIED:
                raise
            except CONNECTION_ERRORS as error:
                if not retry or self._closing:
                    raise
                logger.debug("%s: publish failed (%s); retrying after the reconnect", self.name, error)
                await asyncio.sleep(0.05)
                continue
            if isinstance(result, (Basic.Nack, Basic.Reject)):
                raise aiormq.exceptions.DeliveryError(None, result)
            return

    async def _publish_channel(self) -> aiormq.abc.AbstractChannel:
        """The publish channel; one the broker closed (e.g. a publish to an exchange that was
        deleted) is replaced while the connection stays up."""
        while True:
            await self.connected.wait()
            channel = self.channel
            if channel is not None and not channel.is_closed:
                return channel
            async with self._channel_lock:
                connection = self.connection
                if self.channel is not None and not self.channel.is_closed:
                    return self.channel
                if connection is not None and not connection.is_closed:
                    try:
                        self.channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
                        logger.warning("%s: the publish channel was closed; opened a new one", self.name)
                        return self.channel
                    except CONNECTION_ERRORS:
                        pass
            await asyncio.sleep(0.05)

    def _forget(self, task: asyncio.Future[Any]) -> None:
        self._unconfirmed.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.debug("%s: an unconfirmed publish failed: %s", self.name, task.exception())

    async def flush(self) -> None:
        """Wait until every fire-and-forget publish so far is confirmed (or failed)."""
        if self._unconfirmed:
            await asyncio.gather(*list(self._unconfirmed), return_exceptions=True)

    async def close(self) -> None:
        self._closing = True
        connection = self.connection
        if connection is not None and not connection.is_closed:
            try:
                await connection.close()
            except Exception:
                pass
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except BaseException:
                pass
            self._task = None


async def declare_job_queue(
    connection: aiormq.abc.AbstractConnection, names: wire.Names, queue: str, delivery_limit: int = wire.DELIVERY_LIMIT
) -> bool:
    """Declare a job queue (``Q`` or ``Q.nodes.*``): an existing one is used as it is; else a
    durable quorum queue, or a classic durable one where the broker has no quorum queues.
    Returns True for a quorum queue (or an existing one)."""
    channel = await connection.channel()
    try:
        await channel.queue_declare(queue, passive=True)
        await channel.close()
        return True
    except aiormq.exceptions.ChannelNotFoundEntity:
        pass
    channel = await connection.channel()
    try:
        await channel.queue_declare(queue, durable=True, arguments=wire.job_queue_arguments(names, True, delivery_limit))
        await channel.close()
        return True
    except aiormq.exceptions.ChannelPreconditionFailed:
        # declared meanwhile with other arguments: use it as it is
        return True
    except (aiormq.exceptions.ChannelAccessRefused, aiormq.exceptions.ConnectionNotImplemented, aiormq.exceptions.ChannelNotFoundEntity) as error:
        logger.warning("quorum queues are not available (%s); declaring %s as a classic durable queue", error, queue)
    channel = await connection.channel()
    await channel.queue_declare(queue, durable=True, arguments=wire.job_queue_arguments(names, False))
    await channel.close()
    return False


async def declare_topology(connection: aiormq.abc.AbstractConnection, names: wire.Names, delivery_limit: int = wire.DELIVERY_LIMIT) -> None:
    """The exchanges, the dead-letter queue and the base job queue (idempotent)."""
    channel = await connection.channel()
    await channel.exchange_declare(names.dead_letter_exchange, exchange_type="fanout", durable=True)
    await channel.exchange_declare(names.progress_exchange, exchange_type="direct", durable=True)
    await channel.exchange_declare(names.cluster_exchange, exchange_type="topic", durable=True)
    await channel.close()
    channel = await connection.channel()
    try:
        await channel.queue_declare(names.dead_letter_queue, passive=True)
    except aiormq.exceptions.ChannelNotFoundEntity:
        channel = await connection.channel()
        await channel.queue_declare(names.dead_letter_queue, durable=True)
    await channel.queue_bind(names.dead_letter_queue, names.dead_letter_exchange, routing_key="")
    await channel.close()
    await declare_job_queue(connection, names, names.queue, delivery_limit)

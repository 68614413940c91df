"""The worker's health endpoint: ``GET /health`` answers ``200 HEALTHY`` or ``503 UNHEALTHY``.

A few lines of asyncio instead of a web framework, so a worker needs no HTTP stack. Healthy means:
connected to the broker, consuming its queues, not stopping. Any other path is 404.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

__all__ = ["HealthServer"]

logger = logging.getLogger(__name__)


class HealthServer:
    """Serves ``/health`` on ``host:port`` while started; ``healthy()`` decides the answer."""

    def __init__(self, healthy: Callable[[], bool], port: int, host: str = "0.0.0.0") -> None:
        self.healthy = healthy
        self.port = port
        self.host = host
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        """Listen; a busy port is logged and the worker goes on without a health endpoint."""
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self.port)
        except OSError as error:
            logger.warning("health check: cannot listen on %s:%s (%s)", self.host, self.port, error)
            return
        if self.port == 0 and self._server.sockets:
            self.port = self._server.sockets[0].getsockname()[1]
        logger.info("health check on http://%s:%s/health", self.host, self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), 5)
            while True:  # skip the headers
                line = await asyncio.wait_for(reader.readline(), 5)
                if line in (b"\r\n", b"\n", b""):
                    break
            parts = request_line.decode("latin-1").split()
            path = parts[1].split("?", 1)[0] if len(parts) >= 2 else ""
            if path == "/health" and parts[0] in ("GET", "HEAD"):
                ok = self.healthy()
                status, text = ("200 OK", "HEALTHY") if ok else ("503 Service Unavailable", "UNHEALTHY")
            else:
                status, text = "404 Not Found", "Not Found"
            body = text.encode("ascii") if parts and parts[0] != "HEAD" else b""
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(text)}\r\nConnection: close\r\n\r\n".encode("ascii") + body
            )
            await writer.drain()
        except (asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

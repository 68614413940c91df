"""Request guards: origin check or CORS, the API key, the request-size and prompt-size limits.

`SecurityMiddleware` (pure ASGI, so it costs next to nothing per request) applies, in order:

1. Without `--enable-cors-header`: a request whose `Origin` names another host than its `Host`,
   when `Host` is a loopback address, is refused with 403 (ComfyUI's origin-only middleware: it
   stops a web page from posting prompts to a server on 127.0.0.1; API clients send no Origin).
   With `--enable-cors-header [ORIGIN]` (bare: `*`), every response carries the
   `Access-Control-Allow-*` headers and a preflight `OPTIONS` answers 200.
2. With `--api-key KEY`, every route but `/health` needs `Authorization: Bearer KEY` (401
   otherwise, with `WWW-Authenticate: Bearer`); websocket handshakes too. Preflight requests
   carry no credentials and pass.
3. A body larger than `--max-upload-size` MB is refused with 413: at once from `Content-Length`,
   or as soon as a streamed body passes the limit.

:func:`check_prompt_limits` enforces `--max-prompt-nodes` and `--max-string-length` on a parsed
prompt; routes answer its error (a ComfyUI error dict) with 400.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import urllib.parse
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from comfy.server.state import ServerState

__all__ = ["RequestTooLarge", "SecurityMiddleware", "check_prompt_limits", "is_loopback"]

logger = logging.getLogger(__name__)

UNAUTHENTICATED_PATHS = frozenset({"/health", "/api/health"})
"""Liveness probes answer without the API key."""

CORS_METHODS = "POST, GET, DELETE, PUT, OPTIONS, PATCH"
CORS_HEADERS = "Content-Type, Authorization, Accept, Prefer"
CORS_EXPOSE = "Location, Digest, Content-Disposition, Retry-After"


class RequestTooLarge(Exception):
    """A streamed request body went past `--max-upload-size` (answered with 413)."""


def is_loopback(hostname: str | None) -> bool:
    """Whether `hostname` is `localhost` or a loopback IP address."""
    if not hostname:
        return False
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def check_prompt_limits(prompt: Any, configuration: Any) -> dict[str, Any] | None:
    """A ComfyUI error dict when `prompt` has more nodes than `--max-prompt-nodes` or a string
    longer than `--max-string-length` (node ids and input names included), else None."""
    if not isinstance(prompt, dict):
        return None
    max_nodes = configuration.get("max_prompt_nodes")
    if max_nodes is not None and len(prompt) > int(max_nodes):
        return _limit_error(f"The prompt has {len(prompt)} nodes; at most {max_nodes} are accepted (--max-prompt-nodes).")
    max_len = configuration.get("max_string_length")
    if max_len is None:
        return None
    limit = int(max_len)
    stack: list[Any] = [prompt]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if len(value) > limit:
                return _limit_error(f"A string of the prompt has {len(value)} characters; at most {limit} are accepted (--max-string-length).")
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return None


def _limit_error(details: str) -> dict[str, Any]:
    return {"type": "invalid_prompt", "message": "Prompt too large", "details": details, "extra_info": {}}


async def _respond(send: Send, status: int, body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> None:
    raw = [(b"content-length", str(len(body)).encode()), *(headers or [])]
    if body:
        raw.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class SecurityMiddleware:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        config = state.configuration
        self.cors_origin: str | None = config.get("enable_cors_header")
        api_key = config.get("api_key")
        self.api_key: bytes | None = str(api_key).encode() if api_key else None
        self.max_body = state.max_upload_bytes
        self._cors_headers: list[tuple[bytes, bytes]] = []
        if self.cors_origin:
            self._cors_headers = [
                (b"access-control-allow-origin", self.cors_origin.encode()),
                (b"access-control-allow-methods", CORS_METHODS.encode()),
                (b"access-control-allow-headers", CORS_HEADERS.encode()),
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-expose-headers", CORS_EXPOSE.encode()),
            ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        is_http = kind == "http"
        if self.cors_origin is None:
            if self._cross_origin(headers):
                logger.warning("refusing a request whose Origin %s differs from its Host %s", headers.get("origin"), headers.get("host"))
                await self._refuse(scope, send, 403)
                return
        elif is_http and scope["method"] == "OPTIONS":
            await _respond(send, 200, headers=self._cors_headers)
            return
        if self.api_key is not None and scope["path"] not in UNAUTHENTICATED_PATHS and not self._authorized(headers):
            await self._refuse(scope, send, 401)
            return
        if not is_http:
            await self.app(scope, receive, send)
            return
        length = headers.get("content-length")
        if length is not None and length.isdigit():
            if int(length) > self.max_body:
                await self._too_large(send)
                return
            # the HTTP parser never delivers more than Content-Length: nothing to count
            await self.app(scope, receive, self._with_cors(send) if self._cors_headers else send)
            return
        raw_send = send
        if self._cors_headers:
            send = self._with_cors(send)
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        received = 0
        max_body = self.max_body

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    raise RequestTooLarge()
            return message

        try:
            await self.app(scope, receive_limited, send_tracking)
        except RequestTooLarge:
            if started:
                raise
            await self._too_large(raw_send)

    def _cross_origin(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        host = headers.get("host")
        if not origin or not host:
            return False
        host = host.lower()
        if not is_loopback(urllib.parse.urlsplit("//" + host).hostname):
            return False
        origin_netloc = urllib.parse.urlparse(origin).netloc.lower()
        return len(origin_netloc) > 0 and origin_netloc != host

    def _authorized(self, headers: Headers) -> bool:
        assert self.api_key is not None
        value = headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(token.strip().encode(), self.api_key)

    async def _refuse(self, scope: Scope, send: Send, status: int) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = [(b"www-authenticate", b'Bearer realm="comfyui"')] if status == 401 else []
        message = b'{"error":"unauthorized"}' if status == 401 else b'{"error":"forbidden"}'
        await _respond(send, status, message, headers + self._cors_headers)

    async def _too_large(self, send: Send) -> None:
        body = (
            b'{"type":"request_too_large","message":"Request body too large","details":"at most '
            + str(self.max_body).encode()
            + b' bytes are accepted (--max-upload-size)","extra_info":{}}'
        )
        await _respond(send, 413, body, [(b"connection", b"close"), *self._cors_headers])

    def _with_cors(self, send: Send) -> Send:
        cors = self._cors_headers

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        return send_with_cors

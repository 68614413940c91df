"""`AsyncRemoteComfyClient`: run prompts on a ComfyUI-compatible server over HTTP (``spec/api.md`` §4).

Needs only ``aiohttp`` and ``comfy-api`` (stdlib only): no torch, numpy or Rust module.

```python
from comfy.client.aio_client import AsyncRemoteComfyClient

async with AsyncRemoteComfyClient(server_address="http://localhost:8188") as client:
    png_image_bytes = await client.queue_prompt(prompt)         # the first image, as PNG bytes
    response = await client.queue_prompt_api(prompt)            # V1QueuePromptResponse(urls, outputs, prompt_id)
    outputs = await client.queue_prompt_ui(prompt)              # /ws + POST /prompt + /history
    task = client.queue_with_progress(prompt)                   # as Comfy.queue_with_progress
    async for notification in task.progress():                  # ProgressNotification(event, data, sid)
        ...
    response = await task.get()
    jobs = await client.get_jobs(status="completed")            # GET /api/jobs; get_job(id): /api/jobs/{id}
```

``queue_with_progress`` streams the run's events over ``/ws`` with the embedded client's
``ProgressNotification`` shape (see :mod:`comfy.client.aio_progress`), so a script switches between
``Comfy()`` and ``AsyncRemoteComfyClient(...)`` by changing the line that makes the client.

Differences from the reference client (its quirks, fixed):

- every instance gets a fresh ``client_id`` (the reference's default was evaluated once at import);
- the websocket address uses ``wss://`` for ``https://`` servers and works without an explicit
  port (the scheme's default port is used);
- a path prefix in ``server_address`` (``http://host/comfy``) is kept for every request;
- the session is closed by ``close()`` and by leaving ``async with``, also after an error.

Errors are :class:`RuntimeError` subclasses (declared in :mod:`comfy.client.aio_errors`):

- :class:`PromptValidationError`: the server rejected the prompt (400); ``.error`` is ComfyUI's
  error dict ``{"type", "message", "details", "extra_info"}``, ``.node_errors`` its node errors;
- :class:`PromptExecutionError`: the prompt ran and failed (500); ``.status`` is the
  ``{"status_str": "error", "completed": false, "messages": [...], ...}`` dict;
- :class:`QueueFullError`: 429, ``.retry_after`` is the ``Retry-After`` header in seconds;
- :class:`ComfyConnectionError` (also a :class:`ConnectionError`): the server cannot be reached;
- :class:`ComfyTimeoutError` (also a :class:`TimeoutError`): the request, or a websocket run, outlasted
  the total timeout;
- :class:`ComfyClientError`: the base class, and any other unexpected status (``.status_code``, ``.body``).

Retries are opt-in: ``retries=N`` retries a request up to N times after a 429 (waiting
``Retry-After``) or a connection error (waiting ``retry_delay``, doubled each time).
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import uuid
from asyncio import AbstractEventLoop
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any, Optional, TypeVar

import aiohttp

from comfy.client.aio_errors import (
    ComfyClientError,
    ComfyConnectionError,
    ComfyTimeoutError,
    PromptExecutionError,
    PromptValidationError,
    QueueFullError,
)
from comfy.client.aio_progress import RemoteQueuePromptWithProgress, run_with_progress
from comfy.client.client_types import V1QueuePromptResponse

__all__ = [
    "AsyncRemoteComfyClient",
    "ComfyClientError",
    "ComfyConnectionError",
    "ComfyTimeoutError",
    "PromptExecutionError",
    "PromptValidationError",
    "QueueFullError",
    "RemoteQueuePromptWithProgress",
]

_T = TypeVar("_T")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def _encode(obj: Any) -> str:
    return json.dumps(obj, default=_json_default)


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _decode_body(text: str, content_type: str) -> Any:
    if not text:
        return None
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


class AsyncRemoteComfyClient:
    """An aiohttp client of a ComfyUI-compatible server (``spec/api.md`` §4).

    ``server_address``: the server's base URL; a path prefix is kept (``http://host/comfy`` sends
    ``/comfy/api/v1/prompts``); without a scheme ``http://`` is assumed. ``client_id``: the
    websocket/prompt client id (a fresh uuid4 per instance by default). ``websocket_address``:
    defaults to ``ws(s)://<host>[:port]<prefix>/ws?clientId=<client_id>``. ``timeout``: the
    aiohttp timeout (default 600 s total, 60 s to connect). ``api_key``: sent as
    ``Authorization: Bearer`` (servers started with ``--api-key``). ``retries``/``retry_delay``:
    opt-in retries after a 429 or a connection error.
    """

    def __init__(
        self,
        server_address: str = "http://localhost:8188",
        client_id: Optional[str] = None,
        websocket_address: Optional[str] = None,
        loop: Optional[AbstractEventLoop] = None,
        *,
        timeout: aiohttp.ClientTimeout | None = None,
        api_key: Optional[str] = None,
        retries: int = 0,
        retry_delay: float = 1.0,
    ) -> None:
        if "://" not in server_address:
            server_address = "http://" + server_address
        parts = urllib.parse.urlsplit(server_address)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"server_address must be an http:// or https:// URL, not {server_address!r}")
        self.server_address = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        self.client_id = client_id if client_id is not None else str(uuid.uuid4())
        if websocket_address is None:
            ws_scheme = "wss" if parts.scheme == "https" else "ws"
            query = urllib.parse.urlencode({"clientId": self.client_id})
            websocket_address = f"{ws_scheme}://{parts.netloc}{parts.path.rstrip('/')}/ws?{query}"
        self.websocket_address = websocket_address
        self.loop = loop
        self.timeout = timeout if timeout is not None else aiohttp.ClientTimeout(total=600, connect=60)
        self.api_key = api_key
        self.retries = max(0, int(retries))
        self.retry_delay = retry_delay
        self.history_poll_interval = 0.05
        """How often ``queue_prompt_ui`` polls ``/history`` when its websocket closed early."""
        self._session: aiohttp.ClientSession | None = None

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session, created on first use (and again after ``close()``)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    @property
    def closed(self) -> bool:
        """True when no open session is held."""
        return self._session is None or self._session.closed

    async def close(self) -> None:
        """Close the session (safe to call twice)."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def __aenter__(self) -> AsyncRemoteComfyClient:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    # --- helpers ----------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """``server_address`` (with its path prefix) joined with ``path``."""
        return self.server_address + "/" + path.lstrip("/")

    def _build_headers(
        self, accept: str = "application/json", prefer: Optional[str] = None, content_type: str = "application/json"
    ) -> dict[str, str]:
        headers = {"Content-Type": content_type, "Accept": accept}
        if prefer:
            headers["Prefer"] = prefer
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    async def _call(self, attempt: Callable[[], Awaitable[_T]]) -> _T:
        """Run ``attempt`` mapping aiohttp's errors to ours, with the opt-in retries."""
        delay = self.retry_delay
        for tries_left in range(self.retries, -1, -1):
            try:
                try:
                    return await attempt()
                except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as e:
                    raise ComfyTimeoutError(f"the request to {self.server_address} timed out") from e
                except aiohttp.ClientConnectionError as e:
                    raise ComfyConnectionError(f"cannot reach {self.server_address}: {e}") from e
                except aiohttp.WSServerHandshakeError as e:
                    raise ComfyConnectionError(f"websocket handshake with {self.websocket_address} failed: {e}") from e
            except QueueFullError as e:
                if tries_left == 0:
                    raise
                await asyncio.sleep(e.retry_after if e.retry_after is not None else delay)
            except ComfyConnectionError:
                if tries_left == 0:
                    raise
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    @staticmethod
    async def _error(response: aiohttp.ClientResponse, prompt_id: str | None = None) -> ComfyClientError:
        """The exception for a failed response."""
        text = await response.text()
        body = _decode_body(text, response.headers.get("Content-Type", ""))
        status = response.status
        if status == 429:
            return QueueFullError(_parse_retry_after(response.headers.get("Retry-After")), body)
        if isinstance(body, dict):
            if status == 400:
                if isinstance(body.get("error"), dict):  # POST /prompt: {"error": {...}, "node_errors": {...}}
                    return PromptValidationError(body["error"], body.get("node_errors"), status)
                if "type" in body and "message" in body:
                    return PromptValidationError(body, None, status)
            if status in (500, 507) and "status_str" in body:
                return PromptExecutionError(body, status, prompt_id)
        return ComfyClientError(f"could not prompt: {status}: {text}", status, body)

    async def _post_prompts(self, prompt: Mapping[str, Any], accept: str, prefer: Optional[str] = None) -> tuple[int, bytes, str]:
        async def attempt() -> tuple[int, bytes, str]:
            async with self.session.post(
                self.url("/api/v1/prompts"), data=_encode(prompt), headers=self._build_headers(accept, prefer)
            ) as response:
                if response.status >= 400:
                    raise await self._error(response)
                return response.status, await response.read(), response.headers.get("Location", "")

        return await self._call(attempt)

    # --- /api/v1/prompts --------------------------------------------------------------------

    async def queue_prompt(self, prompt: Mapping[str, Any]) -> bytes | None:
        """Run ``prompt`` and return its first image's bytes (``b""`` when it made no image)."""
        status, body, _ = await self._post_prompts(prompt, "image/png")
        return b"" if status == 204 else body

    async def queue_prompt_api(
        self, prompt: Mapping[str, Any] | str, prefer_header: Optional[str] = None, accept_header: str = "application/json"
    ) -> V1QueuePromptResponse:
        """Run ``prompt`` and return ``V1QueuePromptResponse(urls, outputs, prompt_id)``; ``urls``
        holds two ``/view`` URLs per image (this server's address, then its external address)."""
        decoded: Mapping[str, Any] = json.loads(prompt) if isinstance(prompt, str) else prompt
        status, body, _ = await self._post_prompts(decoded, accept_header, prefer_header)
        if status == 204 or not body:
            raise ComfyClientError(f"could not prompt: {status}: the server sent no JSON body", status, None)
        data = json.loads(body)
        return V1QueuePromptResponse(urls=data["urls"], outputs=data["outputs"], prompt_id=data["prompt_id"])

    async def queue_prompt_uris(self, prompt: Mapping[str, Any]) -> list[str]:
        """The ``urls`` of :meth:`queue_prompt_api`."""
        return (await self.queue_prompt_api(prompt)).urls

    async def queue_and_forget_prompt_api(
        self, prompt: Mapping[str, Any], prefer_header: str = "respond-async", accept_header: str = "application/json"
    ) -> str:
        """Queue ``prompt`` without waiting (202) and return its prompt id; poll it with
        :meth:`poll_prompt_until_done` or :meth:`get_prompt_status`."""
        status, body, _ = await self._post_prompts(prompt, accept_header, prefer_header)
        if status != 202:
            raise ComfyClientError(f"could not prompt: expected 202, got {status}", status, body)
        return str(json.loads(body)["prompt_id"])

    async def get_prompt_status(self, prompt_id: str) -> aiohttp.ClientResponse:
        """``GET /api/v1/prompts/{prompt_id}``: the raw response (the caller must release it):
        200 outputs, 204 queued or running, 404 unknown, 500 failed (the status dict)."""

        async def attempt() -> aiohttp.ClientResponse:
            return await self.session.get(
                self.url(f"/api/v1/prompts/{urllib.parse.quote(prompt_id, safe='')}"), headers=self._build_headers()
            )

        return await self._call(attempt)

    async def poll_prompt_until_done(
        self, prompt_id: str, max_attempts: int = 60, poll_interval: float = 1.0
    ) -> tuple[int, dict[str, Any] | None]:
        """Poll until ``prompt_id`` finished: ``(200, outputs)``, ``(500, status dict)``,
        ``(404, None)`` when unknown, ``(status, None)`` for another status, ``(408, None)`` when
        ``max_attempts`` polls found it still running."""
        for attempt in range(max_attempts):
            response = await self.get_prompt_status(prompt_id)
            async with response:
                status = response.status
                if status == 200:
                    return 200, await response.json()
                if status in (500, 507):
                    return status, await response.json(content_type=None)
                if status == 404:
                    return 404, None
                if status != 204:
                    return status, None
            if attempt + 1 < max_attempts:
                await asyncio.sleep(poll_interval)
        return 408, None

    # --- the classic API --------------------------------------------------------------------

    async def len_queue(self) -> int:
        """``GET /prompt``: ``exec_info.queue_remaining`` (queued plus running prompts)."""

        async def attempt() -> int:
            async with self.session.get(self.url("/prompt"), headers=self._build_headers()) as response:
                if response.status != 200:
                    raise await self._error(response)
                return int((await response.json())["exec_info"]["queue_remaining"])

        return await self._call(attempt)

    async def queue_prompt_ui(self, prompt: Mapping[str, Any]) -> Mapping[str, Any]:
        """Run ``prompt`` as the ComfyUI frontend does: open ``/ws``, ``POST /prompt`` with this
        ``client_id``, wait for the prompt to finish, then return ``/history``'s outputs
        (read-only mapping). A failed run raises :class:`PromptExecutionError`."""

        async def attempt() -> Mapping[str, Any]:
            headers = self._build_headers()
            ws_headers = {"Authorization": headers["Authorization"]} if "Authorization" in headers else None
            async with self.session.ws_connect(self.websocket_address, headers=ws_headers) as ws:
                async with self.session.post(
                    self.url("/prompt"), data=_encode({"prompt": prompt, "client_id": self.client_id}), headers=headers
                ) as response:
                    if response.status != 200:
                        raise await self._error(response)
                    prompt_id = str((await response.json())["prompt_id"])
                async with asyncio.timeout(self.timeout.total):  # the whole run, as for a request
                    async for message in ws:
                        if message.type != aiohttp.WSMsgType.TEXT:
                            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                                break
                            continue  # binary previews
                        event = json.loads(message.data)
                        data = event.get("data") or {}
                        if data.get("prompt_id") != prompt_id:
                            continue
                        kind = event.get("type")
                        if kind in ("execution_success", "execution_error", "execution_interrupted"):
                            break
                        if kind == "executing" and data.get("node") is None:
                            break
            # The socket may have closed early (a newer socket with the same client id replaces it,
            # as when one client runs several prompts at once): then wait on the history instead.
            entry = await self._wait_for_history(prompt_id)
            status = entry.get("status") or {}
            if status.get("status_str") == "error":
                raise PromptExecutionError(status, 500, prompt_id)
            return MappingProxyType(entry.get("outputs") or {})

        return await self._call(attempt)

    async def _wait_for_history(self, prompt_id: str) -> dict[str, Any]:
        """``/history/{prompt_id}``'s entry, polled until the prompt is in the history (at most
        the client's total timeout)."""
        history_url = self.url(f"/history/{urllib.parse.quote(prompt_id, safe='')}")
        headers = self._build_headers()
        loop = asyncio.get_running_loop()
        deadline = None if self.timeout.total is None else loop.time() + self.timeout.total
        while True:
            async with self.session.get(history_url, headers=headers) as response:
                if response.status != 200:
                    raise await self._error(response, prompt_id)
                history = await response.json()
            entry = history.get(prompt_id)
            if entry is not None:
                return dict(entry)
            if deadline is not None and loop.time() > deadline:
                raise ComfyTimeoutError(f"prompt {prompt_id} did not finish in {self.timeout.total} s", None, None)
            await asyncio.sleep(self.history_poll_interval)

    def queue_with_progress(self, prompt: Mapping[str, Any] | str) -> RemoteQueuePromptWithProgress:
        """Start ``prompt`` now and return a handle whose ``progress()`` yields its notifications,
        as ``Comfy.queue_with_progress`` does (call it with an event loop running).

        The run gets its own websocket (a fresh ``clientId``, which is the notifications' ``sid``)
        and a client-chosen ``prompt_id`` (``task.prompt_id``); it is queued with ``POST /prompt``
        and its outputs are read from ``/history``. ``progress()`` yields every event of this
        prompt in order (the server-only end marker ``executing`` with ``node: None`` and the
        queue ``status`` broadcasts are left out, as the embedded client never sends them), ends
        on success and raises :class:`PromptExecutionError` (or the request's error) on failure.
        ``await task.get()`` gives ``V1QueuePromptResponse(urls, outputs, prompt_id)`` with one
        ``/view`` URL per image, through this client's ``server_address``.
        """
        task = RemoteQueuePromptWithProgress()
        decoded: Mapping[str, Any] = json.loads(prompt) if isinstance(prompt, str) else prompt
        return task.start(run_with_progress(self, decoded, task))

    # --- /api/jobs ----------------------------------------------------------------------------

    async def get_jobs(
        self,
        status: str | list[str] | None = None,
        workflow_id: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        sort_by: Optional[str] = None,
        sort_order: Optional[str] = None,
    ) -> dict[str, Any]:
        """``GET /api/jobs``: ``{"jobs": [...], "pagination": {"offset", "limit", "total",
        "has_more"}}``. ``status`` is one of ``pending``, ``in_progress``, ``completed``,
        ``failed``, ``cancelled`` (or a list of them); ``sort_by`` ``created_at`` or
        ``execution_duration``; ``sort_order`` ``asc`` or ``desc``. A bad parameter raises
        :class:`ComfyClientError` (400)."""
        params: dict[str, str] = {}
        if status is not None:
            params["status"] = status if isinstance(status, str) else ",".join(status)
        for key, value in (("workflow_id", workflow_id), ("limit", limit), ("offset", offset), ("sort_by", sort_by), ("sort_order", sort_order)):
            if value is not None:
                params[key] = str(value)

        async def attempt() -> dict[str, Any]:
            async with self.session.get(self.url("/api/jobs"), params=params, headers=self._build_headers()) as response:
                if response.status != 200:
                    raise await self._error(response)
                return dict(await response.json())

        return await self._call(attempt)

    async def get_job(self, job_id: str) -> dict[str, Any] | None:
        """``GET /api/jobs/{job_id}``: the job with its ``outputs``, ``execution_status`` and
        ``workflow`` once finished; ``None`` when the server does not know it (404)."""

        async def attempt() -> dict[str, Any] | None:
            url = self.url(f"/api/jobs/{urllib.parse.quote(job_id, safe='')}")
            async with self.session.get(url, headers=self._build_headers()) as response:
                if response.status == 404:
                    return None
                if response.status != 200:
                    raise await self._error(response)
                return dict(await response.json())

        return await self._call(attempt)

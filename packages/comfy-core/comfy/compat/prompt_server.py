"""``server.PromptServer`` for ComfyUI custom node packs (compatibility only).

Packs reach ComfyUI's server through ``PromptServer.instance``: at import, to add HTTP routes
(``@PromptServer.instance.routes.get("/my_pack/x")``), and while a node runs, to message the
browser (``PromptServer.instance.send_sync("my_pack.status", {...})``). Here:

- ``instance`` exists from the moment ``server`` is imported, with or without an HTTP server.
- :meth:`PromptServer.send_sync` called while a node runs goes to that prompt's event handler
  (the executor's ``handler.send_sync``, with the prompt's client id) and to ``comfy_on_event``
  plugins, like the engine's own node events; see
  :func:`comfy.execution.context.send_event`. Outside a prompt it goes to the transport the
  HTTP server bound (:meth:`PromptServer.bind`), else it is dropped (logged at debug level).
- ``routes`` is a :class:`RouteTableDef` with aiohttp's decorator API that only *records* routes;
  ``app.add_routes`` / ``app.router.add_get`` … record into the same table.

Hooks for the HTTP server package (comfy-server): mount ``PromptServer.instance.routes``
(:class:`RouteDef` ``method, path, handler, kwargs`` and :class:`StaticDef` ``prefix, path``;
handlers are aiohttp-style ``async def handler(request)``), apply ``app.middlewares``, call
:meth:`PromptServer.trigger_on_prompt` on each submitted prompt body, and :meth:`bind` its
websocket ``send(event, data, sid)``, event loop and queue at start-up.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from comfy.component_model.queue_types import BinaryEventTypes
from comfy.execution.context import current_node_context, send_event

__all__ = ["PromptServer", "RouteTableDef", "RouteDef", "StaticDef", "encode_text_for_progress"]

logger = logging.getLogger(__name__)

Handler = Callable[..., Any]


@dataclass(frozen=True)
class RouteDef:
    """One recorded route: ``method`` (upper case, ``"*"`` for any), ``path``, ``handler``."""

    method: str
    path: str
    handler: Handler
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StaticDef:
    """A recorded static folder: URLs under ``prefix`` serve files of ``path``."""

    prefix: str
    path: str
    kwargs: dict[str, Any] = field(default_factory=dict)


class RouteTableDef:
    """aiohttp's ``web.RouteTableDef`` decorator API, recording routes for a server to mount."""

    def __init__(self) -> None:
        self._items: list[RouteDef | StaticDef] = []

    def route(self, method: str, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._items.append(RouteDef(method.upper(), path, handler, dict(kwargs)))
            return handler

        return register

    def get(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("HEAD", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("OPTIONS", path, **kwargs)

    def view(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("*", path, **kwargs)

    def static(self, prefix: str, path: str, **kwargs: Any) -> None:
        self._items.append(StaticDef(prefix, str(path), dict(kwargs)))

    def add(self, item: RouteDef | StaticDef) -> None:
        self._items.append(item)

    def __iter__(self) -> Iterator[RouteDef | StaticDef]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> RouteDef | StaticDef:
        return self._items[index]

    def __repr__(self) -> str:
        return f"<RouteTableDef count={len(self._items)}>"


def _route_of(item: Any) -> RouteDef | StaticDef:
    if isinstance(item, (RouteDef, StaticDef)):
        return item
    if hasattr(item, "prefix") and hasattr(item, "path") and not hasattr(item, "handler"):
        return StaticDef(str(item.prefix), str(item.path), dict(getattr(item, "kwargs", {}) or {}))
    return RouteDef(str(item.method).upper(), str(item.path), item.handler, dict(getattr(item, "kwargs", {}) or {}))


class _Router:
    """``app.router``: aiohttp's ``add_get`` … methods, recording into the route table."""

    def __init__(self, table: RouteTableDef) -> None:
        self._table = table

    def add_route(self, method: str, path: str, handler: Handler, **kwargs: Any) -> RouteDef:
        route = RouteDef(method.upper(), path, handler, dict(kwargs))
        self._table.add(route)
        return route

    def add_get(self, path: str, handler: Handler, **kwargs: Any) -> RouteDef:
        return self.add_route("GET", path, handler, **kwargs)

    def add_post(self, path: str, handler: Handler, **kwargs: Any) -> RouteDef:
        return self.add_route("POST", path, handler, **kwargs)

    def add_put(self, path: str, handler: Handler, **kwargs: Any) -> RouteDef:
        return self.add_route("PUT", path, handler, **kwargs)

    def add_patch(self, path: str, handler: Handler, **kwargs: Any) -> RouteDef:
        return self.add_route("PATCH", path, handler, **kwargs)

    def add_delete(self, path: str, handler: Handler, **kwargs: Any) -> RouteDef:
        return self.add_route("DELETE", path, handler, **kwargs)

    def add_static(self, prefix: str, path: str, **kwargs: Any) -> StaticDef:
        static = StaticDef(prefix, str(path), dict(kwargs))
        self._table.add(static)
        return static


class _App:
    """``PromptServer.instance.app``: the parts of an aiohttp application packs touch."""

    def __init__(self, table: RouteTableDef) -> None:
        self.router = _Router(table)
        self._table = table
        self.middlewares: list[Any] = []
        self.on_startup: list[Any] = []
        self.on_shutdown: list[Any] = []
        self.on_cleanup: list[Any] = []

    def add_routes(self, routes: Any) -> list[RouteDef | StaticDef]:
        added = [_route_of(item) for item in routes]
        for item in added:
            self._table.add(item)
        return added


def encode_text_for_progress(node_id: str, text: str) -> bytes:
    """ComfyUI's progress-text message: 4-byte big-endian id length, the id, then the text."""
    node_id_bytes = str(node_id).encode("utf-8")
    return struct.pack(">I", len(node_id_bytes)) + node_id_bytes + text.encode("utf-8")


class PromptServer:
    """The object custom node packs reach as ``PromptServer.instance`` (see the module docstring)."""

    instance: PromptServer
    """The process's server object; exists once ``server`` (or this module) is imported."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.routes = RouteTableDef()
        self.app = _App(self.routes)
        self.supports = ["custom_nodes_from_web"]
        self.prompt_queue: Any = None
        """The HTTP server's queue once bound (None when embedded)."""
        self.number = 0
        self.on_prompt_handlers: list[Callable[[dict[str, Any]], dict[str, Any]]] = []
        self._loop = loop
        self._transport: Callable[[Any, Any, str | None], None] | None = None
        self._client_id: str | None = None
        self._last_node_id: str | None = None
        self._last_prompt_id: str | None = None

    # -- binding by an HTTP server ------------------------------------------------------------

    def bind(
        self,
        send: Callable[[Any, Any, str | None], None] | None = None,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        prompt_queue: Any = None,
    ) -> None:
        """Called by an HTTP server at start-up: ``send(event, data, sid)`` delivers messages
        sent outside a prompt (sid None: every client); ``loop`` and ``prompt_queue`` are what
        packs read as ``loop`` and ``prompt_queue``. ``bind()`` with no arguments unbinds."""
        self._transport = send
        self._loop = loop
        self.prompt_queue = prompt_queue

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The bound server loop; else the running loop of this thread, if any; else None."""
        if self._loop is not None:
            return self._loop
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    # -- what the running prompt looks like -----------------------------------------------------

    @property
    def client_id(self) -> str | None:
        """The running prompt's ``client_id`` (``extra_data``), else the last one set."""
        ctx = current_node_context()
        if ctx is not None:
            return ctx.prompt.extra_data.get("client_id")  # type: ignore[no-any-return]
        return self._client_id

    @client_id.setter
    def client_id(self, value: str | None) -> None:
        self._client_id = value

    @property
    def last_node_id(self) -> str | None:
        """The node running in this thread or task, else the last one set."""
        ctx = current_node_context()
        return ctx.node_id if ctx is not None else self._last_node_id

    @last_node_id.setter
    def last_node_id(self, value: str | None) -> None:
        self._last_node_id = value

    @property
    def last_prompt_id(self) -> str | None:
        """The prompt running in this thread or task, else the last one set."""
        ctx = current_node_context()
        return ctx.prompt_id if ctx is not None else self._last_prompt_id

    @last_prompt_id.setter
    def last_prompt_id(self, value: str | None) -> None:
        self._last_prompt_id = value

    # -- messages -------------------------------------------------------------------------------

    def send_sync(self, event: Any, data: Any, sid: str | None = None) -> None:
        """Send ``event`` to the running prompt's handler, else to the bound transport.

        Inside a prompt the message goes where the prompt's node events go (its client), and
        ``sid`` is handed on only to a sender that takes one; outside a prompt with no server
        bound, nobody can receive it and it is dropped.
        """
        if send_event(event, data, sid):
            return
        if self._transport is not None:
            self._transport(event, data, sid)
            return
        logger.debug("PromptServer.send_sync(%r): no prompt handler or server to receive it; dropped", event)

    async def send(self, event: Any, data: Any, sid: str | None = None) -> None:
        """Async twin of :meth:`send_sync`."""
        self.send_sync(event, data, sid)

    async def send_json(self, event: Any, data: Any, sid: str | None = None) -> None:
        """Async twin of :meth:`send_sync` (ComfyUI's name for JSON messages)."""
        self.send_sync(event, data, sid)

    def send_progress_text(self, text: str, node_id: str | None = None, sid: str | None = None) -> None:
        """Show ``text`` on a node (the running one by default): a binary ``TEXT`` message."""
        node = node_id if node_id is not None else self.last_node_id
        self.send_sync(BinaryEventTypes.TEXT, encode_text_for_progress(node or "", text), sid)

    # -- prompt hooks ---------------------------------------------------------------------------

    def add_on_prompt_handler(self, handler: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """Register ``handler(json_data) -> json_data``, applied to each submitted prompt body."""
        self.on_prompt_handlers.append(handler)

    def trigger_on_prompt(self, json_data: dict[str, Any]) -> dict[str, Any]:
        """Run the on-prompt handlers over a submitted body (a failing handler is logged and skipped)."""
        for handler in list(self.on_prompt_handlers):
            try:
                json_data = handler(json_data)
            except Exception:
                logger.exception("on_prompt handler %r failed", handler)
        return json_data


PromptServer.instance = PromptServer()

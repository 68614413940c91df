"""`ServerState`: what every route module receives (the contract between route modules).

`comfy.server.app.create_app` builds one `ServerState` and passes it to each module's
`routes(state) -> list[starlette.routing.BaseRoute]`. Route modules read the configuration, the
node registry and the workspace folders from it, queue prompts through `state.queue` and reach
websocket clients through `state.connections`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from comfy.cli_args_types import Configuration
from comfy.folder_paths import FolderPaths
from comfy.nodes.registry import NodeRegistry

if TYPE_CHECKING:
    from comfy.server.queue import PromptQueueProtocol
    from comfy.server.ws import ConnectionManager

__all__ = ["ServerState", "server_feature_flags"]


def server_feature_flags(configuration: Configuration) -> dict[str, Any]:
    """The server's feature flags: the `/features` body and the answer to a websocket handshake."""
    return {
        "supports_preview_metadata": True,
        "max_upload_size": max_upload_bytes(configuration),
        "extension": {"manager": {"supports_v4": True}},
    }


def max_upload_bytes(configuration: Configuration) -> int:
    """`--max-upload-size` (MB) in bytes (the largest request body accepted)."""
    return int(round(float(configuration.get("max_upload_size") or 100.0) * 1024 * 1024))


@dataclass
class ServerState:
    """One server's shared objects (see the module docstring)."""

    configuration: Configuration
    registry: NodeRegistry
    folders: FolderPaths
    queue: PromptQueueProtocol
    """The local :class:`~comfy.server.queue.PromptQueue`, or a distributed frontend's queue."""
    connections: ConnectionManager
    started_at: float = field(default_factory=time.time)
    """`time.time()` when the app was created."""
    plugin_manager: Any = None
    """The pluggy plugin manager the registry was loaded with (None for a bare registry)."""
    shutting_down: bool = False
    """Set once shutdown begins: new prompts get 503, `/ready` turns 503."""
    host: str = "127.0.0.1"
    """The address the server listens on (the first of `--listen`), for reported URLs."""
    port: int = 8188
    """The port the server listens on (the real one when `--port 0` picked a free port)."""
    on_prompt: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """Rewrites each `POST /prompt` body before it is read (custom node packs' on-prompt
    handlers, `PromptServer.instance.trigger_on_prompt`); None when there is nothing to call."""

    @property
    def max_upload_bytes(self) -> int:
        """`--max-upload-size` in bytes."""
        return max_upload_bytes(self.configuration)

    @property
    def feature_flags(self) -> dict[str, Any]:
        """The server's feature flags (`/features`, websocket handshake)."""
        return server_feature_flags(self.configuration)

    @property
    def local_address(self) -> str:
        """`http://host:port` of this server as a client on this machine reaches it."""
        host = self.host
        if host in ("0.0.0.0", "", "::"):
            host = "localhost" if host != "::" else "::1"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def external_address(self) -> str:
        """`--external-address`, else `local_address` (the base of reported `/view` URLs)."""
        external = self.configuration.get("external_address")
        return str(external).rstrip("/") if external else self.local_address

"""`serve(configuration)`: what `comfyui` runs when comfy-server is installed.

Start-up, as ComfyUI's: the configuration becomes the process's current one, the workspace
folders the process default, the temp folder is emptied (previews of earlier runs), the node
plugins load; then uvicorn serves the app on `--listen` (default 127.0.0.1; the bare flag:
`0.0.0.0,::`; several addresses separated by commas) and `--port` (default 8188; 0 picks a free
port).

Graceful shutdown (SIGINT / SIGTERM): stop accepting connections, refuse new prompts with 503,
drop the queued prompts, interrupt the running one, answer requests waiting for a result with
503, close the websockets (1001), wait for the prompt workers, exit.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from typing import Any

from comfy.cli_args_types import Configuration

__all__ = ["bind_sockets", "prepare_workspace", "run_app", "serve"]

logger = logging.getLogger(__name__)


def bind_sockets(listen: str, port: int) -> list[socket.socket]:
    """Listening sockets for each address of `listen` (comma-separated) on `port`; with port 0
    the first socket picks a free port and the others reuse it. IPv6 addresses bind IPv6-only."""
    sockets: list[socket.socket] = []
    for address in [a.strip() for a in listen.split(",") if a.strip()] or ["127.0.0.1"]:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        try:
            sock = _listening_socket(address.strip("[]"), port, family)
        except OSError as e:
            if family == socket.AF_INET6 and sockets:
                logger.warning("not listening on %s: %s", address, e)
                continue
            for s in sockets:
                s.close()
            raise
        sock.set_inheritable(True)
        sockets.append(sock)
        if port == 0:
            port = sock.getsockname()[1]
    return sockets


def _listening_socket(address: str, port: int, family: socket.AddressFamily) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it a keep-alive response written in two parts waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((address, port))
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def _uvicorn_server(app: Any, configuration: Configuration) -> Any:
    import uvicorn

    from comfy.server.app import begin_shutdown

    state = app.state.comfy
    level = str(configuration.get("logging_level") or "INFO").lower()

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            begin_shutdown(state)
            await super().shutdown(sockets)

    config = uvicorn.Config(
        app,
        log_level="warning" if level == "info" else level,
        access_log=False,
        ws="websockets-sansio",
        lifespan="on",
        timeout_graceful_shutdown=10,
        ws_max_size=16 * 1024 * 1024,
        server_header=False,
    )
    return Server(config)


def prepare_workspace(configuration: Configuration, plugin_manager: Any = None) -> Any:
    """Start-up before the app exists: the configuration becomes the process's current one, the
    workspace folders the default ones (the temp folder emptied, input/output/temp created).
    Returns the `FolderPaths`."""
    from comfy import folder_paths
    from comfy.cli_args import set_current_configuration

    set_current_configuration(configuration)
    paths = folder_paths.configure(configuration, plugin_manager=plugin_manager)
    if paths.clean_temp_directory():
        logger.debug("emptied the temp folder %s", paths.temp_directory)
    for folder in (paths.input_directory, paths.output_directory, paths.temp_directory):
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            logger.warning("cannot create %s: %s", folder, e)
    return paths


def run_app(app: Any, configuration: Configuration, banner: str = "Starting server") -> int:
    """Serve `app` (made by `create_app`) on `--listen` / `--port` until interrupted; returns the
    exit status (1 when the address cannot be bound)."""
    listen = str(configuration.get("listen") or "127.0.0.1")
    configured_port = configuration.get("port")
    port = 8188 if configured_port is None else int(configured_port)
    try:
        sockets = bind_sockets(listen, port)
    except OSError as e:
        print(f"comfyui: cannot listen on {listen} port {port}: {e}", file=sys.stderr)
        return 1
    state = app.state.comfy
    state.port = sockets[0].getsockname()[1]
    server = _uvicorn_server(app, configuration)
    print(f"{banner}\n\nTo see the GUI go to: {state.local_address}", file=sys.stderr, flush=True)
    # uvicorn re-raises the signal that stopped it once it is done; a SIGTERM then ends here
    # (exit status 0) instead of killing the process.
    previous = signal.signal(signal.SIGTERM, _stopped) if threading.current_thread() is threading.main_thread() else None
    try:
        server.run(sockets=sockets)
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        for sock in sockets:
            sock.close()
    return 0


def serve(configuration: Configuration) -> int:
    """Serve until interrupted; returns the exit status."""
    from comfy.nodes.registry import load_registry
    from comfy.nodes_context import set_default_nodes
    from comfy.plugins.manager import make_plugin_manager
    from comfy.server.app import create_app

    plugin_manager = make_plugin_manager()
    prepare_workspace(configuration, plugin_manager=plugin_manager)
    registry = load_registry(configuration, plugin_manager=plugin_manager)
    set_default_nodes(registry)
    app = create_app(configuration, registry=registry, plugin_manager=plugin_manager)
    return run_app(app, configuration)


def _stopped(signum: int, frame: Any) -> None:
    """SIGTERM after uvicorn's graceful shutdown: nothing left to do."""

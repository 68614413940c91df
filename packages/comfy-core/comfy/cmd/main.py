"""Entry points of the `comfyui` and `comfyui-workflow` commands."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import Any

from comfy.cli_args import parse_args
from comfy.cli_args_types import Configuration


def _setup_logging(config: Configuration) -> None:
    level = getattr(logging, str(config.logging_level or "INFO").upper(), logging.INFO)
    logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def start_up(config: Configuration):  # type: ignore[no-untyped-def]
    """What the command does first: makes ``config`` the process's current configuration
    (``comfy.cli_args.args``) and its folders the process default, and, as ComfyUI does at
    start-up, empties the temp folder (previews of earlier runs). Returns the plugin manager."""
    from comfy import folder_paths
    from comfy.cli_args import set_current_configuration
    from comfy.plugins.manager import make_plugin_manager

    pm = make_plugin_manager()
    set_current_configuration(config)
    paths = folder_paths.configure(config, plugin_manager=pm)
    if paths.clean_temp_directory():
        logging.getLogger(__name__).debug("emptied the temp folder %s", paths.temp_directory)
    return pm


def make_executor(config: Configuration):  # type: ignore[no-untyped-def]
    """The executor for a configuration: workspace folders, every plugin and custom node
    (after :func:`start_up`)."""
    from comfy.execution import PromptExecutor
    from comfy.nodes.registry import load_registry
    from comfy.nodes_context import set_default_nodes

    pm = start_up(config)
    registry = load_registry(config, plugin_manager=pm)
    set_default_nodes(registry)
    return PromptExecutor.from_configuration(config, registry, plugin_manager=pm)


def main(argv: Sequence[str] | None = None) -> int:
    from comfy.plugins.manager import make_plugin_manager

    config = parse_args(argv, plugin_manager=make_plugin_manager())  # plugins' options too (e.g. --cpu)
    _setup_logging(config)
    if config.workflows:
        from comfy.cmd.workflows import run_workflows

        comfy_class = _embedded_client_class()
        if comfy_class is not None:
            start_up(config)
            return asyncio.run(_run_workflows_embedded(comfy_class, config))
        executor = make_executor(config)
        from comfy.cmd.console_progress import ConsoleProgress

        executor.handler = ConsoleProgress(inner=executor.handler)  # progress bars on stderr
        try:
            return run_workflows(executor, list(config.workflows))
        finally:
            executor.close()
    if config.get("distributed_queue_worker"):
        try:
            from comfy.distributed.worker_main import run_worker  # type: ignore[import-not-found]
        except ImportError as e:
            print(f"comfyui: --distributed-queue-worker needs comfy-amqp[worker] ({e})", file=sys.stderr)
            return 2
        return int(run_worker(config) or 0)
    if config.get("distributed_queue_frontend"):
        try:
            from comfy.distributed.frontend import serve_frontend  # type: ignore[import-not-found]
        except ImportError as e:
            print(f"comfyui: --distributed-queue-frontend needs comfy-amqp and comfy-server ({e})", file=sys.stderr)
            return 2
        return int(serve_frontend(config) or 0)
    try:
        from comfy.server.main import serve  # type: ignore[import-not-found]
    except ImportError:
        print(
            "comfyui: nothing to do. Run workflows with `comfyui --workflows FILE ...` "
            "(install comfy-server for the HTTP server).",
            file=sys.stderr,
        )
        return 2
    return int(serve(config) or 0)


def _embedded_client_class() -> Any:
    """``comfy.client.embedded_comfy_client.Comfy`` when comfy-embedded is installed, else None."""
    try:
        from comfy.client.embedded_comfy_client import Comfy
    except ImportError:
        return None
    return Comfy


async def _run_workflows_embedded(comfy_class: Any, config: Configuration) -> int:
    from comfy.cmd.workflows import run_workflows_embedded

    from comfy.cmd.console_progress import with_console_progress

    async with comfy_class(configuration=config) as client:
        return await run_workflows_embedded(with_console_progress(client), list(config.workflows))


def entrypoint() -> None:
    sys.exit(main())


def workflow_entrypoint() -> None:
    """`comfyui-workflow FILE ...`: the same as `comfyui --workflows FILE ...`."""
    sys.exit(main(["--workflows", *sys.argv[1:]]))

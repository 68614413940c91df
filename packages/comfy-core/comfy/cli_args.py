"""The command-line parser: options, ``COMFYUI_*`` environment variables and config files.

Nothing is parsed at import. :func:`parse_args` reads ``argv`` (``sys.argv[1:]`` when None), the
environment (``--cache-lru`` ↔ ``COMFYUI_CACHE_LRU``; flags take ``true``/``false``) and config
files (``-c/--config FILE`` and, in the working directory, ``config.yaml|json|cfg|ini``), in
that order of precedence. :func:`default_configuration` gives the defaults alone.

Plugins add options through the ``comfy_configure(parser)`` hook (pass a plugin manager), and
legacy packages through a callable in the ``comfyui.custom_config`` entry-point group.

Nodes read the settings in effect as ComfyUI's do, ``from comfy.cli_args import args`` then
``args.disable_metadata``: ``args`` follows :func:`current_configuration` (the configuration made
current for this context with :func:`use_configuration`, else the process default set by
:func:`set_current_configuration`, else the defaults).
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import copy
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import configargparse

from .cli_args_types import DEFAULTS, Configuration, LatentPreviewMethod

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "ENV_VAR_PREFIX",
    "DEFAULT_CONFIG_FILES",
    "LEGACY_CONFIG_ENTRY_POINT_GROUP",
    "FlattenAndAppendAction",
    "create_parser",
    "default_configuration",
    "parse_args",
    "args",
    "current_configuration",
    "set_current_configuration",
    "use_configuration",
]

logger = logging.getLogger(__name__)

ENV_VAR_PREFIX = "COMFYUI_"
"""Environment variables are ``COMFYUI_`` + the option's long name in UPPER_SNAKE case."""

DEFAULT_CONFIG_FILES: tuple[str, ...] = ("config.yaml", "config.json", "config.cfg", "config.ini")
"""Config files :func:`parse_args` reads from the working directory when they exist."""

LEGACY_CONFIG_ENTRY_POINT_GROUP = "comfyui.custom_config"
"""Entry points whose callable receives the parser and may add options (the fork's mechanism)."""

LOGGING_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class FlattenAndAppendAction(argparse.Action):
    """Collect values over repeated flags, splitting comma-separated items: ``--x a,b --x c`` → [a, b, c]."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        items = list(getattr(namespace, self.dest, None) or [])
        if isinstance(values, str):
            values = [values]
        for value in values or ():
            items.extend(item.strip() for item in str(value).split(",") if item.strip())
        setattr(namespace, self.dest, items)


def _preview_method(value: str) -> LatentPreviewMethod:
    method = LatentPreviewMethod.from_string(value)
    if method is None:
        choices = ", ".join(m.value for m in LatentPreviewMethod)
        raise argparse.ArgumentTypeError(f"invalid preview method {value!r} (choose from {choices})")
    return method


def _logging_level(value: str) -> str:
    level = value.upper()
    if level not in LOGGING_LEVELS:
        raise argparse.ArgumentTypeError(f"invalid logging level {value!r} (choose from {', '.join(LOGGING_LEVELS)})")
    return level


def _config_file_parser_class() -> type[configargparse.ConfigFileParser]:
    try:
        import yaml  # noqa: F401
    except ImportError:
        return configargparse.DefaultConfigFileParser
    return configargparse.YAMLConfigFileParser


def _add_core_options(parser: configargparse.ArgParser) -> None:
    parser.add_argument("-c", "--config", dest="config_file", is_config_file=True, metavar="FILE",
                        help="Read options from this config file (YAML when PyYAML is installed, else key=value).")

    ws = parser.add_argument_group("workspace")
    ws.add_argument("-w", "--cwd", type=str, metavar="DIR",
                    help="Workspace root: models/, input/, output/, temp/ and custom_nodes/ live here (default: the current directory).")
    ws.add_argument("--base-directory", type=str, metavar="DIR",
                    help="Base directory for models, custom_nodes, input, output, temp and user directories (overrides --cwd).")
    ws.add_argument("--base-paths", type=str, nargs="+", action=FlattenAndAppendAction, metavar="DIR",
                    help="Extra base directories searched for models, inputs and custom nodes.")
    ws.add_argument("--output-directory", type=str, metavar="DIR", help="Directory for output files.")
    ws.add_argument("--input-directory", type=str, metavar="DIR", help="Directory for input files.")
    ws.add_argument("--temp-directory", type=str, metavar="DIR", help="Directory for temporary files (previews); the comfyui command empties it at start-up.")
    ws.add_argument("--user-directory", type=str, metavar="DIR", help="Directory for per-user data.")
    ws.add_argument("--extra-model-paths-config", type=str, nargs="+", action="extend", metavar="PATH",
                    help="YAML files with extra model folders and custom_nodes paths.")

    server = parser.add_argument_group("server")
    server.add_argument("-H", "--listen", type=str, nargs="?", const="0.0.0.0,::", metavar="IP[,IP...]",
                        help="Addresses to listen on; the bare flag listens on all (0.0.0.0,::).")
    server.add_argument("--port", type=int, help="HTTP port.")
    server.add_argument("--max-queue-size", type=int,
                        help="Reject new prompts (HTTP 429) while this many are queued.")
    server.add_argument("--max-upload-size", type=float, metavar="MB", help="Largest accepted upload, in MB.")
    server.add_argument("--enable-cors-header", type=str, nargs="?", const="*", metavar="ORIGIN",
                        help="Send CORS headers for ORIGIN (bare flag: '*').")
    server.add_argument("--external-address", type=str, metavar="URL",
                        help="Base URL used in reported image URLs.")
    server.add_argument("--api-key", type=str, metavar="KEY",
                        help="Require 'Authorization: Bearer KEY' on every route but /health.")
    server.add_argument("--max-workers", type=int, metavar="N",
                        help="Prompts the server runs at the same time (one worker thread each).")
    server.add_argument("--max-prompt-nodes", type=int, metavar="N",
                        help="Reject prompts with more nodes than this (HTTP 400).")
    server.add_argument("--max-string-length", type=int, metavar="CHARS",
                        help="Reject prompts with a longer string input than this (HTTP 400).")

    cache = parser.add_argument_group("caching").add_mutually_exclusive_group()
    cache.add_argument("--cache-classic", action="store_true", help="Classic caching (unused; the default policy).")
    cache.add_argument("--cache-lru", type=int, metavar="N", help="Keep at most N node results (LRU).")
    cache.add_argument("--cache-ram", type=float, nargs="?", const=4.0, metavar="GB",
                       help="Evict cached results when free RAM drops below GB (bare flag: 4.0).")
    cache.add_argument("--cache-none", action="store_true", help="Cache nothing: every node runs every time.")

    nodes = parser.add_argument_group("custom nodes")
    nodes.add_argument("--disable-all-custom-nodes", action="store_true",
                       help="Load no custom nodes (plugins still load).")
    nodes.add_argument("--whitelist-custom-nodes", type=str, nargs="+", action=FlattenAndAppendAction, metavar="NAME",
                       help="Custom node packs to load even with --disable-all-custom-nodes.")
    nodes.add_argument("--blacklist-custom-nodes", type=str, nargs="+", action=FlattenAndAppendAction, metavar="GLOB",
                       help="Custom node packs never to load (shell-style globs).")

    run = parser.add_argument_group("running")
    run.add_argument("--workflows", type=str, nargs="+", action="extend", metavar="FILE",
                     help="Run these API-format workflow files ('-' for stdin) and print their outputs, one line each.")
    run.add_argument("--panic-when", type=str, nargs="+", action=FlattenAndAppendAction, metavar="EXCEPTION",
                     help="Fully qualified exception class names that exit the process when a workflow raises them.")
    run.add_argument("--preview-method", type=_preview_method, metavar="[none,auto,latent2rgb,taesd]",
                     help="How samplers make preview frames.")
    run.add_argument("--preview-size", type=int, metavar="PIXELS", help="Largest preview side.")
    run.add_argument("--disable-metadata", action="store_true", help="Do not write the prompt into saved files.")
    run.add_argument("--logging-level", type=_logging_level, metavar="LEVEL",
                     help=f"Log level ({', '.join(LOGGING_LEVELS)}).")
    run.add_argument("-v", "--verbose", dest="logging_level", type=_logging_level, nargs="?", const="DEBUG",
                     metavar="LEVEL", help="Set the log level (bare flag: DEBUG).")

    distributed = parser.add_argument_group("distributed queue (comfy-amqp)")
    distributed.add_argument("--distributed-queue-connection-uri", type=str, metavar="URI",
                             help="AMQP URL of the RabbitMQ broker (amqp://user:password@host:port/vhost); enables distributed mode.")
    distributed.add_argument("--distributed-queue-name", type=str, metavar="NAME",
                             help="The cluster's job queue name (also the prefix of its exchanges).")
    distributed.add_argument("--distributed-queue-worker", action="store_true",
                             help="Run as a worker: take prompts from the queue and run them (like comfyui-worker).")
    distributed.add_argument("--distributed-queue-frontend", action="store_true",
                             help="Serve the HTTP API and run prompts on the queue's workers.")
    distributed.add_argument("--health-port", type=int, metavar="PORT",
                             help="Worker: serve GET /health on this port (200 HEALTHY / 503).")


def _apply_legacy_config_entry_points(parser: configargparse.ArgParser) -> configargparse.ArgParser:
    for ep in entry_points(group=LEGACY_CONFIG_ENTRY_POINT_GROUP):
        try:
            extender = ep.load()
            result = extender(parser)
            if result is not None:
                parser = result
        except Exception:
            logger.exception("could not apply configuration entry point %s (%s)", ep.name, ep.value)
    return parser


def create_parser(
    *,
    plugin_manager: "pluggy.PluginManager | None" = None,
    default_config_files: Iterable[str] = (),
    legacy_entry_points: bool = False,
) -> configargparse.ArgParser:
    """Build the parser with every core option, then let plugins add theirs.

    ``plugin_manager``'s ``comfy_configure(parser)`` hook runs after the core options; with
    ``legacy_entry_points`` the ``comfyui.custom_config`` callables run too.
    """
    parser = configargparse.ArgParser(
        prog="comfyui",
        description="A ComfyUI-compatible workflow engine.",
        default_config_files=list(default_config_files),
        config_file_parser_class=_config_file_parser_class(),
        auto_env_var_prefix=ENV_VAR_PREFIX,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_core_options(parser)
    parser.set_defaults(**copy.deepcopy(dict(DEFAULTS)))
    if plugin_manager is not None:
        plugin_manager.hook.comfy_configure(parser=parser)
    if legacy_entry_points:
        parser = _apply_legacy_config_entry_points(parser)
    return parser


def _to_configuration(namespace: argparse.Namespace, config_files: list[str]) -> Configuration:
    values = vars(namespace).copy()
    values.pop("config_file", None)
    configuration = Configuration(values)
    configuration["config_files"] = config_files
    return configuration


def default_configuration(*, plugin_manager: "pluggy.PluginManager | None" = None) -> Configuration:
    """Every option at its default, ignoring argv, the environment and config files."""
    parser = create_parser(plugin_manager=plugin_manager)
    namespace, _ = parser.parse_known_args([], env_vars={})
    return _to_configuration(namespace, [])


def parse_args(
    argv: Sequence[str] | None = None,
    *,
    plugin_manager: "pluggy.PluginManager | None" = None,
    env: Mapping[str, str] | None = None,
    default_config_files: Iterable[str] = DEFAULT_CONFIG_FILES,
    legacy_entry_points: bool = True,
    strict: bool = True,
) -> Configuration:
    """Parse ``argv`` (default ``sys.argv[1:]``), ``env`` (default ``os.environ``) and config files.

    With ``strict`` an unknown option exits with a usage error; otherwise it is logged and ignored.
    """
    default_config_files = list(default_config_files)
    parser = create_parser(
        plugin_manager=plugin_manager,
        default_config_files=default_config_files,
        legacy_entry_points=legacy_entry_points,
    )
    args = list(sys.argv[1:] if argv is None else argv)
    env_vars = os.environ if env is None else env
    if strict:
        namespace = parser.parse_args(args, env_vars=env_vars)
    else:
        namespace, unknown = parser.parse_known_args(args, env_vars=env_vars)
        if unknown:
            logger.warning("ignoring unknown arguments: %s", " ".join(unknown))
    config_files = [os.path.abspath(p) for p in default_config_files if os.path.isfile(p)]
    if getattr(namespace, "config_file", None):
        config_files.append(os.path.abspath(namespace.config_file))
    return _to_configuration(namespace, config_files)


# --- the configuration in effect (ComfyUI's ``comfy.cli_args.args``) --------------------------

_context_configuration: contextvars.ContextVar[Configuration | None] = contextvars.ContextVar(
    "comfy_configuration", default=None
)
_process_configuration: Configuration | None = None


def current_configuration() -> Configuration:
    """The configuration in effect: this context's, else the process default, else the defaults."""
    global _process_configuration
    config = _context_configuration.get()
    if config is not None:
        return config
    if _process_configuration is None:
        _process_configuration = Configuration()
    return _process_configuration


def set_current_configuration(configuration: Configuration | None) -> None:
    """Make ``configuration`` the process default (None: back to the defaults)."""
    global _process_configuration
    _process_configuration = configuration


@contextlib.contextmanager
def use_configuration(configuration: Configuration) -> Iterator[Configuration]:
    """Make ``configuration`` current in this context until the block exits."""
    token = _context_configuration.set(configuration)
    try:
        yield configuration
    finally:
        _context_configuration.reset(token)


class _CurrentConfiguration:
    """``args``: reads (``args.x``, ``args["x"]``, ``args.get("x")``) go to the current configuration."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        return getattr(current_configuration(), name)

    def __getitem__(self, key: str) -> Any:
        return current_configuration()[key]

    def __contains__(self, key: object) -> bool:
        return key in current_configuration()

    def get(self, key: str, default: Any = None) -> Any:
        return current_configuration().get(key, default)

    def __repr__(self) -> str:
        return f"args({current_configuration()!r})"


args: Any = _CurrentConfiguration()
"""The current configuration, read live (``from comfy.cli_args import args``)."""

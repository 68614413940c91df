"""``NodeRegistry`` (ComfyUI's ``ExportedNodes``) and ``load_registry``, the discovery order.

:func:`load_registry` collects node classes from, in order (``spec/engine.md`` §1):

1. plugins: ``comfy_register_nodes`` / ``comfy_register_display_names`` of every plugin of the
   plugin manager (the built-in node packs are plugins too), never disabled;
2. unless ``--disable-all-custom-nodes`` (except whitelisted names), the modules of the legacy
   ``comfyui.custom_nodes`` entry-point group;
3. likewise, the packs in every ``custom_nodes`` folder (see :mod:`comfy.nodes.custom_nodes`).

A module contributes ``NODE_CLASS_MAPPINGS`` / ``NODE_DISPLAY_NAME_MAPPINGS`` (V1), a V3
``comfy_entrypoint()`` (sync or async, returning a ``ComfyExtension`` whose ``get_node_list()``
classes register under their ``schema.node_id``), and ``WEB_DIRECTORY`` (recorded in
``EXTENSION_WEB_DIRS`` for the web UI).

A custom node (2, 3) cannot replace a plugin's class name: plugin classes win. Among custom
nodes a later one replaces an earlier one. ``--blacklist-custom-nodes`` globs skip packs and
entry points by name. What became of each pack and entry point (loaded, skipped, failed with
its traceback) is kept in :attr:`NodeRegistry.custom_node_packs`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import fnmatch
import importlib
import inspect
import logging
import os
import pkgutil
import time
import traceback
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pluggy

    from .custom_nodes import CustomNodePack

__all__ = [
    "LEGACY_ENTRY_POINT_GROUP",
    "NodeRegistry",
    "ExportedNodes",
    "load_registry",
    "is_custom_node_allowed",
    "registry_from_module",
    "registry_from_entrypoint",
]

logger = logging.getLogger(__name__)

LEGACY_ENTRY_POINT_GROUP = "comfyui.custom_nodes"
"""Entry points that load to a module exporting ``NODE_CLASS_MAPPINGS`` (ComfyUI fork style)."""


class NodeRegistry:
    """The node classes known to an engine, by ``class_type``, with display names and web dirs."""

    def __init__(
        self,
        NODE_CLASS_MAPPINGS: Mapping[str, type] | None = None,
        NODE_DISPLAY_NAME_MAPPINGS: Mapping[str, str] | None = None,
        EXTENSION_WEB_DIRS: Mapping[str, str] | None = None,
    ) -> None:
        self.NODE_CLASS_MAPPINGS: dict[str, type] = dict(NODE_CLASS_MAPPINGS or {})
        self.NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = dict(NODE_DISPLAY_NAME_MAPPINGS or {})
        self.EXTENSION_WEB_DIRS: dict[str, str] = dict(EXTENSION_WEB_DIRS or {})
        self.plugin_manager: "pluggy.PluginManager | None" = None
        """The plugin manager the registry was loaded with (for the executor's hooks), if any."""
        self.custom_node_packs: list[CustomNodePack] = []
        """Every custom node pack and legacy entry point :func:`load_registry` considered, and
        what became of it (``loaded``, ``skipped``, ``error`` with the traceback)."""

    @property
    def failed_custom_node_packs(self) -> list[CustomNodePack]:
        """The custom node packs that failed to load (each with its ``error`` traceback)."""
        return [pack for pack in self.custom_node_packs if pack.error is not None]

    def get(self, class_type: str, default: type | None = None) -> type | None:
        """The class registered as ``class_type``, or ``default``."""
        return self.NODE_CLASS_MAPPINGS.get(class_type, default)

    def display_name(self, class_type: str) -> str:
        """The display name of ``class_type`` (the class type itself when none is set)."""
        return self.NODE_DISPLAY_NAME_MAPPINGS.get(class_type, class_type)

    def __contains__(self, class_type: object) -> bool:
        return class_type in self.NODE_CLASS_MAPPINGS

    def __len__(self) -> int:
        return len(self.NODE_CLASS_MAPPINGS)

    def __iter__(self) -> Iterator[str]:
        return iter(self.NODE_CLASS_MAPPINGS)

    def update(self, other: "NodeRegistry") -> "NodeRegistry":
        """Add (and override with) ``other``'s classes, display names and web dirs; returns ``self``."""
        self.NODE_CLASS_MAPPINGS.update(other.NODE_CLASS_MAPPINGS)
        self.NODE_DISPLAY_NAME_MAPPINGS.update(other.NODE_DISPLAY_NAME_MAPPINGS)
        self.EXTENSION_WEB_DIRS.update(other.EXTENSION_WEB_DIRS)
        return self

    def without(self, class_types: Iterable[str]) -> "NodeRegistry":
        """A copy without ``class_types`` (and their display names)."""
        drop = set(class_types)
        return NodeRegistry(
            {k: v for k, v in self.NODE_CLASS_MAPPINGS.items() if k not in drop},
            {k: v for k, v in self.NODE_DISPLAY_NAME_MAPPINGS.items() if k not in drop},
            self.EXTENSION_WEB_DIRS,
        )

    def copy(self) -> "NodeRegistry":
        """A shallow copy (new dicts, same classes)."""
        registry = NodeRegistry(self.NODE_CLASS_MAPPINGS, self.NODE_DISPLAY_NAME_MAPPINGS, self.EXTENSION_WEB_DIRS)
        registry.plugin_manager = self.plugin_manager
        registry.custom_node_packs = list(self.custom_node_packs)
        return registry

    def __repr__(self) -> str:
        return f"NodeRegistry({len(self.NODE_CLASS_MAPPINGS)} nodes)"


ExportedNodes = NodeRegistry
"""ComfyUI fork's name for the registry (``comfy.nodes.package_typing.ExportedNodes``)."""


def is_custom_node_allowed(name: str, configuration: Mapping[str, Any] | None) -> bool:
    """Whether the custom-node pack or entry point ``name`` may load under ``configuration``."""
    config = configuration or {}
    if any(fnmatch.fnmatch(name, pattern) for pattern in config.get("blacklist_custom_nodes") or ()):
        return False
    if config.get("disable_all_custom_nodes"):
        return name in (config.get("whitelist_custom_nodes") or ())
    return True


def _run_sync(make_coroutine: Callable[[], Any]) -> Any:
    """Run a coroutine to completion from synchronous code, in a worker thread (with this
    thread's context variables) if this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        in_loop = False
    else:
        in_loop = True
    if not in_loop:
        return asyncio.run(make_coroutine())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="comfy-entrypoint") as pool:
        context = contextvars.copy_context()
        return pool.submit(context.run, lambda: asyncio.run(make_coroutine())).result()


async def _await_if_needed(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _extension_nodes(entrypoint: Callable[[], Any]) -> list[Any]:
    extension = await _await_if_needed(entrypoint())
    on_load = getattr(extension, "on_load", None)
    if callable(on_load):
        await _await_if_needed(on_load())
    return list(await _await_if_needed(extension.get_node_list()) or ())


def registry_from_entrypoint(entrypoint: Callable[[], Any]) -> NodeRegistry:
    """The nodes of a V3 pack: ``comfy_entrypoint()`` (sync or async) returns a
    ``ComfyExtension``; its ``on_load()`` is awaited, then ``get_node_list()``. Each class is
    registered under its ``schema.node_id``, with ``schema.display_name`` as display name.

    Raises what the extension raises, and TypeError for a class without a V3 schema.
    """
    registry = NodeRegistry()
    for node_class in _run_sync(lambda: _extension_nodes(entrypoint)):
        get_schema = getattr(node_class, "GET_SCHEMA", None)
        if not callable(get_schema):
            raise TypeError(f"get_node_list() returned {node_class!r}, which is not an io.ComfyNode class")
        schema = get_schema()
        registry.NODE_CLASS_MAPPINGS[schema.node_id] = node_class
        if schema.display_name is not None:
            registry.NODE_DISPLAY_NAME_MAPPINGS[schema.node_id] = schema.display_name
    return registry


def _contributes(module: types.ModuleType) -> bool:
    return getattr(module, "NODE_CLASS_MAPPINGS", None) is not None or callable(getattr(module, "comfy_entrypoint", None))


def registry_from_module(module: types.ModuleType, web_dir_key: str | None = None, *, walk: bool = True) -> NodeRegistry:
    """Read ``NODE_CLASS_MAPPINGS``, ``NODE_DISPLAY_NAME_MAPPINGS``, ``comfy_entrypoint`` and
    ``WEB_DIRECTORY`` of ``module``.

    With ``walk``, a package that has neither mappings nor an entry point is walked: each
    sub-module contributes its own (ComfyUI's built-in packages; custom node packs are not
    walked). ``WEB_DIRECTORY`` is recorded, relative to the module's folder, under
    ``web_dir_key`` (default: the module name).
    """
    registry = NodeRegistry()
    web_directory = getattr(module, "WEB_DIRECTORY", None)
    module_file = getattr(module, "__file__", None)
    if web_directory and module_file:
        base = os.path.dirname(os.path.abspath(module_file))
        registry.EXTENSION_WEB_DIRS[web_dir_key or module.__name__] = os.path.normpath(os.path.join(base, web_directory))
    if _contributes(module):
        mappings = getattr(module, "NODE_CLASS_MAPPINGS", None)
        if mappings is not None:
            registry.NODE_CLASS_MAPPINGS.update(mappings)
            registry.NODE_DISPLAY_NAME_MAPPINGS.update(getattr(module, "NODE_DISPLAY_NAME_MAPPINGS", None) or {})
        entrypoint = getattr(module, "comfy_entrypoint", None)
        if callable(entrypoint):
            registry.update(registry_from_entrypoint(entrypoint))
        return registry
    if walk and hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, module.__name__ + "."):
            try:
                submodule = importlib.import_module(info.name)
            except Exception:
                logger.exception("could not import node module %s", info.name)
                continue
            if _contributes(submodule):
                registry.update(registry_from_module(submodule))
    return registry


def _plugin_nodes(pm: "pluggy.PluginManager") -> NodeRegistry:
    registry = NodeRegistry()
    # pluggy calls the last registered plugin first; apply in registration order so later plugins win
    for nodes in reversed(pm.hook.comfy_register_nodes()):
        registry.NODE_CLASS_MAPPINGS.update(nodes or {})
    for names in reversed(pm.hook.comfy_register_display_names()):
        registry.NODE_DISPLAY_NAME_MAPPINGS.update(names or {})
    return registry


def _legacy_entry_point_nodes(configuration: Mapping[str, Any] | None) -> tuple[NodeRegistry, list[CustomNodePack]]:
    from .custom_nodes import CustomNodePack

    registry = NodeRegistry()
    packs: list[CustomNodePack] = []
    for ep in entry_points(group=LEGACY_ENTRY_POINT_GROUP):
        pack = CustomNodePack(name=ep.name, path=ep.value, module_name=ep.value)
        packs.append(pack)
        if not is_custom_node_allowed(ep.name, configuration):
            pack.skipped = True
            logger.info("custom node entry point %s is disabled", ep.name)
            continue
        started = time.perf_counter()
        try:
            loaded = ep.load()
            if not isinstance(loaded, types.ModuleType):
                raise TypeError(f"custom node entry point {ep.name} ({ep.value}) does not load to a module")
            pack_registry = registry_from_module(loaded, web_dir_key=ep.name)
        except (Exception, SystemExit):
            pack.error = traceback.format_exc()
            logger.error("could not load custom node entry point %s (%s):\n%s", ep.name, ep.value, pack.error)
            continue
        finally:
            pack.seconds += time.perf_counter() - started
        pack.loaded = True
        pack.node_names = list(pack_registry.NODE_CLASS_MAPPINGS)
        pack.web_directory = pack_registry.EXTENSION_WEB_DIRS.get(ep.name)
        registry.update(pack_registry)
    return registry, packs


def load_registry(
    configuration: Mapping[str, Any] | None = None, plugin_manager: "pluggy.PluginManager | None" = None
) -> NodeRegistry:
    """Discover every node class (plugins, legacy entry points, ``custom_nodes/`` folders).

    ``plugin_manager`` defaults to :func:`comfy.plugins.manager.make_plugin_manager` (which loads
    the ``comfyui.plugins`` entry points); ``configuration`` defaults to the defaults. The folders
    come from :class:`comfy.folder_paths.FolderPaths` for that configuration.
    """
    from ..folder_paths import FolderPaths
    from ..nodes_context import use_nodes
    from ..plugins.manager import make_plugin_manager
    from .custom_nodes import load_custom_nodes

    pm = plugin_manager if plugin_manager is not None else make_plugin_manager()
    registry = _plugin_nodes(pm)
    registry.plugin_manager = pm
    # While packs import, ``nodes.NODE_CLASS_MAPPINGS`` (and ``get_nodes()``) show the nodes
    # loaded so far, never a second, recursive load of the default registry.
    visible = registry.copy()
    with use_nodes(visible):
        custom, packs = _legacy_entry_point_nodes(configuration)
        for class_type, node_class in custom.NODE_CLASS_MAPPINGS.items():
            visible.NODE_CLASS_MAPPINGS.setdefault(class_type, node_class)
        folders = FolderPaths.from_configuration(configuration, plugin_manager=pm).get_folder_paths("custom_nodes")
        result = load_custom_nodes(folders, configuration=configuration, visible=visible)
    custom.update(result.registry)
    overridden = sorted(set(custom.NODE_CLASS_MAPPINGS) & set(registry.NODE_CLASS_MAPPINGS))
    if overridden:
        logger.warning("custom nodes cannot replace built-in or plugin nodes; ignored: %s", ", ".join(overridden))
    registry.update(custom.without(overridden))
    registry.custom_node_packs = packs + result.packs
    return registry

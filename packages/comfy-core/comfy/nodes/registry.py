"""``NodeRegistry`` (ComfyUI's ``ExportedNodes``) and ``load_registry``, the discovery order.

:func:`load_registry` collects node classes from, in order (``spec/engine.md`` §1):

1. plugins: ``comfy_register_nodes`` / ``comfy_register_display_names`` of every plugin of the
   plugin manager (the built-in node packs are plugins too), never disabled;
2. unless ``--disable-all-custom-nodes`` (except whitelisted names), the modules of the legacy
   ``comfyui.custom_nodes`` entry-point group;
3. likewise, the V1 packs in every ``custom_nodes`` folder (see :mod:`comfy.nodes.custom_nodes`).

A custom node (2, 3) cannot replace a plugin's class name: plugin classes win. Among custom
nodes a later one replaces an earlier one. ``--blacklist-custom-nodes`` globs skip packs and
entry points by name.
"""

from __future__ import annotations

import fnmatch
import importlib
import logging
import os
import pkgutil
import types
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "LEGACY_ENTRY_POINT_GROUP",
    "NodeRegistry",
    "ExportedNodes",
    "load_registry",
    "is_custom_node_allowed",
    "registry_from_module",
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


def registry_from_module(module: types.ModuleType, web_dir_key: str | None = None) -> NodeRegistry:
    """Read ``NODE_CLASS_MAPPINGS``, ``NODE_DISPLAY_NAME_MAPPINGS`` and ``WEB_DIRECTORY`` of ``module``.

    A package without ``NODE_CLASS_MAPPINGS`` is walked: each sub-module contributes its own.
    """
    registry = NodeRegistry()
    mappings = getattr(module, "NODE_CLASS_MAPPINGS", None)
    if mappings is not None:
        registry.NODE_CLASS_MAPPINGS.update(mappings)
        registry.NODE_DISPLAY_NAME_MAPPINGS.update(getattr(module, "NODE_DISPLAY_NAME_MAPPINGS", None) or {})
        web_directory = getattr(module, "WEB_DIRECTORY", None)
        module_file = getattr(module, "__file__", None)
        if web_directory and module_file:
            base = os.path.dirname(os.path.abspath(module_file))
            registry.EXTENSION_WEB_DIRS[web_dir_key or module.__name__] = os.path.normpath(
                os.path.join(base, web_directory)
            )
        return registry
    if hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, module.__name__ + "."):
            try:
                submodule = importlib.import_module(info.name)
            except Exception:
                logger.exception("could not import node module %s", info.name)
                continue
            if hasattr(submodule, "NODE_CLASS_MAPPINGS"):
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


def _legacy_entry_point_nodes(configuration: Mapping[str, Any] | None) -> NodeRegistry:
    registry = NodeRegistry()
    for ep in entry_points(group=LEGACY_ENTRY_POINT_GROUP):
        if not is_custom_node_allowed(ep.name, configuration):
            logger.info("custom node entry point %s is disabled", ep.name)
            continue
        try:
            loaded = ep.load()
        except Exception:
            logger.exception("could not load custom node entry point %s (%s)", ep.name, ep.value)
            continue
        if isinstance(loaded, types.ModuleType):
            registry.update(registry_from_module(loaded, web_dir_key=ep.name))
        else:
            logger.warning("custom node entry point %s does not load to a module; skipped", ep.name)
    return registry


def load_registry(
    configuration: Mapping[str, Any] | None = None, plugin_manager: "pluggy.PluginManager | None" = None
) -> NodeRegistry:
    """Discover every node class (plugins, legacy entry points, ``custom_nodes/`` folders).

    ``plugin_manager`` defaults to :func:`comfy.plugins.manager.make_plugin_manager` (which loads
    the ``comfyui.plugins`` entry points); ``configuration`` defaults to the defaults. The folders
    come from :class:`comfy.folder_paths.FolderPaths` for that configuration.
    """
    from ..folder_paths import FolderPaths
    from ..plugins.manager import make_plugin_manager
    from .custom_nodes import load_custom_nodes

    pm = plugin_manager if plugin_manager is not None else make_plugin_manager()
    registry = _plugin_nodes(pm)
    custom = _legacy_entry_point_nodes(configuration)
    folders = FolderPaths.from_configuration(configuration, plugin_manager=pm).get_folder_paths("custom_nodes")
    custom.update(load_custom_nodes(folders, configuration=configuration).registry)
    overridden = sorted(set(custom.NODE_CLASS_MAPPINGS) & set(registry.NODE_CLASS_MAPPINGS))
    if overridden:
        logger.warning("custom nodes cannot replace built-in or plugin nodes; ignored: %s", ", ".join(overridden))
    registry.update(custom.without(overridden))
    registry.plugin_manager = pm
    return registry

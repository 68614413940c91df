"""The plugin manager factory (no global manager, no import side effects).

:func:`make_plugin_manager` adds the hook specifications of :mod:`comfy.plugins.hookspecs`, loads
the ``comfyui.plugins`` entry points (a plugin that fails to import is logged and skipped) and
registers any extra plugin objects given, in that order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any

import pluggy

from . import ENTRY_POINT_GROUP, PROJECT_NAME, hookspecs

__all__ = ["make_plugin_manager", "load_entry_point_plugins"]

logger = logging.getLogger(__name__)


def load_entry_point_plugins(pm: pluggy.PluginManager, group: str = ENTRY_POINT_GROUP) -> list[str]:
    """Register every entry point of ``group`` under its entry-point name; returns the names loaded.

    Entry points already registered or blocked are skipped; import errors are logged, not raised.
    """
    loaded: list[str] = []
    for ep in entry_points(group=group):
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception:
            logger.exception("could not load plugin %r from entry point %s", ep.name, ep.value)
            continue
        loaded.append(ep.name)
    return loaded


def make_plugin_manager(*, load_entry_points: bool = True, plugins: Iterable[Any] = ()) -> pluggy.PluginManager:
    """Create a ``comfyui`` plugin manager.

    ``load_entry_points`` loads the ``comfyui.plugins`` entry-point group; ``plugins`` are extra
    plugin objects (modules, classes or instances with ``@hookimpl`` functions) registered after.
    """
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    if load_entry_points:
        load_entry_point_plugins(pm)
    for plugin in plugins:
        pm.register(plugin)
    from .memory import track_plugin_manager

    track_plugin_manager(pm)
    return pm

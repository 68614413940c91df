"""Asking model plugins to give memory back (``comfy_release_memory``).

:func:`release_memory` fires the ``comfy_release_memory`` hook of every live plugin manager
(each implementation once, even when a plugin is registered in several managers), so a model
plugin unloads its models and frees GPU memory. ``comfy.model_management.unload_all_models``
calls it; so may an embedded client when it shuts down.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pluggy

__all__ = ["track_plugin_manager", "release_memory"]

logger = logging.getLogger(__name__)

_managers: weakref.WeakSet[Any] = weakref.WeakSet()
_lock = threading.Lock()


def track_plugin_manager(pm: pluggy.PluginManager) -> None:
    """Remember ``pm`` (weakly) so :func:`release_memory` reaches its plugins."""
    with _lock:
        _managers.add(pm)


def release_memory(plugin_manager: pluggy.PluginManager | None = None) -> int:
    """Fire ``comfy_release_memory`` in ``plugin_manager`` and every tracked manager.

    A failing implementation is logged and the others still run. Returns how many
    implementations ran.
    """
    with _lock:
        managers = list(_managers)
    if plugin_manager is not None and plugin_manager not in managers:
        managers.insert(0, plugin_manager)
    seen: list[Any] = []
    for pm in managers:
        caller = getattr(pm.hook, "comfy_release_memory", None)
        if caller is None:
            continue
        for impl in caller.get_hookimpls():
            if impl.function in seen:
                continue
            seen.append(impl.function)
            try:
                impl.function()
            except Exception:
                logger.exception("comfy_release_memory of plugin %s failed", impl.plugin_name)
    return len(seen)

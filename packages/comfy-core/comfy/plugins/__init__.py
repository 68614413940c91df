"""The plugin system: pluggy markers for project ``"comfyui"``.

A plugin is any object (usually a module) with functions marked ``@hookimpl`` whose names match
the hooks of :mod:`comfy.plugins.hookspecs`; packages publish it in the ``comfyui.plugins``
entry-point group::

    # my_nodes/plugin.py
    from comfy.plugins import hookimpl

    @hookimpl
    def comfy_register_nodes():
        return {"MyNode": MyNode}

    # pyproject.toml
    [project.entry-points."comfyui.plugins"]
    my_nodes = "my_nodes.plugin"

Plugin managers come from :func:`comfy.plugins.manager.make_plugin_manager`; none is created at
import.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

import pluggy

__all__ = ["PROJECT_NAME", "ENTRY_POINT_GROUP", "hookimpl", "hookspec", "merge_node_mappings"]

PROJECT_NAME = "comfyui"
"""The pluggy project name shared by the markers and the plugin manager."""

ENTRY_POINT_GROUP = "comfyui.plugins"
"""The entry-point group that plugins are published in."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marks a hook specification (only :mod:`comfy.plugins.hookspecs` uses it)."""

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a plugin's hook implementation."""


def merge_node_mappings(package: str, modules: Iterable[ModuleType], attribute: str) -> dict[str, Any]:
    """Merges one mapping (``NODE_CLASS_MAPPINGS`` or ``NODE_DISPLAY_NAME_MAPPINGS``) of a plugin's
    node modules; a name defined twice is a packaging bug and raises ``RuntimeError``."""
    merged: dict[str, Any] = {}
    for module in modules:
        for key, value in getattr(module, attribute).items():
            if key in merged:
                raise RuntimeError(f"{key!r} is defined twice in {package} ({module.__name__})")
            merged[key] = value
    return merged

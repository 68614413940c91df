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

import pluggy

__all__ = ["PROJECT_NAME", "ENTRY_POINT_GROUP", "hookimpl", "hookspec"]

PROJECT_NAME = "comfyui"
"""The pluggy project name shared by the markers and the plugin manager."""

ENTRY_POINT_GROUP = "comfyui.plugins"
"""The entry-point group that plugins are published in."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marks a hook specification (only :mod:`comfy.plugins.hookspecs` uses it)."""

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a plugin's hook implementation."""

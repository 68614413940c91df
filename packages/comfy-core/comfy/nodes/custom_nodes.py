"""Load ComfyUI custom-node packs (V1 and V3) from ``custom_nodes/`` folders.

The folders are every ``custom_nodes`` path of the workspace: ``<base>/custom_nodes`` plus those
named by configuration (``--base-paths``, ``custom_nodes:`` in ``--extra-model-paths-config``
files, plugins' ``comfy_folder_paths``). Each child of a folder is a pack: a ``.py`` file or a
directory with ``__init__.py``; names ending in ``.disabled``, hidden names and ``__pycache__``
are skipped, and so are packs that ``--disable-all-custom-nodes`` (unless whitelisted) or
``--blacklist-custom-nodes`` rule out, whichever folder holds them. Every pack's
``prestartup_script.py`` runs first (all of them, before any pack is imported); then each pack is
imported as a top-level module under a unique name (``comfy_custom_nodes_<name>_<hash>``, so
two folders may hold packs of the same name and no pack shadows another module). A pack
contributes ``NODE_CLASS_MAPPINGS`` and ``NODE_DISPLAY_NAME_MAPPINGS`` (V1), a V3
``comfy_entrypoint()`` (see :func:`comfy.nodes.registry.registry_from_entrypoint`), and
``WEB_DIRECTORY`` (recorded for the web UI in ``EXTENSION_WEB_DIRS`` and on the pack).

Failures (a prestartup script, an import or an entry point that raises) are logged with their
traceback and recorded in the result; they never stop the others. The ComfyUI modules packs
import (``folder_paths``, ``nodes``, ``server``, ``comfy.utils`` …) ship with comfy-core.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import re
import runpy
import sys
import time
import traceback
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .registry import NodeRegistry, is_custom_node_allowed, registry_from_module

__all__ = [
    "CustomNodePack",
    "CustomNodesLoadResult",
    "find_custom_node_packs",
    "run_prestartup_scripts",
    "load_custom_node_pack",
    "load_custom_nodes",
]

logger = logging.getLogger(__name__)

PRESTARTUP_SCRIPT = "prestartup_script.py"


@dataclass
class CustomNodePack:
    """One pack found in a ``custom_nodes`` folder and what became of it."""

    name: str
    """The file or directory name without ``.py`` (what whitelist/blacklist match)."""
    path: str
    """Absolute path of the ``.py`` file or the package directory."""
    module_name: str = ""
    """The ``sys.modules`` name it was imported as."""
    loaded: bool = False
    skipped: bool = False
    """Disabled by ``--disable-all-custom-nodes`` / whitelist / blacklist."""
    error: str | None = None
    """The formatted traceback when importing failed."""
    seconds: float = 0.0
    node_names: list[str] = field(default_factory=list)
    web_directory: str | None = None
    """The absolute ``WEB_DIRECTORY`` of the pack (its front-end files), if it has one."""


@dataclass
class CustomNodesLoadResult:
    """The nodes of every pack that loaded, and the fate of each pack."""

    registry: NodeRegistry
    packs: list[CustomNodePack]

    @property
    def failed(self) -> list[CustomNodePack]:
        """Packs whose prestartup script or import raised."""
        return [pack for pack in self.packs if pack.error is not None]


def _module_name(name: str, path: str) -> str:
    stem = re.sub(r"\W", "_", name) or "pack"
    digest = hashlib.sha1(os.path.abspath(path).encode("utf-8")).hexdigest()[:8]
    return f"comfy_custom_nodes_{stem}_{digest}"


def find_custom_node_packs(folders: Iterable[str]) -> list[CustomNodePack]:
    """The packs in ``folders``, in folder order and then by name (missing folders are ignored)."""
    packs: list[CustomNodePack] = []
    for folder in folders:
        if not os.path.isdir(folder):
            continue
        for entry in sorted(os.listdir(folder)):
            path = os.path.abspath(os.path.join(folder, entry))
            if entry.startswith(".") or entry == "__pycache__" or entry.endswith(".disabled"):
                continue
            if os.path.isdir(path):
                if not os.path.isfile(os.path.join(path, "__init__.py")):
                    continue
                name = entry
            elif entry.endswith(".py") and os.path.isfile(path):
                name = entry[: -len(".py")]
            else:
                continue
            packs.append(CustomNodePack(name=name, path=path, module_name=_module_name(name, path)))
    return packs


def run_prestartup_scripts(packs: Iterable[CustomNodePack]) -> None:
    """Run each package pack's ``prestartup_script.py``; a failure is logged and recorded on the pack."""
    for pack in packs:
        script = os.path.join(pack.path, PRESTARTUP_SCRIPT)
        if not os.path.isfile(script):
            continue
        started = time.perf_counter()
        try:
            runpy.run_path(script, run_name=f"{pack.module_name}_prestartup")
        except (Exception, SystemExit):
            pack.error = traceback.format_exc()
            logger.error("prestartup script of custom node pack %s failed:\n%s", pack.name, pack.error)
        pack.seconds += time.perf_counter() - started


def _forget_module(module_name: str) -> None:
    for name in [n for n in sys.modules if n == module_name or n.startswith(module_name + ".")]:
        del sys.modules[name]


def load_custom_node_pack(pack: CustomNodePack, *, reload: bool = False) -> types.ModuleType:
    """Import ``pack`` under ``pack.module_name`` (reusing an earlier import unless ``reload``)."""
    if not reload and pack.module_name in sys.modules:
        return sys.modules[pack.module_name]
    _forget_module(pack.module_name)
    if os.path.isdir(pack.path):
        spec = importlib.util.spec_from_file_location(
            pack.module_name, os.path.join(pack.path, "__init__.py"), submodule_search_locations=[pack.path]
        )
    else:
        spec = importlib.util.spec_from_file_location(pack.module_name, pack.path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import custom node pack {pack.path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[pack.module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        _forget_module(pack.module_name)
        raise
    return module


def _install_folder_paths_alias() -> None:
    if "folder_paths" not in sys.modules:
        from .. import folder_paths

        sys.modules["folder_paths"] = folder_paths


def load_custom_nodes(
    folders: Iterable[str],
    *,
    configuration: Mapping[str, Any] | None = None,
    reload: bool = False,
    visible: NodeRegistry | None = None,
) -> CustomNodesLoadResult:
    """Load every allowed pack of ``folders``; later packs override earlier ones' class names.

    ``visible``, when given, is the registry packs see while they import (``nodes.X``,
    ``get_nodes()``); each loaded pack's classes are added to it (without replacing any).
    """
    packs = find_custom_node_packs(folders)
    allowed: list[CustomNodePack] = []
    for pack in packs:
        if is_custom_node_allowed(pack.name, configuration):
            allowed.append(pack)
        else:
            pack.skipped = True
            logger.info("custom node pack %s is disabled", pack.name)
    registry = NodeRegistry()
    if not allowed:
        return CustomNodesLoadResult(registry, packs)
    _install_folder_paths_alias()
    with contextlib.ExitStack() as stack:
        if visible is not None:
            from ..nodes_context import use_nodes

            stack.enter_context(use_nodes(visible))
        run_prestartup_scripts(allowed)
        for pack in allowed:
            _load_pack(pack, registry, reload, visible)
    return CustomNodesLoadResult(registry, packs)


def _load_pack(pack: CustomNodePack, registry: NodeRegistry, reload: bool, visible: NodeRegistry | None) -> None:
    """Import one pack and add its nodes to ``registry`` (a failure is logged and recorded)."""
    started = time.perf_counter()
    try:
        module = load_custom_node_pack(pack, reload=reload)
        pack_registry = registry_from_module(module, web_dir_key=pack.name, walk=False)
    except (Exception, SystemExit):
        pack.error = traceback.format_exc()
        logger.error("cannot import custom node pack %s (%s):\n%s", pack.name, pack.path, pack.error)
        return
    finally:
        pack.seconds += time.perf_counter() - started
    for cls in pack_registry.NODE_CLASS_MAPPINGS.values():
        if isinstance(cls, type) and "RELATIVE_PYTHON_MODULE" not in cls.__dict__:
            try:
                cls.RELATIVE_PYTHON_MODULE = f"custom_nodes.{pack.name}"  # type: ignore[attr-defined]
            except (AttributeError, TypeError):
                pass
    pack.loaded = True
    pack.node_names = list(pack_registry.NODE_CLASS_MAPPINGS)
    pack.web_directory = pack_registry.EXTENSION_WEB_DIRS.get(pack.name)
    registry.update(pack_registry)
    if visible is not None:
        for class_type, node_class in pack_registry.NODE_CLASS_MAPPINGS.items():
            visible.NODE_CLASS_MAPPINGS.setdefault(class_type, node_class)

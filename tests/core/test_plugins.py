"""The plugin system: one test per hook (a plugin registered through the factory is called)."""

from __future__ import annotations

import inspect
import os
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

import comfy.plugins.manager as manager_module
from comfy.cli_args import create_parser, default_configuration
from comfy.folder_paths import FolderPaths
from comfy.nodes.registry import load_registry
from comfy.plugins import ENTRY_POINT_GROUP, hookimpl, hookspecs
from comfy.plugins.manager import make_plugin_manager


class PluginNode:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("INT", {"default": 0})}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "run"
    CATEGORY = "testing"

    def run(self, value: int) -> tuple[int]:
        return (value,)


class Recorder:
    """A plugin object implementing every hook and recording its calls."""

    def __init__(self, root: str = "/models") -> None:
        self.root = root
        self.calls: list[tuple[str, Any]] = []

    @hookimpl
    def comfy_register_nodes(self) -> dict[str, type]:
        self.calls.append(("comfy_register_nodes", None))
        return {"PluginNode": PluginNode}

    @hookimpl
    def comfy_register_display_names(self) -> dict[str, str]:
        self.calls.append(("comfy_register_display_names", None))
        return {"PluginNode": "Plugin Node"}

    @hookimpl
    def comfy_configure(self, parser: Any) -> None:
        self.calls.append(("comfy_configure", None))
        parser.add_argument("--plugin-option", type=int, default=7)

    @hookimpl
    def comfy_fingerprint(self, class_type: str, node_class: type, inputs: dict[str, Any]) -> object | None:
        self.calls.append(("comfy_fingerprint", (class_type, node_class, inputs)))
        return None if class_type == "Other" else ("fp", inputs.get("value"))

    @hookimpl
    def comfy_resolve_path(self, folder_name: str, filename: str) -> str | None:
        self.calls.append(("comfy_resolve_path", (folder_name, filename)))
        return f"/resolved/{folder_name}/{filename}" if filename.startswith("remote-") else None

    @hookimpl
    def comfy_folder_paths(self) -> dict[str, list[str]]:
        self.calls.append(("comfy_folder_paths", None))
        return {"checkpoints": [os.path.join(self.root, "ckpts")], "my_models": [os.path.join(self.root, "mine")]}

    @hookimpl
    def comfy_on_event(self, event: Any, data: Any, prompt_id: str | None) -> None:
        self.calls.append(("comfy_on_event", (event, data, prompt_id)))

    @hookimpl
    def comfy_release_memory(self) -> None:
        self.calls.append(("comfy_release_memory", None))


def hook_names() -> list[str]:
    return [name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("comfy_")]


@pytest.mark.parametrize("name", hook_names())
def test_hookspecs_are_prefixed_and_documented(name: str) -> None:
    spec = getattr(hookspecs, name)
    assert name in hookspecs.__all__
    doc = inspect.getdoc(spec) or ""
    assert len(doc.splitlines()) == 1 and doc.startswith("Fires ")


def test_every_hook_is_implemented_by_the_recorder() -> None:
    assert sorted(hook_names()) == sorted(n for n in dir(Recorder) if n.startswith("comfy_"))


def test_comfy_register_nodes(tmp_path: Path) -> None:
    plugin = Recorder()
    pm = make_plugin_manager(load_entry_points=False, plugins=[plugin])
    registry = load_registry({"cwd": str(tmp_path)}, plugin_manager=pm)
    assert registry.get("PluginNode") is PluginNode
    assert registry.plugin_manager is pm
    assert ("comfy_register_nodes", None) in plugin.calls


def test_comfy_register_display_names(tmp_path: Path) -> None:
    plugin = Recorder()
    registry = load_registry({"cwd": str(tmp_path)}, plugin_manager=make_plugin_manager(load_entry_points=False, plugins=[plugin]))
    assert registry.NODE_DISPLAY_NAME_MAPPINGS["PluginNode"] == "Plugin Node"
    assert ("comfy_register_display_names", None) in plugin.calls


def test_comfy_configure() -> None:
    plugin = Recorder()
    pm = make_plugin_manager(load_entry_points=False, plugins=[plugin])
    namespace = create_parser(plugin_manager=pm).parse_args(["--plugin-option", "3"], env_vars={})
    assert namespace.plugin_option == 3
    assert default_configuration(plugin_manager=pm).plugin_option == 7
    assert plugin.calls.count(("comfy_configure", None)) == 2


@pytest.mark.parametrize(
    ("class_type", "inputs", "expected"),
    [
        ("PluginNode", {"value": 3}, [("fp", 3)]),
        ("Other", {"value": 3}, []),
    ],
)
def test_comfy_fingerprint(class_type: str, inputs: dict[str, Any], expected: list[Any]) -> None:
    plugin = Recorder()
    pm = make_plugin_manager(load_entry_points=False, plugins=[plugin])
    assert pm.hook.comfy_fingerprint(class_type=class_type, node_class=PluginNode, inputs=inputs) == expected
    assert plugin.calls == [("comfy_fingerprint", (class_type, PluginNode, inputs))]


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("remote-model.safetensors", "/resolved/checkpoints/remote-model.safetensors"),
        ("absent.safetensors", None),
    ],
)
def test_comfy_resolve_path(tmp_path: Path, filename: str, expected: str | None) -> None:
    plugin = Recorder()
    pm = make_plugin_manager(load_entry_points=False, plugins=[plugin])
    paths = FolderPaths(str(tmp_path), plugin_manager=pm)
    assert paths.get_full_path("checkpoints", filename) == expected
    assert plugin.calls == [("comfy_resolve_path", ("checkpoints", filename))]


def test_comfy_folder_paths(tmp_path: Path) -> None:
    plugin = Recorder(root=str(tmp_path))
    pm = make_plugin_manager(load_entry_points=False, plugins=[plugin])
    paths = FolderPaths.from_configuration({"cwd": str(tmp_path)}, plugin_manager=pm)
    assert paths.get_folder_paths("checkpoints")[-1] == str(tmp_path / "ckpts")
    assert paths.get_folder_paths("my_models") == [str(tmp_path / "mine")]
    assert plugin.calls == [("comfy_folder_paths", None)]


def test_comfy_on_event() -> None:
    plugin = Recorder()
    pm = make_plugin_manager(load_entry_points=False, plugins=[plugin])
    assert pm.hook.comfy_on_event(event="execution_start", data={"prompt_id": "p"}, prompt_id="p") == []
    assert plugin.calls == [("comfy_on_event", ("execution_start", {"prompt_id": "p"}, "p"))]


def test_comfy_release_memory() -> None:
    plugin = Recorder()
    pm = make_plugin_manager(load_entry_points=False, plugins=[plugin])
    assert pm.hook.comfy_release_memory() == []
    assert plugin.calls == [("comfy_release_memory", None)]


@pytest.fixture
def entry_point_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[EntryPoint]:
    """Two importable plugin modules (one good, one broken) published as fake entry points."""
    (tmp_path / "good_comfy_plugin_mod.py").write_text(
        textwrap.dedent(
            """
            from comfy.plugins import hookimpl

            class EPNode:
                pass

            @hookimpl
            def comfy_register_nodes():
                return {"EPNode": EPNode}
            """
        )
    )
    (tmp_path / "broken_comfy_plugin_mod.py").write_text("raise RuntimeError('broken plugin')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [
        EntryPoint(name="good", value="good_comfy_plugin_mod", group=ENTRY_POINT_GROUP),
        EntryPoint(name="broken", value="broken_comfy_plugin_mod", group=ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(manager_module, "entry_points", lambda group: [ep for ep in eps if ep.group == group])
    return eps


@pytest.mark.parametrize(
    ("load_entry_points", "expected_plugins", "expected_nodes"),
    [
        (True, {"good"}, [["EPNode"]]),
        (False, set(), []),
    ],
)
def test_factory_loads_entry_points(
    entry_point_modules: list[EntryPoint],
    caplog: pytest.LogCaptureFixture,
    load_entry_points: bool,
    expected_plugins: set[str],
    expected_nodes: list[list[str]],
) -> None:
    pm = make_plugin_manager(load_entry_points=load_entry_points)
    names = {name for name, _ in pm.list_name_plugin()}
    assert names == expected_plugins
    assert [list(r) for r in pm.hook.comfy_register_nodes()] == expected_nodes
    assert ("broken plugin" in caplog.text) is load_entry_points


def test_factory_creates_independent_managers() -> None:
    first = make_plugin_manager(load_entry_points=False, plugins=[Recorder()])
    second = make_plugin_manager(load_entry_points=False)
    assert first is not second
    assert second.hook.comfy_register_nodes() == []


def test_merge_node_mappings_refuses_duplicates() -> None:
    import types

    from comfy.plugins import merge_node_mappings

    a = types.ModuleType("pack.a")
    a.NODE_CLASS_MAPPINGS = {"A": int}  # type: ignore[attr-defined]
    b = types.ModuleType("pack.b")
    b.NODE_CLASS_MAPPINGS = {"B": str}  # type: ignore[attr-defined]
    assert merge_node_mappings("pack", [a, b], "NODE_CLASS_MAPPINGS") == {"A": int, "B": str}
    b.NODE_CLASS_MAPPINGS["A"] = float  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="'A' is defined twice in pack"):
        merge_node_mappings("pack", [a, b], "NODE_CLASS_MAPPINGS")

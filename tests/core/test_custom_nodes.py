"""Loading V1 custom-node packs from custom_nodes/ folders, and the registry's discovery order."""

from __future__ import annotations

import sys
import textwrap
import types
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

import comfy.nodes.registry as registry_module
from comfy.nodes.custom_nodes import find_custom_node_packs, load_custom_nodes
from comfy.nodes.registry import LEGACY_ENTRY_POINT_GROUP, NodeRegistry, is_custom_node_allowed, load_registry
from comfy.plugins import hookimpl
from comfy.plugins.manager import make_plugin_manager

V1_NODE = """
class {name}:
    @classmethod
    def INPUT_TYPES(cls):
        return {{"required": {{"value": ("INT", {{"default": 1}})}}}}
    RETURN_TYPES = ("INT",)
    FUNCTION = "run"
    CATEGORY = "{category}"
    def run(self, value):
        return (value,)
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


@pytest.fixture
def custom_nodes(tmp_path: Path) -> Iterator[Path]:
    """A custom_nodes folder with a package pack, a file pack, a broken pack and things to skip."""
    root = tmp_path / "custom_nodes"
    # a package pack with a relative import, display names, a web dir and a prestartup script
    write(root / "pack_a" / "nodes.py", V1_NODE.format(name="NodeA", category="a"))
    write(
        root / "pack_a" / "__init__.py",
        """
        import os
        from .nodes import NodeA
        assert os.environ.get("PACK_A_PRESTARTUP") == "ran", "prestartup script must run first"
        NODE_CLASS_MAPPINGS = {"NodeA": NodeA}
        NODE_DISPLAY_NAME_MAPPINGS = {"NodeA": "Node A"}
        WEB_DIRECTORY = "./js"
        """,
    )
    write(root / "pack_a" / "prestartup_script.py", "import os\nos.environ['PACK_A_PRESTARTUP'] = 'ran'\n")
    # a single-file pack that also uses the folder_paths alias V1 packs rely on
    write(
        root / "pack_b.py",
        V1_NODE.format(name="NodeB", category="b")
        + "import folder_paths\nOUT = folder_paths.get_output_directory()\nNODE_CLASS_MAPPINGS = {'NodeB': NodeB}\n",
    )
    # a pack whose import fails
    write(root / "broken_pack" / "__init__.py", "import definitely_not_a_module_xyz\n")
    # things that are not packs, or are disabled
    write(root / "disabled_pack.disabled" / "__init__.py", "raise RuntimeError('must not load')\n")
    write(root / "no_init" / "nodes.py", "raise RuntimeError('must not load')\n")
    write(root / "notes.txt", "not python")
    write(root / ".hidden.py", "raise RuntimeError('must not load')\n")
    yield root
    for name in [n for n in sys.modules if n.startswith("comfy_custom_nodes_")]:
        del sys.modules[name]


def test_find_custom_node_packs(custom_nodes: Path) -> None:
    assert [p.name for p in find_custom_node_packs([str(custom_nodes), str(custom_nodes / "missing")])] == [
        "broken_pack",
        "pack_a",
        "pack_b",
    ]


def test_load_custom_nodes(custom_nodes: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("PACK_A_PRESTARTUP", "pending")  # the prestartup script sets "ran"; restored afterwards
    result = load_custom_nodes([str(custom_nodes)])
    registry = result.registry
    assert sorted(registry.NODE_CLASS_MAPPINGS) == ["NodeA", "NodeB"]
    assert registry.NODE_DISPLAY_NAME_MAPPINGS == {"NodeA": "Node A"}
    assert registry.EXTENSION_WEB_DIRS == {"pack_a": str(custom_nodes / "pack_a" / "js")}
    assert registry.get("NodeA").RELATIVE_PYTHON_MODULE == "custom_nodes.pack_a"  # type: ignore[union-attr]
    by_name = {p.name: p for p in result.packs}
    assert (by_name["pack_a"].loaded, by_name["pack_b"].loaded, by_name["broken_pack"].loaded) == (True, True, False)
    assert [p.name for p in result.failed] == ["broken_pack"]
    assert "definitely_not_a_module_xyz" in (by_name["broken_pack"].error or "")
    assert "broken_pack" in caplog.text
    assert not any(n.startswith(by_name["broken_pack"].module_name) for n in sys.modules)
    assert by_name["pack_a"].module_name in sys.modules and "." not in by_name["pack_a"].module_name


def test_same_pack_name_in_two_folders_gets_two_modules(tmp_path: Path) -> None:
    write(tmp_path / "one" / "twin.py", V1_NODE.format(name="TwinOne", category="x") + "NODE_CLASS_MAPPINGS = {'TwinOne': TwinOne}\n")
    write(tmp_path / "two" / "twin.py", V1_NODE.format(name="TwinTwo", category="x") + "NODE_CLASS_MAPPINGS = {'TwinTwo': TwinTwo}\n")
    result = load_custom_nodes([str(tmp_path / "one"), str(tmp_path / "two")])
    assert sorted(result.registry.NODE_CLASS_MAPPINGS) == ["TwinOne", "TwinTwo"]
    assert len({p.module_name for p in result.packs}) == 2


@pytest.mark.parametrize(
    ("configuration", "loaded"),
    [
        pytest.param({}, ["NodeA", "NodeB"], id="default"),
        pytest.param({"disable_all_custom_nodes": True}, [], id="disable-all"),
        pytest.param({"disable_all_custom_nodes": True, "whitelist_custom_nodes": ["pack_b"]}, ["NodeB"], id="whitelist"),
        pytest.param({"blacklist_custom_nodes": ["pack_a"]}, ["NodeB"], id="blacklist-name"),
        pytest.param({"blacklist_custom_nodes": ["pack_*", "broken*"]}, [], id="blacklist-glob"),
        pytest.param({"whitelist_custom_nodes": ["pack_b"]}, ["NodeA", "NodeB"], id="whitelist-without-disable"),
    ],
)
def test_enable_and_disable(custom_nodes: Path, monkeypatch: pytest.MonkeyPatch, configuration: dict[str, Any], loaded: list[str]) -> None:
    monkeypatch.setenv("PACK_A_PRESTARTUP", "ran")
    result = load_custom_nodes([str(custom_nodes)], configuration=configuration)
    assert sorted(result.registry.NODE_CLASS_MAPPINGS) == loaded
    skipped = {p.name for p in result.packs if p.skipped}
    assert {p.name for p in result.packs if p.loaded} | skipped | {p.name for p in result.failed} == {"pack_a", "pack_b", "broken_pack"}


@pytest.mark.parametrize(
    ("name", "configuration", "allowed"),
    [
        ("x", None, True),
        ("x", {"disable_all_custom_nodes": True}, False),
        ("x", {"disable_all_custom_nodes": True, "whitelist_custom_nodes": ["x"]}, True),
        ("x", {"blacklist_custom_nodes": ["?"]}, False),
        ("xy", {"blacklist_custom_nodes": ["?"]}, True),
    ],
)
def test_is_custom_node_allowed(name: str, configuration: dict[str, Any] | None, allowed: bool) -> None:
    assert is_custom_node_allowed(name, configuration) is allowed


class ShadowedNodeA:
    """A plugin's NodeA: custom nodes must not replace it."""


class BuiltinsPlugin:
    @hookimpl
    def comfy_register_nodes(self) -> dict[str, type]:
        return {"NodeA": ShadowedNodeA}


def test_load_registry_order(custom_nodes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("PACK_A_PRESTARTUP", "ran")
    legacy = types.ModuleType("legacy_comfy_nodes_mod")
    exec(V1_NODE.format(name="LegacyNode", category="l"), legacy.__dict__)
    legacy.NODE_CLASS_MAPPINGS = {"LegacyNode": legacy.LegacyNode, "NodeB": ShadowedNodeA}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "legacy_comfy_nodes_mod", legacy)
    eps = [EntryPoint(name="legacy", value="legacy_comfy_nodes_mod", group=LEGACY_ENTRY_POINT_GROUP)]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [ep for ep in eps if ep.group == group])

    pm = make_plugin_manager(load_entry_points=False, plugins=[BuiltinsPlugin()])
    registry = load_registry({"cwd": str(tmp_path)}, plugin_manager=pm)
    assert isinstance(registry, NodeRegistry)
    assert sorted(registry) == ["LegacyNode", "NodeA", "NodeB"]
    assert registry.get("NodeA") is ShadowedNodeA, "plugin classes cannot be overridden by custom nodes"
    assert registry.get("NodeB") is not ShadowedNodeA, "custom_nodes folders load after legacy entry points"
    assert "NodeA" in caplog.text

    disabled = load_registry({"cwd": str(tmp_path), "disable_all_custom_nodes": True}, plugin_manager=pm)
    assert sorted(disabled) == ["NodeA"], "plugins still load with --disable-all-custom-nodes"


def test_registry_update_and_without() -> None:
    a = NodeRegistry({"A": int}, {"A": "a"}, {"pack": "/web"})
    b = NodeRegistry({"B": str, "A": float})
    assert a.update(b) is a
    assert a.NODE_CLASS_MAPPINGS == {"A": float, "B": str}
    assert "A" in a and "C" not in a and len(a) == 2
    assert a.display_name("A") == "a" and a.display_name("B") == "B"
    assert sorted(a.without(["A"])) == ["B"]
    assert a.copy().NODE_CLASS_MAPPINGS is not a.NODE_CLASS_MAPPINGS


def test_nodes_context(monkeypatch: pytest.MonkeyPatch) -> None:
    import comfy.nodes_context as nodes_context

    built: list[NodeRegistry] = []

    def fake_load_registry() -> NodeRegistry:
        built.append(NodeRegistry({"Default": int}))
        return built[-1]

    monkeypatch.setattr(nodes_context, "load_registry", fake_load_registry)
    monkeypatch.setattr(nodes_context, "_default_nodes", None)
    outer, inner = NodeRegistry({"Outer": int}), NodeRegistry({"Inner": int})
    with nodes_context.use_nodes(outer):
        assert nodes_context.get_nodes() is outer
        with nodes_context.use_nodes(inner):
            assert nodes_context.get_nodes() is inner
        assert nodes_context.get_nodes() is outer
    assert built == []
    default = nodes_context.get_nodes()
    assert nodes_context.get_nodes() is default and built == [default]
    nodes_context.set_default_nodes(outer)
    assert nodes_context.get_nodes() is outer

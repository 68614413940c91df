"""Loading custom node packs from custom_nodes/ folders: V1, V3, failures, web dirs, disabling."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from comfy.compat.prompt_server import PromptServer, RouteDef, StaticDef
from comfy.nodes.object_info import node_info
from comfy.nodes.registry import NodeRegistry, load_registry
from comfy.plugins.manager import make_plugin_manager

PACK_NODES = {
    "v1_pack": ["V1ScaleToSquare", "V1SaveSquare", "V1WorkspaceInfo", "V1MaybeBlock"],
    "v3_pack": ["V3LazyPick", "V3CountUp", "V3AsyncDouble", "V3ShowText", "V3Preview"],
    "extension_pack": ["ExtLegacy", "ExtGreeting"],
    "messaging_pack": ["MsgAnnounce"],
    "route_pack": [],
}


def _packs(registry: NodeRegistry) -> dict[str, Any]:
    return {pack.name: pack for pack in registry.custom_node_packs}


def test_every_pack_loads_and_the_broken_ones_are_reported(
    compat_workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        registry = load_registry({"cwd": str(compat_workspace)}, plugin_manager=make_plugin_manager())
    packs = _packs(registry)
    for name, node_names in PACK_NODES.items():
        assert packs[name].loaded and packs[name].error is None, name
        assert sorted(packs[name].node_names) == sorted(node_names)
        for class_type in node_names:
            assert class_type in registry
    assert sorted(p.name for p in registry.failed_custom_node_packs) == ["broken_entrypoint", "broken_pack"]
    assert "a_dependency_that_is_not_installed" in packs["broken_pack"].error
    assert "Traceback" in packs["broken_entrypoint"].error
    assert "this extension cannot list its nodes" in packs["broken_entrypoint"].error
    assert "broken_pack" in caplog.text and "broken_entrypoint" in caplog.text
    assert "SaveImage" in registry and "PrimitiveInt" in registry, "plugins load beside the packs"


def test_display_names_web_directories_and_modules(registry: NodeRegistry, compat_workspace: Path) -> None:
    assert registry.display_name("V1ScaleToSquare") == "Scale To Square (v1 pack)"
    assert registry.display_name("V3LazyPick") == "Lazy Pick (v3 pack)", "V3: schema.display_name"
    assert registry.display_name("ExtGreeting") == "Greeting (extension pack)"
    assert registry.display_name("V3CountUp") == "V3CountUp", "no display name: the node id"
    custom_nodes = compat_workspace / "custom_nodes"
    assert registry.EXTENSION_WEB_DIRS == {
        "v1_pack": str(custom_nodes / "v1_pack" / "web"),
        "route_pack": str(custom_nodes / "route_pack" / "static"),
    }
    packs = _packs(registry)
    assert packs["v1_pack"].web_directory == str(custom_nodes / "v1_pack" / "web")
    assert packs["v3_pack"].web_directory is None
    assert registry.get("V3LazyPick").RELATIVE_PYTHON_MODULE == "custom_nodes.v3_pack"  # type: ignore[union-attr]
    assert registry.get("ExtLegacy").RELATIVE_PYTHON_MODULE == "custom_nodes.extension_pack"  # type: ignore[union-attr]


def test_extension_on_load_runs_once(registry: NodeRegistry, pack_module: Any) -> None:
    assert pack_module("extension_pack").LOADED == ["on_load"]


def test_v1_pack_sees_the_core_nodes_while_it_imports(registry: NodeRegistry, pack_module: Any) -> None:
    nodes_module = pack_module("v1_pack").nodes
    assert nodes_module.BASE_SAVE is registry.get("SaveImage")
    assert issubclass(registry.get("V1SaveSquare"), registry.get("SaveImage"))  # type: ignore[arg-type]


def test_routes_are_recorded(registry: NodeRegistry, prompt_server: PromptServer, pack_module: Any) -> None:
    routes = list(prompt_server.routes)
    pack = pack_module("route_pack")
    assert [(r.method, r.path, r.handler) for r in routes if isinstance(r, RouteDef)] == [
        ("GET", "/route_pack/hello", pack.hello),
        ("POST", "/route_pack/echo", pack.echo),
        ("GET", "/route_pack/legacy", pack.legacy),
    ]
    statics = [r for r in routes if isinstance(r, StaticDef)]
    assert [(s.prefix, Path(s.path).name) for s in statics] == [("/route_pack/static", "static")]


def test_v3_object_info(registry: NodeRegistry) -> None:
    info = node_info("V3LazyPick", registry.get("V3LazyPick"), registry.display_name("V3LazyPick"))  # type: ignore[arg-type]
    assert info["input"] == {
        "required": {
            "use_a": ("BOOLEAN", {"default": True}),
            "a": ("INT", {"lazy": True}),
            "b": ("INT", {"lazy": True}),
        },
        "hidden": {"unique_id": ("UNIQUE_ID",)},
    }
    assert info["output"] == ["INT"] and info["output_name"] == ["INT"] and info["output_is_list"] == [False]
    assert (info["name"], info["display_name"], info["category"]) == ("V3LazyPick", "Lazy Pick (v3 pack)", "v3_pack")
    assert info["python_module"] == "custom_nodes.v3_pack" and info["output_node"] is False
    show = node_info("V3ShowText", registry.get("V3ShowText"))  # type: ignore[arg-type]
    assert show["output_node"] is True
    assert set(show["input"]["hidden"]) == {"unique_id", "prompt", "extra_pnginfo"}, "output nodes get prompt and extra_pnginfo"
    count = node_info("V3CountUp", registry.get("V3CountUp"))  # type: ignore[arg-type]
    assert count["output_is_list"] == [True, False]
    assert count["input"]["required"]["n"] == ("INT", {"default": 2, "min": 0, "max": 10})


@pytest.mark.parametrize(
    ("configuration", "loaded"),
    [
        pytest.param({"disable_all_custom_nodes": True}, [], id="disable-all"),
        pytest.param(
            {"disable_all_custom_nodes": True, "whitelist_custom_nodes": ["v3_pack", "extra_pack"]},
            ["extra_pack", "v3_pack"],
            id="whitelist",
        ),
        pytest.param(
            {"blacklist_custom_nodes": ["broken*", "*_pack"]},
            [],
            id="blacklist-globs",
        ),
        pytest.param(
            {"blacklist_custom_nodes": ["extra_pack", "v1_pack", "broken*"]},
            ["extension_pack", "messaging_pack", "route_pack", "v3_pack"],
            id="blacklist-in-configured-folder",
        ),
        pytest.param(
            {},
            ["extension_pack", "extra_pack", "messaging_pack", "route_pack", "v1_pack", "v3_pack"],
            id="all",
        ),
    ],
)
@pytest.mark.parametrize("how", ["base_paths", "extra_model_paths"])
def test_disabling_covers_folders_named_by_configuration(
    compat_workspace: Path, tmp_path_factory: pytest.TempPathFactory, configuration: dict[str, Any], loaded: list[str], how: str
) -> None:
    other = tmp_path_factory.mktemp("shared")
    (other / "custom_nodes" / "extra_pack").mkdir(parents=True)
    (other / "custom_nodes" / "extra_pack" / "__init__.py").write_text(
        "from server import PromptServer\n"
        "class Extra:\n"
        "    @classmethod\n"
        "    def INPUT_TYPES(cls):\n"
        "        return {'required': {}}\n"
        "    RETURN_TYPES = ('INT',)\n"
        "    FUNCTION = 'run'\n"
        "    def run(self):\n"
        "        return (7,)\n"
        "NODE_CLASS_MAPPINGS = {'ExtraNode': Extra}\n"
    )
    config: dict[str, Any] = {"cwd": str(compat_workspace), **configuration}
    if how == "base_paths":
        config["base_paths"] = [str(other)]
    else:
        yaml_file = other / "extra_model_paths.json"  # JSON is valid YAML (read without PyYAML too)
        yaml_file.write_text('{"shared": {"base_path": ".", "custom_nodes": "custom_nodes"}}')
        config["extra_model_paths_config"] = [str(yaml_file)]
    registry = load_registry(config, plugin_manager=make_plugin_manager())
    assert sorted(p.name for p in registry.custom_node_packs if p.loaded) == loaded
    assert ("ExtraNode" in registry) == ("extra_pack" in loaded)
    skipped = {p.name for p in registry.custom_node_packs if p.skipped}
    considered = {p.name for p in registry.custom_node_packs}
    assert considered >= {"extra_pack", "v1_pack", "broken_pack"}
    assert skipped == considered - set(loaded) - {p.name for p in registry.failed_custom_node_packs}


def test_disabled_suffix_and_same_class_in_two_packs(compat_workspace: Path) -> None:
    custom_nodes = compat_workspace / "custom_nodes"
    shutil.move(custom_nodes / "v1_pack", custom_nodes / "v1_pack.disabled")
    (custom_nodes / "zz_override.py").write_text(
        "import nodes\n"
        "class Replacement(nodes.NODE_CLASS_MAPPINGS['ExtLegacy']):\n"
        "    pass\n"
        "class FakeSave:\n"
        "    pass\n"
        "NODE_CLASS_MAPPINGS = {'ExtLegacy': Replacement, 'SaveImage': FakeSave}\n"
    )
    registry = load_registry({"cwd": str(compat_workspace)}, plugin_manager=make_plugin_manager())
    assert "V1ScaleToSquare" not in registry and "v1_pack" not in {p.name for p in registry.custom_node_packs}
    assert registry.get("ExtLegacy").__name__ == "Replacement", "a later pack replaces an earlier pack's class"  # type: ignore[union-attr]
    assert registry.get("SaveImage").__name__ == "SaveImage", "packs cannot replace plugin nodes"  # type: ignore[union-attr]

"""The ComfyUI modules custom node packs import, as comfy-core provides them."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

import comfy.folder_paths
import comfy.model_management as mm
import comfy.utils
from comfy.nodes.registry import NodeRegistry
from comfy.nodes_context import use_nodes
from comfy.plugins import hookimpl
from comfy.plugins.manager import make_plugin_manager

SURFACE = [
    "folder_paths",
    "nodes",
    "server",
    "comfy.utils",
    "comfy.model_management",
    "comfy.comfy_types",
    "comfy.comfy_types.node_typing",
    "comfy_execution.graph",
    "comfy_execution.graph_utils",
    "comfy_api.latest",
    "comfy_api.latest._io",
    "comfy_api.latest._ui",
    "comfy_api.v0_0_2",
]


def test_importing_the_surface_does_not_import_torch() -> None:
    code = f"import sys\nfor m in {SURFACE!r}:\n    __import__(m)\nassert 'torch' not in sys.modules, 'torch imported'\n"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("module", SURFACE)
def test_nothing_raises_not_implemented(module: str) -> None:
    source = inspect.getsource(importlib.import_module(module))
    assert "NotImplementedError" not in source


def test_folder_paths_is_comfy_folder_paths(workspace: Path) -> None:
    import folder_paths

    assert folder_paths is comfy.folder_paths
    assert folder_paths.models_dir == str(workspace / "models")
    assert folder_paths.get_output_directory() == str(workspace / "output")
    folder_paths.add_model_folder_path("my_models", str(workspace / "mine"))
    assert folder_paths.folder_names_and_paths["my_models"][0] == [str(workspace / "mine")]
    (workspace / "mine").mkdir()
    (workspace / "mine" / "m.safetensors").write_bytes(b"")
    assert folder_paths.get_full_path_or_raise("my_models", "m.safetensors") == str(workspace / "mine" / "m.safetensors")
    assert folder_paths.get_annotated_filepath("x.png [output]") == str(workspace / "output" / "x.png")
    full_folder, filename, counter, subfolder, _ = folder_paths.get_save_image_path("sub/pic", folder_paths.get_output_directory())
    assert (Path(full_folder), filename, counter, subfolder) == (workspace / "output" / "sub", "pic", 1, "sub")


class Dummy:
    pass


def test_nodes_module_reads_the_registry_in_effect() -> None:
    import nodes

    registry = NodeRegistry({"Dummy": Dummy}, {"Dummy": "A dummy"})
    with use_nodes(registry):
        assert nodes.NODE_CLASS_MAPPINGS is registry.NODE_CLASS_MAPPINGS
        assert nodes.NODE_DISPLAY_NAME_MAPPINGS == {"Dummy": "A dummy"}
        assert nodes.Dummy is Dummy
        assert "Dummy" in dir(nodes)
        with pytest.raises(AttributeError):
            nodes.NoSuchNode  # noqa: B018
    assert nodes.MAX_RESOLUTION == 16384
    nodes.interrupt_processing()
    with pytest.raises(mm.InterruptProcessingException):
        nodes.before_node_execution()


def test_comfy_types() -> None:
    from comfy.comfy_types import IO, CheckLazyMixin, ComfyNodeABC, FileLocator, InputTypeDict
    from comfy.comfy_types.node_typing import IO as IO2

    assert IO is IO2 and IO.INT == "INT" and str(IO.IMAGE) == "IMAGE"
    assert not IO.ANY != "LATENT" and not IO.NUMBER != "INT" and IO.INT != "FLOAT"
    assert CheckLazyMixin().check_lazy_status(a=None, b=1) == ["a"]
    assert inspect.isabstract(ComfyNodeABC)
    assert {"required", "optional", "hidden"} <= set(InputTypeDict.__annotations__)
    assert set(FileLocator.__annotations__) == {"filename", "subfolder", "type"}


def test_comfy_api_versions() -> None:
    import comfy_api.latest as latest
    import comfy_api.v0_0_2 as v0_0_2

    assert v0_0_2.ComfyAPI is latest.ComfyAPI and v0_0_2.ComfyAPISync is latest.ComfyAPISync
    assert v0_0_2.io is latest.io and latest.IO is latest.io and latest.UI is latest.ui
    assert hasattr(v0_0_2.ComfyAPISync().execution, "set_progress")
    with pytest.raises(RuntimeError):
        v0_0_2.ComfyAPISync().execution.set_progress(1, 2)


def test_devices_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    assert mm.intermediate_device() == torch.device("cpu")
    assert mm.unet_offload_device() == torch.device("cpu")
    device = mm.get_torch_device()
    assert isinstance(device, torch.device)
    assert mm.get_free_memory(torch.device("cpu")) > 0 and mm.get_total_memory(torch.device("cpu")) > 0
    assert mm.is_device_cpu(torch.device("cpu")) and mm.is_device_cuda("cuda:1") and not mm.is_device_mps("cpu")
    mm.soft_empty_cache()
    mm.cleanup_models()
    from comfy.cli_args import use_configuration

    with use_configuration({"cpu": True}):  # type: ignore[arg-type]
        assert mm.get_torch_device() == torch.device("cpu")


class ModelPlugin:
    def __init__(self) -> None:
        self.released = 0

    @hookimpl
    def comfy_release_memory(self) -> None:
        self.released += 1


class FailingModelPlugin:
    @hookimpl
    def comfy_release_memory(self) -> None:
        raise RuntimeError("cannot unload")


def test_unload_all_models_asks_every_model_plugin_once(caplog: pytest.LogCaptureFixture) -> None:
    plugin = ModelPlugin()
    pm = make_plugin_manager(load_entry_points=False, plugins=[plugin, FailingModelPlugin()])
    other = make_plugin_manager(load_entry_points=False)
    other.register(plugin)
    mm.unload_all_models()
    assert plugin.released == 1, "a plugin in two managers is asked once"
    assert "cannot unload" in caplog.text
    mm.free_memory(0)
    assert plugin.released == 1, "enough memory is free: nothing unloaded"
    mm.free_memory(float("inf"))
    assert plugin.released == 2
    del pm, other


def test_common_upscale_with_and_without_the_base_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    samples = torch.arange(2 * 3 * 4 * 6, dtype=torch.float32).reshape(2, 3, 4, 6)
    from comfy_nodes_base.resize import common_upscale as base

    for method in ("nearest-exact", "bilinear", "area", "bicubic"):
        for crop in ("disabled", "center"):
            expected = base(samples, 3, 2, method, crop)
            assert torch.equal(comfy.utils.common_upscale(samples, 3, 2, method, crop), expected)
            monkeypatch.setitem(sys.modules, "comfy_nodes_base.resize", None)  # as if not installed
            assert torch.allclose(comfy.utils.common_upscale(samples, 3, 2, method, crop), expected)
            monkeypatch.undo()
    monkeypatch.setitem(sys.modules, "comfy_nodes_base.resize", None)
    assert comfy.utils.common_upscale(samples, 12, 8, "lanczos", "disabled").shape == (2, 3, 8, 12)
    video = torch.zeros(1, 4, 2, 8, 8)
    assert comfy.utils.common_upscale(video, 4, 4, "bislerp", "disabled").shape == (1, 4, 2, 4, 4)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt", ".ckpt"])
def test_load_and_save_torch_file(tmp_path: Path, suffix: str) -> None:
    sd = {"a.weight": torch.ones(2, 3), "b": torch.arange(4)}
    path = str(tmp_path / f"model{suffix}")
    if suffix == ".safetensors":
        comfy.utils.save_torch_file(sd, path, metadata={"format": "pt"})
    else:
        torch.save({"state_dict": sd}, path)
    loaded = comfy.utils.load_torch_file(path, device="cpu")
    assert set(loaded) == set(sd) and all(torch.equal(loaded[k], sd[k]) for k in sd)
    loaded, metadata = comfy.utils.load_torch_file(path, safe_load=True, return_metadata=True)
    assert metadata == ({"format": "pt"} if suffix == ".safetensors" else None)
    assert comfy.utils.calculate_parameters(loaded) == 10 and comfy.utils.calculate_parameters(loaded, "a.") == 6


def test_load_torch_file_refuses_pickled_code(tmp_path: Path) -> None:
    path = str(tmp_path / "evil.pt")
    torch.save({"state_dict": {"x": torch.zeros(1)}, "obj": Dummy()}, path)
    with pytest.raises(Exception, match="[Ww]eights only"):
        comfy.utils.load_torch_file(path)


def test_progress_bar_hook_and_switch() -> None:
    seen: list[Any] = []
    comfy.utils.set_progress_bar_global_hook(lambda value, total, preview, node_id=None: seen.append((value, total)))
    try:
        bar = comfy.utils.ProgressBar(4)
        bar.update(1)
        bar.update_absolute(9)
        comfy.utils.set_progress_bar_enabled(False)
        bar.update(1)
    finally:
        comfy.utils.set_progress_bar_enabled(True)
        comfy.utils.set_progress_bar_global_hook(None)
    assert seen == [(1, 4), (4, 4)]


def test_state_dict_helpers() -> None:
    sd = {"model.x": 1, "model.y": 2, "other": 3}
    assert comfy.utils.state_dict_prefix_replace(dict(sd), {"model.": "m."}) == {"other": 3, "m.x": 1, "m.y": 2}
    assert comfy.utils.state_dict_prefix_replace(dict(sd), {"model.": ""}, filter_keys=True) == {"x": 1, "y": 2}
    assert comfy.utils.repeat_to_batch_size(torch.arange(2), 5).tolist() == [0, 1, 0, 1, 0]

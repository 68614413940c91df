"""The model manager: checkpoints loaded once per file (and again when the file changes), LRU offload
under a (fake) GPU budget, in-use modules kept, everything released by the plugin hook."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from comfy_nodes_sd.memory import ModelManager, module_bytes

CPU = torch.device("cpu")
GPU = torch.device("cuda", 0)  # only a label here: the fake mover records placements, nothing moves


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from comfy_nodes_sd import tiny

    return tiny.make_checkpoint("sd15", tmp_path_factory.mktemp("mem") / "tiny.safetensors")


def test_a_checkpoint_is_read_once_and_handed_out_as_clones(checkpoint: Path) -> None:
    manager = ModelManager()
    reports: list[tuple[int, int]] = []
    first = manager.load_checkpoint(str(checkpoint), device=CPU, progress=lambda done, total: reports.append((done, total)))
    second = manager.load_checkpoint(str(checkpoint), device=CPU)
    assert manager.loads == 1
    assert reports and reports[-1][0] == reports[-1][1] and len(reports) <= 51
    assert first.model is not second.model and first.model.diffusion_model is second.model.diffusion_model
    assert first.clip is not second.clip and first.vae is second.vae
    first.model.model_options["transformer_options"]["x"] = 1
    assert "x" not in second.model.model_options["transformer_options"]


def test_a_changed_file_or_another_device_loads_again(checkpoint: Path, tmp_path: Path) -> None:
    manager = ModelManager()
    copy = tmp_path / "copy.safetensors"
    copy.write_bytes(checkpoint.read_bytes())
    a = manager.load_checkpoint(str(copy), device=CPU)
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    b = manager.load_checkpoint(str(copy), device=CPU)
    assert manager.loads == 2 and a.model.diffusion_model is not b.model.diffusion_model
    assert manager.cached_paths() == [str(copy.resolve())] * 2


def test_ram_pressure_drops_cached_checkpoints(checkpoint: Path, tmp_path: Path) -> None:
    free = {"ram": 10 * 2**30}
    manager = ModelManager(free_memory=lambda device: free["ram"], ram_headroom=2**30)
    other = tmp_path / "other.safetensors"
    other.write_bytes(checkpoint.read_bytes())
    manager.load_checkpoint(str(checkpoint), device=CPU)
    manager.load_checkpoint(str(other), device=CPU)
    assert len(manager.cached_paths()) == 2
    free["ram"] = 2**30  # below the headroom: the least recently used entry goes first
    manager.load_checkpoint(str(checkpoint), device=CPU)  # a hit: nothing is dropped for a hit
    assert len(manager.cached_paths()) == 2
    third = tmp_path / "third.safetensors"
    third.write_bytes(checkpoint.read_bytes())
    manager.load_checkpoint(str(third), device=CPU)
    assert manager.cached_paths() == [str(third.resolve())]


class FakeGPU:
    """A device with ``capacity`` bytes: free memory is what the modules placed on it leave."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.where: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.moves: list[tuple[str, str]] = []

    def place(self, module: Any, name: str) -> Any:
        module.fake_name = name
        self.where[id(module)] = GPU
        self.sizes[id(module)] = module_bytes(module)
        return module

    def free(self, device: Any) -> int:
        if str(device) == "cpu":
            return 1 << 40
        used = sum(size for key, size in self.sizes.items() if str(self.where[key]) == str(device))
        return self.capacity - used

    def move(self, module: Any, device: Any) -> None:
        self.where[id(module)] = device
        self.moves.append((module.fake_name, str(device)))


def _linear(n: int) -> Any:
    return torch.nn.Linear(n, n, bias=False)  # n*n*4 bytes


def test_least_recently_used_models_leave_the_gpu_first() -> None:
    gpu = FakeGPU(capacity=3 * 256 * 256 * 4)  # room for three 256x256 fp32 layers
    manager = ModelManager(free_memory=gpu.free, move=gpu.move, inference_reserve=0)
    a, b, c = (gpu.place(_linear(256), n) for n in "abc")
    for m in (a, b, c):
        manager.register(m, GPU)
    manager.use(a, GPU)  # order of use now: b, c, a
    assert manager.free_memory(2 * 256 * 256 * 4, GPU) == 2
    assert gpu.moves == [("b", "cpu"), ("c", "cpu")]
    manager.use(b, GPU)  # comes back; there is room
    assert gpu.moves[-1] == ("b", str(GPU))
    d = gpu.place(_linear(256), "d")
    manager.register(d, GPU)  # a, b, d on the GPU: full
    manager.use(c, GPU)  # needs one layer's room: the least recently used (a) leaves
    assert gpu.moves[-2:] == [("a", "cpu"), ("c", str(GPU))]
    assert [str(where) for _, where in manager.placement()] == ["cpu", str(GPU), str(GPU), str(GPU)]


def test_a_running_model_is_not_offloaded_and_unload_all_empties_the_gpu() -> None:
    gpu = FakeGPU(capacity=2 * 128 * 128 * 4)
    manager = ModelManager(free_memory=gpu.free, move=gpu.move, inference_reserve=0)
    a, b = (gpu.place(_linear(128), n) for n in "ab")
    manager.register(a, GPU)
    manager.register(b, GPU)

    seen: list[list[str]] = []

    def inside(module: Any, args: Any) -> None:
        # while `a` computes, a request for more memory can only move `b`
        manager.free_memory(gpu.capacity, GPU)
        seen.append([name for name, _ in gpu.moves])

    handle = a.register_forward_pre_hook(inside)
    a(torch.zeros(1, 128))
    handle.remove()
    assert seen == [["b"]]
    manager.unload_all()
    assert gpu.moves == [("b", "cpu"), ("a", "cpu")]
    assert all(str(where) == "cpu" for _, where in manager.placement())


def test_release_memory_hook_drops_the_cache(checkpoint: Path) -> None:
    from comfy import model_management
    from comfy.plugins.manager import make_plugin_manager
    from comfy_nodes_sd import memory

    pm = make_plugin_manager()  # tracked (weakly), so model_management reaches the SD plugin's hook
    memory.load_checkpoint(str(checkpoint), device=CPU)
    assert str(checkpoint.resolve()) in memory.manager().cached_paths()
    model_management.unload_all_models()
    assert memory.manager().cached_paths() == []
    memory.load_checkpoint(str(checkpoint), device=CPU)
    pm.hook.comfy_release_memory()  # what the server's /free and the embedded client call
    assert memory.manager().cached_paths() == []


def test_precision_flags_choose_dtypes_and_key_the_cache(checkpoint: Path) -> None:
    """ComfyUI's force_fp32 / fp16_unet style flags change the dtypes, and a change loads again."""
    from comfy.cli_args import use_configuration
    from comfy.cli_args_types import Configuration
    from comfy_nodes_sd import devices

    manager = ModelManager()
    default = manager.load_checkpoint(str(checkpoint), device=CPU)
    with use_configuration(Configuration(force_fp32=True, force_channels_last=True)):
        assert devices.text_encoder_dtype(CPU) == torch.float32 and devices.memory_format() == torch.channels_last
        forced = manager.load_checkpoint(str(checkpoint), device=CPU)
    with use_configuration(Configuration(bf16_unet=True)):
        assert devices.unet_dtype(CPU) == torch.bfloat16 and devices.vae_dtype(CPU) == torch.float32
    assert manager.loads == 2
    text_dtypes = {p.dtype for e in default.clip.encoders for p in e.model.parameters()}
    assert text_dtypes == {torch.float16}  # ComfyUI's CPU choice: CLIP stored in fp16
    assert {p.dtype for e in forced.clip.encoders for p in e.model.parameters()} == {torch.float32}
    conv = forced.model.diffusion_model.input_blocks[0][0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and forced.model.channels_last


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_offloading_really_moves_weights_on_cuda() -> None:
    cuda = torch.device("cuda", torch.cuda.current_device())
    manager = ModelManager(inference_reserve=0)
    a, b = (torch.nn.Linear(1024, 1024).to(cuda) for _ in range(2))
    manager.register(a, cuda)
    manager.register(b, cuda)
    manager.use(a, cuda)
    free = torch.cuda.mem_get_info(cuda)[0]
    assert manager.free_memory(free + (1 << 40), cuda, keep=(a,)) == 1  # more than exists: all but `a` leave
    assert a.weight.device == cuda and b.weight.device.type == "cpu"
    manager.use(b, cuda)
    assert b.weight.device == cuda
    manager.unload_all()
    assert a.weight.device.type == b.weight.device.type == "cpu"

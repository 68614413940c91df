"""The model manager: checkpoints loaded once per file, models placed on the GPU for use and moved off it
under pressure, everything released on request (the role of ComfyUI's ``model_management``).

Why a loader cache when the engine caches node outputs: the engine's output cache is per executor
(the embedded client runs one executor per worker thread, the AMQP worker one per process slot)
and, with the default "classic" policy, keeps only what the current prompt uses. Without a cache
here, two executors — or a prompt that does not use the checkpoint between two that do — would load
the same file twice and hold two copies. Entries are keyed by the file's real path, modification
time and size, and the load options (device), so an edited file is loaded again. They are kept while
memory allows: before a load, least recently used entries are dropped until the RAM left after the
load stays above a headroom (``RAM_HEADROOM``). A hit returns fresh clones (MODEL/CLIP share the
weights, with their own options and patches).

GPU placement (CUDA; on the CPU nothing moves): every managed module (UNet, text models, VAE) is
registered with its device. :meth:`ModelManager.use` runs before a module computes: if it was
offloaded it comes back, after :meth:`ModelManager.free_memory` made room by moving the least
recently used other modules to the CPU (``torch.cuda.mem_get_info`` plus the allocator's free
reserve against the module's size and ``INFERENCE_RESERVE``). Modules running at the moment are never
moved. :meth:`ModelManager.unload_all` (the ``comfy_release_memory`` hook: the embedded client's
shutdown and cache clearing, the server's ``/free``, ``comfy.model_management.unload_all_models``)
drops the loader cache and moves every managed module off the GPU.

For tests, the free-memory probe and the move function can be replaced (a fake budget).
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from torch import nn

    from .loader import LoadedCheckpoint

__all__ = ["ModelManager", "manager", "load_checkpoint", "use", "using", "unload_all", "module_bytes"]

logger = logging.getLogger(__name__)

GIB = 1 << 30
RAM_HEADROOM = 2 * GIB
"""RAM to leave free after a checkpoint load; cached checkpoints are dropped to keep it."""
INFERENCE_RESERVE = 1 * GIB
"""GPU memory kept free beside a model for its activations (ComfyUI's minimum inference memory)."""


def module_bytes(module: "nn.Module") -> int:
    """Bytes of a module's parameters and buffers."""
    total = 0
    for t in list(module.parameters()) + list(module.buffers()):
        total += t.numel() * t.element_size()
    return total


def _device_key(device: Any) -> str:
    return str(device)


def _is_offloadable(device: Any) -> bool:
    return getattr(device, "type", str(device).split(":")[0]) not in ("cpu", "meta")


def _default_free_memory(device: Any) -> int:
    """Free bytes on ``device`` (CUDA: the driver's free memory plus torch's unused reserve)."""
    import torch

    if getattr(device, "type", None) == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        reserve = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        return int(free + max(reserve, 0))
    import psutil

    return int(psutil.virtual_memory().available)


def _default_move(module: "nn.Module", device: Any) -> None:
    module.to(device)


@dataclass
class _Managed:
    module_ref: "weakref.ref[nn.Module]"
    home: Any
    """The device it computes on."""
    device: Any
    """Where it is now (``home`` or the offload device)."""
    size: int
    in_use: int = 0


@dataclass
class _CacheEntry:
    loaded: "LoadedCheckpoint"
    size: int


class ModelManager:
    """Loader cache and GPU placement (see the module docstring)."""

    def __init__(
        self,
        free_memory: Callable[[Any], int] | None = None,
        move: Callable[["nn.Module", Any], None] | None = None,
        offload_device: Any = "cpu",
        ram_headroom: int = RAM_HEADROOM,
        inference_reserve: int = INFERENCE_RESERVE,
    ) -> None:
        self._free = free_memory or _default_free_memory
        self._move = move or _default_move
        self.offload_device = offload_device
        self.ram_headroom = ram_headroom
        self.inference_reserve = inference_reserve
        self._lock = threading.RLock()
        self._cache: OrderedDict[tuple[Any, ...], _CacheEntry] = OrderedDict()
        self._managed: OrderedDict[int, _Managed] = OrderedDict()
        self._loading: dict[tuple[Any, ...], threading.Lock] = {}
        self.loads = 0
        """Checkpoint files read (cache misses), for tests and logs."""

    # -- loader cache ----------------------------------------------------------------------

    @staticmethod
    def cache_key(path: str, device: Any, options: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        real = os.path.realpath(path)
        stat = os.stat(real)
        return (real, stat.st_mtime_ns, stat.st_size, _device_key(device), options)

    def loaded_checkpoints(self) -> list["LoadedCheckpoint"]:
        """The cached checkpoints (the shared originals), least recently used first."""
        with self._lock:
            return [entry.loaded for entry in self._cache.values()]

    def cached_paths(self) -> list[str]:
        with self._lock:
            return [key[0] for key in self._cache]

    def load_checkpoint(
        self, path: str, device: Any = None, progress: Callable[[int, int], None] | None = None
    ) -> "LoadedCheckpoint":
        """MODEL, CLIP and VAE of the checkpoint at ``path``: from the cache (as fresh clones) or read now.
        Two threads asking for the same file wait for one load."""
        import torch

        from . import devices
        from .loader import load_checkpoint_state_dict

        device = devices.torch_device() if device is None else device
        key = self.cache_key(path, device, devices.load_options(device))
        with self._lock:
            file_lock = self._loading.setdefault(key, threading.Lock())
        with file_lock:
            with self._lock:
                entry = self._cache.get(key)
                if entry is not None:
                    self._cache.move_to_end(key)
            if entry is not None:
                if progress is not None:
                    progress(1, 1)
                return self._fresh(entry.loaded)
            size = os.stat(key[0]).st_size
            self._make_room_in_ram(size)
            if _is_offloadable(device):
                self.free_memory(size + self.inference_reserve, device)
            sd = read_state_dict(path, progress)
            loaded = load_checkpoint_state_dict(sd, device=device)
            del sd
            if devices.memory_format() != torch.contiguous_format:
                loaded.model.diffusion_model.to(memory_format=devices.memory_format())
            with self._lock:
                self.loads += 1
                for module in self._modules_of(loaded):
                    self.register(module, device)
                self._cache[key] = _CacheEntry(loaded, size)
                self._loading.pop(key, None)
            return self._fresh(loaded)

    @staticmethod
    def _fresh(loaded: "LoadedCheckpoint") -> "LoadedCheckpoint":
        import copy

        out = copy.copy(loaded)
        out.model = loaded.model.clone()
        out.clip = loaded.clip.clone()
        return out

    @staticmethod
    def _modules_of(loaded: "LoadedCheckpoint") -> list["nn.Module"]:
        from .patches import base_module

        modules = [loaded.model.diffusion_model, loaded.vae.first_stage_model]
        modules += [base_module(encoder.model) for encoder in loaded.clip.encoders]
        return modules

    def _make_room_in_ram(self, needed: int) -> None:
        import gc

        while True:
            with self._lock:
                if not self._cache or self._free("cpu") - needed >= self.ram_headroom:
                    return
                key, entry = self._cache.popitem(last=False)
            logger.info("dropping cached checkpoint %s to free RAM", key[0])
            del entry
            gc.collect()

    # -- GPU placement ---------------------------------------------------------------------

    def register(self, module: "nn.Module", device: Any, hooks: bool = True) -> None:
        """Manage ``module``, which computes on ``device`` and is there now."""
        with self._lock:
            if id(module) in self._managed and self._managed[id(module)].module_ref() is module:
                return
            self._managed[id(module)] = _Managed(weakref.ref(module, self._forget(id(module))), device, device, module_bytes(module))
        if hooks and hasattr(module, "register_forward_pre_hook"):
            module.register_forward_pre_hook(lambda m, args: self._enter(m))
            module.register_forward_hook(lambda m, args, out: self._leave(m), always_call=True)

    def _forget(self, key: int) -> Callable[[Any], None]:
        def forget(_: Any) -> None:
            with self._lock:
                entry = self._managed.get(key)
                if entry is not None and entry.module_ref() is None:
                    del self._managed[key]

        return forget

    def _entry(self, module: "nn.Module") -> _Managed | None:
        entry = self._managed.get(id(module))
        return entry if entry is not None and entry.module_ref() is module else None

    def _enter(self, module: "nn.Module") -> None:
        with self._lock:
            entry = self._entry(module)
            if entry is None:
                return
            self._load(module, entry)
            entry.in_use += 1

    def _leave(self, module: "nn.Module") -> None:
        with self._lock:
            entry = self._entry(module)
            if entry is not None and entry.in_use > 0:
                entry.in_use -= 1

    def _load(self, module: "nn.Module", entry: _Managed) -> None:
        self._managed.move_to_end(id(module))
        if _device_key(entry.device) == _device_key(entry.home):
            return
        self.free_memory(entry.size + self.inference_reserve, entry.home, keep=(module,))
        self._move(module, entry.home)
        entry.device = entry.home

    def use(self, module: "nn.Module", device: Any) -> None:
        """Before ``module`` computes on ``device``: manage it if new, bring it back if offloaded,
        mark it most recently used."""
        with self._lock:
            entry = self._entry(module)
            if entry is None:
                self.register(module, device, hooks=False)
                entry = self._entry(module)
            assert entry is not None
            entry.home = device
            self._load(module, entry)

    def free_memory(self, required: int, device: Any, keep: tuple[Any, ...] = ()) -> int:
        """Offload least recently used modules from ``device`` until ``required`` bytes are free
        there (or nothing more can move); returns how many modules were moved."""
        if not _is_offloadable(device):
            return 0
        moved = 0
        with self._lock:
            for key in list(self._managed):
                if self._free(device) >= required:
                    break
                entry = self._managed[key]
                module = entry.module_ref()
                if module is None or module in keep or entry.in_use:
                    continue
                if _device_key(entry.device) != _device_key(device):
                    continue
                logger.info("offloading %s (%.0f MiB) from %s", type(module).__name__, entry.size / 2**20, device)
                self._move(module, self.offload_device)
                entry.device = self.offload_device
                moved += 1
        if moved:
            from comfy.model_management import soft_empty_cache

            soft_empty_cache()
        return moved

    def placement(self) -> list[tuple["nn.Module", Any]]:
        """Managed modules with where they are now, least recently used first."""
        with self._lock:
            return [(e.module_ref(), e.device) for e in self._managed.values() if e.module_ref() is not None]

    def unload_all(self) -> None:
        """Drop the loader cache and move every managed module still alive off its GPU (models only
        the cache held are freed, not copied to the CPU first)."""
        import gc

        with self._lock:
            self._cache.clear()
        gc.collect()
        with self._lock:
            module = None
            for entry in list(self._managed.values()):
                module = entry.module_ref()
                if module is None or entry.in_use or not _is_offloadable(entry.device):
                    continue
                self._move(module, self.offload_device)
                entry.device = self.offload_device
            del module
        gc.collect()


def read_state_dict(path: str, progress: Callable[[int, int], None] | None = None) -> dict[str, "torch.Tensor"]:
    """All tensors of a checkpoint file on the CPU, reporting ``progress(done, total)`` while reading
    a ``.safetensors`` file tensor by tensor (at most about 50 reports)."""
    from .loader import load_state_dict

    if progress is None or not path.lower().endswith((".safetensors", ".sft")):
        sd = load_state_dict(path)
        if progress is not None:
            progress(1, 1)
        return sd
    from safetensors import safe_open

    sd = {}
    with safe_open(path, framework="pt", device="cpu") as f:
        keys = list(f.keys())
        every = max(1, -(-len(keys) // 50))
        for i, key in enumerate(keys, start=1):
            sd[key] = f.get_tensor(key)
            if i % every == 0 or i == len(keys):
                progress(i, len(keys))
    return sd


_manager: ModelManager | None = None
_manager_lock = threading.Lock()


def manager() -> ModelManager:
    """The process's model manager."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = ModelManager()
        return _manager


def load_checkpoint(path: str, device: Any = None, progress: Callable[[int, int], None] | None = None) -> "LoadedCheckpoint":
    """:meth:`ModelManager.load_checkpoint` of the process's manager."""
    return manager().load_checkpoint(path, device=device, progress=progress)


def use(module: "nn.Module", device: Any) -> None:
    """:meth:`ModelManager.use` of the process's manager (nothing to do on the CPU)."""
    if _is_offloadable(device) or _manager is not None:
        manager().use(module, device)


class using:
    """``with using(module, device):`` — :func:`use`, and the module is not offloaded inside the block."""

    def __init__(self, module: "nn.Module", device: Any) -> None:
        self.module, self.device = module, device

    def __enter__(self) -> "nn.Module":
        m = manager()
        m.use(self.module, self.device)
        m._enter(self.module)
        return self.module

    def __exit__(self, *exc: object) -> None:
        manager()._leave(self.module)


def unload_all() -> None:
    """:meth:`ModelManager.unload_all` of the process's manager, if one was made."""
    if _manager is not None:
        _manager.unload_all()

"""ComfyUI's ``comfy.model_management``: interrupts, devices and memory, as the engine has them.

The interrupt flag is process-wide, as in ComfyUI: ``interrupt_current_processing()`` asks the
running prompt to stop; the engine checks it between nodes, before every node call, in
``check_lazy_status`` and in every ``ProgressBar`` update, and resets it when a prompt starts.

Model loading lives in the model plugins, not here. The device and memory functions answer what
custom node packs ask (which device, how much memory is free) and forward "unload everything"
to the plugins through the ``comfy_release_memory`` hook. torch is imported by the functions
that need it, never at import.
"""

from __future__ import annotations

import enum
import gc
import sys
import threading
from collections.abc import Iterable
from typing import Any

from comfy.execution.errors import InterruptProcessingException

__all__ = [
    "InterruptProcessingException",
    "interrupt_current_processing",
    "processing_interrupted",
    "throw_exception_if_processing_interrupted",
    "VRAMState",
    "CPUState",
    "vram_state",
    "cpu_state",
    "get_torch_device",
    "intermediate_device",
    "unet_offload_device",
    "text_encoder_offload_device",
    "vae_offload_device",
    "is_device_cpu",
    "is_device_cuda",
    "is_device_mps",
    "get_free_memory",
    "get_total_memory",
    "soft_empty_cache",
    "unload_all_models",
    "free_memory",
    "load_models_gpu",
    "cleanup_models",
]

_interrupted = threading.Event()


def interrupt_current_processing(value: bool = True) -> None:
    """Sets (or clears) the interrupt flag."""
    if value:
        _interrupted.set()
    else:
        _interrupted.clear()


def processing_interrupted() -> bool:
    """Is an interrupt pending?"""
    return _interrupted.is_set()


def throw_exception_if_processing_interrupted() -> None:
    """Raises `InterruptProcessingException` (and clears the flag) if an interrupt is pending."""
    if _interrupted.is_set():
        _interrupted.clear()
        raise InterruptProcessingException()


# --------------------------------------------------------------------------- devices


class VRAMState(enum.Enum):
    DISABLED = 0
    NO_VRAM = 1
    LOW_VRAM = 2
    NORMAL_VRAM = 3
    HIGH_VRAM = 4
    SHARED = 5


class CPUState(enum.Enum):
    GPU = 0
    CPU = 1
    MPS = 2


vram_state = VRAMState.NORMAL_VRAM
"""ComfyUI's VRAM mode; the engine has one mode (models are placed by their plugins)."""
cpu_state = CPUState.GPU


def _cpu_forced() -> bool:
    from comfy.cli_args import args

    return bool(args.get("cpu"))


def get_torch_device() -> Any:
    """The device models run on: CUDA (current device) when present and ``--cpu`` is not set,
    else Apple's MPS when present, else the CPU."""
    import torch

    if not _cpu_forced():
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
    return torch.device("cpu")


def intermediate_device() -> Any:
    """Where nodes keep intermediate results (images, decoded latents): the CPU, as in ComfyUI."""
    import torch

    return torch.device("cpu")


def unet_offload_device() -> Any:
    """Where idle diffusion models wait: the CPU."""
    return intermediate_device()


def text_encoder_offload_device() -> Any:
    """Where idle text encoders wait: the CPU."""
    return intermediate_device()


def vae_offload_device() -> Any:
    """Where idle VAEs wait: the CPU."""
    return intermediate_device()


def _device_type(device: Any) -> str:
    return str(getattr(device, "type", device)).split(":")[0]


def is_device_cpu(device: Any) -> bool:
    return _device_type(device) == "cpu"


def is_device_cuda(device: Any) -> bool:
    return _device_type(device) == "cuda"


def is_device_mps(device: Any) -> bool:
    return _device_type(device) == "mps"


# --------------------------------------------------------------------------- memory


def get_free_memory(dev: Any = None, torch_free_too: bool = False) -> Any:
    """Free bytes on ``dev`` (the torch device by default): available RAM for the CPU,
    ``torch.cuda.mem_get_info`` for CUDA. With ``torch_free_too``: ``(free, free)``."""
    if dev is None:
        dev = get_torch_device()
    if is_device_cuda(dev):
        import torch

        free = int(torch.cuda.mem_get_info(dev)[0])
    else:
        import psutil

        free = int(psutil.virtual_memory().available)
    return (free, free) if torch_free_too else free


def get_total_memory(dev: Any = None, torch_total_too: bool = False) -> Any:
    """Total bytes on ``dev`` (RAM for the CPU). With ``torch_total_too``: ``(total, total)``."""
    if dev is None:
        dev = get_torch_device()
    if is_device_cuda(dev):
        import torch

        total = int(torch.cuda.mem_get_info(dev)[1])
    else:
        import psutil

        total = int(psutil.virtual_memory().total)
    return (total, total) if torch_total_too else total


def soft_empty_cache(force: bool = False) -> None:
    """Return cached, unused GPU memory to the driver (CUDA, MPS). Does nothing when torch has
    not been imported yet: then nothing can be cached."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()
        torch.cuda.ipc_collect()
    mps = getattr(torch, "mps", None)
    backends_mps = getattr(torch.backends, "mps", None)
    if mps is not None and backends_mps is not None and backends_mps.is_available():
        mps.empty_cache()


def unload_all_models() -> None:
    """Ask every model plugin to unload its models (the ``comfy_release_memory`` hook of every
    plugin manager, see :mod:`comfy.plugins.memory`), then collect garbage and empty the GPU
    cache."""
    from comfy.plugins.memory import release_memory

    release_memory()
    gc.collect()
    soft_empty_cache(True)


def free_memory(memory_required: float, device: Any = None, keep_loaded: Iterable[Any] = ()) -> None:
    """Make ``memory_required`` bytes free on ``device``: when less is free, unload all models
    (plugins unload as a whole; ``keep_loaded`` cannot be honoured and is ignored)."""
    if get_free_memory(device) < memory_required:
        unload_all_models()


def load_models_gpu(models: Iterable[Any], memory_required: float = 0, **kwargs: Any) -> None:
    """ComfyUI loads model patchers onto the GPU here; model plugins place their own models on
    their device when they run, so this only frees memory when ``memory_required`` asks for it."""
    if memory_required:
        free_memory(memory_required)


def cleanup_models(*args: Any, **kwargs: Any) -> None:
    """Drop models nobody references: garbage collection (plugins own their model caches)."""
    gc.collect()

"""Where models run and in which dtypes (ComfyUI's choices and its precision flags).

- Device: CUDA when present, unless ``--cpu`` (this plugin's option) is set; else the CPU.
- UNet: fp32 on the CPU, fp16 on CUDA (fp32 before compute capability 6).
- VAE: fp32 on the CPU, bf16 on CUDA where supported, else fp32 (SD1.x's VAE overflows in fp16).
- Text encoders: *stored* in fp16 everywhere, computed in fp32 on the CPU (ComfyUI's "manual cast":
  each layer casts its weights to the fp32 activations), so their numbers are those of
  fp16-rounded weights.

ComfyUI's configuration flags change these choices the same way: ``force_fp32`` (everything fp32),
``fp32_unet`` / ``fp16_unet`` / ``bf16_unet``, ``fp32_vae`` / ``fp16_vae`` / ``bf16_vae``,
``fp32_text_enc`` / ``fp16_text_enc`` / ``bf16_text_enc``, and ``force_channels_last``
(the UNet's convolutions in channels-last memory format, :func:`memory_format`).
:func:`load_options` is what the model manager keys its cache with, so a change of flags loads
the models again.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = [
    "torch_device",
    "unet_dtype",
    "vae_dtype",
    "text_encoder_dtype",
    "compute_dtype_for_text_encoder",
    "memory_format",
    "load_options",
]


def _flag(name: str) -> bool:
    from comfy.cli_args import args

    return bool(args.get(name))


def _cpu_forced() -> bool:
    return _flag("cpu")


def torch_device() -> torch.device:
    """The device models are loaded on."""
    if not _cpu_forced() and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _is_cuda(device: Any) -> bool:
    return torch.device(device).type == "cuda"


def _forced(kind: str, options: tuple[tuple[str, torch.dtype], ...]) -> torch.dtype | None:
    if _flag("force_fp32"):
        return torch.float32
    for suffix, dtype in options:
        if _flag(f"{suffix}_{kind}"):
            return dtype
    return None


_PRECISIONS = (("fp32", torch.float32), ("fp16", torch.float16), ("bf16", torch.bfloat16))


def unet_dtype(device: Any) -> torch.dtype:
    forced = _forced("unet", _PRECISIONS)
    if forced is not None:
        return forced
    if not _is_cuda(device):
        return torch.float32
    return torch.float16 if torch.cuda.get_device_capability(device)[0] >= 6 else torch.float32


def vae_dtype(device: Any) -> torch.dtype:
    forced = _forced("vae", _PRECISIONS)
    if forced is not None:
        return forced
    if _is_cuda(device) and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def text_encoder_dtype(device: Any) -> torch.dtype:
    """Storage dtype of text encoder weights."""
    forced = _forced("text_enc", _PRECISIONS)
    return torch.float16 if forced is None else forced


def compute_dtype_for_text_encoder(device: Any) -> torch.dtype:
    """Activations of text encoders: fp32, as ComfyUI computes them."""
    return torch.float32


def memory_format() -> torch.memory_format:
    """The UNet's memory format: channels-last with ``force_channels_last``."""
    return torch.channels_last if _flag("force_channels_last") else torch.contiguous_format


def load_options(device: Any) -> tuple[Any, ...]:
    """Everything above that changes how a checkpoint loads on ``device`` (the cache key's options)."""
    return (unet_dtype(device), vae_dtype(device), text_encoder_dtype(device), str(memory_format()))

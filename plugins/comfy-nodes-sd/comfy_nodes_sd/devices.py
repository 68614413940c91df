"""Where models run and in which dtypes (ComfyUI's choices).

- Device: CUDA when present, unless ``--cpu`` (this plugin's option) is set; else the CPU.
- UNet: fp32 on the CPU, fp16 on CUDA (bf16 where fp16 is not supported).
- VAE: fp32 on the CPU, bf16 on CUDA where supported, else fp32 (SD1.x's VAE overflows in fp16).
- Text encoders: *stored* in fp16 everywhere, computed in fp32 (ComfyUI's "manual cast": each layer
  casts its weights to the fp32 activations), so their numbers are those of fp16-rounded weights.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["torch_device", "unet_dtype", "vae_dtype", "text_encoder_dtype", "compute_dtype_for_text_encoder"]


def _cpu_forced() -> bool:
    from comfy.cli_args import args

    return bool(args.get("cpu"))


def torch_device() -> torch.device:
    """The device models are loaded on."""
    if not _cpu_forced() and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _is_cuda(device: Any) -> bool:
    return torch.device(device).type == "cuda"


def unet_dtype(device: Any) -> torch.dtype:
    if not _is_cuda(device):
        return torch.float32
    return torch.float16 if torch.cuda.get_device_capability(device)[0] >= 6 else torch.float32


def vae_dtype(device: Any) -> torch.dtype:
    if _is_cuda(device) and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def text_encoder_dtype(device: Any) -> torch.dtype:
    """Storage dtype of text encoder weights."""
    return torch.float16


def compute_dtype_for_text_encoder(device: Any) -> torch.dtype:
    """Activations of text encoders: fp32, as ComfyUI computes them."""
    return torch.float32

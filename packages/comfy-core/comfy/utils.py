"""Node-facing utilities (ComfyUI's ``comfy.utils``): ``ProgressBar``, resizing, weight files.

- :class:`ProgressBar` reports progress of the node that is running (found through the
  execution context, or given as ``node_id``) and checks for interrupts at every update, so a
  long node that updates its bar stops promptly when the prompt is interrupted.
- :func:`common_upscale` resizes ``[B, C, H, W]`` tensors ComfyUI's way.
- :func:`load_torch_file` / :func:`save_torch_file` read and write weight files.

torch (and safetensors) are imported by the functions that need them, never at import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from comfy.execution.context import current_node_context
from comfy.model_management import throw_exception_if_processing_interrupted

if TYPE_CHECKING:
    import torch

__all__ = [
    "ProgressBar",
    "PROGRESS_BAR_ENABLED",
    "set_progress_bar_enabled",
    "set_progress_bar_global_hook",
    "common_upscale",
    "load_torch_file",
    "save_torch_file",
    "calculate_parameters",
    "state_dict_prefix_replace",
    "repeat_to_batch_size",
]

logger = logging.getLogger(__name__)

PROGRESS_BAR_ENABLED = True
"""Whether :class:`ProgressBar` updates are reported (``set_progress_bar_enabled``)."""

_global_hook: Callable[..., Any] | None = None


def set_progress_bar_enabled(enabled: bool) -> None:
    """Turn progress reporting of :class:`ProgressBar` on or off (interrupts are still checked)."""
    global PROGRESS_BAR_ENABLED
    PROGRESS_BAR_ENABLED = bool(enabled)


def set_progress_bar_global_hook(function: Callable[..., Any] | None) -> None:
    """Also call ``function(value, total, preview, node_id=...)`` on every update (None: stop).

    ComfyUI's server installs such a hook to send progress; the engine reports progress itself,
    so this is only an extra observer here.
    """
    global _global_hook
    _global_hook = function


class ProgressBar:
    """Progress of one node: ``update(delta)`` or ``update_absolute(value, total, preview)``."""

    def __init__(self, total: float, node_id: str | None = None) -> None:
        self.total = total
        self.current = 0.0
        ctx = current_node_context()
        self._ctx = ctx
        self.node_id = node_id if node_id is not None else (ctx.node_id if ctx is not None else None)
        self.hook = _global_hook

    def update_absolute(self, value: float, total: float | None = None, preview: Any = None) -> None:
        throw_exception_if_processing_interrupted()
        if total is not None:
            self.total = total
        if value > self.total:
            value = self.total
        self.current = value
        if not PROGRESS_BAR_ENABLED:
            return
        ctx = self._ctx or current_node_context()
        if ctx is not None and self.node_id is not None:
            ctx.prompt.progress.update(self.node_id, self.current, self.total, preview)
        if self.hook is not None:
            self.hook(self.current, self.total, preview, node_id=self.node_id)

    def update(self, value: float) -> None:
        self.update_absolute(self.current + value)


# --------------------------------------------------------------------------- resizing


def common_upscale(samples: torch.Tensor, width: int, height: int, upscale_method: str, crop: str) -> torch.Tensor:
    """Resize ``[B, C, H, W]`` (or ``[B, C, T, …, H, W]``) to ``height`` x ``width``.

    ``upscale_method``: ``nearest-exact``, ``bilinear``, ``area``, ``bicubic``, ``lanczos``,
    ``bislerp``; ``crop``: ``disabled`` or ``center`` (crop to the target aspect ratio first).
    Uses the base node plugin's implementation (``comfy_nodes_base.resize``) when installed;
    without it, a plain ``torch.nn.functional.interpolate`` version where ``lanczos`` becomes
    ``bicubic`` and ``bislerp`` becomes ``bilinear`` (close, not identical to ComfyUI).
    """
    try:
        from comfy_nodes_base.resize import common_upscale as base_common_upscale
    except ImportError:
        return _interpolate_upscale(samples, width, height, upscale_method, crop)
    return base_common_upscale(samples, width, height, upscale_method, crop)


def _interpolate_upscale(samples: torch.Tensor, width: int, height: int, upscale_method: str, crop: str) -> torch.Tensor:
    import torch.nn.functional as F

    mode = {"lanczos": "bicubic", "bislerp": "bilinear"}.get(upscale_method, upscale_method)
    shape = tuple(samples.shape)
    if len(shape) > 4:
        samples = samples.reshape(shape[0], shape[1], -1, shape[-2], shape[-1]).movedim(2, 1)
        samples = samples.reshape(-1, shape[1], shape[-2], shape[-1])
    if crop == "center":
        old_height, old_width = samples.shape[-2], samples.shape[-1]
        old_aspect, new_aspect = old_width / old_height, width / height
        x = y = 0
        if old_aspect > new_aspect:
            x = round((old_width - old_width * (new_aspect / old_aspect)) / 2)
        elif old_aspect < new_aspect:
            y = round((old_height - old_height * (old_aspect / new_aspect)) / 2)
        samples = samples[..., y : old_height - y, x : old_width - x]
    out = F.interpolate(samples, size=(height, width), mode=mode)
    if len(shape) > 4:
        out = out.reshape((shape[0], -1, shape[1], height, width)).movedim(2, 1)
        out = out.reshape(shape[:-2] + (height, width))
    return out


def repeat_to_batch_size(tensor: torch.Tensor, batch_size: int, dim: int = 0) -> torch.Tensor:
    """Cut or cyclically repeat ``tensor`` along ``dim`` to exactly ``batch_size`` entries."""
    size = tensor.shape[dim]
    if size > batch_size:
        return tensor.narrow(dim, 0, batch_size)
    if size < batch_size:
        reps = [1] * tensor.ndim
        reps[dim] = -(-batch_size // size)
        return tensor.repeat(reps).narrow(dim, 0, batch_size)
    return tensor


# --------------------------------------------------------------------------- weight files


def _torch_device(device: Any) -> Any:
    import torch

    return torch.device("cpu") if device is None else torch.device(device)


def load_torch_file(
    ckpt: str, safe_load: bool = False, device: Any = None, return_metadata: bool = False
) -> Any:
    """Load a state dict from ``.safetensors``/``.sft`` or a pickle checkpoint onto ``device`` (CPU).

    Pickle checkpoints are always read with ``torch.load(weights_only=True)``, whatever
    ``safe_load`` says: no code in a checkpoint runs. A checkpoint holding ``state_dict`` (or
    one single dict entry) yields that dict. With ``return_metadata``: ``(state_dict, metadata)``
    where metadata is the safetensors header's ``__metadata__`` (None for pickles).
    """
    import torch

    target = _torch_device(device)
    metadata = None
    if ckpt.lower().endswith((".safetensors", ".sft")):
        from safetensors import safe_open

        sd: dict[str, Any] = {}
        with safe_open(ckpt, framework="pt", device=str(target)) as f:
            for key in f.keys():
                sd[key] = f.get_tensor(key)
            if return_metadata:
                metadata = f.metadata()
    else:
        loaded = torch.load(ckpt, map_location=target, weights_only=True)
        if isinstance(loaded, Mapping) and "state_dict" in loaded:
            sd = loaded["state_dict"]
        elif isinstance(loaded, Mapping) and len(loaded) == 1 and isinstance(next(iter(loaded.values())), Mapping):
            sd = next(iter(loaded.values()))
        else:
            sd = loaded
    return (sd, metadata) if return_metadata else sd


def save_torch_file(sd: Mapping[str, Any], ckpt: str, metadata: Mapping[str, str] | None = None) -> None:
    """Write a state dict of tensors as ``.safetensors`` (with string ``metadata`` if given)."""
    from safetensors.torch import save_file

    save_file(dict(sd), ckpt, metadata=dict(metadata) if metadata is not None else None)


def calculate_parameters(sd: Mapping[str, Any], prefix: str = "") -> int:
    """Number of parameters of the tensors whose key starts with ``prefix``."""
    return sum(int(v.nelement()) for k, v in sd.items() if k.startswith(prefix))


def state_dict_prefix_replace(
    state_dict: dict[str, Any], replace_prefix: Mapping[str, str], filter_keys: bool = False
) -> dict[str, Any]:
    """Rename keys' prefixes (``{old: new}``); ``filter_keys`` keeps only the renamed keys."""
    out = {} if filter_keys else state_dict
    for old, new in replace_prefix.items():
        for key in [k for k in state_dict if k.startswith(old)]:
            out[new + key[len(old) :]] = state_dict.pop(key)
    return out

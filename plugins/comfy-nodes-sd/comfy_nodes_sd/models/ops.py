"""Layers that compute in the dtype of their input, whatever dtype their weights are stored in.

ComfyUI keeps some weights in a storage dtype and casts them per operation ("manual cast"): on a CPU
the CLIP text encoder is stored in fp16 and computed in fp32. These layers do the same: a weight in
the input's dtype and device is used as is, any other is cast for the call. They skip weight
initialisation: models are built on the ``meta`` device and take their tensors from the checkpoint
(``load_state_dict(..., assign=True)``).

``attention`` is plain multi-head softmax attention (what ComfyUI's split, sub-quadratic and PyTorch
attention paths all compute), through ``scaled_dot_product_attention``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Linear", "Conv2d", "GroupNorm", "LayerNorm", "Embedding", "attention", "cast_like"]


def cast_like(t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``t`` in ``x``'s dtype and device (no copy when it already is)."""
    if t.dtype == x.dtype and t.device == x.device:
        return t
    return t.to(device=x.device, dtype=x.dtype)


def _cast_optional(t: torch.Tensor | None, x: torch.Tensor) -> torch.Tensor | None:
    return None if t is None else cast_like(t, x)


class Linear(nn.Linear):
    def reset_parameters(self) -> None:
        pass

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, cast_like(self.weight, x), _cast_optional(self.bias, x))


class Conv2d(nn.Conv2d):
    def reset_parameters(self) -> None:
        pass

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, cast_like(self.weight, x), _cast_optional(self.bias, x))


class GroupNorm(nn.GroupNorm):
    def reset_parameters(self) -> None:
        pass

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.group_norm(x, self.num_groups, cast_like(self.weight, x), _cast_optional(self.bias, x), self.eps)


class LayerNorm(nn.LayerNorm):
    def reset_parameters(self) -> None:
        pass

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, self.normalized_shape, cast_like(self.weight, x), _cast_optional(self.bias, x), self.eps)


class Embedding(nn.Embedding):
    def reset_parameters(self) -> None:
        pass

    def forward(self, ids: torch.Tensor, out_dtype: torch.dtype | None = None) -> torch.Tensor:  # type: ignore[override]
        out = F.embedding(ids, self.weight)
        return out if out_dtype is None else out.to(out_dtype)


def attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int, *, causal: bool = False
) -> torch.Tensor:
    """Softmax attention over ``[B, N, heads * d]`` tensors; returns ``[B, N, heads * d]``."""
    b, n, inner = q.shape
    d = inner // heads
    q, k, v = (t.reshape(b, -1, heads, d).transpose(1, 2) for t in (q, k, v))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    return out.transpose(1, 2).reshape(b, n, inner)

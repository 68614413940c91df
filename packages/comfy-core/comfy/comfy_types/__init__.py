"""ComfyUI's ``comfy.comfy_types``: node type hints for custom node packs.

``IO``, ``InputTypeDict``, ``ComfyNodeABC``, ``CheckLazyMixin`` and ``FileLocator`` come from
:mod:`comfy.comfy_types.node_typing`; the UNet wrapper protocols are type hints only (torch is not
imported).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from .node_typing import IO, CheckLazyMixin, ComfyNodeABC, FileLocator, InputTypeDict

if TYPE_CHECKING:
    import torch

__all__ = [
    "UnetWrapperFunction",
    "UnetApplyConds",
    "UnetParams",
    "UnetApplyFunction",
    "IO",
    "InputTypeDict",
    "ComfyNodeABC",
    "CheckLazyMixin",
    "FileLocator",
]


class UnetApplyFunction(Protocol):
    """The model's apply function."""

    def __call__(self, x: torch.Tensor, t: torch.Tensor, **kwargs: Any) -> torch.Tensor: ...


class UnetApplyConds(TypedDict, total=False):
    """Conditioning passed to the model."""

    c_concat: torch.Tensor
    c_crossattn: torch.Tensor
    control: torch.Tensor
    transformer_options: dict[str, Any]


class UnetParams(TypedDict):
    input: torch.Tensor
    timestep: torch.Tensor
    c: UnetApplyConds
    cond_or_uncond: list[int]


UnetWrapperFunction = Callable[[UnetApplyFunction, UnetParams], "torch.Tensor"]

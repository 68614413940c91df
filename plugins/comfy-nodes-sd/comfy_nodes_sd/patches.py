"""Weight patches (LoRA and friends) on modules shared between clones, applied at use and undone on demand.

MODEL and CLIP clones share one ``nn.Module`` (``DiffusionModel.clone``, ``ClipTextEncoder.clone``);
a clone with patches (``add_patches``) must compute with patched weights while every other clone of
the same module keeps the original ones. ComfyUI's ``ModelPatcher`` does this by writing the patched
weights into the module when the model is loaded and restoring a backup when another patcher takes
over. Here the same idea is kept per module in a :class:`WeightPatcher`:

- a :class:`PatchSet` (an immutable mapping from parameter name to its list of patches, with an
  identity) says which weights a caller wants;
- before the module runs, a forward pre-hook compares the wanted set with the one applied and, if
  they differ, restores the backed-up originals and applies the wanted set (each patched weight is
  computed once in fp32 from the original and cast to the parameter's dtype); the set stays applied
  for the next call, so a sampler's steps patch once;
- the caller's wanted set travels in a context variable (:func:`wanting`); a caller that sets
  nothing gets the original weights, so an un-patched clone never sees another clone's LoRA;
- a re-entrant lock is held from the pre-hook to the forward hook (``always_call``), so threads that
  share a module never run it while another thread swaps its weights.

Backups of the original tensors live on the CPU when the module is on a GPU (memory-sensible, as
ComfyUI's offload device) and are dropped once the originals are back.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import itertools
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import torch
    from torch import nn

__all__ = ["WeightAdapter", "Patch", "PatchSet", "WeightPatcher", "patcher_for", "wanting", "EMPTY"]


class WeightAdapter(Protocol):
    """A weight change computed from the original weight (a LoRA pair, a full difference, ...)."""

    def apply(self, weight: "torch.Tensor", strength: float) -> "torch.Tensor":
        """``weight`` (fp32, a private copy that may be modified in place) with this change added at ``strength``."""
        ...


@dataclass(frozen=True)
class Patch:
    """One patch of one parameter: ComfyUI's ``(strength_patch, adapter, strength_model)``."""

    adapter: WeightAdapter
    strength: float = 1.0
    strength_model: float = 1.0


_ids = itertools.count(1)


@dataclass(frozen=True)
class PatchSet:
    """Parameter name → patches in order. Sets are values: ``extend`` returns a new set."""

    patches: Mapping[str, tuple[Patch, ...]] = field(default_factory=dict)
    ident: int = field(default_factory=lambda: next(_ids), compare=False)

    def __bool__(self) -> bool:
        return bool(self.patches)

    def extend(self, new: Mapping[str, Patch]) -> "PatchSet":
        merged = dict(self.patches)
        for name, patch in new.items():
            merged[name] = merged.get(name, ()) + (patch,)
        return PatchSet(merged)

    def keys(self) -> list[str]:
        return list(self.patches)


EMPTY = PatchSet({}, ident=0)

_wanted: contextvars.ContextVar[dict[int, PatchSet] | None] = contextvars.ContextVar("comfy_sd_wanted_patches", default=None)


@contextlib.contextmanager
def wanting(module: "nn.Module", patches: PatchSet) -> Iterator[None]:
    """Within the block, calls of ``module`` (on this thread / task) use ``patches``."""
    patcher = existing_patcher(module)
    if patcher is None:  # never patched: its weights are the originals
        yield
        return
    current = _wanted.get() or {}
    token = _wanted.set({**current, id(patcher): patches})
    try:
        yield
    finally:
        _wanted.reset(token)


def patched_weight(original: "torch.Tensor", patches: tuple[Patch, ...]) -> "torch.Tensor":
    """The weight ``original`` with ``patches`` applied in order (computed in fp32, ComfyUI's
    ``calculate_weight``: the weight is first scaled by ``strength_model``, then each adapter adds
    its change at its strength), returned in ``original``'s dtype."""
    import torch

    weight = original.detach().to(torch.float32, copy=True)
    for patch in patches:
        if patch.strength_model != 1.0:
            weight *= patch.strength_model
        weight = patch.adapter.apply(weight, patch.strength)
    return weight.to(original.dtype)


class WeightPatcher:
    """The patch state of one shared module (see the module docstring)."""

    def __init__(self, module: "nn.Module") -> None:
        self.lock = threading.RLock()
        self.applied: PatchSet = EMPTY
        self.backup: dict[str, "torch.Tensor"] = {}
        module.register_forward_pre_hook(self._pre_hook)
        module.register_forward_hook(self._post_hook, always_call=True)

    # -- hooks ---------------------------------------------------------------------------

    def _pre_hook(self, module: "nn.Module", args: Any) -> None:
        # Released by the forward hook, which torch also runs when this hook or forward raises.
        self.lock.acquire()
        self.ensure(module, (_wanted.get() or {}).get(id(self), EMPTY))

    def _post_hook(self, module: "nn.Module", args: Any, output: Any) -> None:
        self.lock.release()

    def __deepcopy__(self, memo: dict[int, Any]) -> "WeightPatcher":
        """A copied module gets its own patcher (with the backups, so it can restore its originals);
        its hooks, copied with the module, are bound to the new patcher. Nobody wants patches on the
        copy yet, so its first call restores the original weights."""
        import copy as _copy

        new = WeightPatcher.__new__(WeightPatcher)
        memo[id(self)] = new
        new.lock = threading.RLock()
        new.applied = self.applied
        new.backup = _copy.deepcopy(self.backup, memo)
        return new

    # -- state ---------------------------------------------------------------------------

    def ensure(self, module: "nn.Module", wanted: PatchSet) -> None:
        """Make ``module``'s weights those of ``wanted`` (no work when they already are)."""
        import torch

        with self.lock:
            if self.applied.ident == wanted.ident:
                return
            params = dict(module.named_parameters())
            with torch.no_grad():
                self.restore(module, params)
                for name, patches in wanted.patches.items():
                    param = params[name]
                    keep_on = torch.device("cpu") if param.device.type != "cpu" else param.device
                    self.backup[name] = param.detach().to(keep_on, copy=True)
                    param.data.copy_(patched_weight(self.backup[name].to(param.device), patches))
            self.applied = wanted

    def restore(self, module: "nn.Module", params: dict[str, Any] | None = None) -> None:
        """Put the original weights back (and drop the backups)."""
        import torch

        with self.lock:
            if not self.backup:
                self.applied = EMPTY
                return
            params = params if params is not None else dict(module.named_parameters())
            with torch.no_grad():
                for name, original in self.backup.items():
                    params[name].data.copy_(original.to(params[name].device))
            self.backup = {}
            self.applied = EMPTY

    def backup_bytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.backup.values())


_attach_lock = threading.Lock()


def patcher_for(module: "nn.Module") -> WeightPatcher:
    """The module's :class:`WeightPatcher`, made (and its hooks installed) on first use."""
    with _attach_lock:
        patcher = module.__dict__.get("_comfy_weight_patcher")
        if patcher is None:
            patcher = WeightPatcher(module)
            module.__dict__["_comfy_weight_patcher"] = patcher
        return patcher


def existing_patcher(module: "nn.Module") -> WeightPatcher | None:
    """The module's patcher if patches were ever added to it."""
    return module.__dict__.get("_comfy_weight_patcher")


# --------------------------------------------------------------------------- CLIP


def base_module(model: Any) -> Any:
    """The shared module behind ``model`` (itself unless it is a :class:`PatchedModule`)."""
    return model.__dict__.get("_comfy_base", model) if hasattr(model, "__dict__") else model


def _patched_module_class() -> type:
    from torch import nn

    class PatchedModule(nn.Module):
        """A text model seen through a patch set: calling it runs the shared base module with
        ``patches``; every other attribute is the base module's."""

        def __init__(self, base: "nn.Module", patches: PatchSet) -> None:
            super().__init__()
            self.add_module("base", base)  # parameters(), to() and the like reach the shared module
            self.__dict__["_comfy_base"] = base
            self.__dict__["_comfy_patches"] = patches

        def forward(self, *args: Any, **kwargs: Any) -> Any:
            base = self.__dict__["_comfy_base"]
            with wanting(base, self.__dict__["_comfy_patches"]):
                return base(*args, **kwargs)

        def __getattr__(self, name: str) -> Any:
            modules = self.__dict__.get("_modules")
            if modules is not None and name in modules:
                return modules[name]
            base = self.__dict__.get("_comfy_base")
            if base is None:
                raise AttributeError(name)
            return getattr(base, name)

        def __repr__(self) -> str:
            return f"PatchedModule({len(self.__dict__['_comfy_patches'].patches)} patched weights)"

    return PatchedModule


_PATCHED_MODULE: type | None = None


def patched_module(base: "nn.Module", patches: PatchSet) -> "nn.Module":
    global _PATCHED_MODULE
    if _PATCHED_MODULE is None:
        _PATCHED_MODULE = _patched_module_class()
    return _PATCHED_MODULE(base, patches)


def module_patches(model: Any) -> PatchSet:
    """The patch set ``model`` (a text model, possibly a :class:`PatchedModule`) runs with."""
    return model.__dict__.get("_comfy_patches", EMPTY) if hasattr(model, "__dict__") else EMPTY


def add_clip_patches(clip: Any, adapters: Mapping[tuple[int, str], WeightAdapter], strength: float) -> Any:
    """A clone of CLIP ``clip`` whose text encoders run with ``adapters`` added at ``strength``
    (keys: ``(encoder index, parameter name)``); ``clip`` itself is unchanged."""
    import dataclasses

    new = clip.clone()
    encoders = []
    for index, encoder in enumerate(clip.encoders):
        mine = {name: Patch(adapter, strength) for (i, name), adapter in adapters.items() if i == index}
        if not mine:
            encoders.append(encoder)
            continue
        base = base_module(encoder.model)
        patcher_for(base)
        patched = patched_module(base, module_patches(encoder.model).extend(mine))
        if dataclasses.is_dataclass(encoder):
            encoders.append(dataclasses.replace(encoder, model=patched))
        else:
            other = copy.copy(encoder)
            other.model = patched
            encoders.append(other)
    new.encoders = encoders
    return new

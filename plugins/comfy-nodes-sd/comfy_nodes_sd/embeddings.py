"""Textual-inversion embeddings (``embedding:name`` in a prompt), found and read as ComfyUI does.

A name is looked up in the ``embeddings`` model folders (and their sub-folders): the file itself, or
the name with ``.safetensors``, ``.pt`` or ``.bin`` appended; a name that would escape its folder is
not looked up. Files are read with safetensors or ``torch.load(weights_only=True)``.

Formats (ComfyUI's ``load_embed``):

- A1111 / kohya SD1.x and SD2.x files: ``{"string_to_param": {"*": tensor [n, width]}, ...}``;
- SDXL files: ``{"clip_l": [n, 768], "clip_g": [n, 1280]}``, each encoder taking its own key
  (``TextEncoderSpec.embedding_key``);
- anything else: the first tensor of the file (``{"emb_params": [n, width]}`` of kohya's
  safetensors, a bare tensor, ...).

The result is a ``[n, width]`` tensor (one row per token it stands for) or None (missing or
unreadable file: the caller drops the name with a warning, as ComfyUI does). A tensor whose width is
not the encoder's is dropped by the encoder with a warning.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

__all__ = ["find_embedding", "load_embedding"]

logger = logging.getLogger(__name__)

EXTENSIONS = (".safetensors", ".pt", ".bin")


def _folders(directories: Sequence[str]) -> list[str]:
    """The folders and all their sub-folders (links followed)."""
    out: list[str] = []
    for top in directories:
        if not os.path.isdir(top):
            continue
        for root, _dirs, _files in os.walk(top, followlinks=True):
            out.append(root)
    return out


def find_embedding(name: str, directories: Sequence[str]) -> str | None:
    """The file of embedding ``name`` in ``directories`` (searched with their sub-folders), or None."""
    for folder in _folders(directories):
        folder = os.path.abspath(folder)
        path = os.path.abspath(os.path.join(folder, name))
        try:
            if os.path.commonpath((folder, path)) != folder:
                continue
        except ValueError:
            continue
        if os.path.isfile(path):
            return path
        for ext in EXTENSIONS:
            if os.path.isfile(path + ext):
                return path + ext
    return None


def _first_tensor(data: Any) -> "torch.Tensor | None":
    import torch

    if isinstance(data, torch.Tensor):
        return data
    if isinstance(data, dict):
        for value in data.values():
            found = _first_tensor(value)
            if found is not None:
                return found
    return None


def load_embedding(name: str, directories: Sequence[str], embedding_key: str | None = None) -> "torch.Tensor | None":
    """The vectors of embedding ``name`` (``[n, width]``, fp32) or None when there is no such file or
    it cannot be read."""
    import torch

    path = find_embedding(name, directories)
    if path is None:
        return None
    try:
        if path.lower().endswith(".safetensors"):
            from safetensors.torch import load_file

            data: Any = load_file(path, device="cpu")
        else:
            data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        logger.warning("error loading embedding %s, skipping it: %s", name, exc)
        return None

    found: Any = None
    if isinstance(data, dict) and isinstance(data.get("string_to_param"), dict):
        found = _first_tensor(data["string_to_param"])
    elif isinstance(data, dict) and embedding_key is not None and embedding_key in data:
        found = data[embedding_key]
    else:
        found = _first_tensor(data)
    if not isinstance(found, torch.Tensor):
        logger.warning("embedding %s holds no tensor, skipping it", name)
        return None
    return found.reshape(-1, found.shape[-1]).float()

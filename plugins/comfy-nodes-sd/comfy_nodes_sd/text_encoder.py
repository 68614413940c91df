"""CLIP: the tokenizer and text encoder(s) of a model (the role of ComfyUI's ``comfy.sd.CLIP``).

``tokenize(text)`` gives ``{name: sections}`` — ``"l"`` for SD1.x's CLIP-L, ``"h"`` for SD2.x's
OpenCLIP-H, ``"l"`` and ``"g"`` for SDXL, ``"g"`` for the SDXL refiner — each section a list of 77
``(token, weight)`` pairs, padded with the encoder's pad token (the end token for CLIP-L, 0 for the
OpenCLIP encoders). A token is an id, or a vector of a textual-inversion embedding
(``embedding:name``, looked up in the CLIP's embedding folders with the encoder's
``embedding_key``).

``encode_from_tokens`` runs each encoder on its sections and applies the weights ComfyUI's way:
every section and one empty prompt are encoded in a batch, and a token with weight ``w`` becomes
``empty + (z − empty)·w`` at its position. Sections are concatenated along the token axis
(``[1, 77·n, width]``); the encoders' outputs along the feature axis (SDXL: ``[l, g]``, 768 + 1280
= 2048 wide, cut to the shorter one's length); the pooled output is the first section's, from the
last encoder (SDXL: OpenCLIP-G's projected pooled output).

``encode_from_tokens_scheduled`` returns CONDITIONING as ComfyUI builds it:
``[[cond, {"pooled_output": pooled, **add_dict}]]``.

``clip_layer(idx)`` (``CLIPSetLastLayer``) selects an earlier hidden layer (−2: penultimate) for
every encoder; without it each encoder uses its family's default (SD2.x and SDXL: penultimate).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import prompt
from .tokenizer import ClipTokenizer, default_tokenizer

if TYPE_CHECKING:
    import torch

    from .families import TextEncoderSpec
    from .models.clip import ClipTextModel

__all__ = ["TextEncoder", "ClipTextEncoder"]

logger = logging.getLogger(__name__)

_PLACEHOLDER_ID = 0
"""Token id put where an embedding vector goes (replaced before the first layer; never the end token)."""


@dataclass
class TextEncoder:
    """One text model with its family settings."""

    spec: "TextEncoderSpec"
    model: "ClipTextModel"

    @property
    def width(self) -> int:
        return self.model.config.width


class ClipTextEncoder:
    """The CLIP value passed between nodes."""

    def __init__(
        self,
        encoders: list[TextEncoder],
        device: "torch.device",
        tokenizer: ClipTokenizer | None = None,
        embedding_directories: Sequence[str] | None = None,
    ) -> None:
        self.encoders = encoders
        self.device = device
        self.tokenizer = tokenizer or default_tokenizer()
        self.layer_idx: int | None = None
        self.embedding_directories: list[str] | None = list(embedding_directories) if embedding_directories is not None else None

    def clone(self) -> "ClipTextEncoder":
        """A new CLIP sharing the weights (its layer choice is its own)."""
        return copy.copy(self)

    def clip_layer(self, layer_idx: int | None) -> None:
        """Use the hidden state after layer ``layer_idx`` (negative: from the end) instead of the last."""
        self.layer_idx = layer_idx

    # --- tokens ---------------------------------------------------------------------------

    def _embedding_lookup(self, encoder: TextEncoder) -> Any:
        if self.embedding_directories is None:
            return None
        from .embeddings import load_embedding

        directories, key = self.embedding_directories, encoder.spec.embedding_key
        return lambda name: load_embedding(name, directories, key)

    def tokenize(self, text: str, return_word_ids: bool = False) -> dict[str, list[list[tuple]]]:
        out = {}
        for encoder in self.encoders:
            spec = encoder.spec
            out[spec.name] = prompt.tokenize_with_weights(
                text,
                self.tokenizer.encode,
                start_token=spec.start_token,
                end_token=spec.end_token,
                pad_token=spec.pad_token,
                return_word_ids=return_word_ids,
                embedding_lookup=self._embedding_lookup(encoder),
            )
        return out

    # --- encoding -------------------------------------------------------------------------

    def _layer_for(self, spec: "TextEncoderSpec", num_layers: int) -> int | None:
        layer_idx = self.layer_idx if self.layer_idx is not None else spec.layer_idx
        if layer_idx is None or abs(layer_idx) > num_layers:
            return None
        return layer_idx

    def _ids_and_overrides(
        self, encoder: TextEncoder, sections: list[list[tuple]]
    ) -> tuple[list[list[int]], dict[tuple[int, int], "torch.Tensor"]]:
        """Token ids per section, and the embedding vectors that replace token embeddings at
        (section, position). A vector of another width is dropped with a warning and the section
        padded at its end, as ComfyUI does."""
        ids: list[list[int]] = []
        overrides: dict[tuple[int, int], "torch.Tensor"] = {}
        for row, section in enumerate(sections):
            tokens: list[int] = []
            dropped = 0
            for token, *_ in section:
                if isinstance(token, int):
                    tokens.append(token)
                elif int(token.shape[-1]) == encoder.width:
                    overrides[(row, len(tokens))] = token
                    tokens.append(_PLACEHOLDER_ID)
                else:
                    logger.warning(
                        "shape mismatch when applying embedding, embedding will be ignored (%d != %d)",
                        int(token.shape[-1]),
                        encoder.width,
                    )
                    dropped += 1
            ids.append(tokens + [encoder.spec.pad_token] * dropped)
        return ids, overrides

    def _encode_sections(self, encoder: TextEncoder, sections: list[list[tuple]]) -> tuple["torch.Tensor", "torch.Tensor"]:
        import torch

        spec, model = encoder.spec, encoder.model
        token_lists, overrides = self._ids_and_overrides(encoder, sections)
        has_weights = any(w != 1.0 for section in sections for _, w, *_ in section)
        longest = max((len(s) for s in token_lists), default=0)
        if has_weights or not token_lists:
            token_lists.append(
                prompt.empty_section(
                    longest or prompt.MAX_LENGTH, start_token=spec.start_token, end_token=spec.end_token, pad_token=spec.pad_token
                )
            )
        layer_idx = self._layer_for(spec, len(model.encoder.layers))
        tokens = torch.tensor(token_lists, dtype=torch.long, device=self.device)
        with torch.no_grad():
            last, hidden, pooled = model(
                tokens,
                layer_idx=layer_idx,
                final_norm_intermediate=spec.layer_norm_hidden_state,
                dtype=torch.float32,
                overrides=overrides or None,
            )
        z_all = (last if layer_idx is None else hidden).float().cpu()
        pooled = pooled.float().cpu()
        if not sections:
            return z_all[-1:], pooled[0:1]
        outputs = []
        for k, section in enumerate(sections):
            z = z_all[k : k + 1].clone()
            if has_weights:
                empty = z_all[-1]
                for j, (_, weight, *_) in enumerate(section):
                    if weight != 1.0:
                        z[0, j] = (z[0, j] - empty[j]) * weight + empty[j]
            outputs.append(z)
        return torch.cat(outputs, dim=-2), pooled[0:1]

    def encode_from_tokens(
        self, tokens: dict[str, list[list[tuple]]], return_pooled: bool = False, return_dict: bool = False
    ) -> Any:
        """The conditioning tensor ``[1, 77·n, width]`` (and the pooled output ``[1, proj]``)."""
        import torch

        conds, pooled = [], None
        for encoder in self.encoders:
            cond, pooled = self._encode_sections(encoder, tokens[encoder.spec.name])
            conds.append(cond)
        if len(conds) > 1:
            length = min(c.shape[1] for c in conds)
            cond = torch.cat([c[:, :length] for c in conds], dim=-1)
        else:
            cond = conds[0]
        if return_dict:
            return {"cond": cond, "pooled_output": pooled}
        if return_pooled:
            return cond, pooled
        return cond

    def encode_from_tokens_scheduled(
        self, tokens: dict[str, list[list[tuple]]], add_dict: dict[str, Any] | None = None
    ) -> list[list[Any]]:
        """CONDITIONING: ``[[cond, {"pooled_output": pooled, **add_dict}]]``."""
        out = self.encode_from_tokens(tokens, return_dict=True)
        cond = out.pop("cond")
        out.update(add_dict or {})
        return [[cond, out]]

    def encode(self, text: str) -> "torch.Tensor":
        return self.encode_from_tokens(self.tokenize(text))

    def __repr__(self) -> str:
        names = ", ".join(e.spec.name for e in self.encoders)
        return f"<ClipTextEncoder {names} on {self.device}>"

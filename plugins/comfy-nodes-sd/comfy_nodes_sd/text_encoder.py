"""CLIP: the tokenizer and text encoder(s) of a checkpoint (the role of ComfyUI's ``comfy.sd.CLIP``).

``tokenize(text)`` gives ``{name: sections}`` (``"l"`` for SD1.x's CLIP-L), each section a list of 77
``(token, weight)`` pairs; ``encode_from_tokens`` runs them through the text model and applies the
weights ComfyUI's way: every section and one empty prompt are encoded in a batch, and a token with
weight ``w`` becomes ``empty + (z − empty)·w`` at its position. Sections are concatenated along the
token axis (``[1, 77·n, width]``); the pooled output is the first section's.

``encode_from_tokens_scheduled`` returns CONDITIONING as ComfyUI builds it:
``[[cond, {"pooled_output": pooled}]]``.

``clip_layer(idx)`` (``CLIPSetLastLayer``) selects an earlier hidden layer (−2: penultimate).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import prompt
from .tokenizer import ClipTokenizer, default_tokenizer

if TYPE_CHECKING:
    import torch

    from .families import TextEncoderSpec
    from .models.clip import ClipTextModel

__all__ = ["TextEncoder", "ClipTextEncoder"]


@dataclass
class TextEncoder:
    """One text model with its family settings."""

    spec: "TextEncoderSpec"
    model: "ClipTextModel"


class ClipTextEncoder:
    """The CLIP value passed between nodes."""

    def __init__(self, encoders: list[TextEncoder], device: "torch.device", tokenizer: ClipTokenizer | None = None) -> None:
        self.encoders = encoders
        self.device = device
        self.tokenizer = tokenizer or default_tokenizer()
        self.layer_idx: int | None = None

    def clone(self) -> "ClipTextEncoder":
        """A new CLIP sharing the weights (its layer choice is its own)."""
        return copy.copy(self)

    def clip_layer(self, layer_idx: int | None) -> None:
        """Use the hidden state after layer ``layer_idx`` (negative: from the end) instead of the last."""
        self.layer_idx = layer_idx

    # --- tokens ---------------------------------------------------------------------------

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
                embedding_lookup=_no_embeddings,
            )
        return out

    # --- encoding -------------------------------------------------------------------------

    def _layer_for(self, spec: "TextEncoderSpec", num_layers: int) -> int | None:
        layer_idx = self.layer_idx if self.layer_idx is not None else spec.layer_idx
        if layer_idx is None or abs(layer_idx) > num_layers:
            return None
        return layer_idx

    def _encode_sections(self, encoder: TextEncoder, sections: list[list[tuple]]) -> tuple["torch.Tensor", "torch.Tensor"]:
        import torch

        spec, model = encoder.spec, encoder.model
        if any(not isinstance(t, int) for section in sections for t, *_ in section):
            raise NotImplementedError("textual-inversion embeddings are not supported yet")
        token_lists = [[t for t, *_ in section] for section in sections]
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
                tokens, layer_idx=layer_idx, final_norm_intermediate=spec.layer_norm_hidden_state, dtype=torch.float32
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
        """The conditioning tensor ``[1, 77·n, width]`` (and the pooled output ``[1, width]``)."""
        encoder = self.encoders[0]
        cond, pooled = self._encode_sections(encoder, tokens[encoder.spec.name])
        if return_dict:
            return {"cond": cond, "pooled_output": pooled}
        if return_pooled:
            return cond, pooled
        return cond

    def encode_from_tokens_scheduled(self, tokens: dict[str, list[list[tuple]]]) -> list[list[Any]]:
        """CONDITIONING: ``[[cond, {"pooled_output": pooled}]]``."""
        out = self.encode_from_tokens(tokens, return_dict=True)
        cond = out.pop("cond")
        return [[cond, out]]

    def encode(self, text: str) -> "torch.Tensor":
        return self.encode_from_tokens(self.tokenize(text))

    def __repr__(self) -> str:
        names = ", ".join(e.spec.name for e in self.encoders)
        return f"<ClipTextEncoder {names} on {self.device}>"


def _no_embeddings(name: str) -> None:
    """Textual-inversion embeddings are not loaded yet: every name is missing (ComfyUI drops it too)."""
    return None

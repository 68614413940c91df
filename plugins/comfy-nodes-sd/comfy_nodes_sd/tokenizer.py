"""The CLIP byte-pair-encoding tokenizer (OpenAI CLIP's, as Hugging Face's ``CLIPTokenizer`` runs it).

The merges ship with the package (``data/bpe_simple_vocab_16e6.txt.gz``, MIT, see ``data/NOTICE.md``);
nothing is downloaded. The vocabulary (49,408 ids) is built from them the way CLIP builds it: the 256
byte characters, the same with the end-of-word marker ``</w>``, one entry per merge, then
``<|startoftext|>`` (49406) and ``<|endoftext|>`` (49407).

Text is normalised as ComfyUI's tokenizer (``transformers.CLIPTokenizer``, which from transformers 5 is
the ``tokenizers``-backed one) does it: NFC, runs of whitespace to one space, lower case. It is then
cut into pre-tokens by CLIP's pattern (special tokens, English contractions, runs of letters, single
digits, runs of other symbols; letters and numbers by Unicode category) and each pre-token is
byte-pair encoded. On a GPU machine with transformers 5.17 the ids matched ``CLIPTokenizer`` built
from the same merges on 36 tricky prompts (accents, CJK, emoji, fullwidth forms, contractions,
special tokens, zero-width characters). transformers 4's pure-Python tokenizer differed from it only
in dropping control and format characters and splitting CJK ideographs into separate words.

No torch here: importing the tokenizer is cheap.
"""

from __future__ import annotations

import functools
import gzip
import re
import unicodedata
from importlib import resources

__all__ = ["BOS_TOKEN", "EOS_TOKEN", "ClipTokenizer", "default_tokenizer"]

VOCAB_FILE = "bpe_simple_vocab_16e6.txt.gz"
BOS_TOKEN = 49406
"""``<|startoftext|>``."""
EOS_TOKEN = 49407
"""``<|endoftext|>`` (also the padding token of SD1.x)."""

_SPECIAL_TEXTS = ("<|startoftext|>", "<|endoftext|>")
_CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")
_END_OF_WORD = "</w>"
_MERGES = 49152 - 256 - 2  # merges used by CLIP (the file holds a few more)
_WHITESPACE_CHARS = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""Unicode's White_Space property (Python's ``\\s`` and ``str.isspace`` also match U+001C..U+001F)."""
_WHITESPACE = re.compile(f"[{_WHITESPACE_CHARS}]+")
_IS_WHITESPACE = re.compile(f"[{_WHITESPACE_CHARS}]")


def _byte_characters() -> list[tuple[int, str]]:
    """(byte, printable character) in CLIP's order: the printable bytes as themselves, then the rest
    mapped to code points from 256 on."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    kept = set(printable)
    pairs = [(b, chr(b)) for b in printable]
    shifted = 0
    for b in range(256):
        if b not in kept:
            pairs.append((b, chr(256 + shifted)))
            shifted += 1
    return pairs


def normalize_text(text: str) -> str:
    """The normaliser of Hugging Face's CLIP tokenizer: NFC, whitespace runs to one space, lower case."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).lower()


def _kind(ch: str) -> str:
    """'L' letter, 'N' number, ' ' whitespace, 'O' anything else (CLIP's pattern classes)."""
    if _IS_WHITESPACE.match(ch):
        return " "
    major = unicodedata.category(ch)[0]
    return major if major in ("L", "N") else "O"


def pre_tokenize(text: str) -> list[str]:
    """Cut normalised text into CLIP's pre-tokens (the alternatives of its regex, tried in order)."""
    out: list[str] = []
    i, n = 0, len(text)
    lowered = text.lower()
    while i < n:
        kind = _kind(text[i])
        if kind == " ":
            i += 1
            continue
        special = next((s for s in _SPECIAL_TEXTS if lowered.startswith(s, i)), None)
        if special is None:
            special = next((c for c in _CONTRACTIONS if lowered.startswith(c, i)), None)
        if special is not None:
            out.append(text[i : i + len(special)])
            i += len(special)
            continue
        if kind == "N":
            out.append(text[i])
            i += 1
            continue
        j = i + 1
        while j < n and _kind(text[j]) == kind:
            j += 1
        out.append(text[i:j])
        i = j
    return out


class ClipTokenizer:
    """Text to CLIP token ids (without the start and end tokens that :meth:`encode` leaves to the caller)."""

    def __init__(self, merges: list[tuple[str, str]]) -> None:
        byte_chars = _byte_characters()
        self.byte_encoder = dict(byte_chars)
        vocab = [c for _, c in byte_chars]
        vocab += [c + _END_OF_WORD for c in vocab]
        vocab += ["".join(pair) for pair in merges]
        vocab += list(_SPECIAL_TEXTS)
        self.encoder: dict[str, int] = {token: i for i, token in enumerate(vocab)}
        self.decoder: dict[int, str] = {i: token for token, i in self.encoder.items()}
        self.ranks: dict[tuple[str, str], int] = {pair: i for i, pair in enumerate(merges)}
        self._cache: dict[str, list[str]] = {s: [s] for s in _SPECIAL_TEXTS}

    @classmethod
    def from_package(cls) -> "ClipTokenizer":
        """The tokenizer built from the merges shipped in ``comfy_nodes_sd/data``."""
        raw = resources.files("comfy_nodes_sd").joinpath("data", VOCAB_FILE).read_bytes()
        lines = gzip.decompress(raw).decode("utf-8").split("\n")
        merges = [tuple(line.split()) for line in lines[1 : _MERGES + 1]]
        return cls([(a, b) for a, b in merges])

    @property
    def vocab_size(self) -> int:
        return len(self.encoder)

    def _bpe(self, token: str) -> list[str]:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        word = [*token[:-1], token[-1] + _END_OF_WORD]
        while len(word) > 1:
            best = min(
                ((self.ranks.get((a, b), -1), k) for k, (a, b) in enumerate(zip(word, word[1:]))),
                key=lambda rank_pos: (rank_pos[0] < 0, rank_pos[0]),
            )
            if best[0] < 0:
                break
            first, second = word[best[1]], word[best[1] + 1]
            merged: list[str] = []
            k = 0
            while k < len(word):
                if k < len(word) - 1 and word[k] == first and word[k + 1] == second:
                    merged.append(first + second)
                    k += 2
                else:
                    merged.append(word[k])
                    k += 1
            word = merged
        self._cache[token] = word
        return word

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no start or end token)."""
        ids: list[int] = []
        for piece in pre_tokenize(normalize_text(text)):
            if piece in _SPECIAL_TEXTS:
                ids.append(self.encoder[piece])
                continue
            mapped = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[part] for part in self._bpe(mapped))
        return ids

    def decode(self, ids: list[int]) -> str:
        """Text of token ids (end-of-word markers become spaces)."""
        byte_decoder = {c: b for b, c in self.byte_encoder.items()}
        text = "".join(self.decoder[i] for i in ids)
        data = bytearray()
        for ch in text.replace(_END_OF_WORD, " "):
            if ch in byte_decoder:
                data.append(byte_decoder[ch])
            else:
                data.extend(ch.encode("utf-8"))
        return data.decode("utf-8", errors="replace").strip()


@functools.lru_cache(maxsize=1)
def default_tokenizer() -> ClipTokenizer:
    """The shared tokenizer built from the packaged merges (built once, about 0.3 s)."""
    return ClipTokenizer.from_package()

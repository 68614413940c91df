"""Prompt weighting and 77-token sections, with ComfyUI's syntax and ComfyUI's arithmetic.

Syntax (ComfyUI's, not A1111's):

- ``(text)`` multiplies the weight of ``text`` by 1.1; nesting multiplies again: ``((text))`` is 1.21.
- ``(text:1.3)`` sets the weight to 1.3 (the number after the *last* colon; a part that is not a
  number leaves the colon in the text and the group at ×1.1).
- ``\\(`` and ``\\)`` are literal parentheses.
- ``[text]`` is plain text: square brackets carry no weight in ComfyUI.
- ``embedding:name`` (at the start or after a space or newline) names a textual-inversion embedding;
  ``embedding_lookup`` resolves it to a tensor of token vectors. A name it cannot resolve is dropped
  with a warning and the rest of that word group is tokenized (as ComfyUI does).

Each weighted segment is tokenized as a whole; the tokens are then packed into sections of 77
(start token, up to 75 tokens, end token, padding). A group of tokens that does not fit in what is
left of a section moves to the next one, unless it is 8 tokens or longer, in which case it is split
at the section boundary.

:func:`tokenize_with_weights` returns what ComfyUI's ``SDTokenizer.tokenize_with_weights`` returns: a
list of sections, each a list of ``(token, weight)`` pairs (or ``(token, weight, word_id)``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

__all__ = [
    "parse_weights",
    "tokenize_with_weights",
    "empty_section",
    "MAX_LENGTH",
]

MAX_LENGTH = 77
"""Tokens per section, start and end tokens included."""
MAX_WORD_LENGTH = 8
"""A token group at least this long may be split across sections."""
EMPHASIS = 1.1
EMBEDDING_PREFIX = "embedding:"

logger = logging.getLogger(__name__)
_EMBEDDING_SPLIT = re.compile(" {0}|\n{0}".format(EMBEDDING_PREFIX))

_ESCAPED_CLOSE, _ESCAPED_OPEN = "\0\1", "\0\2"


def _escape(text: str) -> str:
    return text.replace("\\)", _ESCAPED_CLOSE).replace("\\(", _ESCAPED_OPEN)


def _unescape(text: str) -> str:
    return text.replace(_ESCAPED_CLOSE, ")").replace(_ESCAPED_OPEN, "(")


def _split_top_level(text: str) -> list[str]:
    """Split into plain runs and top-level ``( … )`` groups (an unclosed group runs to the end)."""
    parts: list[str] = []
    current = ""
    depth = 0
    for ch in text:
        if ch == "(":
            if depth == 0:
                if current:
                    parts.append(current)
                current = "("
            else:
                current += ch
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                parts.append(current + ")")
                current = ""
            else:
                current += ch
        else:
            current += ch
    if current:
        parts.append(current)
    return parts


def _weights(text: str, weight: float) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for part in _split_top_level(text):
        if len(part) >= 2 and part[0] == "(" and part[-1] == ")":
            inner = part[1:-1]
            inner_weight = weight * EMPHASIS
            colon = inner.rfind(":")
            if colon > 0:
                try:
                    inner_weight = float(inner[colon + 1 :])
                    inner = inner[:colon]
                except ValueError:
                    pass
            out += _weights(inner, inner_weight)
        else:
            out.append((part, weight))
    return out


def parse_weights(text: str) -> list[tuple[str, float]]:
    """``(segment, weight)`` pairs of a prompt, escapes resolved."""
    return [(_unescape(segment), weight) for segment, weight in _weights(_escape(text), 1.0)]


def tokenize_with_weights(
    text: str,
    encode: Callable[[str], list[int]],
    *,
    start_token: int | None,
    end_token: int | None,
    pad_token: int,
    max_length: int = MAX_LENGTH,
    pad_to_max_length: bool = True,
    min_length: int | None = None,
    return_word_ids: bool = False,
    embedding_lookup: Callable[[str], Any] | None = None,
) -> list[list[tuple]]:
    """Sections of ``(token, weight[, word_id])`` for ``text``; ``encode`` maps text to token ids.

    A token is an int, or a tensor row from an embedding that ``embedding_lookup`` resolved. Without
    ``embedding_lookup`` (no embeddings folder), ``embedding:name`` is plain text.
    """
    groups: list[list[tuple[Any, float]]] = []
    for segment, weight in parse_weights(text):
        pieces = _EMBEDDING_SPLIT.split(segment)
        words = [pieces[0]] + [EMBEDDING_PREFIX + p for p in pieces[1:]]
        for word in (w for w in words if w != ""):
            if embedding_lookup is not None and word.startswith(EMBEDDING_PREFIX):
                embed, leftover = _lookup_embedding(word[len(EMBEDDING_PREFIX) :].strip("\n"), embedding_lookup)
                if embed is not None:
                    rows = [embed] if embed.ndim == 1 else [embed[i] for i in range(embed.shape[0])]
                    groups.append([(row, weight) for row in rows])
                if leftover == "":
                    continue
                word = leftover
            groups.append([(token, weight) for token in encode(word)])

    has_end = 1 if end_token is not None else 0
    sections: list[list[tuple[int, float, int]]] = []

    def new_section() -> list[tuple[int, float, int]]:
        section: list[tuple[int, float, int]] = []
        if start_token is not None:
            section.append((start_token, 1.0, 0))
        sections.append(section)
        return section

    section = new_section()
    for word_id, group in enumerate(groups, start=1):
        is_large = len(group) >= MAX_WORD_LENGTH
        while group:
            if len(group) + len(section) > max_length - has_end:
                remaining = max_length - len(section) - has_end
                if is_large:
                    section.extend((t, w, word_id) for t, w in group[:remaining])
                    if end_token is not None:
                        section.append((end_token, 1.0, 0))
                    group = group[remaining:]
                else:
                    if end_token is not None:
                        section.append((end_token, 1.0, 0))
                    if pad_to_max_length:
                        section.extend([(pad_token, 1.0, 0)] * remaining)
                section = new_section()
            else:
                section.extend((t, w, word_id) for t, w in group)
                group = []

    if end_token is not None:
        section.append((end_token, 1.0, 0))
    if pad_to_max_length:
        section.extend([(pad_token, 1.0, 0)] * (max_length - len(section)))
    if min_length is not None and len(section) < min_length:
        section.extend([(pad_token, 1.0, 0)] * (min_length - len(section)))

    if return_word_ids:
        return [list(s) for s in sections]
    return [[(t, w) for t, w, _ in s] for s in sections]


def _lookup_embedding(text: str, lookup: Callable[[str], Any]) -> tuple[Any, str]:
    """(embedding or None, text left after the name) for the words after ``embedding:``."""
    words = text.split()
    name = words[0] if words else ""
    leftover = " ".join(words[1:])
    embed = lookup(name) if name else None
    if embed is None:
        stripped = name.strip(",")
        if len(stripped) < len(name):
            embed = lookup(stripped) if stripped else None
            leftover = "{} {}".format(name[len(stripped) :], leftover)
    if embed is None:
        logger.warning("embedding:%s does not exist, ignoring", name)
    return embed, leftover


def empty_section(length: int, *, start_token: int | None, end_token: int | None, pad_token: int) -> list[int]:
    """The token ids of an empty prompt, ``length`` long (the reference that weights scale against)."""
    tokens = [t for t in (start_token, end_token) if t is not None]
    return tokens + [pad_token] * (length - len(tokens))

"""The CLIP tokenizer and ComfyUI's prompt weighting and sectioning (no torch, no checkpoint)."""

from __future__ import annotations

import pytest

from comfy_nodes_sd import prompt
from comfy_nodes_sd.tokenizer import BOS_TOKEN, EOS_TOKEN, ClipTokenizer, default_tokenizer, normalize_text, pre_tokenize


@pytest.fixture(scope="module")
def tokenizer() -> ClipTokenizer:
    return default_tokenizer()


def test_vocabulary_is_clips(tokenizer: ClipTokenizer) -> None:
    assert tokenizer.vocab_size == 49408
    assert tokenizer.encoder["<|startoftext|>"] == BOS_TOKEN == 49406
    assert tokenizer.encoder["<|endoftext|>"] == EOS_TOKEN == 49407
    assert tokenizer.encoder["!"] == 0 and tokenizer.encoder["!</w>"] == 256


TOKEN_IDS = [
    # text, ids (CLIP's; single characters follow from the byte table: "a</w>" = 256 + 97 - 33)
    ("a photo of a cat", [320, 1125, 539, 320, 2368]),
    ("blurry, low quality", [21977, 267, 1042, 3027]),
    ("A Photo  OF a\tCAT", [320, 1125, 539, 320, 2368]),
    ("dog", [1929]),
    ("cat.", [2368, 269]),
    ("(cat:1.2)", [263, 2368, 281, 272, 269, 273, 264]),
    ("2024", [273, 271, 273, 275]),
    ("it's", [585, 568]),
    # ids Hugging Face's CLIPTokenizer (transformers 5.17) gives for the same merges
    ("zero\u200bwidth", [5848, 9844, 23571]),
    ("ctrl\x1cchar", [35602, 331, 472, 16017]),  # U+001C is not Unicode whitespace
    ("日本語のテキスト", [39121, 44353, 34002, 252, 21575, 2429, 228, 47121, 32421, 486]),
    ("", []),
    ("   ", []),
]


@pytest.mark.parametrize(("text", "ids"), TOKEN_IDS)
def test_token_ids(tokenizer: ClipTokenizer, text: str, ids: list[int]) -> None:
    assert tokenizer.encode(text) == ids


@pytest.mark.parametrize("text", ["a photo of a cat", "blurry, low quality", "hello world!"])
def test_decode_inverts_encode(tokenizer: ClipTokenizer, text: str) -> None:
    assert tokenizer.decode(tokenizer.encode(text)).replace(" ", "") == text.replace(" ", "")


NORMALIZE = [
    # as transformers 5's CLIPTokenizer (tokenizers backend) normalises: NFC, whitespace runs, lower case
    ("  Hello\n\tWorld  ", " hello world "),
    ("caf\u0065\u0301", "café"),
    ("a\u200bb", "a\u200bb"),  # format characters stay (and are byte-encoded)
    ("a\u3000b\u00a0c\x1cd", "a b c\x1cd"),  # Unicode White_Space only
    ("日本", "日本"),
]


@pytest.mark.parametrize(("text", "expected"), NORMALIZE)
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


PRE_TOKENS = [
    ("it's a dog's life", ["it", "'s", "a", "dog", "'s", "life"]),
    ("abc123", ["abc", "1", "2", "3"]),
    ("hi!!! there", ["hi", "!!!", "there"]),
    ("x<|endoftext|>y", ["x", "<|endoftext|>", "y"]),
    ("!'s", ["!'", "s"]),
]


@pytest.mark.parametrize(("text", "expected"), PRE_TOKENS)
def test_pre_tokenize(text: str, expected: list[str]) -> None:
    assert pre_tokenize(text) == expected


WEIGHTS = [
    # prompt, (segment, weight) pairs as ComfyUI's token_weights gives them
    ("a cat", [("a cat", 1.0)]),
    ("a (cat) dog", [("a ", 1.0), ("cat", 1.1), (" dog", 1.0)]),
    ("((cat))", [("cat", 1.1 * 1.1)]),
    ("(cat:1.5)", [("cat", 1.5)]),
    ("(cat:0.5), dog", [("cat", 0.5), (", dog", 1.0)]),
    ("(a (b:0.5) c:1.2)", [("a ", 1.2), ("b", 0.5), (" c", 1.2)]),
    ("(a:b:2)", [("a:b", 2.0)]),
    ("(cat:x)", [("cat:x", 1.1)]),
    ("(:2)", [(":2", 1.1)]),
    ("[cat]", [("[cat]", 1.0)]),
    ("\\(cat\\)", [("(cat)", 1.0)]),
    ("(\\(cat\\):1.3)", [("(cat)", 1.3)]),
    ("(unclosed", [("(unclosed", 1.0)]),
]


@pytest.mark.parametrize(("text", "expected"), WEIGHTS)
def test_parse_weights(text: str, expected: list[tuple[str, float]]) -> None:
    assert prompt.parse_weights(text) == expected


def _sections(tokenizer: ClipTokenizer, text: str, **kwargs: object) -> list[list[tuple]]:
    return prompt.tokenize_with_weights(
        text, tokenizer.encode, start_token=BOS_TOKEN, end_token=EOS_TOKEN, pad_token=EOS_TOKEN, **kwargs  # type: ignore[arg-type]
    )


def test_one_section_with_start_end_and_padding(tokenizer: ClipTokenizer) -> None:
    (section,) = _sections(tokenizer, "a photo of a cat")
    assert [t for t, _ in section] == [BOS_TOKEN, 320, 1125, 539, 320, 2368] + [EOS_TOKEN] * 71
    assert all(w == 1.0 for _, w in section)


def test_weights_travel_with_tokens(tokenizer: ClipTokenizer) -> None:
    (section,) = _sections(tokenizer, "a (cat:1.3)")
    assert section[:4] == [(BOS_TOKEN, 1.0), (320, 1.0), (2368, 1.3), (EOS_TOKEN, 1.0)]


def test_word_ids(tokenizer: ClipTokenizer) -> None:
    (section,) = _sections(tokenizer, "a photo (cat:1.3)", return_word_ids=True)
    assert section[:5] == [(BOS_TOKEN, 1.0, 0), (320, 1.0, 1), (1125, 1.0, 1), (2368, 1.3, 2), (EOS_TOKEN, 1.0, 0)]


def test_a_long_group_is_split_at_the_section_boundary(tokenizer: ClipTokenizer) -> None:
    sections = _sections(tokenizer, " ".join(["cat"] * 80))
    assert [len(s) for s in sections] == [77, 77]
    assert [t for t, _ in sections[0]] == [BOS_TOKEN] + [2368] * 75 + [EOS_TOKEN]
    assert [t for t, _ in sections[1]] == [BOS_TOKEN] + [2368] * 5 + [EOS_TOKEN] * 71


def test_a_short_group_that_does_not_fit_moves_to_the_next_section(tokenizer: ClipTokenizer) -> None:
    sections = _sections(tokenizer, " ".join(["cat"] * 74) + "(dog dog dog:1.2)")
    assert [t for t, _ in sections[0]] == [BOS_TOKEN] + [2368] * 74 + [EOS_TOKEN] * 2
    assert sections[1][:5] == [(BOS_TOKEN, 1.0), (1929, 1.2), (1929, 1.2), (1929, 1.2), (EOS_TOKEN, 1.0)]


def test_embedding_names_without_embeddings_are_text(tokenizer: ClipTokenizer) -> None:
    plain = _sections(tokenizer, "a embedding:foo cat")
    assert [t for t, _ in plain[0][:3]] == [BOS_TOKEN, 320] + tokenizer.encode("embedding")[:1]


def test_missing_embeddings_are_dropped_like_comfyui(tokenizer: ClipTokenizer, caplog: pytest.LogCaptureFixture) -> None:
    sections = _sections(tokenizer, "a embedding:foo cat", embedding_lookup=lambda name: None)
    assert [t for t, _ in sections[0][:4]] == [BOS_TOKEN, 320, 2368, EOS_TOKEN]
    assert "embedding:foo does not exist" in caplog.text


def test_empty_section() -> None:
    assert prompt.empty_section(5, start_token=1, end_token=2, pad_token=0) == [1, 2, 0, 0, 0]

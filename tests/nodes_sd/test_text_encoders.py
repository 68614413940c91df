"""Text encoders of every family: SD2's and SDXL's layer and padding choices, SDXL's two encoders and
pooled output, CLIPSetLastLayer, prompts longer than 77 tokens, textual inversion from generated
embedding files, and the ADM vector built from the SDXL nodes' options.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import comfy_nodes_sd
from comfy_nodes_sd import tiny
from comfy_nodes_sd.adm import encode_adm
from comfy_nodes_sd.loader import load_checkpoint_state_dict
from comfy_nodes_sd.tokenizer import default_tokenizer

NODES: dict[str, Any] = comfy_nodes_sd.NODE_CLASS_MAPPINGS
START, END = 49406, 49407


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def clips() -> dict[str, Any]:
    """CLIP of each tiny family's checkpoint."""
    cpu = torch.device("cpu")
    return {f: load_checkpoint_state_dict(tiny.make_state_dict(f, seed=11), device=cpu).clip for f in ("sd15", "sd2", "sdxl", "sdxl_refiner")}


def _cond(clip: Any, text: str) -> tuple[Any, Any]:
    ((cond, options),) = NODES["CLIPTextEncode"]().encode(clip, text)[0]
    return cond, options["pooled_output"]


def _ids(text: str) -> list[int]:
    return default_tokenizer().encode(text)


def _run_model(encoder: Any, ids: list[int], layer: int | None, norm: bool) -> tuple[Any, Any]:
    tokens = torch.tensor([ids])
    last, hidden, pooled = encoder.model(tokens, layer_idx=layer, final_norm_intermediate=norm)
    return (last if layer is None else hidden), pooled


def _section(ids: list[int], pad: int) -> list[int]:
    body = [START, *ids, END]
    return body + [pad] * (77 - len(body))


# --- family settings -----------------------------------------------------------------------------


def test_sd2_uses_the_penultimate_layer_normed_and_pads_with_zero(clips: dict[str, Any]) -> None:
    clip = clips["sd2"]
    tokens = clip.tokenize("a photo of a cat")["h"][0]
    assert [t for t, _ in tokens] == _section(_ids("a photo of a cat"), pad=0)
    cond, pooled = _cond(clip, "a photo of a cat")
    expected, expected_pooled = _run_model(clip.encoders[0], _section(_ids("a photo of a cat"), 0), -2, True)
    assert torch.allclose(cond, expected, atol=1e-6) and torch.allclose(pooled, expected_pooled, atol=1e-6)
    (last_layer,) = NODES["CLIPSetLastLayer"]().set_last_layer(clip, -1)
    assert not torch.allclose(_cond(last_layer, "a photo of a cat")[0], cond, atol=1e-3)


def test_sdxl_concatenates_clip_l_and_g_and_pools_g(clips: dict[str, Any]) -> None:
    clip = clips["sdxl"]
    tokens = clip.tokenize("a photo of a cat")
    ids = _ids("a photo of a cat")
    assert [t for t, _ in tokens["l"][0]] == _section(ids, pad=END)
    assert [t for t, _ in tokens["g"][0]] == _section(ids, pad=0)
    cond, pooled = _cond(clip, "a photo of a cat")
    l_enc, g_enc = clip.encoders
    l_out, _ = _run_model(l_enc, _section(ids, END), -2, False)
    g_out, g_pooled = _run_model(g_enc, _section(ids, 0), -2, False)
    assert tuple(cond.shape) == (1, 77, 64) and tuple(pooled.shape) == (1, 32)
    assert torch.allclose(cond, torch.cat([l_out, g_out], dim=-1), atol=1e-6)
    # the pooled output is G's final-normed state at the end token, through text_projection
    assert torch.allclose(pooled, g_pooled, atol=1e-6)
    (skipped,) = NODES["CLIPSetLastLayer"]().set_last_layer(clip, -1)
    assert not torch.allclose(_cond(skipped, "a photo of a cat")[0], cond, atol=1e-3)
    assert torch.allclose(_cond(skipped, "a photo of a cat")[1], pooled, atol=1e-6)


def test_sdxl_node_pads_the_shorter_prompt_with_empty_sections(clips: dict[str, Any]) -> None:
    clip = clips["sdxl"]
    ((cond, options),) = NODES["CLIPTextEncodeSDXL"]().encode(clip, 832, 1216, 16, 32, 1024, 1024, "a cat", "a cat, " * 40)[0]
    assert tuple(cond.shape) == (1, 154, 64)
    assert {k: options[k] for k in ("width", "height", "crop_w", "crop_h", "target_width", "target_height")} == {
        "width": 832, "height": 1216, "crop_w": 16, "crop_h": 32, "target_width": 1024, "target_height": 1024,
    }  # fmt: skip
    # the G half of the second section is an empty prompt's
    empty_g = _run_model(clip.encoders[1], _section([], 0), -2, False)[0]
    assert torch.allclose(cond[:, 77:, 32:], empty_g, atol=1e-6)
    ((refined, refiner_options),) = NODES["CLIPTextEncodeSDXLRefiner"]().encode(clips["sdxl_refiner"], 2.5, 512, 768, "a cat")[0]
    assert tuple(refined.shape) == (1, 77, 32)
    assert {k: refiner_options[k] for k in ("aesthetic_score", "width", "height")} == {"aesthetic_score": 2.5, "width": 512, "height": 768}
    # the refiner's CLIP reads text_g only (as in ComfyUI); an SD1.x CLIP has no G encoder
    ((g_only, _),) = NODES["CLIPTextEncodeSDXL"]().encode(clips["sdxl_refiner"], 64, 64, 0, 0, 64, 64, "a cat", "x " * 90)[0]
    assert torch.equal(g_only, _cond(clips["sdxl_refiner"], "a cat")[0])
    with pytest.raises(ValueError, match="needs an SDXL CLIP"):
        NODES["CLIPTextEncodeSDXL"]().encode(clips["sd15"], 64, 64, 0, 0, 64, 64, "a", "b")


@pytest.mark.parametrize(("family", "width"), [("sd15", 32), ("sd2", 32), ("sdxl", 64), ("sdxl_refiner", 32)])
def test_prompts_longer_than_77_tokens(clips: dict[str, Any], family: str, width: int) -> None:
    clip = clips[family]
    text = " ".join(["cat"] * 80)
    cond, _ = _cond(clip, text)
    assert tuple(cond.shape) == (1, 154, width)
    for sections in clip.tokenize(text).values():
        assert len(sections) == 2 and sections[1][0][0] == START and sections[0][76][0] == END
    # a later section does not change the first one
    assert torch.allclose(cond[:, :77], _cond(clip, " ".join(["cat"] * 75))[0], atol=1e-6)


# --- textual inversion ---------------------------------------------------------------------------


def _row(encoder: Any, word: str) -> Any:
    (token,) = _ids(word)
    return encoder.model.embeddings.token_embedding.weight[token].float()


@pytest.fixture
def embeddings(tmp_path: Path) -> Path:
    folder = tmp_path / "embeddings"
    folder.mkdir()
    return folder


def _with(clip: Any, folder: Path) -> Any:
    clip = clip.clone()
    clip.embedding_directories = [str(folder)]
    return clip


@pytest.mark.parametrize("fmt", ["safetensors", "pt"])
def test_embedding_vectors_stand_for_tokens(clips: dict[str, Any], embeddings: Path, fmt: str) -> None:
    """An embedding whose vectors are the token embeddings of "dog" and "sitting" encodes exactly as
    those words (kohya's ``emb_params`` safetensors and A1111's ``string_to_param`` .pt)."""
    from safetensors.torch import save_file

    clip = _with(clips["sd15"], embeddings)
    vectors = torch.stack([_row(clip.encoders[0], "dog"), _row(clip.encoders[0], "sitting")])
    if fmt == "pt":
        torch.save({"string_to_param": {"*": vectors}, "name": "pet"}, embeddings / "pet.pt")
    else:
        save_file({"emb_params": vectors}, str(embeddings / "pet.safetensors"))
    tokens = clip.tokenize("a embedding:pet cat")["l"][0]
    assert isinstance(tokens[2][0], torch.Tensor) and tokens[4][0] == _ids("cat")[0]
    with_embedding, pooled = _cond(clip, "a embedding:pet cat")
    words, words_pooled = _cond(clip, "a dog sitting cat")
    assert torch.allclose(with_embedding, words, atol=1e-5) and torch.allclose(pooled, words_pooled, atol=1e-5)
    # weights apply to embedding vectors too
    assert not torch.allclose(_cond(clip, "a (embedding:pet:1.3) cat")[0], words, atol=1e-3)
    assert torch.allclose(_cond(clip, "a (embedding:pet:1.3) cat")[0], _cond(clip, "a (dog sitting:1.3) cat")[0], atol=1e-5)


def test_sdxl_embeddings_have_one_tensor_per_encoder(clips: dict[str, Any], embeddings: Path) -> None:
    from safetensors.torch import save_file

    clip = _with(clips["sdxl"], embeddings)
    l_enc, g_enc = clip.encoders
    save_file({"clip_l": _row(l_enc, "dog")[None], "clip_g": _row(g_enc, "dog")[None]}, str(embeddings / "xl.safetensors"))
    with_embedding, pooled = _cond(clip, "a embedding:xl cat")
    words, words_pooled = _cond(clip, "a dog cat")
    assert torch.allclose(with_embedding, words, atol=1e-5) and torch.allclose(pooled, words_pooled, atol=1e-5)
    # the generator writes files of that shape
    tiny.make_embedding(embeddings / "gen.safetensors", {"clip_l": 32, "clip_g": 32}, vectors=3)
    assert not torch.allclose(_cond(clip, "a embedding:gen cat")[0], words, atol=1e-3)


def test_missing_and_mismatched_embeddings_are_dropped(clips: dict[str, Any], embeddings: Path, caplog: pytest.LogCaptureFixture) -> None:
    clip = _with(clips["sd15"], embeddings)
    tiny.make_embedding(embeddings / "wide.safetensors", 48)
    plain = _cond(clip, "a cat")[0]
    with caplog.at_level(logging.WARNING):
        assert torch.allclose(_cond(clip, "a embedding:nothere cat")[0], plain, atol=1e-6)
        assert torch.allclose(_cond(clip, "a embedding:wide cat")[0], plain, atol=1e-6)
    assert "embedding:nothere does not exist" in caplog.text and "shape mismatch" in caplog.text
    # a name may not leave the embeddings folder
    (embeddings.parent / "outside.safetensors").write_bytes((embeddings / "wide.safetensors").read_bytes())
    assert not any(isinstance(t, torch.Tensor) for t, _ in clip.tokenize("embedding:../outside")["l"][0])
    # without embedding folders (a CLIP made outside the loader nodes) the words are plain text
    assert clips["sd15"].embedding_directories is None
    assert [t for t, _ in clips["sd15"].tokenize("embedding:wide")["l"][0][1:4]] == _ids("embedding:wide")[:3]


# --- ADM -----------------------------------------------------------------------------------------


def _sinusoid(value: float) -> list[float]:
    """The 256-wide timestep embedding of ``value`` in float64 (the model computes it in float32:
    arguments up to ~1000 rad agree to ~1e-4)."""
    freqs = [math.exp(-math.log(10000.0) * i / 128) for i in range(128)]
    return [math.cos(value * f) for f in freqs] + [math.sin(value * f) for f in freqs]


def test_sdxl_adm_vector(clips: dict[str, Any]) -> None:
    from comfy_nodes_sd.families import SDXL, SDXL_REFINER

    ((_, options),) = NODES["CLIPTextEncodeSDXL"]().encode(clips["sdxl"], 832, 1216, 16, 32, 1024, 960, "a", "a")[0]
    y = encode_adm(SDXL, options, (1, 4, 8, 8))
    expected = options["pooled_output"][0].tolist()
    for value in (1216, 832, 32, 16, 960, 1024):  # height, width, crop_h, crop_w, target height, width
        expected += _sinusoid(value)
    assert tuple(y.shape) == (1, 32 + 6 * 256)
    assert torch.allclose(y[0], torch.tensor(expected), atol=1e-3)
    # plain CLIPTextEncode: the size is the latent's (×8), the target the size, crops 0
    ((_, plain),) = NODES["CLIPTextEncode"]().encode(clips["sdxl"], "a")[0]
    y = encode_adm(SDXL, plain, (2, 4, 12, 10))
    assert torch.allclose(y[0, 32:], torch.tensor(sum((_sinusoid(v) for v in (96, 80, 0, 0, 96, 80)), [])), atol=1e-4)
    # the refiner: aesthetic score 6 for the positive side, 2.5 for the negative one, unless set
    ((_, refiner),) = NODES["CLIPTextEncode"]().encode(clips["sdxl_refiner"], "a")[0]
    positive, negative = encode_adm(SDXL_REFINER, refiner, (1, 4, 8, 8)), encode_adm(SDXL_REFINER, refiner, (1, 4, 8, 8), "negative")
    assert torch.allclose(positive[0, -256:], torch.tensor(_sinusoid(6.0)), atol=1e-5)
    assert torch.allclose(negative[0, -256:], torch.tensor(_sinusoid(2.5)), atol=1e-5)
    assert tuple(positive.shape) == (1, 32 + 5 * 256)
    with pytest.raises(ValueError, match="pooled_output"):
        encode_adm(SDXL, {}, (1, 4, 8, 8))

"""Model families: detection from real-layout checkpoints (tiny ones from ``comfy_nodes_sd.tiny`` and
full-size ones on the ``meta`` device), loading every key, prediction types, ``.ckpt`` files, the
generator's determinism and CLI, and SDXL / refiner / SD2-v text-to-image through the engine to PNG.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from comfy_nodes_sd import tiny
from comfy_nodes_sd.detect import UnsupportedModelError, detect
from comfy_nodes_sd.loader import load_checkpoint, load_checkpoint_state_dict

CPU = torch.device("cpu")


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Any:
    """Tiny models run fastest on one thread (several threads mostly wait on each other on a busy CI machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

FAMILY_TABLE = [
    # generator family, detected family, prediction, context width, ADM width, text encoders (name, layers, projection)
    ("sd15", "sd15", "eps", 32, None, [("l", 12, None)]),
    ("sd2", "sd2", "eps", 32, None, [("h", 24, 32)]),
    ("sd2-v", "sd2", "v", 32, None, [("h", 24, 32)]),
    ("sdxl", "sdxl", "eps", 64, 32 + 6 * 256, [("l", 12, None), ("g", 32, 32)]),
    ("sdxl_refiner", "sdxl_refiner", "eps", 32, 32 + 5 * 256, [("g", 32, 32)]),
]


@pytest.fixture(scope="module")
def tiny_state_dicts() -> dict[str, dict[str, Any]]:
    return {family: tiny.make_state_dict(family) for family in tiny.FAMILIES}


@pytest.mark.parametrize(("family", "name", "prediction", "context", "adm", "encoders"), FAMILY_TABLE)
def test_tiny_checkpoints_are_detected_and_load_every_key(
    tiny_state_dicts: dict[str, dict[str, Any]], family: str, name: str, prediction: str, context: int, adm: int | None, encoders: list[Any]
) -> None:
    sd = tiny_state_dicts[family]
    detection = detect(sd)
    assert (detection.family.name, detection.prediction) == (name, prediction)
    assert (detection.unet_config.context_dim, detection.unet_config.adm_in_channels) == (context, adm)

    loaded = load_checkpoint_state_dict(sd, device=CPU)
    assert loaded.model.model_sampling.prediction == prediction
    # every key is used but OpenCLIP's logit_scale, which ComfyUI drops too
    assert all(k.endswith("logit_scale") for k in loaded.unused_keys)
    assert loaded.used_keys | set(loaded.unused_keys) == set(sd)
    got = [(e.spec.name, e.model.config.layers, e.model.config.projection) for e in loaded.clip.encoders]
    assert got == encoders
    assert loaded.vae.first_stage_model.config.ch == 32


def test_transformer_depth_per_level_is_read_from_shapes(tiny_state_dicts: dict[str, dict[str, Any]]) -> None:
    config = detect(tiny_state_dicts["sdxl"]).unet_config
    assert config.channel_mult == (1, 1, 2) and config.num_res_blocks == (1, 1, 1)
    assert config.transformer_depth == (0, 1, 2) and config.transformer_depth_middle == 2
    assert config.transformer_depth_output == (0, 0, 1, 1, 2, 2)
    assert config.use_linear_in_transformer and config.num_head_channels == 64


@pytest.mark.parametrize(("family", "name", "heads"), [("sd15", "sd15", (8, -1)), ("sd2", "sd2", (-1, 64)), ("sdxl", "sdxl", (-1, 64)), ("sdxl_refiner", "sdxl_refiner", (-1, 64))])
def test_full_size_layouts_match_comfyui_configs(family: str, name: str, heads: tuple[int, int]) -> None:
    """The generator's full-size UNets (built on the meta device: no memory) are detected with
    ComfyUI's exact unet configs."""
    r = tiny.recipe(family, "full")
    unet = tiny._unet_module(r)
    sd = {"model.diffusion_model." + k: v for k, v in unet.state_dict().items()}
    config = detect(sd).unet_config
    assert detect(sd).family.name == name
    assert (config.num_heads, config.num_head_channels) == heads
    expected = {
        "sd15": (320, 768, None, (1, 1, 1, 1, 1, 1, 0, 0)),
        "sd2": (320, 1024, None, (1, 1, 1, 1, 1, 1, 0, 0)),
        "sdxl": (320, 2048, 2816, (0, 0, 2, 2, 10, 10)),
        "sdxl_refiner": (384, 1280, 2560, (0, 0, 4, 4, 4, 4, 0, 0)),
    }[family]
    assert (config.model_channels, config.context_dim, config.adm_in_channels, config.transformer_depth) == expected


def test_v_prediction_markers(tiny_state_dicts: dict[str, dict[str, Any]]) -> None:
    # SDXL: a v_pred key (ComfyUI's marker); SD1.x ignores it, as ComfyUI does
    sdxl = dict(tiny_state_dicts["sdxl"], v_pred=torch.tensor([]))
    assert detect(sdxl).prediction == "v"
    assert detect(dict(tiny_state_dicts["sd15"], v_pred=torch.tensor([]))).prediction == "eps"
    with pytest.raises(UnsupportedModelError, match="EDM noise schedule"):
        detect(dict(tiny_state_dicts["sdxl"], edm_mean=torch.zeros(1, 4, 1, 1), edm_std=torch.ones(1, 4, 1, 1)))
    # SD2: the spread of output block 11's norm bias decides
    sd2 = dict(tiny_state_dicts["sd2"])
    key = "model.diffusion_model.output_blocks.11.1.transformer_blocks.0.norm1.bias"
    assert float(sd2[key].float().std(unbiased=False)) < 0.09 < float(tiny_state_dicts["sd2-v"][key].float().std(unbiased=False))
    sd2[key] = tiny_state_dicts["sd2-v"][key]
    assert detect(sd2).prediction == "v"


def test_generator_is_seeded_and_its_cli_writes_a_loadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    same = tiny.content_hash(tiny.make_state_dict("sd15", seed=3))
    assert same == tiny.content_hash(tiny.make_state_dict("sd15", seed=3))
    assert same != tiny.content_hash(tiny.make_state_dict("sd15", seed=4))
    out = tmp_path / "cli.safetensors"
    assert tiny.main(["sd15", str(out), "--seed", "3"]) == 0
    assert f"content_sha256 {same}" in capsys.readouterr().out
    assert out.stat().st_size < 10_000_000
    with pytest.raises(SystemExit):
        tiny.main(["sd9", str(out)])
    with pytest.raises(ValueError, match="unknown scale"):
        tiny.recipe("sd15", "huge")


def test_ckpt_files_load_with_weights_only(tmp_path: Path, tiny_state_dicts: dict[str, dict[str, Any]]) -> None:
    sd = tiny_state_dicts["sd2-v"]
    torch.save({"state_dict": sd, "global_step": 1}, tmp_path / "model.ckpt")
    loaded = load_checkpoint(tmp_path / "model.ckpt", device=CPU)
    assert loaded.family.name == "sd2" and loaded.model.model_sampling.prediction == "v"
    unet = loaded.model.diffusion_model.state_dict()
    assert torch.equal(unet["out.2.weight"], sd["model.diffusion_model.out.2.weight"].float())
    # a pickle with code in it is refused (weights_only)
    torch.save({"state_dict": sd, "bad": Path("x")}, tmp_path / "bad.ckpt")
    with pytest.raises(Exception, match="[Ww]eights only"):
        load_checkpoint(tmp_path / "bad.ckpt", device=CPU)


# --- text-to-image through the engine ------------------------------------------------------------


def _workflow(encode_positive: dict[str, Any], changed: tuple[str, Any]) -> dict[str, Any]:
    """Checkpoint → two positive prompts (as given, and with one input changed) → KSampler each
    (same seed) → VAEDecode → SaveImage: two PNGs from one run."""
    other = json.loads(json.dumps(encode_positive))
    other["inputs"][changed[0]] = changed[1]
    prompt: dict[str, Any] = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny.safetensors"}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["1", 1], "text": "blurry"}},
        "4": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
    }
    for n, encode in ((10, encode_positive), (20, other)):
        prompt[f"{n}"] = encode
        prompt[f"{n + 1}"] = {
            "class_type": "KSampler",
            "inputs": {
                "model": ["1", 0], "seed": 5, "steps": 2, "cfg": 6.0, "sampler_name": "euler", "scheduler": "normal",
                "positive": [f"{n}", 0], "negative": ["3", 0], "latent_image": ["4", 0], "denoise": 1.0,
            },
        }  # fmt: skip
        prompt[f"{n + 2}"] = {"class_type": "VAEDecode", "inputs": {"samples": [f"{n + 1}", 0], "vae": ["1", 2]}}
        prompt[f"{n + 3}"] = {"class_type": "SaveImage", "inputs": {"images": [f"{n + 2}", 0], "filename_prefix": f"tiny{n}"}}
    return prompt


def _run(workspace: Path, prompt: dict[str, Any]) -> list[Any]:
    """The pixels of the two saved PNGs."""
    import numpy as np
    from comfy.execution import PromptExecutor
    from comfy.nodes.registry import load_registry
    from PIL import Image

    registry = load_registry()
    if not {"EmptyLatentImage", "SaveImage"} <= set(registry):
        pytest.skip("comfy-nodes-base does not provide EmptyLatentImage / SaveImage")
    executor = PromptExecutor(registry, raise_exceptions=True)
    try:
        outputs = executor.execute(prompt, "tiny")
    finally:
        executor.close()
    pixels = []
    for node in ("13", "23"):
        saved = outputs[node]["images"][0]
        with Image.open(workspace / "output" / saved["subfolder"] / saved["filename"]) as image:
            assert image.format == "PNG"
            pixels.append(np.asarray(image.convert("RGB")))
    return pixels


SDXL_ENCODE = {
    "class_type": "CLIPTextEncodeSDXL",
    "inputs": {
        "clip": ["1", 1], "width": 64, "height": 64, "crop_w": 0, "crop_h": 0, "target_width": 64, "target_height": 64,
        "text_g": "a photo of a cat", "text_l": "a cat, " * 40,
    },
}  # fmt: skip
REFINER_ENCODE = {
    "class_type": "CLIPTextEncodeSDXLRefiner",
    "inputs": {"clip": ["1", 1], "ascore": 6.0, "width": 64, "height": 64, "text": "a photo of a cat"},
}
PLAIN_ENCODE = {"class_type": "CLIPTextEncode", "inputs": {"clip": ["1", 1], "text": "a photo of a cat"}}


@pytest.mark.parametrize(
    ("family", "encode", "changed"),
    [
        ("sdxl", SDXL_ENCODE, ("crop_w", 32)),
        ("sdxl_refiner", REFINER_ENCODE, ("ascore", 2.5)),
        ("sd2-v", PLAIN_ENCODE, ("text", "a photo of a dog")),
    ],
)
def test_text_to_image_through_the_engine(
    family: str, encode: dict[str, Any], changed: tuple[str, Any], workspace: Path, tiny_state_dicts: dict[str, dict[str, Any]]
) -> None:
    """A tiny checkpoint of each family in ``models/checkpoints`` makes 64×64 PNGs, and the size /
    crop / aesthetic-score conditioning reaches the UNet (same seed, one input changed: other pixels)."""
    from comfy.cli_args import use_configuration
    from comfy.cli_args_types import Configuration
    from safetensors.torch import save_file

    (workspace / "models" / "checkpoints").mkdir(parents=True)
    save_file(tiny_state_dicts[family], str(workspace / "models" / "checkpoints" / "tiny.safetensors"))
    with use_configuration(Configuration(cpu=True)):
        first, different = _run(workspace, _workflow(encode, changed))
    assert first.shape == different.shape == (64, 64, 3) and first.std() > 0
    assert (first != different).any()

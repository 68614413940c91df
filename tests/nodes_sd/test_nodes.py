"""The SD node classes: ComfyUI's contracts, registration, lazy torch, and behaviour on the tiny checkpoint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import comfy_nodes_sd
from comfy_nodes_sd.sampling.samplers import SAMPLERS
from comfy_nodes_sd.sampling.schedulers import SCHEDULERS

NODES: dict[str, Any] = comfy_nodes_sd.NODE_CLASS_MAPPINGS

CONTRACTS = [
    # class_type, required inputs in order, RETURN_TYPES, FUNCTION, CATEGORY, display name
    ("CheckpointLoaderSimple", ["ckpt_name"], ("MODEL", "CLIP", "VAE"), "load_checkpoint", "loaders", "Load Checkpoint"),
    ("CLIPTextEncode", ["text", "clip"], ("CONDITIONING",), "encode", "conditioning", "CLIP Text Encode (Prompt)"),
    (
        "KSampler",
        ["model", "seed", "steps", "cfg", "sampler_name", "scheduler", "positive", "negative", "latent_image", "denoise"],
        ("LATENT",),
        "sample",
        "sampling",
        "KSampler",
    ),
    ("VAEDecode", ["samples", "vae"], ("IMAGE",), "decode", "latent", "VAE Decode"),
    ("VAEEncode", ["pixels", "vae"], ("LATENT",), "encode", "latent", "VAE Encode"),
]


@pytest.mark.parametrize(("class_type", "inputs", "returns", "function", "category", "display"), CONTRACTS)
def test_contract(class_type: str, inputs: list[str], returns: tuple[str, ...], function: str, category: str, display: str) -> None:
    cls = NODES[class_type]
    assert list(cls.INPUT_TYPES()["required"]) == inputs
    assert cls.RETURN_TYPES == returns and cls.FUNCTION == function and cls.CATEGORY == category
    assert comfy_nodes_sd.NODE_DISPLAY_NAME_MAPPINGS[class_type] == display


def test_ksampler_widgets() -> None:
    required = NODES["KSampler"].INPUT_TYPES()["required"]
    assert required["seed"][1]["max"] == 0xFFFFFFFFFFFFFFFF and required["steps"][1]["default"] == 20
    assert required["cfg"][1]["default"] == 8.0 and required["denoise"][1]["default"] == 1.0
    assert required["sampler_name"][0] == list(SAMPLERS) and required["scheduler"][0] == list(SCHEDULERS)


def test_checkpoint_combo_lists_the_checkpoints_folder(tmp_path: Path) -> None:
    from comfy import folder_paths

    (tmp_path / "models" / "checkpoints" / "sub").mkdir(parents=True)
    for name in ("b.safetensors", "sub/a.ckpt", "notes.txt"):
        (tmp_path / "models" / "checkpoints" / name).write_bytes(b"")
    with folder_paths.use_folder_paths(folder_paths.FolderPaths(str(tmp_path))):
        combo = NODES["CheckpointLoaderSimple"].INPUT_TYPES()["required"]["ckpt_name"][0]
    assert combo == ["b.safetensors", "sub/a.ckpt"]


def test_registered_as_a_plugin() -> None:
    from comfy.nodes.registry import load_registry

    registry = load_registry()
    for class_type in comfy_nodes_sd.NODE_CLASS_MAPPINGS:
        assert registry.get(class_type) is NODES[class_type]


def test_cpu_option() -> None:
    from comfy.cli_args import parse_args
    from comfy.plugins.manager import make_plugin_manager

    config = parse_args(["--cpu"], plugin_manager=make_plugin_manager(), env={}, default_config_files=[], legacy_entry_points=False)
    assert config["cpu"] is True


def test_listing_nodes_does_not_import_torch() -> None:
    code = (
        "import sys, comfy_nodes_sd.plugin as p\n"
        "nodes = p.comfy_register_nodes()\n"
        "[c.INPUT_TYPES() for c in nodes.values()]\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# --- behaviour on the tiny checkpoint ------------------------------------------------------------


def _encode(clip: Any, text: str) -> Any:
    return NODES["CLIPTextEncode"]().encode(clip, text)[0]


@pytest.mark.slow
def test_conditioning_is_comfyui_shaped(loaded_checkpoint: Any) -> None:
    (entry,) = _encode(loaded_checkpoint.clip, "a photo of a cat")
    cond, options = entry
    assert tuple(cond.shape) == (1, 77, 768) and tuple(options["pooled_output"].shape) == (1, 768)
    long = _encode(loaded_checkpoint.clip, " ".join(["cat"] * 80))[0][0]
    assert tuple(long.shape) == (1, 154, 768)


@pytest.mark.slow
def test_weights_scale_from_the_empty_prompt(loaded_checkpoint: Any) -> None:
    import torch

    clip = loaded_checkpoint.clip
    plain = _encode(clip, "a cat")[0][0]
    assert torch.equal(_encode(clip, "a (cat:1.0)")[0][0], plain)
    weighted = _encode(clip, "a (cat:1.5)")[0][0]
    empty = _encode(clip, "")[0][0]
    expected = plain.clone()
    expected[0, 2] = empty[0, 2] + (plain[0, 2] - empty[0, 2]) * 1.5
    assert torch.allclose(weighted, expected, atol=1e-5)
    assert not torch.allclose(weighted[0, 2], plain[0, 2], atol=1e-2)


@pytest.mark.slow
def test_clip_skip_changes_the_layer(loaded_checkpoint: Any) -> None:
    import torch

    clip = loaded_checkpoint.clip.clone()
    last = _encode(clip, "a cat")[0][0]
    clip.clip_layer(-2)
    penultimate = _encode(clip, "a cat")[0][0]
    assert loaded_checkpoint.clip.layer_idx is None
    assert not torch.allclose(last, penultimate)


def _ksample(checkpoint: Any, latent: dict[str, Any], sampler: str, scheduler: str, denoise: float = 1.0, seed: int = 1) -> Any:
    positive = _encode(checkpoint.clip, "a cat")
    negative = _encode(checkpoint.clip, "")
    node = NODES["KSampler"]()
    return node.sample(checkpoint.model, seed, 3, 5.0, sampler, scheduler, positive, negative, latent, denoise)[0]


@pytest.mark.slow
@pytest.mark.parametrize(("sampler", "scheduler"), [("euler_ancestral", "normal"), ("heun", "karras"), ("dpm_2", "exponential")])
def test_other_samplers_run_and_repeat(loaded_checkpoint: Any, sampler: str, scheduler: str) -> None:
    import torch

    latent = {"samples": torch.zeros(1, 4, 8, 8), "batch_index": [0]}
    first = _ksample(loaded_checkpoint, latent, sampler, scheduler)
    second = _ksample(loaded_checkpoint, latent, sampler, scheduler)
    assert first["batch_index"] == [0] and tuple(first["samples"].shape) == (1, 4, 8, 8)
    assert torch.isfinite(first["samples"]).all() and torch.equal(first["samples"], second["samples"])


@pytest.mark.slow
def test_img2img_and_vae_round_trip(loaded_checkpoint: Any) -> None:
    import torch

    vae = loaded_checkpoint.vae
    pixels = torch.rand(1, 66, 70, 4, generator=torch.Generator().manual_seed(0))
    latent = NODES["VAEEncode"]().encode(vae, pixels)[0]
    assert tuple(latent["samples"].shape) == (1, 4, 8, 8)  # cropped to 64 × 64 first
    image = NODES["VAEDecode"]().decode(vae, latent)[0]
    assert tuple(image.shape) == (1, 64, 64, 3) and float(image.min()) >= 0.0 and float(image.max()) <= 1.0
    zero = _ksample(loaded_checkpoint, latent, "euler", "normal", denoise=0.0)
    assert torch.equal(zero["samples"], latent["samples"])
    partial = _ksample(loaded_checkpoint, latent, "euler", "normal", denoise=0.3)
    assert torch.isfinite(partial["samples"]).all() and not torch.equal(partial["samples"], latent["samples"])

"""LoRA: key formats (kohya, LDM, diffusers/PEFT), the weights they produce, strengths, clone isolation,
and the ``LoraLoader`` / ``LoraLoaderModelOnly`` nodes, with real ``.safetensors`` files written here.

The models are shrunk SD1.x-layout networks with seeded random weights (our own modules, so the
parameter names are the checkpoint's).
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

from comfy_nodes_sd import lora as lora_mod
from comfy_nodes_sd.nodes.lora import LoraLoader, LoraLoaderModelOnly

RANK = 4


def randomize(module: Any, seed: int) -> Any:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    return module.eval().requires_grad_(False)


def tiny_model_and_clip() -> tuple[Any, Any]:
    """A new shrunk SD1.x UNet (2 levels, attention everywhere) and 2-layer CLIP-L-layout text model,
    always with the same weights (copies of networks built once)."""
    from comfy_nodes_sd.families import SD15
    from comfy_nodes_sd.model import DiffusionModel
    from comfy_nodes_sd.sampling.model_sampling import DiscreteSchedule
    from comfy_nodes_sd.text_encoder import ClipTextEncoder, TextEncoder

    unet, text_model = (copy.deepcopy(m) for m in _pristine_networks())
    schedule = DiscreteSchedule(SD15.linear_start, SD15.linear_end, SD15.timesteps, SD15.prediction)
    model = DiffusionModel(unet, schedule, SD15, torch.device("cpu"), torch.float32)
    clip = ClipTextEncoder([TextEncoder(SD15.text_encoders[0], text_model)], torch.device("cpu"))
    return model, clip


@functools.cache
def _pristine_networks() -> tuple[Any, Any]:
    from comfy_nodes_sd.families import SD15
    from comfy_nodes_sd.models.clip import ClipTextConfig, ClipTextModel
    from comfy_nodes_sd.models.unet import UNetConfig, UNetModel

    config = UNetConfig(
        in_channels=4, out_channels=4, model_channels=32, channel_mult=(1, 2), num_res_blocks=(1, 1),
        transformer_depth=(1, 1), transformer_depth_middle=1, transformer_depth_output=(1, 1, 1, 1),
        context_dim=32, use_linear_in_transformer=False, num_heads=2,
    )  # fmt: skip
    assert SD15.text_encoders
    unet = randomize(UNetModel(config), 0)
    text_model = randomize(ClipTextModel(ClipTextConfig(width=32, layers=2, heads=2, intermediate=64)), 1)
    return unet, text_model


# (LoRA layer name in the kohya dialect, the same layer in LDM/PEFT naming, our parameter)
UNET_LAYERS = [
    # 1x1 conv (proj_in of a spatial transformer), named the diffusers way as kohya's SD1.x files do
    ("lora_unet_down_blocks_0_attentions_0_proj_in", "diffusion_model.input_blocks.1.1.proj_in", "input_blocks.1.1.proj_in.weight"),
    # linear cross-attention key
    (
        "lora_unet_up_blocks_1_attentions_1_transformer_blocks_0_attn2_to_k",
        "diffusion_model.output_blocks.3.1.transformer_blocks.0.attn2.to_k",
        "output_blocks.3.1.transformer_blocks.0.attn2.to_k.weight",
    ),
    # LoCon: a 3x3 conv of a residual block
    ("lora_unet_mid_block_resnets_0_conv1", "diffusion_model.middle_block.0.in_layers.2", "middle_block.0.in_layers.2.weight"),
    # LDM-named kohya key
    ("lora_unet_input_blocks_3_0_emb_layers_1", "diffusion_model.input_blocks.3.0.emb_layers.1", "input_blocks.3.0.emb_layers.1.weight"),
]
CLIP_LAYERS = [
    ("lora_te_text_model_encoder_layers_0_self_attn_q_proj", "text_model.encoder.layers.0.self_attn.q_proj.weight"),
    ("lora_te_text_model_encoder_layers_1_mlp_fc2", "text_model.encoder.layers.1.mlp.fc2.weight"),
]


def _pair(weight: Any, seed: int) -> tuple[Any, Any]:
    g = torch.Generator().manual_seed(seed)
    out_ch, in_ch = weight.shape[0], weight.shape[1]
    kernel = tuple(weight.shape[2:])
    down = torch.randn((RANK, in_ch, *kernel), generator=g) * 0.5
    up = torch.randn((out_ch, RANK, *([1] * len(kernel))), generator=g) * 0.5
    return up, down


def make_lora(model: Any, clip: Any, fmt: str, alpha: float = 2.0) -> tuple[dict[str, Any], dict[str, tuple[str, Any]]]:
    """A LoRA state dict in ``fmt`` ("kohya" or "ldm") and the expected change per (part, parameter)."""
    unet = dict(model.diffusion_model.named_parameters())
    text = dict(clip.encoders[0].model.named_parameters())
    sd: dict[str, Any] = {}
    expected: dict[str, tuple[str, Any]] = {}
    for i, (kohya, ldm, param) in enumerate(UNET_LAYERS):
        up, down = _pair(unet[param], i)
        if fmt == "kohya":
            sd[f"{kohya}.lora_up.weight"], sd[f"{kohya}.lora_down.weight"] = up, down
            sd[f"{kohya}.alpha"] = torch.tensor(alpha)
            scale = alpha / RANK
        else:  # PEFT names below the LDM module path, no alpha (scale 1)
            sd[f"{ldm}.lora_B.weight"], sd[f"{ldm}.lora_A.weight"] = up, down
            scale = 1.0
        expected[param] = ("unet", scale * (up.flatten(1) @ down.flatten(1)).reshape(unet[param].shape))
    for j, (kohya, param) in enumerate(CLIP_LAYERS):
        up, down = _pair(text[param], 100 + j)
        if fmt == "kohya":
            sd[f"{kohya}.lora_up.weight"], sd[f"{kohya}.lora_down.weight"] = up, down
            sd[f"{kohya}.alpha"] = torch.tensor(alpha)
            scale = alpha / RANK
        else:
            name = "cond_stage_model.transformer." + param[: -len(".weight")]
            sd[f"{name}.lora.up.weight"], sd[f"{name}.lora.down.weight"] = up, down
            scale = 1.0
        expected[param] = ("clip", scale * (up @ down))
    return {k: v.contiguous() for k, v in sd.items()}, expected


@pytest.fixture
def loras_workspace(tmp_path: Path) -> Iterator[Path]:
    from comfy import folder_paths

    (tmp_path / "models" / "loras").mkdir(parents=True)
    with folder_paths.use_folder_paths(folder_paths.FolderPaths(str(tmp_path))):
        yield tmp_path / "models" / "loras"


def unet_out(model: Any) -> Any:
    g = torch.Generator().manual_seed(7)
    x = torch.randn((1, 4, 8, 8), generator=g)
    context = torch.randn((1, 5, 32), generator=g)
    return model.apply_model(x, torch.tensor([3.0]), context)


def clip_out(clip: Any) -> Any:
    return clip.encode_from_tokens(clip.tokenize("a photo of a cat"))


def with_changes(model: Any, clip: Any, expected: dict[str, tuple[str, Any]], strength_model: float, strength_clip: float) -> tuple[Any, Any]:
    """New networks equal to the tiny ones, with the expected changes written into their weights."""
    model2, clip2 = tiny_model_and_clip()
    unet, text = dict(model2.diffusion_model.named_parameters()), dict(clip2.encoders[0].model.named_parameters())
    with torch.no_grad():
        for param, (part, delta) in expected.items():
            if part == "unet":
                unet[param] += strength_model * delta
            else:
                text[param] += (strength_clip * delta).to(text[param].dtype)
    return model2, clip2


@pytest.mark.parametrize("fmt", ["kohya", "ldm"])
def test_lora_changes_exactly_the_named_weights(fmt: str, loras_workspace: Path, caplog: pytest.LogCaptureFixture) -> None:
    model, clip = tiny_model_and_clip()
    sd, expected = make_lora(model, clip, fmt)
    safetensors_torch.save_file(sd, str(loras_workspace / f"{fmt}.safetensors"))
    base_unet, base_clip = unet_out(model), clip_out(clip)

    with caplog.at_level(logging.WARNING):
        new_model, new_clip = LoraLoader().load_lora(model, clip, f"{fmt}.safetensors", 0.8, 1.5)
    assert not [r for r in caplog.records if "lora key not loaded" in r.message]
    assert sorted(new_model.patches.keys()) == sorted(p for p, (part, _) in expected.items() if part == "unet")

    reference_model, reference_clip = with_changes(model, clip, expected, 0.8, 1.5)
    lora_unet, lora_clip = unet_out(new_model), clip_out(new_clip)
    torch.testing.assert_close(lora_unet, unet_out(reference_model), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(lora_clip, clip_out(reference_clip), rtol=1e-3, atol=1e-3)
    assert (lora_unet - base_unet).abs().max() > 1e-3
    assert (lora_clip - base_clip).abs().max() > 1e-3

    # the inputs still compute as before, whichever ran last, and the LoRA clone again with its LoRA
    assert torch.equal(unet_out(model), base_unet) and torch.equal(clip_out(clip), base_clip)
    assert torch.equal(unet_out(new_model), lora_unet) and torch.equal(clip_out(new_clip), lora_clip)
    assert torch.equal(unet_out(model.clone()), base_unet)


def test_kohya_and_ldm_names_reach_the_same_parameters() -> None:
    model, clip = tiny_model_and_clip()
    keys = lora_mod.unet_key_map(model.diffusion_model)
    for kohya, ldm, param in UNET_LAYERS:
        assert keys[kohya] == keys[ldm] == keys["model." + ldm] == param
    assert keys["unet.up_blocks.1.attentions.1.transformer_blocks.0.attn2.processor.to_k"] == UNET_LAYERS[1][2]
    te = lora_mod.clip_key_map(clip)
    assert te["lora_te1_text_model_encoder_layers_0_self_attn_q_proj"] == (0, CLIP_LAYERS[0][1])
    assert te["text_encoder.text_model.encoder.layers.0.self_attn.q_proj"] == (0, CLIP_LAYERS[0][1])


def test_strength_zero_is_the_identity(loras_workspace: Path) -> None:
    model, clip = tiny_model_and_clip()
    sd, _ = make_lora(model, clip, "kohya")
    safetensors_torch.save_file(sd, str(loras_workspace / "a.safetensors"))
    same_model, same_clip = LoraLoader().load_lora(model, clip, "a.safetensors", 0.0, 0.0)
    assert same_model is model and same_clip is clip
    only_clip_model, only_clip = LoraLoader().load_lora(model, clip, "a.safetensors", 0.0, 1.0)
    assert torch.equal(unet_out(only_clip_model), unet_out(model))
    assert not torch.equal(clip_out(only_clip), clip_out(clip))


def test_model_only_variant_and_stacking(loras_workspace: Path) -> None:
    model, clip = tiny_model_and_clip()
    sd, expected = make_lora(model, clip, "kohya")
    safetensors_torch.save_file(sd, str(loras_workspace / "a.safetensors"))
    node = LoraLoaderModelOnly()
    assert list(node.INPUT_TYPES()["required"]) == ["model", "lora_name", "strength_model"]
    (once,) = node.load_lora_model_only(model, "a.safetensors", 0.5)
    (twice,) = node.load_lora_model_only(once, "a.safetensors", 0.5)
    reference, _ = with_changes(model, clip, expected, 1.0, 0.0)
    torch.testing.assert_close(unet_out(twice), unet_out(reference), rtol=1e-4, atol=1e-5)
    half, _ = with_changes(model, clip, expected, 0.5, 0.0)
    torch.testing.assert_close(unet_out(once), unet_out(half), rtol=1e-4, atol=1e-5)
    assert torch.equal(unet_out(model), unet_out(tiny_model_and_clip()[0]))


def test_unknown_keys_are_reported(loras_workspace: Path, caplog: pytest.LogCaptureFixture) -> None:
    model, clip = tiny_model_and_clip()
    sd = {"lora_unet_no_such_layer.lora_up.weight": torch.zeros(4, 4), "lora_unet_no_such_layer.lora_down.weight": torch.zeros(4, 4)}
    safetensors_torch.save_file(sd, str(loras_workspace / "odd.safetensors"))
    with caplog.at_level(logging.WARNING):
        new_model, _ = LoraLoader().load_lora(model, clip, "odd.safetensors", 1.0, 1.0)
    assert "lora key not loaded: lora_unet_no_such_layer.lora_up.weight" in caplog.text
    assert not new_model.patches


def test_dora_renormalises_to_its_scale() -> None:
    weight = torch.randn(6, 5)
    up, down = torch.randn(6, 2), torch.randn(2, 5)
    target = weight + up @ down
    dora_scale = target.norm(dim=0, keepdim=True) * 2.0  # per input channel, DoRA's layout
    adapter = lora_mod.LoraAdapter(up, down, alpha=2.0, dora_scale=dora_scale)
    out = adapter.apply(weight.clone(), 1.0)
    torch.testing.assert_close(out, target * 2.0)


def test_lora_combo_lists_the_loras_folder(loras_workspace: Path) -> None:
    (loras_workspace / "style.safetensors").write_bytes(b"")
    (loras_workspace / "readme.txt").write_bytes(b"")
    required = LoraLoader.INPUT_TYPES()["required"]
    assert list(required) == ["model", "clip", "lora_name", "strength_model", "strength_clip"]
    assert required["lora_name"][0] == ["style.safetensors"]
    assert required["strength_model"][1]["min"] == -100.0 and required["strength_clip"][1]["default"] == 1.0


def test_sdxl_text_encoders_take_te1_and_te2(tmp_path: Path) -> None:
    """SDXL: ``lora_te1_`` patches CLIP-L, ``lora_te2_`` OpenCLIP-G (loaded into the same layout), and
    kohya's SDXL UNet names are LDM names."""
    from comfy_nodes_sd import tiny
    from comfy_nodes_sd.loader import load_checkpoint

    loaded = load_checkpoint(tiny.make_checkpoint("sdxl", tmp_path / "xl.safetensors"), device=torch.device("cpu"))
    model, clip = loaded.model, loaded.clip
    g_param = "text_model.encoder.layers.0.self_attn.q_proj.weight"
    g_weight = dict(clip.encoders[1].model.named_parameters())[g_param]
    unet_param = "input_blocks.3.1.transformer_blocks.0.attn1.to_k.weight"
    unet_weight = dict(model.diffusion_model.named_parameters())[unet_param]
    up, down = _pair(g_weight, 1)
    uup, udown = _pair(unet_weight, 2)
    sd = {
        "lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight": up,
        "lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight": down,
        "lora_unet_input_blocks_3_1_transformer_blocks_0_attn1_to_k.lora_up.weight": uup,
        "lora_unet_input_blocks_3_1_transformer_blocks_0_attn1_to_k.lora_down.weight": udown,
    }
    new_model, new_clip = lora_mod.load_lora_for_models(model, clip, sd, 1.0, 1.0)
    assert new_model.patches.keys() == [unet_param]
    assert new_clip.encoders[0] is clip.encoders[0]
    assert new_clip.encoders[1].model._comfy_patches.keys() == [g_param]
    before, after = clip_out(clip), clip_out(new_clip)
    width_l = clip.encoders[0].width
    assert torch.equal(before[..., :width_l], after[..., :width_l])
    assert not torch.equal(before[..., width_l:], after[..., width_l:])


class CaptureLatent:
    """An output node keeping the latent it receives (by prompt id)."""

    seen: dict[str, Any] = {}
    RETURN_TYPES = ()
    FUNCTION = "capture"
    OUTPUT_NODE = True
    CATEGORY = "testing"

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("LATENT",), "key": ("STRING", {"default": ""})}}

    def capture(self, value: Any, key: str) -> dict[str, Any]:
        CaptureLatent.seen[key] = value["samples"].clone()
        return {"ui": {}}


def test_lora_workflow_through_the_engine_leaves_the_base_model_alone(tmp_path: Path) -> None:
    """CheckpointLoaderSimple → LoraLoader → KSampler in the engine; a later prompt on the base model
    (another executor, the same cached checkpoint) gives the base result again."""
    from comfy import folder_paths
    from comfy.cli_args import use_configuration
    from comfy.cli_args_types import Configuration
    from comfy.execution import PromptExecutor
    from comfy.nodes.registry import load_registry
    from comfy_nodes_sd import tiny

    (tmp_path / "models" / "checkpoints").mkdir(parents=True)
    (tmp_path / "models" / "loras").mkdir(parents=True)
    ckpt = tiny.make_checkpoint("sd15", tmp_path / "models" / "checkpoints" / "t.safetensors")
    from comfy_nodes_sd.loader import load_checkpoint

    unet = dict(load_checkpoint(ckpt, device=torch.device("cpu")).model.diffusion_model.named_parameters())
    name = next(n for n in unet if n.endswith("attn2.to_v.weight"))
    up, down = _pair(unet[name], 3)
    kohya = "lora_unet_" + name[: -len(".weight")].replace(".", "_")
    safetensors_torch.save_file({f"{kohya}.lora_up.weight": up * 4, f"{kohya}.lora_down.weight": down}, str(tmp_path / "models" / "loras" / "l.safetensors"))

    def prompt(model: list[Any], key: str) -> dict[str, Any]:
        return {
            "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "t.safetensors"}},
            "2": {"class_type": "LoraLoader", "inputs": {"model": ["1", 0], "clip": ["1", 1], "lora_name": "l.safetensors", "strength_model": 1.0, "strength_clip": 1.0}},
            "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["1", 1]}},
            "4": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
            "5": {"class_type": "KSampler", "inputs": {"model": model, "positive": ["3", 0], "negative": ["3", 0], "latent_image": ["4", 0], "seed": 3, "steps": 2, "cfg": 1.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0}},
            "6": {"class_type": "TestCaptureLoraLatent", "inputs": {"value": ["5", 0], "key": key}},
        }  # fmt: skip

    registry = load_registry()
    if "EmptyLatentImage" not in registry:
        pytest.skip("comfy-nodes-base is not installed")
    registry.NODE_CLASS_MAPPINGS["TestCaptureLoraLatent"] = CaptureLatent
    with use_configuration(Configuration(cpu=True)), folder_paths.use_folder_paths(folder_paths.FolderPaths(str(tmp_path))):
        for key, model in (("base", ["1", 0]), ("lora", ["2", 0]), ("base again", ["1", 0])):
            executor = PromptExecutor(registry, raise_exceptions=True)
            try:
                executor.execute(prompt(model, key), key)
            finally:
                executor.close()
    seen = CaptureLatent.seen
    assert not torch.equal(seen["base"], seen["lora"])
    assert torch.equal(seen["base"], seen["base again"])


def test_locon_tucker_mid_composes_up_mid_down() -> None:
    """LoCon's Tucker form (``lora_mid``): ΔW[i, j, k, l] = Σ up[i, m]·mid[m, n, k, l]·down[n, j]."""
    g = torch.Generator().manual_seed(4)
    up, mid, down = torch.randn(5, 3, 1, 1, generator=g), torch.randn(3, 3, 3, 3, generator=g), torch.randn(3, 6, 1, 1, generator=g)
    expected = torch.einsum("im,mnkl,nj->ijkl", up[:, :, 0, 0], mid, down[:, :, 0, 0]) * (1.5 / 3)
    weight = torch.zeros(5, 6, 3, 3)
    out = lora_mod.LoraAdapter(up, down, alpha=1.5, mid=mid).apply(weight, 1.0)
    torch.testing.assert_close(out, expected)

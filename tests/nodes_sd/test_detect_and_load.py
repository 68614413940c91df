"""Family detection from tensor shapes, and loading the tiny checkpoint (every key used).

Detection tables use shape-only state dicts (``meta`` tensors, no memory) with the key layout of
real SD1.x, SD2.x, SDXL and SDXL-refiner UNets, full-width and shrunk; the loading tests use the
reference checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from comfy_nodes_sd.detect import UnknownModelError, detect, unet_config_from_state_dict  # noqa: E402

P = "model.diffusion_model."


def unet_shapes(
    mc: int = 320,
    ctx: int = 768,
    mult: tuple[int, ...] = (1, 2, 4, 4),
    res: int = 2,
    depth: tuple[int, ...] = (1, 1, 1, 0),
    mid: int = 1,
    linear: bool = False,
    adm: int | None = None,
    in_ch: int = 4,
) -> dict[str, Any]:
    """The keys and shapes detection reads, for an LDM UNet of the given layout (meta tensors)."""
    sd: dict[str, Any] = {}

    def t(name: str, *shape: int) -> None:
        sd[P + name] = torch.empty(shape, device="meta")

    def resblock(q: str, cin: int, cout: int) -> None:
        t(q + "in_layers.2.weight", cout, cin, 3, 3)
        t(q + "out_layers.3.weight", cout, cout, 3, 3)

    def transformer(q: str, ch: int, n: int) -> None:
        t(q + "proj_in.weight", *((ch, ch) if linear else (ch, ch, 1, 1)))
        for d in range(n):
            t(f"{q}transformer_blocks.{d}.norm1.weight", ch)
            t(f"{q}transformer_blocks.{d}.attn2.to_k.weight", ch, ctx)

    t("input_blocks.0.0.weight", mc, in_ch, 3, 3)
    t("out.2.weight", 4, mc, 3, 3)
    if adm:
        t("label_emb.0.0.weight", mc * 4, adm)
    chans, ch, i = [mc], mc, 1
    for level, m in enumerate(mult):
        for _ in range(res):
            resblock(f"input_blocks.{i}.0.", ch, m * mc)
            ch = m * mc
            if depth[level]:
                transformer(f"input_blocks.{i}.1.", ch, depth[level])
            chans.append(ch)
            i += 1
        if level != len(mult) - 1:
            t(f"input_blocks.{i}.0.op.weight", ch, ch, 3, 3)
            chans.append(ch)
            i += 1
    resblock("middle_block.0.", ch, ch)
    if mid:
        transformer("middle_block.1.", ch, mid)
    i = 0
    for level, m in reversed(list(enumerate(mult))):
        for _ in range(res + 1):
            resblock(f"output_blocks.{i}.0.", ch + chans.pop(), m * mc)
            ch = m * mc
            if depth[level]:
                transformer(f"output_blocks.{i}.1.", ch, depth[level])
            i += 1
    return sd


def test_sd15_layout() -> None:
    detection = detect(unet_shapes())
    config = detection.unet_config
    assert detection.family.name == "sd15"
    assert config.channel_mult == (1, 2, 4, 4) and config.num_res_blocks == (2, 2, 2, 2)
    assert config.transformer_depth == (1, 1, 1, 1, 1, 1, 0, 0)
    assert config.transformer_depth_output == (1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0)
    assert (config.context_dim, config.use_linear_in_transformer, config.num_heads, config.adm_in_channels) == (768, False, 8, None)


DETECTIONS = [
    # layout, expected family name or the error and its message
    (dict(), "sd15"),
    (dict(mult=(1, 1), res=1, depth=(1, 0)), "sd15"),
    (dict(ctx=1024, linear=True), "sd2"),
    (dict(ctx=2048, linear=True, mult=(1, 2, 4), depth=(0, 2, 10), mid=10, adm=2816), "sdxl"),
    (dict(ctx=2048, linear=True, mult=(1, 2, 4), depth=(0, 2, 4), mid=4, adm=2816), "sdxl"),  # SSD-1B
    (dict(mc=384, ctx=1280, linear=True, depth=(0, 4, 4, 0), mid=4, adm=2560), "sdxl_refiner"),
    # shrunk UNets (tiny test checkpoints): matched on structure
    (dict(mc=32, ctx=32, mult=(1, 2), depth=(1, 0)), "sd15"),
    (dict(mc=32, ctx=32, linear=True), "sd2"),
    (dict(mc=32, ctx=64, linear=True, mult=(1, 2), depth=(0, 1), adm=32 + 6 * 256), "sdxl"),
    (dict(mc=32, ctx=32, linear=True, mult=(1, 2), depth=(0, 1), adm=32 + 5 * 256), "sdxl_refiner"),
    # full-width UNets must match ComfyUI's configs exactly
    (dict(ctx=512), (UnknownModelError, "unknown UNet layout")),
    (dict(ctx=768, linear=True), (UnknownModelError, "unknown UNet layout")),
    (dict(ctx=2048, linear=True, mult=(1, 2, 4), depth=(0, 2, 10), mid=10, adm=2560), (UnknownModelError, "unknown UNet layout")),
    (dict(in_ch=9), (UnknownModelError, "unknown UNet layout")),
    (dict(mc=32, ctx=32, in_ch=9), (UnknownModelError, "in_channels 9")),
]


@pytest.mark.parametrize(("layout", "expected"), DETECTIONS)
def test_detection(layout: dict[str, Any], expected: Any) -> None:
    sd = unet_shapes(**layout)
    if isinstance(expected, str):
        assert detect(sd).family.name == expected
    else:
        error, message = expected
        with pytest.raises(error, match=message):
            detect(sd)


def test_no_unet() -> None:
    with pytest.raises(UnknownModelError, match="no UNet"):
        detect({"first_stage_model.decoder.conv_in.weight": torch.empty(4, device="meta")})


def test_sdxl_layout_is_read_from_shapes() -> None:
    config = unet_config_from_state_dict(unet_shapes(ctx=2048, linear=True, mult=(1, 2, 4), depth=(0, 2, 10), mid=10, adm=2816))
    assert config.transformer_depth == (0, 0, 2, 2, 10, 10)
    assert config.transformer_depth_output == (0, 0, 0, 2, 2, 2, 10, 10, 10)
    assert (config.transformer_depth_middle, config.use_linear_in_transformer, config.adm_in_channels) == (10, True, 2816)


# --- the reference checkpoint --------------------------------------------------------------------


@pytest.mark.slow
def test_tiny_checkpoint_is_detected_as_comfyui_does(loaded_checkpoint: Any) -> None:
    config = loaded_checkpoint.unet_config
    assert loaded_checkpoint.family.name == "sd15"
    # the unet config ComfyUI reports for this file (reference README)
    assert config.model_channels == 320 and config.num_res_blocks == (1, 1) and config.channel_mult == (1, 1)
    assert config.transformer_depth == (1, 0) and config.transformer_depth_output == (1, 1, 0, 0)
    assert config.transformer_depth_middle == 1 and config.context_dim == 768
    assert not config.use_linear_in_transformer and config.num_heads == 8


@pytest.mark.slow
def test_loading_uses_every_key(loaded_checkpoint: Any, tiny_checkpoint: Path) -> None:
    from safetensors import safe_open

    with safe_open(str(tiny_checkpoint), framework="pt") as f:
        keys = set(f.keys())
    assert len(keys) == 650
    assert loaded_checkpoint.used_keys == keys
    assert loaded_checkpoint.unused_keys == []


@pytest.mark.slow
def test_parts_dtypes_and_sizes(loaded_checkpoint: Any) -> None:
    def params(module: Any) -> int:
        return sum(p.numel() for p in module.parameters())

    unet = loaded_checkpoint.model.diffusion_model
    clip = loaded_checkpoint.clip.encoders[0].model
    vae = loaded_checkpoint.vae.first_stage_model
    # parameter counts of the reference README
    assert (params(unet), params(clip), params(vae)) == (36_653_124, 123_060_480, 83_653_863)
    # ComfyUI on a CPU: UNet and VAE fp32; the text encoder stored in fp16
    assert {p.dtype for p in unet.parameters()} == {torch.float32}
    assert {p.dtype for p in vae.parameters()} == {torch.float32}
    assert {p.dtype for p in clip.parameters()} == {torch.float16}
    assert clip.config.layers == 12 and clip.config.heads == 12


@pytest.mark.slow
def test_missing_and_extra_keys(tiny_checkpoint: Path) -> None:
    from comfy_nodes_sd.loader import load_checkpoint_state_dict, load_state_dict

    sd = load_state_dict(tiny_checkpoint)
    sd["model_ema.decay"] = torch.tensor(0.9999)
    sd["cond_stage_model.transformer.text_model.embeddings.position_ids"] = torch.arange(77)[None]
    loaded = load_checkpoint_state_dict(sd, device=torch.device("cpu"))
    assert loaded.unused_keys == ["model_ema.decay"]
    del sd["first_stage_model.decoder.conv_out.bias"]
    with pytest.raises(RuntimeError, match="decoder.conv_out.bias"):
        load_checkpoint_state_dict(sd, device=torch.device("cpu"))


@pytest.mark.slow
def test_text_encoder_stored_without_text_model_prefix(tiny_checkpoint: Path, loaded_checkpoint: Any) -> None:
    from comfy_nodes_sd.loader import load_checkpoint_state_dict, load_state_dict

    prefix = "cond_stage_model.transformer.text_model."
    sd = {
        ("cond_stage_model.transformer." + k[len(prefix) :] if k.startswith(prefix) else k): v
        for k, v in load_state_dict(tiny_checkpoint).items()
    }
    loaded = load_checkpoint_state_dict(sd, device=torch.device("cpu"))
    assert loaded.unused_keys == []
    tokens = loaded.clip.tokenize("a photo of a cat")
    assert torch.equal(loaded.clip.encode_from_tokens(tokens), loaded_checkpoint.clip.encode_from_tokens(tokens))

"""VAE nodes: tiled decode/encode (ComfyUI's feathered blending of three tilings) and VAEEncodeForInpaint
(cropping to multiples of 8, grey masked pixels, the grown ``noise_mask``)."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

import comfy_nodes_sd
from comfy_nodes_sd.autoencoder import tiled_scale, tiled_scale_steps
from comfy_nodes_sd.nodes.vae import VAEDecodeTiled, VAEEncodeForInpaint, VAEEncodeTiled


@pytest.fixture(scope="module")
def vae(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The VAE of a tiny random-weight SD1.5 checkpoint (real key layout, 32 channels)."""
    from comfy_nodes_sd import tiny
    from comfy_nodes_sd.loader import load_checkpoint

    path = tiny.make_checkpoint("sd15", tmp_path_factory.mktemp("vae") / "tiny.safetensors")
    return load_checkpoint(path, device=torch.device("cpu")).vae


CONTRACTS = [
    ("VAEDecodeTiled", ["samples", "vae", "tile_size", "overlap", "temporal_size", "temporal_overlap"], ("IMAGE",), "decode", "_for_testing", "VAE Decode (Tiled)"),
    ("VAEEncodeTiled", ["pixels", "vae", "tile_size", "overlap", "temporal_size", "temporal_overlap"], ("LATENT",), "encode", "_for_testing", "VAE Encode (Tiled)"),
    ("VAEEncodeForInpaint", ["pixels", "vae", "mask", "grow_mask_by"], ("LATENT",), "encode", "latent/inpaint", "VAE Encode (for Inpainting)"),
]  # fmt: skip


@pytest.mark.parametrize(("class_type", "inputs", "returns", "function", "category", "display"), CONTRACTS)
def test_contract(class_type: str, inputs: list[str], returns: tuple[str, ...], function: str, category: str, display: str) -> None:
    cls = comfy_nodes_sd.NODE_CLASS_MAPPINGS[class_type]
    required = cls.INPUT_TYPES()["required"]
    assert list(required) == inputs
    assert (cls.RETURN_TYPES, cls.FUNCTION, cls.CATEGORY) == (returns, function, category)
    assert comfy_nodes_sd.NODE_DISPLAY_NAME_MAPPINGS[class_type] == display
    if "tile_size" in required:
        assert required["tile_size"][1]["default"] == 512 and required["overlap"][1]["default"] == 64
        assert required["temporal_size"][1]["default"] == 64 and required["temporal_overlap"][1]["default"] == 8


@pytest.mark.parametrize(
    ("shape", "tile", "overlap", "scale", "function"),
    [
        ((2, 4, 11, 14), (6, 8), 2, 8, lambda x: torch.nn.functional.interpolate(x[:, :3] * 2.0 - 1.0, scale_factor=8, mode="nearest")),
        ((1, 3, 72, 104), (32, 48), 16, 1 / 8, lambda x: torch.nn.functional.avg_pool2d(x.repeat(1, 2, 1, 1)[:, :4], 8)),
    ],
    ids=["upscale", "downscale"],
)
def test_tiled_scale_blends_local_functions_exactly(shape: tuple[int, ...], tile: tuple[int, int], overlap: int, scale: float, function: Any) -> None:
    """For a function without context across tiles the feathered blend reproduces the whole result."""
    x = torch.rand(shape, generator=torch.Generator().manual_seed(0))
    calls: list[int] = []
    out = tiled_scale(x, function, tile, overlap, scale, out_channels=function(x[:1]).shape[1], on_tile=lambda: calls.append(1))
    torch.testing.assert_close(out, function(x).float(), rtol=1e-5, atol=1e-5)
    assert len(calls) == shape[0] * tiled_scale_steps(shape[2], shape[3], tile[0], tile[1], overlap) > shape[0]


def test_decode_tiled_approximates_decode(vae: Any) -> None:
    z, other = (torch.randn((1, 4, 8, 8), generator=torch.Generator().manual_seed(s)) for s in (1, 5))
    whole = vae.decode(z)
    (tiled,) = VAEDecodeTiled().decode(vae, {"samples": z}, tile_size=48, overlap=16)
    assert tiled.shape == whole.shape == (1, 64, 64, 3)
    assert tiled.min() >= 0 and tiled.max() <= 1
    # Random weights, global attention and per-tile GroupNorm statistics: close, not equal (the
    # blending itself is exact, see above). Measured: error 0.12 against 0.29 to an unrelated image.
    err = (tiled - whole).abs().mean()
    assert 0 < err < 0.6 * (vae.decode(other) - whole).abs().mean()
    assert torch.corrcoef(torch.stack([tiled.flatten(), whole.flatten()]))[0, 1] > 0.7


def test_encode_tiled_approximates_encode(vae: Any) -> None:
    pixels, other = (torch.rand((1, 96, 96, 3), generator=torch.Generator().manual_seed(s)) for s in (2, 3))
    whole = vae.encode(pixels)
    (latent,) = VAEEncodeTiled().encode(vae, pixels, tile_size=64, overlap=32)  # overlap capped to 16
    tiled = latent["samples"]
    assert tiled.shape == whole.shape == (1, 4, 12, 12)
    # measured: error 0.17 against 0.75 to an unrelated image's latent, correlation 0.94
    assert (tiled - whole).abs().mean() < 0.5 * (vae.encode(other) - whole).abs().mean()
    assert torch.corrcoef(torch.stack([tiled.flatten(), whole.flatten()]))[0, 1] > 0.85


class RecordingVAE:
    """The tiny VAE, recording the pixels it is asked to encode."""

    def __init__(self, vae: Any) -> None:
        self.vae = vae
        self.seen: list[Any] = []

    def encode(self, pixels: Any) -> Any:
        self.seen.append(pixels.clone())
        return self.vae.encode(pixels)

    def spacial_compression_encode(self) -> int:
        return self.vae.spacial_compression_encode()


@pytest.mark.parametrize("grow", [0, 6])
def test_encode_for_inpaint(vae: Any, grow: int) -> None:
    height, width = 70, 67  # cropped (centred) to 64 x 64: offsets 3 and 1
    pixels = torch.rand((1, height, width, 3), generator=torch.Generator().manual_seed(3))
    mask = torch.zeros((1, height, width))
    mask[0, 23:33, 21:31] = 1.0  # rows 20..29, columns 20..29 after the crop
    original = pixels.clone()
    recorder = RecordingVAE(vae)
    (latent,) = VAEEncodeForInpaint().encode(recorder, pixels, mask, grow_mask_by=grow)
    assert torch.equal(pixels, original)  # the input is not modified

    assert latent["samples"].shape == (1, 4, 8, 8)
    noise_mask = latent["noise_mask"]
    assert noise_mask.shape == (1, 1, 64, 64)
    rows = cols = (18, 32) if grow == 6 else (20, 29)  # a 6x6 dilation, padding 3: 2 before, 3 after
    expected = torch.zeros((64, 64))
    expected[rows[0] : rows[1] + 1, cols[0] : cols[1] + 1] = 1.0
    assert torch.equal(noise_mask[0, 0], expected)

    (seen,) = recorder.seen
    crop = pixels[:, 3:67, 1:65, :]
    inside = torch.zeros((64, 64), dtype=torch.bool)
    inside[20:30, 20:30] = True
    assert torch.all(seen[0][inside] == 0.5)
    torch.testing.assert_close(seen[0][~inside], crop[0][~inside])


def test_vae_encode_for_inpaint_is_usable_by_ksampler_masks(vae: Any) -> None:
    """The noise mask has ComfyUI's [B, 1, H, W] pixel layout, which the sampler resizes to the latent."""
    from comfy_nodes_sd.sampling.ksampler import prepare_mask

    pixels = torch.rand((1, 64, 64, 3))
    mask = torch.zeros((64, 64))
    mask[:32] = 1.0
    (latent,) = VAEEncodeForInpaint().encode(vae, pixels, mask, grow_mask_by=0)
    resized = prepare_mask(latent["noise_mask"], latent["samples"].shape, "cpu")
    assert resized.shape == (1, 4, 8, 8)
    assert torch.all(resized[:, :, :3] == 1) and torch.all(resized[:, :, 5:] == 0)


def test_tile_overlap_is_capped_to_a_quarter_of_the_tile(vae: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def record(samples: Any, tile_x: int, tile_y: int, overlap: int) -> Any:
        seen.update(tile_x=tile_x, tile_y=tile_y, overlap=overlap)
        return torch.zeros((1, 8, 8, 3))

    monkeypatch.setattr(vae, "decode_tiled", record)
    VAEDecodeTiled().decode(vae, {"samples": torch.zeros((1, 4, 1, 1))}, tile_size=256, overlap=128)
    assert seen == {"tile_x": 32, "tile_y": 32, "overlap": 8}

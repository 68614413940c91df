"""Latent previews (latent2rgb frames, none with --preview-method none) and the memory hook."""

from __future__ import annotations

import pytest

from comfy.cli_args import default_configuration, use_configuration
from comfy_nodes_sd.previews import SD1_LATENT_RGB_FACTORS, latent_to_image, make_previewer

torch = pytest.importorskip("torch")


def test_latent_to_image_maps_channels_to_rgb() -> None:
    latent = torch.zeros(2, 4, 3, 5)
    latent[0, 0] = 1.0  # only channel 0 set: RGB = (1 + factors[0]) / 2
    image = latent_to_image(latent)
    assert image.size == (5, 3) and image.mode == "RGB"
    expected = tuple(round((1 + f) / 2 * 255) for f in SD1_LATENT_RGB_FACTORS[0])
    assert image.getpixel((0, 0)) == expected


@pytest.mark.parametrize(("method", "frames"), [("none", False), ("latent2rgb", True), ("auto", True), ("taesd", True)])
def test_preview_method(method: str, frames: bool) -> None:
    config = default_configuration()
    config.preview_method = method
    with use_configuration(config):
        previewer = make_previewer()
    assert (previewer is not None) is frames
    if previewer is not None:
        kind, image, max_size = previewer(torch.zeros(1, 4, 8, 8))
        assert kind == "JPEG" and image.size == (8, 8) and max_size > 0


def test_release_memory_hook_is_registered() -> None:
    from comfy.plugins.manager import make_plugin_manager

    pm = make_plugin_manager()
    names = {impl.plugin_name for impl in pm.hook.comfy_release_memory.get_hookimpls()}
    assert any("sd" in name for name in names), names
    pm.hook.comfy_release_memory()

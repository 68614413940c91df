"""Loader nodes: ComfyUI's contracts, model folders as combo options (also over HTTP ``/object_info``),
and loading the split files of ``comfy_nodes_sd.tiny.make_split_files`` through every loader node
with the same results as the single-file checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import comfy_nodes_sd
import pytest
from comfy_nodes_sd.families import CLIP_TYPES, DUAL_CLIP_TYPES, WEIGHT_DTYPES

NODES: dict[str, Any] = comfy_nodes_sd.NODE_CLASS_MAPPINGS

CONTRACTS = [
    # class_type, required inputs, optional inputs, RETURN_TYPES, FUNCTION, CATEGORY, display name
    ("CheckpointLoaderSimple", ["ckpt_name"], [], ("MODEL", "CLIP", "VAE"), "load_checkpoint", "loaders", "Load Checkpoint"),
    ("UNETLoader", ["unet_name", "weight_dtype"], [], ("MODEL",), "load_unet", "advanced/loaders", "Load Diffusion Model"),
    ("CLIPLoader", ["clip_name", "type"], ["device"], ("CLIP",), "load_clip", "advanced/loaders", "Load CLIP"),
    ("DualCLIPLoader", ["clip_name1", "clip_name2", "type"], ["device"], ("CLIP",), "load_clip", "advanced/loaders", "DualCLIPLoader"),
    ("VAELoader", ["vae_name"], [], ("VAE",), "load_vae", "loaders", "Load VAE"),
    ("CLIPSetLastLayer", ["clip", "stop_at_clip_layer"], [], ("CLIP",), "set_last_layer", "conditioning", "CLIP Set Last Layer"),
]


@pytest.mark.parametrize(("class_type", "required", "optional", "returns", "function", "category", "display"), CONTRACTS)
def test_contract(class_type: str, required: list[str], optional: list[str], returns: tuple[str, ...], function: str, category: str, display: str) -> None:
    cls = NODES[class_type]
    types = cls.INPUT_TYPES()
    assert list(types["required"]) == required and list(types.get("optional", {})) == optional
    assert cls.RETURN_TYPES == returns and cls.FUNCTION == function and cls.CATEGORY == category
    assert comfy_nodes_sd.NODE_DISPLAY_NAME_MAPPINGS[class_type] == display


def test_widget_options_and_defaults() -> None:
    assert NODES["UNETLoader"].INPUT_TYPES()["required"]["weight_dtype"] == (list(WEIGHT_DTYPES),)
    assert WEIGHT_DTYPES == ("default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2")
    clip_types = NODES["CLIPLoader"].INPUT_TYPES()
    assert clip_types["required"]["type"][0][0] == "stable_diffusion" and "sd3" in clip_types["required"]["type"][0]
    assert clip_types["optional"]["device"] == (["default", "cpu"], {"advanced": True})
    assert NODES["DualCLIPLoader"].INPUT_TYPES()["required"]["type"][0] == list(DUAL_CLIP_TYPES)
    assert DUAL_CLIP_TYPES[0] == "sdxl" and CLIP_TYPES[0] == "stable_diffusion"
    last = NODES["CLIPSetLastLayer"].INPUT_TYPES()["required"]["stop_at_clip_layer"]
    assert last == ("INT", {"default": -1, "min": -24, "max": -1, "step": 1})


FOLDERS = [
    # node, input, files placed under models/ (folder/name), expected combo
    ("CheckpointLoaderSimple", "ckpt_name", ["checkpoints/a.safetensors", "checkpoints/sub/b.ckpt"], ["a.safetensors", "sub/b.ckpt"]),
    ("UNETLoader", "unet_name", ["diffusion_models/u1.safetensors", "unet/u2.sft"], ["u1.safetensors", "u2.sft"]),
    ("CLIPLoader", "clip_name", ["text_encoders/clip_l.safetensors", "clip/old.bin", "clip/notes.txt"], ["clip_l.safetensors", "old.bin"]),
    ("DualCLIPLoader", "clip_name2", ["text_encoders/clip_g.safetensors", "clip/clip_l.pt"], ["clip_g.safetensors", "clip_l.pt"]),
    ("VAELoader", "vae_name", ["vae/sdxl_vae.safetensors", "vae/x.pth"], ["sdxl_vae.safetensors", "x.pth"]),
]


def _place(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / "models" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


@pytest.mark.parametrize(("node", "name", "files", "combo"), FOLDERS)
def test_model_folders_are_combo_options(node: str, name: str, files: list[str], combo: list[str], workspace: Path) -> None:
    _place(workspace, files)
    assert NODES[node].INPUT_TYPES()["required"][name][0] == combo


def test_object_info_lists_every_model_folder(tmp_path: Path) -> None:
    """Over HTTP: ``GET /object_info`` of a live server with the installed plugins shows the files of
    each model folder in the loaders' combos."""
    from comfy.nodes.registry import load_registry
    from server_helpers import start_server

    _place(tmp_path, [f for _, _, files, _ in FOLDERS for f in files])
    running = start_server(tmp_path, registry=load_registry())
    try:
        with running.client() as client:
            info = client.get("/object_info").json()
            one = client.get("/object_info/UNETLoader").json()
    finally:
        running.stop()
    for node, name, _, combo in FOLDERS:
        assert set(combo) <= set(info[node]["input"]["required"][name][0]), node
    assert one["UNETLoader"]["input"]["required"]["weight_dtype"][0] == list(WEIGHT_DTYPES)
    assert info["CLIPSetLastLayer"]["input"]["required"]["stop_at_clip_layer"][1]["min"] == -24


# --- loading split files ------------------------------------------------------------------------

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose models/ holds each family's checkpoint and its split files."""
    from comfy_nodes_sd import tiny

    root = tmp_path_factory.mktemp("models_ws")
    for family in ("sd15", "sd2", "sdxl", "sdxl_refiner"):
        tiny.make_split_files(family, root / "models", seed=7, checkpoint=True)
    return root


@pytest.fixture
def models(model_root: Path) -> Iterator[Path]:
    from comfy import folder_paths
    from comfy.cli_args import use_configuration
    from comfy.cli_args_types import Configuration

    with folder_paths.use_folder_paths(folder_paths.FolderPaths(str(model_root))), use_configuration(Configuration(cpu=True)):
        yield model_root


_checkpoints: dict[str, Any] = {}


def _checkpoint(family: str) -> Any:
    if family not in _checkpoints:
        _checkpoints[family] = NODES["CheckpointLoaderSimple"]().load_checkpoint(f"{family}.safetensors")
    return _checkpoints[family]


def _encode(clip: Any, text: str = "a photo of a cat") -> Any:
    return clip.encode_from_tokens(clip.tokenize(text), return_pooled=True)


@pytest.mark.parametrize(
    ("family", "files", "clip_type"),
    [
        ("sd15", ["sd15_clip_l.safetensors"], "stable_diffusion"),
        ("sd2", ["sd2_clip_h.safetensors"], "stable_diffusion"),
        ("sdxl_refiner", ["sdxl_refiner_clip_g.safetensors"], "stable_diffusion"),
        ("sdxl", ["sdxl_clip_l.safetensors", "sdxl_clip_g.safetensors"], "sdxl"),
        ("sdxl", ["sdxl_clip_g.safetensors", "sdxl_clip_l.safetensors"], "sdxl"),
    ],
)
def test_clip_loaders_match_the_checkpoint(models: Path, family: str, files: list[str], clip_type: str) -> None:
    """A stand-alone text encoder (Hugging Face layout) encodes exactly as the checkpoint's (OpenCLIP
    layout for H and G): the key conversion and the per-family settings (layer, padding) agree."""
    if len(files) == 1:
        (clip,) = NODES["CLIPLoader"]().load_clip(files[0], clip_type)
    else:
        (clip,) = NODES["DualCLIPLoader"]().load_clip(files[0], files[1], clip_type, "cpu")
    reference = _checkpoint(family)[1]
    assert [e.spec for e in clip.encoders] == [e.spec for e in reference.encoders]
    assert clip.embedding_directories == [str(models / "models" / "embeddings")]
    cond, pooled = _encode(clip)
    ref_cond, ref_pooled = _encode(reference)
    assert torch.equal(cond, ref_cond) and torch.equal(pooled, ref_pooled)


@pytest.mark.parametrize(
    ("node", "args", "error"),
    [
        ("CLIPLoader", ("sd15_clip_l.safetensors", "sd3"), "type 'sd3' is not supported"),
        ("DualCLIPLoader", ("sdxl_clip_l.safetensors", "sd15_clip_l.safetensors", "sdxl"), "needs a CLIP-L and a CLIP-G"),
        ("DualCLIPLoader", ("sdxl_clip_l.safetensors", "sdxl_clip_g.safetensors", "flux"), "type 'flux' is not supported"),
        ("CLIPLoader", ("sd15_vae.safetensors", "stable_diffusion"), "not found"),
        ("VAELoader", ("missing.safetensors",), "not found"),
        ("UNETLoader", ("sd15_unet.safetensors", "fp4"), "unknown weight_dtype"),
    ],
)
def test_loader_errors(models: Path, node: str, args: tuple[Any, ...], error: str) -> None:
    instance = NODES[node]()
    with pytest.raises((ValueError, FileNotFoundError), match=error):
        getattr(instance, instance.FUNCTION)(*args)


def test_a_vae_file_is_not_a_text_encoder(models: Path) -> None:
    from comfy_nodes_sd.loader import load_text_encoders

    with pytest.raises(ValueError, match="not a CLIP text encoder"):
        load_text_encoders([models / "models" / "vae" / "sd15_vae.safetensors"])


@pytest.mark.parametrize("family", ["sd2", "sdxl"])
def test_unet_loader_matches_the_checkpoint(models: Path, family: str) -> None:
    (model,) = NODES["UNETLoader"]().load_unet(f"{family}_unet.safetensors", "default")
    reference = _checkpoint(family)[0]
    assert model.family is reference.family and model.diffusion_model.config == reference.diffusion_model.config
    x = torch.randn(1, 4, 16, 16, generator=torch.Generator().manual_seed(0))  # SD2's 4 levels: 2×2 at the bottom
    sigma = torch.tensor([3.0])
    context = torch.randn(1, 77, reference.diffusion_model.config.context_dim, generator=torch.Generator().manual_seed(1))
    adm = reference.diffusion_model.config.adm_in_channels
    y = None if adm is None else torch.randn(1, adm, generator=torch.Generator().manual_seed(2))
    assert torch.equal(model.apply_model(x, sigma, context, y), reference.apply_model(x, sigma, context, y))


def test_unet_loader_fp8_weights(models: Path) -> None:
    (model,) = NODES["UNETLoader"]().load_unet("sd15_unet.safetensors", "fp8_e4m3fn")
    weights = model.diffusion_model.state_dict()
    assert weights["input_blocks.0.0.weight"].dtype == torch.float8_e4m3fn and model.dtype == torch.float32
    x, sigma, context = torch.randn(1, 4, 8, 8), torch.tensor([2.0]), torch.randn(1, 77, 32)
    out = model.apply_model(x, sigma, context)
    reference = _checkpoint("sd15")[0].apply_model(x, sigma, context)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    relative = float((out - reference).norm() / reference.norm())
    assert 0.0 < relative < 0.2  # 8-bit weights: close to the 16-bit model, not equal


def test_vae_loader_matches_the_checkpoint(models: Path) -> None:
    (vae,) = NODES["VAELoader"]().load_vae("sdxl_vae.safetensors")
    latent = torch.randn(1, 4, 4, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(vae.decode(latent), _checkpoint("sdxl")[2].decode(latent))


def test_clip_set_last_layer_is_per_clone(models: Path) -> None:
    clip = _checkpoint("sd15")[1]
    (skipped,) = NODES["CLIPSetLastLayer"]().set_last_layer(clip, -2)
    assert skipped is not clip and clip.layer_idx is None and skipped.layer_idx == -2
    assert not torch.equal(_encode(skipped)[0], _encode(clip)[0])

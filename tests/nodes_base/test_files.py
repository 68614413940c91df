"""SaveImage, PreviewImage, LoadImage, LoadImageMask: files, metadata, counters, formats, escapes."""

from __future__ import annotations

import contextvars
import hashlib
import io
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

import comfy_nodes_base
from comfy import folder_paths
from comfy.cli_args import use_configuration
from comfy.cli_args_types import Configuration
from comfy.execution import PromptExecutor
from comfy.nodes.registry import NodeRegistry
from comfy_nodes_base.files import LoadImage, LoadImageMask, PreviewImage, SaveImage


@pytest.fixture
def executor(workspace: Path) -> Iterator[PromptExecutor]:
    ex = PromptExecutor(NodeRegistry(comfy_nodes_base.NODE_CLASS_MAPPINGS, comfy_nodes_base.NODE_DISPLAY_NAME_MAPPINGS))
    yield ex
    ex.close()


def put(folder: Path, name: str, picture: Image.Image, **save_args: Any) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path, **save_args)
    return path


def ramp(width: int, height: int, channels: int = 3) -> torch.Tensor:
    """A [1, H, W, C] image whose 8-bit values survive a PNG round trip exactly."""
    values = (torch.arange(height * width * channels) % 256).reshape(1, height, width, channels)
    return values.float() / 255.0


def png_file_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".png")


# --------------------------------------------------------------------------- SaveImage


def test_save_image_metadata_through_the_executor(executor: PromptExecutor, workspace: Path) -> None:
    put(workspace / "input", "in.png", Image.new("RGB", (5, 4), (10, 20, 30)))
    prompt = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "in.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "meta/run"}},
    }
    workflow = {"nodes": [{"id": 1, "type": "LoadImage"}], "links": [], "version": 0.4}
    outputs = executor.execute(prompt, extra_data={"extra_pnginfo": {"workflow": workflow, "other": [1, 2]}})
    (entry,) = outputs["2"]["images"]
    assert list(entry) == ["abs_path", "filename", "subfolder", "type"]
    assert entry == {
        "abs_path": str(workspace / "output" / "meta" / "run_00001_.png"),
        "filename": "run_00001_.png",
        "subfolder": "meta",
        "type": "output",
    }
    with Image.open(entry["abs_path"]) as saved:
        text = dict(saved.text)  # type: ignore[attr-defined]
        assert saved.size == (5, 4) and saved.mode == "RGB"
        assert saved.getpixel((0, 0)) == (10, 20, 30)
    assert set(text) == {"prompt", "workflow", "other"}
    assert text["prompt"] == json.dumps(prompt)
    assert json.loads(text["workflow"]) == workflow
    assert json.loads(text["other"]) == [1, 2]


@pytest.mark.parametrize(
    ("disable_metadata", "prompt", "extra", "chunks"),
    [
        (False, {"1": {}}, {"workflow": {"a": 1}}, {"prompt": '{"1": {}}', "workflow": '{"a": 1}'}),
        (False, None, {"workflow": {"a": 1}}, {"workflow": '{"a": 1}'}),
        (False, {"1": {}}, None, {"prompt": '{"1": {}}'}),
        (False, None, None, {}),
        (True, {"1": {}}, {"workflow": {"a": 1}}, {}),
    ],
    ids=["prompt-and-workflow", "workflow-only", "prompt-only", "none", "disable-metadata"],
)
def test_save_image_text_chunks(
    workspace: Path, disable_metadata: bool, prompt: Any, extra: Any, chunks: dict[str, str]
) -> None:
    with use_configuration(Configuration(disable_metadata=disable_metadata)):
        result = SaveImage().save_images(ramp(3, 2), "chunks", prompt=prompt, extra_pnginfo=extra)
    with Image.open(result["ui"]["images"][0]["abs_path"]) as saved:
        assert dict(saved.text) == chunks  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("prefix", "batch", "existing", "expected", "subfolder"),
    [
        ("ComfyUI", 1, [], ["ComfyUI_00001_.png"], ""),
        ("ComfyUI", 3, [], ["ComfyUI_00001_.png", "ComfyUI_00002_.png", "ComfyUI_00003_.png"], ""),
        ("ComfyUI", 1, ["ComfyUI_00041_.png", "ComfyUI_00007_.webp"], ["ComfyUI_00042_.png"], ""),
        ("ComfyUI", 1, ["ComfyUIx_00009_.png", "Other_00005_.png"], ["ComfyUI_00001_.png"], ""),
        ("a/b/img", 2, [], ["img_00001_.png", "img_00002_.png"], "a/b"),
        ("b%batch_num%", 2, [], ["b0_00001_.png", "b1_00002_.png"], ""),
        ("size_%width%x%height%", 1, [], ["size_3x2_00001_.png"], ""),
    ],
    ids=["single", "batch", "after-existing", "other-names-ignored", "subfolder", "batch-num", "size-vars"],
)
def test_save_image_names(
    workspace: Path, prefix: str, batch: int, existing: list[str], expected: list[str], subfolder: str
) -> None:
    output = workspace / "output"
    for name in existing:
        put(output, name, Image.new("RGB", (1, 1)))
    result = SaveImage().save_images(ramp(3, 2).repeat(batch, 1, 1, 1), prefix)
    entries = result["ui"]["images"]
    assert [e["filename"] for e in entries] == expected
    assert {e["subfolder"] for e in entries} == {subfolder}
    for entry in entries:
        path = Path(entry["abs_path"])
        assert path == output / subfolder / entry["filename"]
        with Image.open(path) as saved:
            assert np.array_equal(np.array(saved), (ramp(3, 2)[0].numpy() * 255).round().astype(np.uint8))


@pytest.mark.parametrize(
    ("channels", "mode"),
    [(1, "L"), (3, "RGB"), (4, "RGBA")],
)
def test_save_image_channel_counts(workspace: Path, channels: int, mode: str) -> None:
    image = ramp(4, 3, channels)
    (entry,) = SaveImage().save_images(image, "ch")["ui"]["images"]
    with Image.open(entry["abs_path"]) as saved:
        assert saved.mode == mode
        pixels = np.array(saved).reshape(3, 4, channels)
    assert np.array_equal(pixels, (image[0].numpy() * 255).round().astype(np.uint8))


@pytest.mark.parametrize("prefix", ["../escape", "sub/../../escape", "/tmp/abs/escape"])
def test_save_image_prefix_cannot_leave_the_output_folder(workspace: Path, prefix: str) -> None:
    with pytest.raises(ValueError, match="outside the output folder"):
        SaveImage().save_images(ramp(2, 2), prefix)


def test_save_image_prefix_cannot_leave_through_a_symlink(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (workspace / "output").mkdir()
    os.symlink(elsewhere, workspace / "output" / "linked")
    with pytest.raises(ValueError, match="outside the output folder"):
        SaveImage().save_images(ramp(2, 2), "linked/img")
    assert list(elsewhere.iterdir()) == []


def test_save_image_counter_under_concurrent_saves(workspace: Path) -> None:
    threads_count, saves_per_thread, batch = 8, 5, 2
    barrier = threading.Barrier(threads_count)
    results: list[list[str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        # one node object per thread: the executor makes one per prompt
        node = SaveImage()
        barrier.wait()
        try:
            for _ in range(saves_per_thread):
                entries = node.save_images(ramp(8, 8).repeat(batch, 1, 1, 1), "race/img")["ui"]["images"]
                with lock:
                    results.append([e["filename"] for e in entries])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    # each thread runs in a copy of this context, so it sees the test's workspace
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(work,)) for _ in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    names = [name for entry in results for name in entry]
    total = threads_count * saves_per_thread * batch
    assert len(names) == len(set(names)) == total
    assert png_file_names(workspace / "output" / "race") == sorted(names)
    assert sorted(int(n.split("_")[1]) for n in names) == list(range(1, total + 1))
    for name in names:
        with Image.open(workspace / "output" / "race" / name) as saved:
            saved.load()


def test_save_image_counter_after_a_restart(workspace: Path) -> None:
    first = SaveImage().save_images(ramp(2, 2).repeat(2, 1, 1, 1), "again")["ui"]["images"]
    assert [e["filename"] for e in first] == ["again_00001_.png", "again_00002_.png"]
    # a new process: new folders object, new node; only the files on disk remain
    with folder_paths.use_folder_paths(folder_paths.FolderPaths(str(workspace))):
        (entry,) = SaveImage().save_images(ramp(2, 2), "again")["ui"]["images"]
    assert entry["filename"] == "again_00003_.png"


def test_save_image_never_overwrites_a_file_claimed_after_the_scan(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = workspace / "output"
    put(output, "late_00001_.png", Image.new("RGB", (1, 1), (1, 2, 3)))
    real = folder_paths.get_save_image_path

    def stale_scan(*args: Any, **kwargs: Any) -> tuple[str, str, int, str, str]:
        folder, filename, _, subfolder, prefix = real(*args, **kwargs)
        return folder, filename, 1, subfolder, prefix  # as if the scan ran before the other writer

    monkeypatch.setattr(folder_paths, "get_save_image_path", stale_scan)
    entries = SaveImage().save_images(ramp(2, 2).repeat(2, 1, 1, 1), "late")["ui"]["images"]
    assert [e["filename"] for e in entries] == ["late_00002_.png", "late_00003_.png"]
    with Image.open(output / "late_00001_.png") as untouched:
        assert untouched.getpixel((0, 0)) == (1, 2, 3)


def test_save_image_removes_a_half_written_file(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_save(self: Image.Image, *args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        SaveImage().save_images(ramp(2, 2), "broken")
    assert png_file_names(workspace / "output") == []


def test_save_image_empty_input(workspace: Path) -> None:
    assert SaveImage().save_images(None) == {"ui": {"images": []}}


@pytest.mark.parametrize(
    ("node", "folder", "kind", "compress_level"),
    [(SaveImage, "output", "output", 4), (PreviewImage, "temp", "temp", 1)],
)
def test_save_and_preview_folders(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, node: Callable[[], SaveImage], folder: str, kind: str, compress_level: int
) -> None:
    levels: list[int] = []
    real_save = Image.Image.save

    def spy(self: Image.Image, fp: Any, format: Any = None, **params: Any) -> None:
        levels.append(params["compress_level"])
        real_save(self, fp, format, **params)

    monkeypatch.setattr(Image.Image, "save", spy)
    instance = node()
    first = instance.save_images(ramp(2, 2), "ComfyUI")["ui"]["images"][0]
    second = instance.save_images(ramp(2, 2), "ComfyUI")["ui"]["images"][0]
    assert first["type"] == second["type"] == kind
    assert Path(first["abs_path"]).parent == workspace / folder
    assert levels == [compress_level, compress_level]
    if kind == "temp":
        stem = first["filename"][: -len("_00001_.png")]
        assert stem.startswith("ComfyUI_temp_") and len(stem) == len("ComfyUI_temp_") + 5
        assert stem[len("ComfyUI_temp_") :].isalpha() and stem[len("ComfyUI_temp_") :].islower()
        assert second["filename"] == f"{stem}_00002_.png"  # the suffix is fixed per node
    else:
        assert [first["filename"], second["filename"]] == ["ComfyUI_00001_.png", "ComfyUI_00002_.png"]


def test_preview_image_through_the_executor(executor: PromptExecutor, workspace: Path) -> None:
    put(workspace / "input", "in.png", Image.new("RGB", (2, 2)))
    prompt = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "in.png"}},
        "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}},
    }
    (entry,) = executor.execute(prompt)["2"]["images"]
    assert entry["type"] == "temp" and entry["subfolder"] == ""
    assert Path(entry["abs_path"]).parent == workspace / "temp"
    assert Path(entry["abs_path"]).is_file()


# --------------------------------------------------------------------------- LoadImage


def _rgba_picture() -> Image.Image:
    picture = Image.new("RGBA", (3, 2))
    picture.putdata([(255, 0, 0, 255), (0, 255, 0, 0), (0, 0, 255, 51), (10, 20, 30, 102), (0, 0, 0, 255), (255, 255, 255, 204)])
    return picture


def _gray_picture() -> Image.Image:
    picture = Image.new("L", (3, 2))
    picture.putdata([0, 51, 102, 153, 204, 255])
    return picture


def _gray16_picture() -> Image.Image:
    # 16-bit samples; ComfyUI scales them by 1/255 before the 8-bit conversion (clipping at 255)
    return Image.fromarray(np.array([[0, 255 * 100, 255 * 200], [255 * 255, 65535, 255 * 3]], dtype=np.uint16))


def _palette_transparent_picture() -> Image.Image:
    picture = Image.new("P", (2, 1))
    picture.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    picture.putdata([0, 1])
    picture.info["transparency"] = 1
    return picture


@pytest.mark.parametrize(
    ("make", "file", "rgb", "mask"),
    [
        pytest.param(
            _rgba_picture, "rgba.png",
            [[(255, 0, 0), (0, 255, 0), (0, 0, 255)], [(10, 20, 30), (0, 0, 0), (255, 255, 255)]],
            [[0.0, 1.0, 0.8], [0.6, 0.0, 0.2]],
            id="rgba",
        ),
        pytest.param(
            lambda: Image.new("RGB", (3, 2), (1, 2, 3)), "rgb.png", [[(1, 2, 3)] * 3] * 2, None, id="rgb-no-alpha"
        ),
        pytest.param(
            _gray_picture, "gray.png",
            [[(0,) * 3, (51,) * 3, (102,) * 3], [(153,) * 3, (204,) * 3, (255,) * 3]], None, id="grayscale",
        ),
        pytest.param(
            lambda: _gray_picture().convert("LA"), "gray_alpha.png",
            [[(0,) * 3, (51,) * 3, (102,) * 3], [(153,) * 3, (204,) * 3, (255,) * 3]],
            [[0.0] * 3] * 2, id="grayscale-alpha",
        ),
        pytest.param(
            _gray16_picture, "gray16.png",
            [[(0,) * 3, (100,) * 3, (200,) * 3], [(255,) * 3, (255,) * 3, (3,) * 3]], None, id="16-bit",
        ),
        pytest.param(
            _palette_transparent_picture, "palette.png", [[(255, 0, 0), (0, 0, 255)]], [[0.0, 1.0]], id="palette-transparency",
        ),
        pytest.param(
            lambda: Image.new("RGB", (3, 2), (200, 100, 50)), "photo.bmp", [[(200, 100, 50)] * 3] * 2, None, id="bmp",
        ),
    ],
)
def test_load_image_formats(
    workspace: Path, make: Callable[[], Image.Image], file: str, rgb: list[list[tuple[int, ...]]], mask: list[list[float]] | None
) -> None:
    picture = make()
    put(workspace / "input", file, picture)
    if file == "gray16.png":
        with Image.open(workspace / "input" / file) as reopened:
            assert reopened.mode.startswith("I")  # really stored with 16-bit samples
    image, out_mask = LoadImage().load_image(file)
    assert image.dtype == torch.float32 and out_mask.dtype == torch.float32
    expected = torch.tensor(rgb, dtype=torch.float32)[None] / 255.0
    assert image.shape == expected.shape
    assert torch.allclose(image, expected, atol=1e-6)
    if mask is None:
        assert out_mask.shape == (1, 64, 64) and not out_mask.any()
    else:
        assert torch.allclose(out_mask, torch.tensor(mask)[None], atol=1e-6)


@pytest.mark.parametrize(
    ("orientation", "expected_rows"),
    [
        (1, [[(255, 0, 0), (0, 255, 0)]]),
        (3, [[(0, 255, 0), (255, 0, 0)]]),
        (6, [[(255, 0, 0)], [(0, 255, 0)]]),
        (8, [[(0, 255, 0)], [(255, 0, 0)]]),
    ],
    ids=["upright", "rotated-180", "rotated-90-cw", "rotated-90-ccw"],
)
def test_load_image_exif_orientation(workspace: Path, orientation: int, expected_rows: list[list[tuple[int, int, int]]]) -> None:
    picture = Image.new("RGB", (2, 1))
    picture.putdata([(255, 0, 0), (0, 255, 0)])
    exif = Image.Exif()
    exif[0x0112] = orientation
    put(workspace / "input", "oriented.png", picture, exif=exif)
    image, _ = LoadImage().load_image("oriented.png")
    assert torch.equal(image, torch.tensor(expected_rows, dtype=torch.float32)[None] / 255.0)


def _frames(colors: list[tuple[int, int, int, int]], size: tuple[int, int] = (4, 3)) -> list[Image.Image]:
    return [Image.new("RGBA", size, c) for c in colors]


@pytest.mark.parametrize(
    ("file", "save", "colors", "alpha"),
    [
        pytest.param(
            "anim.gif",
            lambda frames, path: frames[0].convert("RGB").save(
                path, save_all=True, append_images=[f.convert("RGB") for f in frames[1:]], duration=50, loop=0
            ),
            [(255, 0, 0, 255), (0, 255, 0, 255), (0, 0, 255, 255)],
            False,
            id="gif",
        ),
        pytest.param(
            "anim.png",
            lambda frames, path: frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, default_image=False),
            [(255, 0, 0, 255), (0, 255, 0, 128), (0, 0, 255, 0)],
            True,
            id="apng",
        ),
        pytest.param(
            "pages.tiff",
            lambda frames, path: frames[0].save(path, save_all=True, append_images=frames[1:]),
            [(9, 8, 7, 255), (1, 2, 3, 255)],
            True,
            id="multipage-tiff",
        ),
    ],
)
def test_load_image_animated_files_are_batches(
    workspace: Path, file: str, save: Callable[[list[Image.Image], Path], None], colors: list[tuple[int, int, int, int]], alpha: bool
) -> None:
    frames = _frames(colors)
    (workspace / "input").mkdir()
    save(frames, workspace / "input" / file)
    image, mask = LoadImage().load_image(file)
    assert image.shape == (len(colors), 3, 4, 3)
    for index, (r, g, b, a) in enumerate(colors):
        assert torch.allclose(image[index], torch.tensor([r, g, b], dtype=torch.float32) / 255.0, atol=1e-6)
        if alpha:
            assert torch.allclose(mask[index], torch.full((3, 4), 1.0 - a / 255.0), atol=1e-6)
    assert mask.shape == ((len(colors), 3, 4) if alpha else (len(colors), 64, 64))


def test_load_image_skips_frames_of_another_size(workspace: Path) -> None:
    pages = [Image.new("RGB", (4, 3), (10, 0, 0)), Image.new("RGB", (5, 5), (20, 0, 0)), Image.new("RGB", (4, 3), (30, 0, 0))]
    (workspace / "input").mkdir()
    pages[0].save(workspace / "input" / "mixed.tiff", save_all=True, append_images=pages[1:])
    image, mask = LoadImage().load_image("mixed.tiff")
    assert image.shape == (2, 3, 4, 3)
    assert [round(float(image[i, 0, 0, 0]) * 255) for i in range(2)] == [10, 30]
    assert mask.shape == (2, 64, 64)


def test_load_image_frames_with_and_without_alpha(workspace: Path) -> None:
    pages = [Image.new("RGBA", (4, 3), (1, 2, 3, 0)), Image.new("RGB", (4, 3), (4, 5, 6))]
    (workspace / "input").mkdir()
    pages[0].save(workspace / "input" / "mixed_alpha.tiff", save_all=True, append_images=pages[1:])
    image, mask = LoadImage().load_image("mixed_alpha.tiff")
    assert image.shape == (2, 3, 4, 3) and mask.shape == (2, 3, 4)
    assert torch.equal(mask[0], torch.ones(3, 4)) and torch.equal(mask[1], torch.zeros(3, 4))


def test_load_image_round_trip(workspace: Path) -> None:
    image = ramp(6, 5)
    (entry,) = SaveImage().save_images(image, "round")["ui"]["images"]
    loaded, _ = LoadImage().load_image(f"{entry['filename']} [output]")
    assert torch.equal(loaded, image)


def test_load_image_is_changed_is_the_file_hash(workspace: Path) -> None:
    path = put(workspace / "input", "h.png", Image.new("RGB", (2, 2), (1, 1, 1)))
    first = LoadImage.IS_CHANGED("h.png")
    assert first == hashlib.sha256(path.read_bytes()).hexdigest()
    assert LoadImageMask.IS_CHANGED("h.png", "red") == first
    put(workspace / "input", "h.png", Image.new("RGB", (2, 2), (2, 2, 2)))
    assert LoadImage.IS_CHANGED("h.png") != first


def test_load_image_lists_the_input_images(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    input_dir = workspace / "input"
    for name in ["b.png", "a.jpg", "c.webp", "sub/nested.png"]:
        put(input_dir, name, Image.new("RGB", (1, 1)))
    (input_dir / "notes.txt").write_text("not an image")
    outside = put(tmp_path_factory.mktemp("outside"), "secret.png", Image.new("RGB", (1, 1)))
    os.symlink(outside, input_dir / "escape.png")
    os.symlink(input_dir / "b.png", input_dir / "alias.png")
    for node in (LoadImage, LoadImageMask):
        files, options = node.INPUT_TYPES()["required"]["image"]
        assert files == ["a.jpg", "alias.png", "b.png", "c.webp"]
        assert options == {"image_upload": True}
    assert LoadImageMask.INPUT_TYPES()["required"]["channel"] == (["alpha", "red", "green", "blue"],)


def test_load_image_lists_nothing_without_an_input_folder(workspace: Path) -> None:
    assert LoadImage.INPUT_TYPES()["required"]["image"][0] == []


# --------------------------------------------------------------------------- path escapes


@pytest.fixture
def escape_workspace(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Input and output files, an outside file and symlinks; returns placeholders for names."""
    input_dir, output_dir = workspace / "input", workspace / "output"
    put(input_dir, "ok.png", Image.new("RGB", (2, 2)))
    put(input_dir, "sub/deep.png", Image.new("RGB", (2, 2)))
    put(output_dir, "made.png", Image.new("RGB", (2, 2)))
    (input_dir / "folder.png").mkdir()
    outside_dir = tmp_path_factory.mktemp("outside")
    outside = put(outside_dir, "secret.png", Image.new("RGB", (2, 2)))
    os.symlink(outside, input_dir / "link_out.png")
    os.symlink(outside_dir, input_dir / "dir_out")
    os.symlink(input_dir / "ok.png", input_dir / "link_in.png")
    return {"outside": str(outside), "outside_dir": str(outside_dir)}


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("ok.png", True),
        ("sub/deep.png", True),
        ("link_in.png", True),
        ("made.png [output]", True),
        ("sub/../ok.png", True),
        ("../ok.png", False),
        ("../input/ok.png", False),
        ("sub/../../input/ok.png", False),
        ("{outside}", False),
        ("link_out.png", False),
        ("dir_out/secret.png", False),
        ("../../made.png [output]", False),
        ("{outside} [temp]", False),
        ("missing.png", False),
        ("folder.png", False),
        ("made.png", False),
    ],
)
@pytest.mark.parametrize("node", ["LoadImage", "LoadImageMask"])
def test_path_escapes_are_validation_errors(
    executor: PromptExecutor, escape_workspace: dict[str, str], node: str, name: str, valid: bool
) -> None:
    name = name.format(**escape_workspace)
    inputs: dict[str, Any] = {"image": name}
    if node == "LoadImageMask":
        inputs["channel"] = "red"
    prompt = {
        "1": {"class_type": node, "inputs": inputs},
        "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
    }
    result = executor.validate(prompt)
    assert result.valid is valid, result.node_errors
    if valid:
        assert "tensor" in executor.execute(prompt)["2"]["text"][0]
        return
    assert result.error is not None and result.error["type"] == "prompt_outputs_failed_validation"
    (error,) = result.node_errors["1"]["errors"]
    assert error["type"] == "custom_validation_failed"
    assert error["details"].startswith(f"image - Invalid image file: {name}")
    assert escape_workspace["outside_dir"] not in error["details"].replace(name, "")


def test_load_image_refuses_an_escape_at_run_time_too(escape_workspace: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="escapes"):
        LoadImage().load_image("link_out.png")
    with pytest.raises(ValueError, match="escapes"):
        LoadImage.IS_CHANGED("../ok.png")


# --------------------------------------------------------------------------- LoadImageMask


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("red", [[1.0, 0.0, 0.0], [10 / 255, 0.0, 1.0]]),
        ("green", [[0.0, 1.0, 0.0], [20 / 255, 0.0, 1.0]]),
        ("blue", [[0.0, 0.0, 1.0], [30 / 255, 0.0, 1.0]]),
        ("alpha", [[0.0, 1.0, 0.8], [0.6, 0.0, 0.2]]),
    ],
)
def test_load_image_mask_channels(workspace: Path, channel: str, expected: list[list[float]]) -> None:
    put(workspace / "input", "rgba.png", _rgba_picture())
    (mask,) = LoadImageMask().load_image("rgba.png", channel)
    assert mask.shape == (1, 2, 3) and mask.dtype == torch.float32
    assert torch.allclose(mask, torch.tensor(expected)[None], atol=1e-6)


@pytest.mark.parametrize(
    ("file", "make", "channel", "expected"),
    [
        ("rgb.png", lambda: Image.new("RGB", (3, 2), (51, 102, 153)), "alpha", 0.0),
        ("rgb.png", lambda: Image.new("RGB", (3, 2), (51, 102, 153)), "green", 0.4),
        ("gray.png", lambda: Image.new("L", (3, 2), 204), "blue", 0.8),
        ("gray16.png", lambda: Image.fromarray(np.full((2, 3), 255 * 51, dtype=np.uint16)), "red", 0.2),
    ],
    ids=["rgb-alpha-is-opaque", "rgb-green", "gray-any-channel", "16-bit"],
)
def test_load_image_mask_without_alpha(
    workspace: Path, file: str, make: Callable[[], Image.Image], channel: str, expected: float
) -> None:
    put(workspace / "input", file, make())
    (mask,) = LoadImageMask().load_image(file, channel)
    assert mask.shape == (1, 2, 3)
    assert torch.allclose(mask, torch.full((1, 2, 3), expected), atol=1e-6)


def test_loaders_read_pictures_from_memory_buffers_as_files(workspace: Path) -> None:
    """A JPEG (lossy) loads as a [1, H, W, 3] batch near its colour, with a 64x64 empty mask."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (120, 60, 30)).save(buffer, format="JPEG", quality=95)
    (workspace / "input").mkdir()
    (workspace / "input" / "photo.jpg").write_bytes(buffer.getvalue())
    image, mask = LoadImage().load_image("photo.jpg")
    assert image.shape == (1, 8, 8, 3) and mask.shape == (1, 64, 64)
    assert torch.allclose(image[0, 4, 4], torch.tensor([120, 60, 30]) / 255.0, atol=3 / 255)

"""Workspace folders: layout, overrides, model lookup, extra paths, get_save_image_path."""

from __future__ import annotations

import json
import os
from pathlib import Path
import pytest

import comfy.folder_paths as folder_paths
from comfy.folder_paths import FolderPaths, get_save_image_path


@pytest.mark.parametrize(
    ("existing", "prefix", "expected"),
    [
        pytest.param([], "ComfyUI", ("", "ComfyUI", 1, ""), id="empty-folder"),
        pytest.param(["ComfyUI_00001_.png", "ComfyUI_00002_.png"], "ComfyUI", ("", "ComfyUI", 3, ""), id="next-counter"),
        pytest.param(["ComfyUI_00007_.png", "ComfyUI_00003_.webp"], "ComfyUI", ("", "ComfyUI", 8, ""), id="max-plus-one"),
        pytest.param(["ComfyUI_00009.png", "ComfyUIX_00005_.png", "Other_00004_.png"], "ComfyUI", ("", "ComfyUI", 1, ""), id="non-matching-names"),
        pytest.param(["sub/sdxl_00002_.png"], "sub/sdxl", ("sub", "sdxl", 3, "sub"), id="subfolder"),
        pytest.param([], "a/b/c", ("a/b", "c", 1, "a/b"), id="nested-subfolder-created"),
        pytest.param([], "x_%width%x%height%", ("", "x_64x32", 1, ""), id="size-variables"),
    ],
)
def test_get_save_image_path(tmp_path: Path, existing: list[str], prefix: str, expected: tuple[str, str, int, str]) -> None:
    for name in existing:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    folder, filename, counter, subfolder, returned_prefix = get_save_image_path(prefix, str(tmp_path), 64, 32)
    sub, exp_filename, exp_counter, exp_subfolder = expected
    assert folder == os.path.normpath(os.path.join(str(tmp_path), sub))
    assert os.path.isdir(folder)
    assert (filename, counter, subfolder.replace(os.sep, "/")) == (exp_filename, exp_counter, exp_subfolder)
    assert returned_prefix == (f"{exp_subfolder}/{exp_filename}" if exp_subfolder else exp_filename)


@pytest.mark.parametrize("prefix", ["../escape", "a/../../escape", "/abs/elsewhere"])
def test_get_save_image_path_rejects_escape(tmp_path: Path, prefix: str) -> None:
    with pytest.raises(ValueError, match="outside the output folder"):
        get_save_image_path(prefix, str(tmp_path / "output"))


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [
        pytest.param({}, {"output": "{w}/output", "input": "{w}/input", "temp": "{w}/temp", "user": "{w}/user", "models": "{w}/models"}, id="defaults"),
        pytest.param({"base_directory": "{b}"}, {"output": "{b}/output", "models": "{b}/models"}, id="base-directory-wins"),
        pytest.param({"output_directory": "out"}, {"output": "{w}/out", "input": "{w}/input"}, id="relative-override"),
        pytest.param({"temp_directory": "{abs}/t", "user_directory": "{abs}/u", "input_directory": "{abs}/i"}, {"temp": "{abs}/t", "user": "{abs}/u", "input": "{abs}/i"}, id="absolute-overrides"),
    ],
)
def test_layout_from_configuration(tmp_path: Path, configuration: dict[str, str], expected: dict[str, str]) -> None:
    places = {"w": str(tmp_path / "w"), "b": str(tmp_path / "b"), "abs": str(tmp_path / "abs")}

    def real(p: str) -> str:
        return os.path.normpath(p.format(**places))

    paths = FolderPaths.from_configuration({"cwd": places["w"], **{k: v.format(**places) for k, v in configuration.items()}})
    actual = {
        "output": paths.output_directory,
        "input": paths.input_directory,
        "temp": paths.temp_directory,
        "user": paths.user_directory,
        "models": paths.models_directory,
    }
    for key, value in expected.items():
        assert actual[key] == real(value)
    assert paths.get_directory_by_type("output") == paths.output_directory
    assert paths.get_directory_by_type("bogus") is None


@pytest.mark.parametrize(
    ("folder_name", "subdirs"),
    [
        ("checkpoints", ["checkpoints"]),
        ("diffusion_models", ["unet", "diffusion_models"]),
        ("unet", ["unet", "diffusion_models"]),
        ("clip", ["text_encoders", "clip"]),
        ("custom_nodes", ["../custom_nodes"]),
        ("unknown_folder", []),
    ],
)
def test_folder_names(tmp_path: Path, folder_name: str, subdirs: list[str]) -> None:
    paths = FolderPaths(str(tmp_path))
    assert paths.get_folder_paths(folder_name) == [os.path.normpath(os.path.join(str(tmp_path), "models", s)) for s in subdirs]


@pytest.fixture
def models(tmp_path: Path) -> FolderPaths:
    for rel in ["models/checkpoints/a.safetensors", "models/checkpoints/sub/b.ckpt", "models/checkpoints/notes.txt", "extra/c.safetensors", "models/checkpoints/.git/x.safetensors"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    paths = FolderPaths(str(tmp_path))
    paths.add_model_folder_path("checkpoints", str(tmp_path / "extra"))
    return paths


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("a.safetensors", "models/checkpoints/a.safetensors"),
        ("sub/b.ckpt", "models/checkpoints/sub/b.ckpt"),
        ("c.safetensors", "extra/c.safetensors"),
        ("missing.safetensors", None),
    ],
)
def test_get_full_path(models: FolderPaths, tmp_path: Path, filename: str, expected: str | None) -> None:
    assert models.get_full_path("checkpoints", filename) == (str(tmp_path / expected) if expected else None)


@pytest.mark.parametrize("filename", ["../secret.safetensors", "sub/../../x", "/etc/passwd", ".."])
def test_get_full_path_rejects_escape(models: FolderPaths, filename: str) -> None:
    with pytest.raises(ValueError, match="escapes"):
        models.get_full_path("checkpoints", filename)


def test_get_full_path_or_raise(models: FolderPaths) -> None:
    with pytest.raises(FileNotFoundError, match="missing.safetensors"):
        models.get_full_path_or_raise("checkpoints", "missing.safetensors")


def test_get_filename_list(models: FolderPaths) -> None:
    assert models.get_filename_list("checkpoints") == ["a.safetensors", "c.safetensors", "sub/b.ckpt"]
    assert models.get_filename_list("nothing_here") == []


@pytest.mark.parametrize(
    ("is_default", "position"),
    [(False, -1), (True, 0)],
)
def test_add_model_folder_path(tmp_path: Path, is_default: bool, position: int) -> None:
    paths = FolderPaths(str(tmp_path))
    paths.add_model_folder_path("loras", str(tmp_path / "more"), is_default=is_default)
    paths.add_model_folder_path("loras", str(tmp_path / "more"), is_default=is_default)
    assert paths.get_folder_paths("loras")[position] == str(tmp_path / "more")
    assert paths.get_folder_paths("loras").count(str(tmp_path / "more")) == 1


def test_extra_model_paths_config(tmp_path: Path) -> None:
    config = {
        "comfyui": {"base_path": "shared", "checkpoints": "models/checkpoints\nmodels/more\n", "custom_nodes": "custom_nodes", "is_default": True},
        "other": {"loras": "/abs/loras"},
    }
    config_path = tmp_path / "cfg" / "extra_model_paths.json"
    config_path.parent.mkdir()
    config_path.write_text(json.dumps(config))
    paths = FolderPaths.from_configuration({"cwd": str(tmp_path / "w"), "extra_model_paths_config": [str(config_path)]})
    shared = tmp_path / "cfg" / "shared"
    assert paths.get_folder_paths("checkpoints")[:2] == [str(shared / "models/more"), str(shared / "models/checkpoints")]
    assert paths.get_folder_paths("custom_nodes")[0] == str(shared / "custom_nodes")
    assert paths.get_folder_paths("loras")[-1] == os.path.normpath("/abs/loras")


def test_base_paths(tmp_path: Path) -> None:
    paths = FolderPaths.from_configuration({"cwd": str(tmp_path / "w"), "base_paths": [str(tmp_path / "x")]})
    assert paths.get_folder_paths("vae")[-1] == str(tmp_path / "x" / "models" / "vae")
    assert paths.get_folder_paths("custom_nodes") == [str(tmp_path / "w" / "custom_nodes"), str(tmp_path / "x" / "custom_nodes")]


@pytest.mark.parametrize(
    ("name", "expected_dir", "expected_name"),
    [("img.png", "input", "img.png"), ("img.png [output]", "output", "img.png"), ("a/img.png [temp]", "temp", "a/img.png"), ("img.png [input]", "input", "img.png")],
)
def test_annotated_filepath(tmp_path: Path, name: str, expected_dir: str, expected_name: str) -> None:
    paths = FolderPaths(str(tmp_path))
    assert paths.get_annotated_filepath(name) == os.path.join(str(tmp_path / expected_dir), expected_name)


def test_module_functions_follow_the_current_paths(tmp_path: Path) -> None:
    first, second = FolderPaths(str(tmp_path / "one")), FolderPaths(str(tmp_path / "two"))
    with folder_paths.use_folder_paths(first):
        assert folder_paths.get_output_directory() == str(tmp_path / "one" / "output")
        assert folder_paths.models_dir == str(tmp_path / "one" / "models")
        with folder_paths.use_folder_paths(second):
            assert folder_paths.get_input_directory() == str(tmp_path / "two" / "input")
            folder_paths.set_base_directory(str(tmp_path / "three"))
            assert folder_paths.get_temp_directory() == str(tmp_path / "three" / "temp")
        assert folder_paths.get_folder_paths("vae") == [str(tmp_path / "one" / "models" / "vae")]
        assert "checkpoints" in folder_paths.folder_names_and_paths
    with pytest.raises(AttributeError):
        folder_paths.no_such_attribute  # noqa: B018


def test_configure_replaces_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folder_paths, "_default_paths", None)
    monkeypatch.chdir(tmp_path)
    assert folder_paths.get_output_directory() == str(tmp_path / "output")
    configured = folder_paths.configure({"cwd": str(tmp_path / "ws")})
    assert folder_paths.current() is configured
    assert folder_paths.get_output_directory() == str(tmp_path / "ws" / "output")


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """base/ with a file, a subfolder, symlinks in and out, and a symlinked base folder."""
    base, outside = tmp_path / "base", tmp_path / "outside"
    (base / "sub").mkdir(parents=True)
    outside.mkdir()
    (base / "a.png").write_bytes(b"")
    (outside / "secret.png").write_bytes(b"")
    os.symlink(outside / "secret.png", base / "out.png")
    os.symlink(outside, base / "outdir")
    os.symlink(base / "a.png", base / "sub" / "in.png")
    os.symlink(base, tmp_path / "alias")
    return tmp_path


@pytest.mark.parametrize(
    ("folder", "name", "expected"),
    [
        ("base", "a.png", "base/a.png"),
        ("base", "sub/in.png", "base/sub/in.png"),
        ("base", "sub/../a.png", "base/a.png"),
        ("base", "new/not_yet.png", "base/new/not_yet.png"),
        ("alias", "a.png", "alias/a.png"),
        ("base", "../outside/secret.png", None),
        ("base", "sub/../../x", None),
        ("base", "..", None),
        ("base", "/etc/passwd", None),
        ("base", "out.png", None),
        ("base", "outdir/secret.png", None),
        ("base", "outdir", None),
        ("base", "a\0.png", None),
    ],
)
def test_safe_join(linked: Path, folder: str, name: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(folder_paths.PathEscapeError, match="escapes"):
            folder_paths.safe_join(str(linked / folder), name)
    else:
        assert folder_paths.safe_join(str(linked / folder), name) == str(linked / expected)


@pytest.mark.parametrize(
    ("name", "exists"),
    [("a.png", True), ("missing.png", False), ("../x.png", False), ("out.png", False), ("/etc/passwd", False), ("a.png [output]", False)],
)
def test_annotated_filepath_rejects_escapes(linked: Path, name: str, exists: bool) -> None:
    paths = FolderPaths(str(linked), input_directory=str(linked / "base"))
    assert paths.exists_annotated_filepath(name) is exists
    if name in ("../x.png", "out.png", "/etc/passwd"):
        with pytest.raises(ValueError, match="escapes"):
            paths.get_annotated_filepath(name)


def test_get_save_image_path_rejects_a_symlinked_subfolder(linked: Path) -> None:
    with pytest.raises(folder_paths.PathEscapeError, match="outside the output folder"):
        get_save_image_path("outdir/img", str(linked / "base"))
    assert get_save_image_path("sub/img", str(linked / "alias"))[2] == 1  # a symlinked output folder is fine


def test_get_full_path_follows_model_symlinks(linked: Path) -> None:
    paths = FolderPaths(str(linked))
    paths.add_model_folder_path("checkpoints", str(linked / "base"))
    assert paths.get_full_path("checkpoints", "out.png") == str(linked / "base" / "out.png")


def test_create_unique_file(tmp_path: Path) -> None:
    (tmp_path / "f_00001_.png").write_bytes(b"taken")
    (tmp_path / "f_00002_.png").mkdir()
    os.symlink(tmp_path / "nowhere", tmp_path / "f_00003_.png")  # a dangling link is taken too
    f, path, counter = folder_paths.create_unique_file(str(tmp_path), lambda n: f"f_{n:05}_.png", 1)
    with f:
        f.write(b"mine")
    assert (path, counter) == (str(tmp_path / "f_00004_.png"), 4)
    assert (tmp_path / "f_00004_.png").read_bytes() == b"mine"
    assert (tmp_path / "f_00001_.png").read_bytes() == b"taken"
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        (["image"], ["a.png", "b.JPG", "c.webp", "d.gif"]),
        (["video"], ["e.mp4"]),
        (["audio", "video"], ["e.mp4", "f.wav"]),
    ],
)
def test_filter_files_content_types(kinds: list[str], expected: list[str]) -> None:
    files = ["a.png", "b.JPG", "c.webp", "d.gif", "e.mp4", "f.wav", "notes.txt", "noext"]
    assert folder_paths.filter_files_content_types(files, kinds) == expected

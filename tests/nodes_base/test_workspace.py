"""The workspace: folders from the command line, temp cleanup at start-up, the demo workflow."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from comfy import cli_args, folder_paths, nodes_context
from comfy.cli_args import args, parse_args
from comfy.cmd.main import make_executor
from comfy.folder_paths import FolderPaths

REPO = Path(__file__).resolve().parents[2]


def populate(folder: Path) -> None:
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    (folder / "ComfyUI_temp_abcde_00001_.png").write_bytes(b"old preview")
    (folder / "sub" / "nested.png").write_bytes(b"old")


@pytest.mark.parametrize(
    ("overrides", "temp", "cleaned"),
    [
        ({}, "temp", True),
        ({"temp_directory": "scratch/previews"}, "scratch/previews", True),
        ({"temp_directory": "{outside}"}, "{outside}", True),
        ({"temp_directory": "."}, ".", False),
        ({"temp_directory": "data", "output_directory": "data/out"}, "data", False),
        ({"temp_directory": "data", "input_directory": "data/in"}, "data", False),
        ({"temp_directory": "..", "output_directory": "out"}, "..", False),
    ],
    ids=["default", "relative-override", "absolute-override", "workspace-itself", "holds-output", "holds-input", "parent-of-workspace"],
)
def test_clean_temp_directory(
    tmp_path: Path, overrides: dict[str, str], temp: str, cleaned: bool
) -> None:
    workspace, outside = tmp_path / "ws", tmp_path / "elsewhere"
    workspace.mkdir()
    places = {"outside": str(outside)}
    paths = FolderPaths.from_configuration({"cwd": str(workspace), **{k: v.format(**places) for k, v in overrides.items()}})
    temp_dir = Path(os.path.normpath(workspace / temp.format(**places)))
    assert Path(paths.temp_directory) == temp_dir
    populate(temp_dir)
    (workspace / "output").mkdir(exist_ok=True)
    (workspace / "output" / "keep.png").write_bytes(b"result")

    assert paths.clean_temp_directory() is cleaned
    assert temp_dir.exists() is not cleaned
    if not cleaned:
        assert (temp_dir / "ComfyUI_temp_abcde_00001_.png").read_bytes() == b"old preview"
    assert (workspace / "output" / "keep.png").read_bytes() == b"result"


def test_clean_temp_directory_without_a_temp_folder(tmp_path: Path) -> None:
    assert FolderPaths(str(tmp_path)).clean_temp_directory() is False


def test_cleanup_temp_follows_the_current_workspace(workspace: Path) -> None:
    populate(workspace / "temp")
    assert folder_paths.cleanup_temp() is True
    assert not (workspace / "temp").exists()


@pytest.fixture
def restore_process_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make_executor` sets process-wide defaults (folders, configuration, nodes): undo them."""
    monkeypatch.setattr(folder_paths, "_default_paths", None)
    monkeypatch.setattr(cli_args, "_process_configuration", None)
    monkeypatch.setattr(nodes_context, "_default_nodes", None)


@pytest.fixture
def started(tmp_path: Path, restore_process_defaults: None) -> Iterator[tuple[Any, Path]]:
    """`comfyui --cwd ws --output-directory results --input-directory <abs> --disable-metadata` starting up."""
    workspace, inputs = tmp_path / "ws", tmp_path / "shared_inputs"
    inputs.mkdir()
    Image.new("RGBA", (4, 3), (10, 20, 30, 255)).save(inputs / "in.png")
    populate(workspace / "temp")
    argv = ["--cwd", str(workspace), "--output-directory", "results", "--input-directory", str(inputs), "--disable-metadata"]
    config = parse_args(argv, env={}, default_config_files=(), legacy_entry_points=False)
    executor = make_executor(config)
    yield executor, workspace
    executor.close()


def test_start_up_cleans_temp_and_uses_the_folders(started: tuple[Any, Path], tmp_path: Path) -> None:
    executor, workspace = started
    assert not (workspace / "temp").exists()  # emptied at start-up
    assert folder_paths.get_input_directory() == str(tmp_path / "shared_inputs")
    assert folder_paths.get_output_directory() == str(workspace / "results")
    assert args.disable_metadata is True  # the command line is the current configuration

    prompt = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "in.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "cli/out"}},
        "3": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}},
    }
    outputs = executor.execute(prompt, extra_data={"extra_pnginfo": {"workflow": {}}})
    (saved,) = outputs["2"]["images"]
    assert Path(saved["abs_path"]) == workspace / "results" / "cli" / "out_00001_.png"
    with Image.open(saved["abs_path"]) as png:
        assert dict(png.text) == {}  # type: ignore[attr-defined]  # --disable-metadata
        assert png.getpixel((0, 0)) == (10, 20, 30)
    (preview,) = outputs["3"]["images"]
    assert Path(preview["abs_path"]).parent == workspace / "temp"


@pytest.mark.slow
def test_the_demo_workflow_runs_from_the_command_line(tmp_path: Path) -> None:
    """`make demo`: the shipped image through examples/workflows/base_nodes.json."""
    workspace = tmp_path / "workspace"
    shutil.copytree(REPO / "examples" / "input", workspace / "input")
    populate(workspace / "temp")
    exe = Path(sys.executable).with_name("comfyui")
    proc = subprocess.run(
        [str(exe), "--cwd", str(workspace), "--workflows", str(REPO / "examples" / "workflows" / "base_nodes.json")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "COMFYUI_LOGGING_LEVEL": "ERROR"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (line,) = [json.loads(text) for text in proc.stdout.splitlines() if text.strip()]
    (image,) = line["outputs"]["5"]["images"]
    assert image["subfolder"] == "base_nodes" and image["type"] == "output"
    assert Path(image["abs_path"]) == workspace / "output" / "base_nodes" / "inverted_blur_00001_.png"
    with Image.open(image["abs_path"]) as png, Image.open(workspace / "input" / "shapes.png") as source:
        assert png.size == (256, 192) and source.size == (128, 96)
        assert json.loads(png.text["prompt"])["1"]["class_type"] == "LoadImage"  # type: ignore[attr-defined]
    assert line["outputs"]["7"] == {"text": ["256"]}
    assert not (workspace / "temp").exists()


def test_the_shipped_example_input_is_small() -> None:
    files = list((REPO / "examples" / "input").iterdir())
    assert files and all(f.stat().st_size < 50_000 for f in files)

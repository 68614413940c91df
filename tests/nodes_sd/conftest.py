"""Fixtures of the SD plugin tests: the reference folder, the tiny SD1.5 checkpoint, a workspace with it.

The checkpoint is written once per session by the reference script (``shared/reference/
make_tiny_sd15.py`` beside the repository checkout) in a subprocess (it needs about 2.3 GB of RAM and
15–90 s); its printed content hash is checked against the reference README's. Set
``COMFY_SD_TEST_CACHE`` to a folder to keep it between sessions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"
CHECKPOINT_NAME = "tiny_sd15.safetensors"
CONTENT_SHA256 = "55839dca81ee25da5300165ab49cb631c14b2339801391beabb4a5649779c2dc"
"""The content hash ``make_tiny_sd15.py --seed 0`` prints (from the reference README)."""


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``shared/reference`` beside the checkout (ComfyUI's own outputs and the checkpoint script)."""
    if not (REFERENCE_DIR / "make_tiny_sd15.py").is_file():
        pytest.skip(f"no ComfyUI reference folder at {REFERENCE_DIR.resolve()}")
    return REFERENCE_DIR.resolve()


@pytest.fixture(scope="session")
def tiny_checkpoint(reference_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random-weight SD1.5 checkpoint of the reference outputs (content hash checked)."""
    pytest.importorskip("safetensors")
    cache = os.environ.get("COMFY_SD_TEST_CACHE")
    folder = Path(cache) if cache else tmp_path_factory.mktemp("tiny_sd15")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CHECKPOINT_NAME
    stamp = folder / (CHECKPOINT_NAME + ".sha256")
    if path.is_file() and stamp.is_file() and stamp.read_text().strip() == CONTENT_SHA256:
        return path
    done = subprocess.run(
        [sys.executable, str(reference_dir / "make_tiny_sd15.py"), str(path), "--seed", "0"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert f"content_sha256 {CONTENT_SHA256}" in done.stdout, done.stdout
    stamp.write_text(CONTENT_SHA256)
    return path


@pytest.fixture(scope="session")
def loaded_checkpoint(tiny_checkpoint: Path) -> Any:
    """The tiny checkpoint loaded on the CPU once for the session (a ``LoadedCheckpoint``)."""
    import torch

    from comfy_nodes_sd.loader import load_checkpoint

    return load_checkpoint(tiny_checkpoint, device=torch.device("cpu"))


@pytest.fixture
def sd_workspace(tiny_checkpoint: Path, tmp_path: Path) -> Iterator[Path]:
    """A fresh workspace, made current, whose ``models/checkpoints`` holds the tiny checkpoint (a link),
    with the configuration's ``cpu`` set so the models run where the reference was made."""
    from comfy import folder_paths
    from comfy.cli_args import use_configuration
    from comfy.cli_args_types import Configuration

    checkpoints = tmp_path / "models" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / CHECKPOINT_NAME).symlink_to(tiny_checkpoint)
    with folder_paths.use_folder_paths(folder_paths.FolderPaths(str(tmp_path))), use_configuration(Configuration(cpu=True)):
        yield tmp_path

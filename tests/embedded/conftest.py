"""Fixtures of the embedded-client tests: workspaces, a custom node pack, the tiny SD checkpoint.

The custom node pack (written into the workspace's ``custom_nodes/``, so that thread and process
workers both load it) has the nodes the testing packs lack: ``EmitPreviews`` reports progress
with a preview per step in the forms ComfyUI nodes use, ``WhereAmI`` shows the thread and process
it ran in, ``SlowProgress`` reports progress slowly, ``Crash`` ends a process-pool child (only in
a process whose environment has ``COMFY_TEST_ALLOW_CRASH=1``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from embedded_support import nodes_sd_conftest, write_pack

from comfy import folder_paths
from comfy.cli_args import default_configuration
from comfy.cli_args_types import Configuration


@pytest.fixture
def pack_workspace(workspace: Path) -> Path:
    """The current workspace (``comfy.folder_paths``) with the test node pack in ``custom_nodes/``."""
    write_pack(workspace)
    return workspace


@pytest.fixture
def configuration(tmp_path: Path) -> Configuration:
    """Defaults with ``cwd`` at a fresh workspace holding the test node pack."""
    write_pack(tmp_path)
    config = default_configuration()
    config.cwd = str(tmp_path)
    return config


# --- the tiny SD1.5 checkpoint (needs the SD plugin) -------------------------------------------

def _sd_plugin_problem() -> str | None:
    try:
        import comfy_nodes_sd.plugin  # noqa: F401
    except Exception as error:  # not installed, or not finished
        return f"the SD plugin (comfy_nodes_sd) is not importable: {error}"
    return None


@pytest.fixture(scope="session")
def sd_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tiny SD1.5 checkpoint ``tiny_sd15.safetensors`` (made by the reference script).

    Uses the SD plugin tests' recipe (their conftest's name, hash and reference folder) and their
    ``COMFY_SD_TEST_CACHE`` folder when set; otherwise it sets that variable for the rest of the
    session to the folder it made, so that ``tests/nodes_sd`` reuses the file instead of making
    it again (about 30 s and 2.4 GB of RAM).
    """
    problem = _sd_plugin_problem()
    if problem is not None:
        pytest.skip(problem)
    nodes_sd = nodes_sd_conftest()
    if nodes_sd is None:
        pytest.skip("tests/nodes_sd/conftest.py (the checkpoint recipe) is missing")
    script = Path(nodes_sd.REFERENCE_DIR) / "make_tiny_sd15.py"
    if not script.is_file():
        pytest.skip(f"no checkpoint generator at {script}")
    pytest.importorskip("safetensors")
    cache = os.environ.get("COMFY_SD_TEST_CACHE")
    folder = Path(cache) if cache else tmp_path_factory.mktemp("tiny_sd15_shared")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / nodes_sd.CHECKPOINT_NAME
    stamp = folder / (nodes_sd.CHECKPOINT_NAME + ".sha256")
    if not (path.is_file() and stamp.is_file() and stamp.read_text().strip() == nodes_sd.CONTENT_SHA256):
        done = subprocess.run(
            [sys.executable, str(script), str(path), "--seed", "0"], capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            pytest.skip(f"the tiny checkpoint could not be generated: {done.stderr[-500:]}")
        assert f"content_sha256 {nodes_sd.CONTENT_SHA256}" in done.stdout, done.stdout
        stamp.write_text(nodes_sd.CONTENT_SHA256)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMFY_SD_TEST_CACHE", str(folder))
        yield path


@pytest.fixture
def sd_workspace(sd_checkpoint: Path, tmp_path: Path) -> Iterator[Path]:
    """A fresh current workspace whose ``models/checkpoints`` links the tiny checkpoint."""
    checkpoints = tmp_path / "models" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / sd_checkpoint.name).symlink_to(sd_checkpoint)
    with folder_paths.use_folder_paths(folder_paths.FolderPaths(str(tmp_path))):
        yield tmp_path

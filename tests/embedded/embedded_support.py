"""Helpers of the embedded-client tests (importable as `embedded_support`)."""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

PACK = textwrap.dedent(
    '''
    import os
    import threading
    import time

    from comfy.utils import ProgressBar


    def _preview(form, i):
        from PIL import Image

        image = Image.new("RGB", (8 + i, 8), (40 * i, 0, 0))
        if form == "tuple":
            return ("JPEG", image, 256)
        if form == "png_tuple":
            return ("PNG", image, None)
        if form == "pil":
            return image
        if form == "tensor":
            import torch

            return torch.full((1, 8, 8 + i, 3), 0.5)
        from comfy.component_model.executor_types import UnencodedPreviewImageMessage

        return UnencodedPreviewImageMessage("JPEG", image, 128)


    class EmitPreviews:
        @classmethod
        def INPUT_TYPES(cls):
            return {"required": {"steps": ("INT", {"default": 3, "min": 1}),
                                 "form": (["tuple", "png_tuple", "pil", "tensor", "message"],)}}

        RETURN_TYPES = ("INT",)
        FUNCTION = "run"
        OUTPUT_NODE = True
        CATEGORY = "testing"

        def run(self, steps, form):
            bar = ProgressBar(steps)
            for i in range(steps):
                bar.update_absolute(i + 1, steps, _preview(form, i))
            return {"ui": {"value": [steps]}, "result": (steps,)}


    class WhereAmI:
        @classmethod
        def INPUT_TYPES(cls):
            return {"required": {"salt": ("INT", {"default": 0})}}

        RETURN_TYPES = ()
        FUNCTION = "run"
        OUTPUT_NODE = True
        CATEGORY = "testing"

        def run(self, salt):
            return {"ui": {"thread": [threading.current_thread().name], "pid": [os.getpid()]}}


    class SlowProgress:
        @classmethod
        def INPUT_TYPES(cls):
            return {"required": {"steps": ("INT", {"default": 5}), "seconds": ("FLOAT", {"default": 0.01})}}

        RETURN_TYPES = ("INT",)
        FUNCTION = "run"
        OUTPUT_NODE = True
        CATEGORY = "testing"

        def run(self, steps, seconds):
            bar = ProgressBar(steps)
            for i in range(steps):
                time.sleep(seconds)
                bar.update(1)
            return {"ui": {"value": [steps]}, "result": (steps,)}


    class Crash:
        @classmethod
        def INPUT_TYPES(cls):
            return {"required": {"code": ("INT", {"default": 3})}}

        RETURN_TYPES = ()
        FUNCTION = "run"
        OUTPUT_NODE = True
        CATEGORY = "testing"

        def run(self, code):
            if threading.current_thread() is threading.main_thread() and os.environ.get("COMFY_TEST_ALLOW_CRASH") == "1":
                os._exit(code)
            raise RuntimeError("Crash only ends the main thread of a process marked COMFY_TEST_ALLOW_CRASH=1")


    class PickCheckpoint:
        @classmethod
        def INPUT_TYPES(cls):
            from comfy import folder_paths

            return {"required": {"ckpt_name": (folder_paths.get_filename_list("checkpoints"),)}}

        RETURN_TYPES = ()
        FUNCTION = "run"
        OUTPUT_NODE = True
        CATEGORY = "testing"

        def run(self, ckpt_name):
            from comfy import folder_paths

            return {"ui": {"path": [folder_paths.get_full_path("checkpoints", ckpt_name)]}}


    NODE_CLASS_MAPPINGS = {"PickCheckpoint": PickCheckpoint, "EmitPreviews": EmitPreviews, "WhereAmI": WhereAmI, "SlowProgress": SlowProgress, "Crash": Crash}
    '''
)


def write_pack(base: Path) -> None:
    pack = base / "custom_nodes" / "embedded_test_pack"
    pack.mkdir(parents=True, exist_ok=True)
    (pack / "__init__.py").write_text(PACK)


REPO = Path(__file__).resolve().parents[2]
_NODES_SD_CONFTEST = REPO / "tests" / "nodes_sd" / "conftest.py"


def nodes_sd_conftest() -> ModuleType | None:
    """The SD plugin tests' conftest (its checkpoint name, hash and reference folder), if present."""
    if not _NODES_SD_CONFTEST.is_file():
        return None
    spec = importlib.util.spec_from_file_location("_embeddednodes_sd_conftest", _NODES_SD_CONFTEST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_workflow() -> dict[str, Any]:
    """``shared/reference/txt2img_euler_normal.workflow_api.json``'s prompt (CheckpointLoaderSimple
    "tiny_sd15.safetensors", 4 euler steps at 64×64, SaveImage "9")."""
    nodes_sd = nodes_sd_conftest()
    reference = Path(nodes_sd.REFERENCE_DIR) if nodes_sd is not None else REPO.parent / "shared" / "reference"
    path = reference / "txt2img_euler_normal.workflow_api.json"
    if not path.is_file():
        pytest.skip(f"no reference workflow at {path}")
    prompt: dict[str, Any] = json.loads(path.read_text())["prompt"]
    return prompt

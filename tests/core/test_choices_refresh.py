"""Combo choices read from disk are re-read at validation (a file copied in later is accepted)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import comfy_nodes_base
import comfy_nodes_testing
from comfy.execution import PromptExecutor


def make_picker(folder: Path) -> type:
    class FilePicker:
        """Lists the files of a folder, like a checkpoint loader."""

        @classmethod
        def INPUT_TYPES(cls) -> dict[str, Any]:
            return {"required": {"name": (sorted(os.listdir(folder)),)}}

        RETURN_TYPES = ("STRING",)
        FUNCTION = "pick"

        def pick(self, name: str) -> tuple[str]:
            return (name,)

    return FilePicker


def test_new_files_become_valid_choices(tmp_path: Path) -> None:
    (tmp_path / "a.safetensors").write_bytes(b"")
    nodes = {**comfy_nodes_base.NODE_CLASS_MAPPINGS, **comfy_nodes_testing.NODE_CLASS_MAPPINGS, "FilePicker": make_picker(tmp_path)}
    executor = PromptExecutor(nodes)
    prompt = {
        "1": {"class_type": "FilePicker", "inputs": {"name": "b.safetensors"}},
        "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
    }
    result = executor.validate(prompt)
    assert result.node_errors["1"]["errors"][0]["type"] == "value_not_in_list"
    (tmp_path / "b.safetensors").write_bytes(b"")
    assert executor.validate(prompt).node_errors == {}
    assert executor.execute(prompt) == {"2": {"text": ["b.safetensors"]}}
    (tmp_path / "b.safetensors").unlink()
    assert executor.validate(prompt).node_errors["1"]["errors"][0]["type"] == "value_not_in_list"

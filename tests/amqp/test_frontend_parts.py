"""The distributed frontend's parts without a broker: the node catalog (validation and
`/object_info` from announced classes) and the output store (result files on the frontend's disk)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from comfy.distributed.frontend_files import OutputStore, ReceivedFile
from comfy.distributed.frontend_schemas import NodeCatalog, schema_from_object_info
from comfy.folder_paths import FolderPaths


def loader_info(choices: list[str]) -> dict[str, Any]:
    return {
        "input": {"required": {"ckpt_name": [choices], "strength": ["FLOAT", {"default": 1.0, "min": 0.0, "max": 2.0}]}},
        "input_order": {"required": ["ckpt_name", "strength"]},
        "output": ["MODEL"],
        "output_is_list": [False],
        "output_name": ["MODEL"],
        "name": "Loader",
        "display_name": "Loader",
        "description": "",
        "python_module": "nodes",
        "category": "loaders",
        "output_node": False,
    }


SINK = {
    "input": {"required": {"model": ["MODEL", {}]}},
    "input_order": {"required": ["model"]},
    "output": [],
    "output_is_list": [],
    "output_name": [],
    "name": "Sink",
    "display_name": "Sink",
    "description": "",
    "python_module": "nodes",
    "category": "test",
    "output_node": True,
}


def prompt(ckpt: str, strength: float = 1.0, sink: str = "Sink") -> dict[str, Any]:
    return {
        "1": {"class_type": "Loader", "inputs": {"ckpt_name": ckpt, "strength": strength}},
        "2": {"class_type": sink, "inputs": {"model": ["1", 0]}},
    }


def test_catalog_validates_with_the_workers_classes() -> None:
    catalog = NodeCatalog()
    assert catalog.update("w1", {"Loader": loader_info(["a.safetensors"]), "Sink": SINK})
    assert not catalog.update("w1", {"Loader": loader_info(["a.safetensors"]), "Sink": SINK})  # unchanged
    assert catalog.validate(prompt("a.safetensors")).valid
    result = catalog.validate(prompt("a.safetensors", sink="Missing"))
    assert not result.valid
    assert result.error == {"type": "invalid_prompt", "message": "Cannot execute because node Missing does not exist.", "details": "Node ID '#2'", "extra_info": {}}
    result = catalog.validate(prompt("a.safetensors", strength=3.0))
    assert result.node_errors["1"]["errors"][0]["type"] == "value_bigger_than_max"
    assert catalog.validate(["not", "a", "prompt"]).error["type"] == "invalid_prompt"  # type: ignore[index]


@pytest.mark.parametrize(
    ("workers", "ckpt", "valid"),
    [
        ({"w1": ["a.safetensors"], "w2": ["b.safetensors"]}, "b.safetensors", True),
        ({"w1": ["a.safetensors"], "w2": ["b.safetensors"]}, "a.safetensors", True),
        ({"w1": ["a.safetensors"]}, "b.safetensors", False),
    ],
)
def test_catalog_merges_combo_choices(workers: dict[str, list[str]], ckpt: str, valid: bool) -> None:
    catalog = NodeCatalog()
    for worker, choices in workers.items():
        catalog.update(worker, {"Loader": loader_info(choices), "Sink": SINK})
    assert catalog.validate(prompt(ckpt)).valid is valid
    assert set(catalog.object_info()["Loader"]["input"]["required"]["ckpt_name"][0]) == {c for cs in workers.values() for c in cs}


def test_catalog_forgets_a_worker_that_left() -> None:
    catalog = NodeCatalog()
    catalog.update("w1", {"Loader": loader_info(["a.safetensors"]), "Sink": SINK})
    catalog.update("w2", {"Loader": loader_info(["b.safetensors"])})
    assert catalog.validate(prompt("b.safetensors")).valid
    assert catalog.remove("w2") and not catalog.remove("w2")
    result = catalog.validate(prompt("b.safetensors"))
    assert result.node_errors["1"]["errors"][0]["type"] == "value_not_in_list"
    catalog.remove("w1")
    assert len(catalog) == 0 and catalog.object_info() == {}


def test_catalog_leaves_custom_validation_to_the_worker() -> None:
    """A class with VALIDATE_INPUTS (announced with its scheduler schema) is not type-checked on
    the frontend for the inputs its VALIDATE_INPUTS takes over."""
    info = {**loader_info(["a.safetensors"]), "name": "Loader"}
    schema = schema_from_object_info("Loader", info)
    schema["validate"] = {"params": ["ckpt_name"], "kwargs": False, "input_types": False}
    catalog = NodeCatalog()
    catalog.update("w1", {"Loader": info, "Sink": SINK}, [schema, schema_from_object_info("Sink", SINK)])
    assert catalog.validate(prompt("not-listed.safetensors")).valid


def _store(tmp_path: Path) -> OutputStore:
    return OutputStore(FolderPaths(str(tmp_path)))


def test_store_writes_files_and_points_outputs_at_them(tmp_path: Path) -> None:
    store = _store(tmp_path)
    outputs = {"9": {"images": [{"filename": "x_00001_.png", "subfolder": "sub", "type": "output", "abs_path": "/worker/output/sub/x_00001_.png"}]}}
    rewritten = store.store("p1" * 8, outputs, [ReceivedFile("x_00001_.png", "sub", "output", b"one")])
    image = rewritten["9"]["images"][0]
    assert image == {"filename": "x_00001_.png", "subfolder": "sub", "type": "output", "abs_path": str(tmp_path / "output" / "sub" / "x_00001_.png")}
    assert Path(image["abs_path"]).read_bytes() == b"one"
    assert outputs["9"]["images"][0]["abs_path"] == "/worker/output/sub/x_00001_.png"  # the input is not changed


@pytest.mark.parametrize(
    ("second", "expected_name"),
    [(b"one", "x_00001_.png"), (b"two", "x_00001__bbbbbbbb.png")],
    ids=["same-bytes-reused", "other-bytes-renamed"],
)
def test_store_name_clashes_between_workers(tmp_path: Path, second: bytes, expected_name: str) -> None:
    store = _store(tmp_path)
    outputs = {"9": {"images": [{"filename": "x_00001_.png", "subfolder": "", "type": "output"}]}}
    store.store("a" * 32, outputs, [ReceivedFile("x_00001_.png", "", "output", b"one")])
    rewritten = store.store("b" * 32, outputs, [ReceivedFile("x_00001_.png", "", "output", second)])
    image = rewritten["9"]["images"][0]
    assert image["filename"] == expected_name
    assert hashlib.sha256(Path(image["abs_path"]).read_bytes()).digest() == hashlib.sha256(second).digest()
    assert (tmp_path / "output" / "x_00001_.png").read_bytes() == b"one"


def test_store_keeps_temp_files_in_temp_and_refuses_unsafe_names(tmp_path: Path) -> None:
    store = _store(tmp_path)
    outputs = {
        "3": {"images": [{"filename": "p.png", "subfolder": "", "type": "temp", "abs_path": "/w/temp/p.png"}]},
        "4": {"images": [{"filename": "../../evil.png", "subfolder": "", "type": "output", "abs_path": "/w/evil.png"}], "text": ["kept"]},
    }
    rewritten = store.store(
        "c" * 32,
        outputs,
        [ReceivedFile("p.png", "", "temp", b"preview"), ReceivedFile("../../evil.png", "", "output", b"evil")],
    )
    assert rewritten["3"]["images"][0]["abs_path"] == str(tmp_path / "temp" / "p.png")
    assert "abs_path" not in rewritten["4"]["images"][0] and rewritten["4"]["text"] == ["kept"]
    assert not (tmp_path.parent / "evil.png").exists() and not list(tmp_path.rglob("evil.png"))

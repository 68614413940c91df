"""`comfy/api/openapi.yaml`: package data of comfy-api, well formed, and in agreement with the
routes the server really has (every route documented, every documented path served)."""

from __future__ import annotations

import importlib.resources
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from info_helpers import info_registry
from starlette.routing import Route, WebSocketRoute

from comfy.cli_args_types import Configuration
from comfy.server.app import create_app

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def document() -> dict[str, Any]:
    return yaml.safe_load(importlib.resources.files("comfy.api").joinpath("openapi.yaml").read_bytes())


def test_is_package_data() -> None:
    resource = importlib.resources.files("comfy.api").joinpath("openapi.yaml")
    assert resource.is_file()
    # a fresh interpreter finds it too (the check the packaging notes give)
    code = "import importlib.resources as r; print(r.files('comfy.api').joinpath('openapi.yaml').is_file())"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "True"


def test_header() -> None:
    doc = document()
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "comfyui" and doc["info"]["version"] == "0.0.1"
    assert doc["servers"] == [{"url": "http://localhost:8188"}]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_references_resolve_and_operation_ids_are_unique() -> None:
    doc = document()
    for ref in _refs(doc):
        assert ref.startswith("#/"), ref
        target: Any = doc
        for part in ref[2:].split("/"):
            assert part in target, f"unresolved {ref}"
            target = target[part]
    ids = [op["operationId"] for item in doc["paths"].values() for method, op in item.items() if method in HTTP_METHODS]
    assert len(ids) == len(set(ids))
    for path, item in doc["paths"].items():
        for name in re.findall(r"{([^}]+)}", path):
            for method, op in item.items():
                if method in HTTP_METHODS:
                    declared = {(p["name"], p["in"]) for p in op.get("parameters", [])}
                    assert (name, "path") in declared, f"{method} {path} does not declare {name}"
        for method, op in item.items():
            if method in HTTP_METHODS:
                assert op["responses"], f"{method} {path}"


def served_operations(tmp_path: Path) -> set[tuple[str, str]]:
    configuration = Configuration()
    configuration.cwd = str(tmp_path)
    app = create_app(configuration, registry=info_registry(tmp_path))
    operations: set[tuple[str, str]] = set()
    for route in app.routes:
        path = re.sub(r"{(\w+)(:\w+)?}", r"{\1}", getattr(route, "path", ""))
        if isinstance(route, WebSocketRoute):
            operations.add((path, "get"))
        elif isinstance(route, Route) and route.include_in_schema:  # the web UI's own routes are not API
            for method in route.methods or ():
                if method.lower() not in ("head", "options"):
                    operations.add((path, method.lower()))
    return operations


def test_routes_and_document_agree(tmp_path: Path) -> None:
    served = served_operations(tmp_path)
    # every route is also served under /api; the document lists each route once (and says so)
    twins = {(path, method) for path, method in served if path.startswith("/api/") and (path[4:], method) in served}
    unprefixed = {(path, method) for path, method in served if not path.startswith("/api/")}
    assert {(f"/api{path}", method) for path, method in unprefixed} <= served, "a route lacks its /api twin"
    documented = {(path, method) for path, item in document()["paths"].items() for method in item if method in HTTP_METHODS}
    assert served - twins == documented, (
        f"served, not documented: {sorted(served - twins - documented)}; documented, not served: {sorted(documented - (served - twins))}"
    )
    assert "every route also answers under `/api`" in document()["info"]["description"].lower().replace("**", "")


def test_documented_status_codes_and_media_types_are_well_formed() -> None:
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            for status, response in op["responses"].items():
                assert re.fullmatch(r"[1-5][0-9][0-9]", status), f"{method} {path} {status}"
                for media in (response.get("content") or {}):
                    assert re.fullmatch(r"[\w*.+-]+/[\w*.+-]+", media), f"{method} {path} {media}"


@pytest.mark.parametrize("module", ["comfy.server.routes.files", "comfy.server.routes.info"])
def test_route_modules_import_without_torch_or_pillow(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in ('torch', 'PIL', 'numpy') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"

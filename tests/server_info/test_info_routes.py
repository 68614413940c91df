"""`/object_info`, `/system_stats`, `/features`, `/embeddings`, `/extensions`, `/models` and
`/openapi.yaml` on a real server, each also under `/api`."""

from __future__ import annotations

import importlib.resources
import sys
from typing import Any

import httpx
import pytest
import yaml
from info_helpers import EXTENSION
from server_helpers import RunningServer

PREFIXES = pytest.mark.parametrize("prefix", ["", "/api"])


@PREFIXES
def test_object_info(client: httpx.Client, info_server: RunningServer, prefix: str) -> None:
    response = client.get(f"{prefix}/object_info")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    info = response.json()
    assert set(info) == set(info_server.state.registry.NODE_CLASS_MAPPINGS)
    save = info["SaveImage"]
    assert save["output_node"] is True and save["name"] == "SaveImage" and save["output"] == []
    assert save["input"]["required"]["images"][0] == "IMAGE"
    assert save["input_order"]["required"] == ["images", "filename_prefix"]
    # LoadImage lists the server's input folder, not the test process's working directory
    assert "green.png" in info["LoadImage"]["input"]["required"]["image"][0]
    if "CheckpointLoaderSimple" in info:
        assert info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] == ["tiny.safetensors"]


@PREFIXES
@pytest.mark.parametrize(("node_class", "expected"), [("SaveImage", ["SaveImage"]), ("PreviewAny", ["PreviewAny"]), ("NoSuchNode", []), ("Save Image", [])])
def test_object_info_one_class(client: httpx.Client, prefix: str, node_class: str, expected: list[str]) -> None:
    response = client.get(f"{prefix}/object_info/{node_class}")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == expected
    if expected:
        assert body[node_class] == client.get("/object_info").json()[node_class]


@PREFIXES
def test_system_stats(client: httpx.Client, prefix: str) -> None:
    stats = client.get(f"{prefix}/system_stats").json()
    system = stats["system"]
    expected_keys = {"os", "ram_total", "ram_free", "comfyui_version", "python_version", "embedded_python", "argv"}
    torch = sys.modules.get("torch")  # the server runs in this process
    if torch is not None:
        expected_keys.add("pytorch_version")
        assert system["pytorch_version"] == torch.__version__
    assert set(system) == expected_keys
    assert system["os"] == sys.platform and system["python_version"] == sys.version
    assert system["argv"] == sys.argv and system["embedded_python"] is False
    assert 0 < system["ram_free"] <= system["ram_total"]
    cuda_loaded = torch is not None and torch.cuda.is_initialized()
    assert (stats["devices"] == []) == (not cuda_loaded)


def test_system_stats_never_imports_torch() -> None:
    from comfy.server.routes import info

    modules = {name: module for name, module in sys.modules.items() if name != "torch"}
    stats = info.system_stats(modules)
    assert "pytorch_version" not in stats["system"] and stats["devices"] == []


@PREFIXES
def test_features(client: httpx.Client, prefix: str) -> None:
    assert client.get(f"{prefix}/features").json() == {
        "supports_preview_metadata": True,
        "max_upload_size": 100 * 1024 * 1024,
        "extension": {"manager": {"supports_v4": True}},
    }


@PREFIXES
def test_embeddings(client: httpx.Client, prefix: str) -> None:
    assert client.get(f"{prefix}/embeddings").json() == ["a", "sub/b"]


@PREFIXES
def test_models(client: httpx.Client, prefix: str) -> None:
    folders = client.get(f"{prefix}/models").json()
    assert {"checkpoints", "loras", "vae", "embeddings", "text_encoders", "diffusion_models"} <= set(folders)
    assert client.get(f"{prefix}/models/checkpoints").json() == ["tiny.safetensors"]
    assert client.get(f"{prefix}/models/embeddings").json() == ["a.pt", "sub/b.safetensors"]
    assert client.get(f"{prefix}/models/loras").json() == []
    missing = client.get(f"{prefix}/models/no_such_folder")
    assert missing.status_code == 404 and missing.content == b""


@PREFIXES
def test_extensions(client: httpx.Client, prefix: str) -> None:
    scripts = client.get(f"{prefix}/extensions").json()
    assert scripts == [f"/extensions/{EXTENSION}/lib/util.js", f"/extensions/{EXTENSION}/main.js"]
    for script in scripts:
        response = client.get(script)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/javascript")
        assert response.text.startswith("export const")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/extensions/{EXTENSION}/style.css", 200),
        (f"/extensions/{EXTENSION}/missing.js", 404),
        ("/extensions/no_such_pack/main.js", 404),
        (f"/extensions/{EXTENSION}/..%2F..%2Fetc%2Fpasswd", 403),
        (f"/extensions/{EXTENSION}/%2Fetc%2Fpasswd", 403),
        (f"/extensions/{EXTENSION}/lib", 404),
    ],
)
def test_extension_files(client: httpx.Client, path: str, status: int) -> None:
    assert client.get(path).status_code == status


@PREFIXES
def test_openapi_yaml(client: httpx.Client, prefix: str) -> None:
    response = client.get(f"{prefix}/openapi.yaml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    packaged = importlib.resources.files("comfy.api").joinpath("openapi.yaml").read_bytes()
    assert response.content == packaged
    document: dict[str, Any] = yaml.safe_load(response.content)
    assert document["openapi"] == "3.1.0" and document["info"]["title"] == "comfyui"


def test_object_info_survives_odd_node_classes(small_server: Any) -> None:
    """A class whose INPUT_TYPES raises is left out of /object_info (and is a 500 alone); values
    JSON lacks (inf, sets, objects) still give valid JSON."""
    import json

    class Raises:
        @classmethod
        def INPUT_TYPES(cls) -> dict[str, Any]:
            raise RuntimeError("broken pack")

        RETURN_TYPES = ()
        FUNCTION = "run"

    class Odd:
        @classmethod
        def INPUT_TYPES(cls) -> dict[str, Any]:
            return {"required": {"x": ("FLOAT", {"default": 1.0, "max": float("inf"), "choices": {"b"}, "obj": object()})}}

        RETURN_TYPES = ("FLOAT",)
        FUNCTION = "run"

    server: RunningServer = small_server()
    server.state.registry.NODE_CLASS_MAPPINGS.update({"Raises": Raises, "Odd": Odd})
    with server.client() as http:
        everything = http.get("/object_info")
        assert everything.status_code == 200
        info = json.loads(everything.text)  # strict: no Infinity
        assert "Raises" not in info and info["Odd"]["input"]["required"]["x"][1]["max"] is None
        assert http.get("/object_info/Raises").status_code == 500

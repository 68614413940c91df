"""`/view`, `/upload/image` and `/upload/mask` on a real server (spec/api.md §6; issue 6's limits).

Tables of requests and what they must answer; path escapes are 403 wherever they come from.
"""

from __future__ import annotations

import concurrent.futures
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from info_helpers import png_bytes
from server_helpers import RunningServer


def image_of(response: httpx.Response) -> Image.Image:
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


# --- /view -------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/api"])
@pytest.mark.parametrize(
    ("query", "relative", "content_type"),
    [
        ({"filename": "red.png"}, "output/red.png", "image/png"),
        ({"filename": "red.png", "type": "output"}, "output/red.png", "image/png"),
        ({"filename": "blue.png", "subfolder": "sub"}, "output/sub/blue.png", "image/png"),
        ({"filename": "green.png", "type": "input"}, "input/green.png", "image/png"),
        ({"filename": "preview.png", "type": "temp"}, "temp/preview.png", "image/png"),
        ({"filename": "green.png [input]"}, "input/green.png", "image/png"),
        ({"filename": "green.png [input]", "type": "temp"}, "input/green.png", "image/png"),
        ({"filename": "data.json"}, "output/data.json", "application/json"),
    ],
)
def test_view_serves_the_file(
    client: httpx.Client, info_server: RunningServer, prefix: str, query: dict[str, str], relative: str, content_type: str
) -> None:
    response = client.get(f"{prefix}/view", params=query)
    assert response.status_code == 200
    assert response.content == (info_server.workspace / relative).read_bytes()
    assert response.headers["content-type"].split(";")[0] == content_type
    assert response.headers["content-disposition"] == f'filename="{Path(relative).name}"'
    assert response.headers["x-content-type-options"] == "nosniff"


def test_view_never_serves_html_as_html(client: httpx.Client) -> None:
    response = client.get("/view", params={"filename": "page.html"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.text == "<script>alert(1)</script>"


@pytest.mark.parametrize(
    ("preview", "channel", "fmt", "mode"),
    [
        ("webp;90", None, "WEBP", "RGBA"),
        ("webp;50", None, "WEBP", "RGBA"),
        ("jpeg;90", None, "JPEG", "RGB"),
        ("jpeg", None, "JPEG", "RGB"),
        ("png;90", None, "WEBP", "RGBA"),  # any other format: webp
        ("jpeg;90", "rgba", "WEBP", "RGBA"),  # alpha wanted: webp
        ("webp;90", "rgb", "WEBP", "RGB"),
    ],
)
def test_view_preview(client: httpx.Client, preview: str, channel: str | None, fmt: str, mode: str) -> None:
    params = {"filename": "red.png", "preview": preview}
    if channel is not None:
        params["channel"] = channel
    response = client.get("/view", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"image/{fmt.lower()}"
    assert response.headers["content-disposition"] == 'filename="red.png"'
    image = image_of(response)
    assert (image.format, image.size, image.mode) == (fmt, (8, 6), mode)


def test_view_channels(client: httpx.Client) -> None:
    rgb = client.get("/view", params={"filename": "red.png", "channel": "rgb"})
    assert rgb.headers["content-type"] == "image/png"
    image = image_of(rgb)
    assert image.mode == "RGB" and image.getpixel((0, 0)) == (255, 0, 0)
    alpha = image_of(client.get("/view", params={"filename": "red.png", "channel": "a"}))
    assert alpha.mode == "RGBA" and alpha.getpixel((0, 0)) == (0, 0, 0, 128)
    opaque = image_of(client.get("/view", params={"filename": "blue.png", "subfolder": "sub", "channel": "a"}))
    assert opaque.getpixel((1, 1)) == (0, 0, 0, 255)
    whole = client.get("/view", params={"filename": "red.png", "channel": "rgba"})
    assert whole.content == client.get("/view", params={"filename": "red.png"}).content


def test_view_preview_of_a_file_that_is_no_image(client: httpx.Client) -> None:
    response = client.get("/view", params={"filename": "data.json", "preview": "webp;90"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({}, 404),
        ({"filename": "missing.png"}, 404),
        ({"filename": "red.png", "subfolder": "nowhere"}, 404),
        ({"filename": "sub"}, 404),  # a folder is not a file
        ({"filename": ""}, 400),
        ({"filename": "red.png", "type": "models"}, 400),
        ({"filename": "red.png", "type": ""}, 400),
        # escapes, through the name, the subfolder, absolute paths, symlinks and the annotation
        ({"filename": "../outside/secret.png"}, 403),
        ({"filename": "../../etc/passwd"}, 403),
        ({"filename": "/etc/passwd"}, 403),
        ({"filename": "sub/../../outside/secret.png"}, 403),
        ({"filename": "secret.png", "subfolder": "../outside"}, 403),
        ({"filename": "secret.png", "subfolder": ".."}, 403),
        ({"filename": "passwd", "subfolder": "/etc"}, 403),
        ({"filename": "passwd", "subfolder": "sub/../../../../../../etc"}, 403),
        ({"filename": "link_out.png"}, 403),
        ({"filename": "../outside/secret.png [input]"}, 403),
        ({"filename": "red.png\0"}, 403),
    ],
)
def test_view_refuses(client: httpx.Client, query: dict[str, str], status: int) -> None:
    response = client.get("/view", params=query)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("path", ["/view?filename=%2e%2e/outside/secret.png", "/view?filename=..%2Foutside%2Fsecret.png", "/api/view?filename=..%2F..%2Fetc%2Fpasswd"])
def test_view_refuses_encoded_escapes(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 403


def test_view_serves_non_ascii_names(client: httpx.Client, info_server: RunningServer) -> None:
    (info_server.workspace / "output" / "bild ä.png").write_bytes(png_bytes((1, 1), (0, 0, 0)))
    response = client.get("/view", params={"filename": "bild ä.png"})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == "filename=\"bild ?.png\"; filename*=UTF-8''bild%20%C3%A4.png"


# --- /upload/image -------------------------------------------------------------------------------


def upload(client: httpx.Client, name: str, data: bytes, path: str = "/upload/image", **fields: str) -> httpx.Response:
    return client.post(path, files={"image": (name, data, "image/png")}, data=fields)


def test_upload_then_use(client: httpx.Client, info_server: RunningServer) -> None:
    data = png_bytes((7, 3), (1, 2, 3), mode="RGB")
    response = upload(client, "upload_use.png", data)
    assert response.status_code == 200
    assert response.json() == {"name": "upload_use.png", "subfolder": "", "type": "input"}
    assert (info_server.workspace / "input" / "upload_use.png").read_bytes() == data
    # LoadImage lists it, /view serves it
    info = client.get("/object_info/LoadImage").json()
    assert "upload_use.png" in info["LoadImage"]["input"]["required"]["image"][0]
    assert client.get("/view", params={"filename": "upload_use.png", "type": "input"}).content == data
    # and a prompt can load it
    prompt = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "upload_use.png"}},
        "2": {"class_type": "GetImageSize", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
    }
    result = client.post("/api/v1/prompts", json=prompt, headers={"Accept": "application/json"})
    assert result.status_code == 200, result.text
    assert result.json()["outputs"]["3"]["text"] == ["7"]


def test_upload_names(client: httpx.Client, info_server: RunningServer) -> None:
    first, second, third = (png_bytes((2, 2), (i, 0, 0), mode="RGB") for i in range(3))
    assert upload(client, "dup.png", first).json()["name"] == "dup.png"
    assert upload(client, "dup.png", first).json()["name"] == "dup.png"  # same bytes: reused
    assert upload(client, "dup.png", second).json()["name"] == "dup (1).png"
    assert upload(client, "dup.png", third).json()["name"] == "dup (2).png"
    assert upload(client, "dup.png", second).json()["name"] == "dup (1).png"  # found again
    folder = info_server.workspace / "input"
    assert [(folder / n).read_bytes() for n in ("dup.png", "dup (1).png", "dup (2).png")] == [first, second, third]
    for flag in ("true", "1"):
        replaced = upload(client, "dup.png", third, overwrite=flag)
        assert replaced.json()["name"] == "dup.png"
        assert (folder / "dup.png").read_bytes() == third
        upload(client, "dup.png", first, overwrite=flag)
    assert upload(client, "noext", first).json()["name"] == "noext"
    assert upload(client, "noext", second).json()["name"] == "noext (1)"


@pytest.mark.parametrize(
    ("fields", "relative", "expected"),
    [
        ({"subfolder": "clipspace"}, "input/clipspace/x.png", {"subfolder": "clipspace", "type": "input"}),
        ({"subfolder": "a/b"}, "input/a/b/x.png", {"subfolder": "a/b", "type": "input"}),
        ({"type": "temp"}, "temp/x.png", {"subfolder": "", "type": "temp"}),
        ({"type": "output", "subfolder": "up"}, "output/up/x.png", {"subfolder": "up", "type": "output"}),
        ({"type": "input"}, "input/x.png", {"subfolder": "", "type": "input"}),
    ],
)
def test_upload_folders(client: httpx.Client, info_server: RunningServer, fields: dict[str, str], relative: str, expected: dict[str, str]) -> None:
    data = png_bytes((1, 1), (5, 5, 5), mode="RGB")
    response = upload(client, "x.png", data, overwrite="1", **fields)
    assert response.status_code == 200
    assert response.json() == {"name": "x.png", **expected}
    assert (info_server.workspace / relative).read_bytes() == data


@pytest.mark.parametrize("path", ["/upload/image", "/api/upload/image", "/upload/mask"])
@pytest.mark.parametrize(
    ("name", "fields", "status"),
    [
        ("../escape.png", {}, 403),
        ("../../escape.png", {"subfolder": "a"}, 403),
        ("/tmp/escape.png", {}, 403),
        ("x.png", {"subfolder": ".."}, 403),
        ("x.png", {"subfolder": "../output"}, 403),
        ("x.png", {"subfolder": "/tmp"}, 403),
        ("x.png", {"subfolder": "a/../../.."}, 403),
        ("x.png", {"type": "models"}, 400),
        ("", {}, 400),
        ("x" * 300 + ".png", {}, 400),
    ],
)
def test_upload_refuses(client: httpx.Client, info_server: RunningServer, path: str, name: str, fields: dict[str, str], status: int) -> None:
    if path == "/upload/mask":
        fields = {**fields, "original_ref": json.dumps({"filename": "red.png"})}
    response = upload(client, name, png_bytes((8, 6), (0, 0, 0, 0)), path, **fields)
    assert response.status_code == status, response.text
    assert not (info_server.workspace / "escape.png").exists()
    assert not Path("/tmp/escape.png").exists()


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": {"subfolder": "x"}}, 400),  # no file
        ({"files": {"other": ("x.png", b"123", "image/png")}}, 400),  # file under another name
        ({"data": {"image": "not a file"}, "files": {"other": ("x.png", b"1", "image/png")}}, 400),
        ({"content": b"{}", "headers": {"Content-Type": "application/json"}}, 400),
        ({"content": b"--x\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=x"}}, 400),
        ({}, 400),
    ],
)
def test_upload_bad_forms(client: httpx.Client, kwargs: dict[str, Any], status: int) -> None:
    assert client.post("/upload/image", **kwargs).status_code == status


def test_upload_through_a_symlink_is_refused(client: httpx.Client, info_server: RunningServer) -> None:
    # output/link_out.png points outside; writing it (even with overwrite) must not follow it
    before = (info_server.workspace / "outside" / "secret.png").read_bytes()
    response = upload(client, "link_out.png", b"new", type="output", overwrite="true")
    assert response.status_code == 403
    assert (info_server.workspace / "outside" / "secret.png").read_bytes() == before


def test_upload_too_large(small_server: Any) -> None:
    server: RunningServer = small_server(max_upload_size=0.01)  # 10,486 bytes
    with server.client() as http:
        assert http.get("/features").json()["max_upload_size"] == 10486
        response = upload(http, "big.png", b"\0" * 20_000)
        assert response.status_code == 413
        assert not (server.workspace / "input" / "big.png").exists()
        assert upload(http, "small.png", b"\0" * 5_000).status_code == 200


def test_upload_too_large_without_content_length(small_server: Any) -> None:
    server: RunningServer = small_server(max_upload_size=0.01)
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + b"\0" * 20_000 + f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Any:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    with server.client() as http:
        response = http.post("/upload/image", content=chunks(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413
    assert not (server.workspace / "input" / "big.png").exists()


def test_concurrent_uploads_never_overwrite(client: httpx.Client, info_server: RunningServer) -> None:
    datas = [png_bytes((1, 1), (i, i, i), mode="RGB") for i in range(12)]
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        names = list(pool.map(lambda d: upload(client, "race.png", d).json()["name"], datas))
    assert len(set(names)) == len(datas)
    folder = info_server.workspace / "input"
    assert sorted((folder / n).read_bytes() for n in names) == sorted(datas)


# --- /upload/mask ----------------------------------------------------------------------------------


def test_upload_mask_composites_alpha(client: httpx.Client, info_server: RunningServer) -> None:
    mask = png_bytes((8, 6), (0, 0, 0, 40))
    response = upload(client, "clipspace-mask-1.png", mask, "/upload/mask", original_ref=json.dumps({"filename": "red.png", "type": "output"}), subfolder="clipspace")
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "clipspace-mask-1.png", "subfolder": "clipspace", "type": "input"}
    saved = Image.open(info_server.workspace / "input" / "clipspace" / "clipspace-mask-1.png")
    assert saved.format == "PNG" and saved.mode == "RGBA" and saved.size == (8, 6)
    assert saved.getpixel((3, 3)) == (255, 0, 0, 40)  # the original's colour, the mask's alpha
    assert saved.info.get("prompt") == "{}"  # the original's text chunks are kept
    # the original itself is untouched
    assert Image.open(info_server.workspace / "output" / "red.png").getpixel((0, 0)) == (255, 0, 0, 128)


@pytest.mark.parametrize(
    "ref",
    [
        {"filename": "green.png", "type": "input"},
        {"filename": "green.png [input]"},
        {"filename": "blue.png", "subfolder": "sub"},
    ],
)
def test_upload_mask_originals(client: httpx.Client, info_server: RunningServer, ref: dict[str, str]) -> None:
    query = {"filename": ref["filename"], **{k: v for k, v in ref.items() if k != "filename"}}
    size = image_of(client.get("/view", params=query)).size
    response = upload(client, "m.png", png_bytes(size, (0, 0, 0, 7)), "/upload/mask", original_ref=json.dumps(ref), overwrite="1")
    assert response.status_code == 200, response.text
    pixel = Image.open(info_server.workspace / "input" / "m.png").getpixel((0, 0))
    assert isinstance(pixel, tuple) and pixel[3] == 7


@pytest.mark.parametrize(
    ("original_ref", "status"),
    [
        (None, 400),
        ("not json", 400),
        ("[1, 2]", 400),
        (json.dumps({"subfolder": ""}), 400),
        (json.dumps({"filename": ""}), 400),
        (json.dumps({"filename": "missing.png"}), 404),
        (json.dumps({"filename": "red.png", "type": "models"}), 400),
        (json.dumps({"filename": "../outside/secret.png"}), 403),
        (json.dumps({"filename": "secret.png", "subfolder": "../outside"}), 403),
        (json.dumps({"filename": "link_out.png"}), 403),
        (json.dumps({"filename": "/etc/passwd"}), 403),
        (json.dumps({"filename": "data.json"}), 400),  # not an image
        (json.dumps({"filename": "blue.png", "subfolder": "sub"}), 400),  # 4×4, the mask is 8×6
    ],
)
def test_upload_mask_refuses(client: httpx.Client, info_server: RunningServer, original_ref: str | None, status: int) -> None:
    fields = {} if original_ref is None else {"original_ref": original_ref}
    response = upload(client, "refused-mask.png", png_bytes((8, 6), (0, 0, 0, 1)), "/upload/mask", **fields)
    assert response.status_code == status, response.text
    assert not (info_server.workspace / "input" / "refused-mask.png").exists()

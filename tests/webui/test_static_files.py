"""Serving the frontend's files: `/`, caching validators, long-lived hashed assets, cached gzip,
no shadowing of other routes, and the page shown when the UI extra is not installed."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_helpers import RunningServer, start_server
from webui_helpers import requires_frontend

from comfy.server import frontend
from comfy.server.frontend import StaticFiles


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("static-workspace"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(site: RunningServer) -> Iterator[httpx.Client]:
    with site.client() as client:
        yield client


def _root() -> Path:
    root = frontend.package_static_root()
    assert root is not None
    return Path(root)


def _hashed_asset() -> str:
    index = (_root() / "index.html").read_text()
    match = re.search(r'src="\./(assets/index-[A-Za-z0-9_-]{8}\.js)"', index)
    assert match, "index.html names its entry script"
    return match.group(1)


@requires_frontend
def test_index_is_the_frontend_and_is_revalidated(http: httpx.Client) -> None:
    response = http.get("/", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text == (_root() / "index.html").read_text()
    assert response.headers["cache-control"] == "no-cache"
    etag = response.headers["etag"]
    again = http.get("/", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert http.get("/", headers={"if-modified-since": response.headers["last-modified"], "accept-encoding": "identity"}).status_code == 304


@requires_frontend
def test_hashed_assets_are_immutable_and_gzipped_once(http: httpx.Client, site: RunningServer) -> None:
    asset = _hashed_asset()
    raw = (_root() / asset).read_bytes()
    plain = http.get("/" + asset, headers={"accept-encoding": "identity"})
    assert plain.status_code == 200 and plain.content == raw
    assert plain.headers["content-type"].startswith("application/javascript")
    assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-encoding" not in plain.headers and plain.headers["vary"] == "Accept-Encoding"

    zipped = http.get("/" + asset, headers={"accept-encoding": "gzip, deflate"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == raw  # httpx decodes it
    assert int(zipped.headers["content-length"]) < len(raw) * 0.7
    assert zipped.headers["etag"] != plain.headers["etag"]  # each encoding has its own validator
    assert http.get("/" + asset, headers={"accept-encoding": "gzip", "if-none-match": zipped.headers["etag"]}).status_code == 304

    # the compressed bytes are kept: a second request costs no compression
    route = next(r for r in site.app.router.routes if type(r).__name__ == "StaticRoute")
    cached = route.files._gzip.size
    assert cached > 0
    http.get("/" + asset, headers={"accept-encoding": "gzip"})
    assert route.files._gzip.size == cached


@requires_frontend
def test_head_and_range_requests(http: httpx.Client) -> None:
    asset = _hashed_asset()
    size = (_root() / asset).stat().st_size
    head = http.head("/" + asset, headers={"accept-encoding": "identity"})
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) == size
    part = http.get("/" + asset, headers={"accept-encoding": "identity", "range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100


@requires_frontend
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/assets/no-such-file.js", 404),
        ("/assets/../index.html", 200),  # normalized by the client: /index.html
        ("/%2e%2e/%2e%2e/etc/passwd", 404),
        ("/scripts/../../pyproject.toml", 404),
        ("/.hidden", 404),
        ("/upload/image", 405),  # GET on a POST-only route: the UI's route does not hide it
        ("/api/prompt", 200),
        ("/extensions/core/groupNode.js", 200),  # a frontend file, not a custom node pack's
        ("/user.css", 200),
    ],
)
def test_only_the_builds_files_are_served(http: httpx.Client, path: str, status: int) -> None:
    assert http.get(path).status_code == status


@requires_frontend
def test_user_css_defaults_to_an_empty_stylesheet(http: httpx.Client) -> None:
    for path in ("/user.css", "/api/userdata/user.css"):
        response = http.get(path)
        assert response.status_code == 200 and response.content == b""
        assert response.headers["content-type"].startswith("text/css")


def test_static_index_leaves_out_links_that_escape(tmp_path: Path) -> None:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html>")
    (root / "assets" / "app-abcdEFGH.js").write_text("console.log(1)\n" * 200)
    (tmp_path / "secret.txt").write_text("secret")
    (root / "assets" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (root / ".env").write_text("KEY=1")
    files = StaticFiles(str(root))
    assert set(files.files) == {"index.html", "assets/app-abcdEFGH.js"}
    assert files.files["assets/app-abcdEFGH.js"].cache_control == frontend.IMMUTABLE
    assert files.files["index.html"].cache_control == frontend.REVALIDATE


def test_front_end_root_option_serves_another_build(tmp_path: Path) -> None:
    root = tmp_path / "dist"
    root.mkdir()
    (root / "index.html").write_text("<!doctype html><title>dev build</title>")
    running = start_server(tmp_path / "ws", front_end_root=str(root))
    try:
        with running.client() as client:
            assert "dev build" in client.get("/").text
            assert client.get("/assets/index-B2rHQ9Sn.js").status_code == 404
    finally:
        running.stop()


@pytest.mark.parametrize("accept", ["text/html,application/xhtml+xml", "application/json"])
def test_without_the_ui_extra_root_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, accept: str) -> None:
    monkeypatch.setattr(frontend, "package_static_root", lambda: None)
    monkeypatch.delenv("COMFYUI_FRONT_END_ROOT", raising=False)
    running = start_server(tmp_path / "ws")
    try:
        with running.client() as client:
            response = client.get("/", headers={"accept": accept})
            assert response.status_code == 404
            assert "comfy-server[ui]" in response.text
            if accept == "application/json":
                assert response.json()["install"] == frontend.INSTALL_HINT
            else:
                assert response.headers["content-type"].startswith("text/html")
            assert client.get("/assets/index-B2rHQ9Sn.js").status_code == 404
            assert client.get("/api/prompt").status_code == 200  # the API is unaffected
    finally:
        running.stop()

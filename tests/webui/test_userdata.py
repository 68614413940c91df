"""Users, settings and user data files over HTTP: they persist under `user/<id>/` and never
leave it (`..`, absolute names, `%2e%2e` encoded once or twice, symlinks)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import RunningServer, start_server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("userdata-workspace"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(site: RunningServer) -> Iterator[httpx.Client]:
    with site.client() as client:
        yield client


def _user_dir(site: RunningServer, user: str = "default") -> Path:
    return site.workspace / "user" / user


def test_users_single_user_mode(http: httpx.Client, site: RunningServer) -> None:
    body = http.get("/api/users").json()
    assert body["storage"] == "server" and body["migrated"] == _user_dir(site).is_dir()
    assert http.post("/api/users", json={"username": "x"}).status_code == 200  # ComfyUI accepts it too
    assert http.get("/users").json()["storage"] == "server"


def test_settings_persist_in_comfy_settings_json(http: httpx.Client, site: RunningServer) -> None:
    assert http.post("/api/settings", json={"Comfy.A": 1, "Comfy.B": {"x": [1, 2]}}).status_code == 200
    assert http.post("/api/settings/Comfy.C", json="dark").status_code == 200
    assert http.post("/api/settings/Comfy.A", json=2).status_code == 200
    on_disk = json.loads((_user_dir(site) / "comfy.settings.json").read_text())
    assert on_disk == {"Comfy.A": 2, "Comfy.B": {"x": [1, 2]}, "Comfy.C": "dark"}
    assert http.get("/api/settings").json() == on_disk
    assert http.get("/api/settings/Comfy.B").json() == {"x": [1, 2]}
    assert http.get("/api/settings/Comfy.Missing").json() is None
    bad = http.post("/api/settings", content=b"[1, 2]", headers={"content-type": "application/json"})
    assert bad.status_code == 400
    assert http.post("/api/settings", content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
    assert json.loads((_user_dir(site) / "comfy.settings.json").read_text()) == on_disk


def test_workflow_files_round_trip(http: httpx.Client, site: RunningServer) -> None:
    workflow = {"nodes": [], "links": [], "version": 0.4}
    body = json.dumps(workflow).encode()
    saved = http.post("/api/userdata/workflows%2Fmy%20flow.json", params={"overwrite": "false", "full_info": "true"}, content=body)
    assert saved.status_code == 200, saved.text
    info = saved.json()
    assert info["path"] == "workflows/my flow.json" and info["size"] == len(body)
    path = _user_dir(site) / "workflows" / "my flow.json"
    assert json.loads(path.read_text()) == workflow
    assert http.post("/api/userdata/workflows%2Fmy%20flow.json", params={"overwrite": "false"}, json=workflow).status_code == 409
    assert http.post("/api/userdata/workflows%2Fmy%20flow.json", json={"v": 2}).json() == "workflows/my flow.json"

    got = http.get("/api/userdata/workflows%2Fmy%20flow.json")
    assert got.status_code == 200 and got.json() == {"v": 2}
    assert got.headers["content-disposition"] == "attachment" and got.headers["x-content-type-options"] == "nosniff"

    listing = http.get("/api/userdata", params={"dir": "workflows", "recurse": "true", "split": "false", "full_info": "true"}).json()
    assert [entry["path"] for entry in listing] == ["my flow.json"]
    assert http.get("/api/userdata", params={"dir": "workflows", "split": "true"}).json() == [["my flow.json", "my flow.json"]]
    assert http.get("/api/userdata", params={"dir": "never-made"}).json() == []
    assert http.get("/api/userdata").status_code == 400

    tree = http.get("/api/v2/userdata").json()
    assert {"name": "workflows", "path": "workflows", "type": "directory"} in tree
    assert any(e["path"] == "workflows/my flow.json" and e["type"] == "file" and e["size"] > 0 for e in tree)
    assert http.get("/api/v2/userdata", params={"path": "nowhere"}).status_code == 404
    assert http.get("/api/v2/userdata", params={"path": "comfy.settings.json"}).status_code in (400, 404)

    moved = http.post("/api/userdata/workflows%2Fmy%20flow.json/move/workflows%2Fsub%2Frenamed.json")
    assert moved.status_code == 200 and moved.json() == "workflows/sub/renamed.json"
    assert not path.exists() and (_user_dir(site) / "workflows" / "sub" / "renamed.json").is_file()
    assert http.post("/api/userdata/workflows%2Fgone.json/move/workflows%2Fx.json").status_code == 404

    assert http.delete("/api/userdata/workflows%2Fsub%2Frenamed.json").status_code == 204
    assert http.get("/api/userdata/workflows%2Fsub%2Frenamed.json").status_code == 404
    assert http.delete("/api/userdata/workflows%2Fsub%2Frenamed.json").status_code == 404


def test_markup_is_never_served_as_itself(http: httpx.Client) -> None:
    assert http.post("/api/userdata/page.html", content=b"<script>alert(1)</script>").status_code == 200
    got = http.get("/api/userdata/page.html")
    assert got.headers["content-type"] == "application/octet-stream" and got.headers["content-disposition"] == "attachment"


@pytest.fixture(scope="module")
def outside(site: RunningServer) -> Path:
    """A file outside the user folder, and symlinks to it and to its folder inside the user folder."""
    folder = site.workspace / "outside"
    folder.mkdir(exist_ok=True)
    (folder / "secret.json").write_text('{"secret": true}')
    user = _user_dir(site)
    user.mkdir(parents=True, exist_ok=True)
    (user / "link.json").symlink_to(folder / "secret.json")
    (user / "linkdir").symlink_to(folder, target_is_directory=True)
    (site.workspace / "user" / "other").mkdir(exist_ok=True)
    (site.workspace / "user" / "other" / "theirs.json").write_text("{}")
    return folder


ESCAPES = [
    "..%2Foutside%2Fsecret.json",
    "..%2F..%2Foutside%2Fsecret.json",
    "%2e%2e%2F%2e%2e%2Foutside%2Fsecret.json",
    "%252e%252e%252f%252e%252e%252foutside%252fsecret.json",  # encoded twice
    "%2Fetc%2Fpasswd",
    "%2F" + "%2F".join(["tmp", "x.json"]),
    "..%2Fother%2Ftheirs.json",  # another user's file
    "link.json",  # a symlink out
    "linkdir%2Fsecret.json",  # through a symlinked folder
    "linkdir%2Fnew.json",
    "a%5C..%5C..%5Csecret.json",  # backslashes
    "x%00.json",
]


@pytest.mark.parametrize("name", ESCAPES)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_names_that_escape_the_user_folder_are_refused(http: httpx.Client, site: RunningServer, outside: Path, name: str, method: str) -> None:
    before = _snapshot(site.workspace)
    response = http.request(method, "/api/userdata/" + name, content=b'{"pwned": 1}' if method == "POST" else None)
    assert response.status_code == 403, (method, name, response.status_code)
    assert (outside / "secret.json").read_text() == '{"secret": true}'
    assert _snapshot(site.workspace) == before


@pytest.mark.parametrize("name", ESCAPES)
def test_moves_that_escape_are_refused(http: httpx.Client, site: RunningServer, outside: Path, name: str) -> None:
    assert http.post("/api/userdata/mine.json", content=b"{}").status_code == 200
    before = _snapshot(site.workspace)
    for path in (f"/api/userdata/mine.json/move/{name}", f"/api/userdata/{name}/move/stolen.json"):
        assert http.post(path).status_code == 403, path
    assert _snapshot(site.workspace) == before


@pytest.mark.parametrize("query", [{"dir": "../outside"}, {"dir": "/etc"}, {"dir": "linkdir"}, {"dir": "%2e%2e/other"}])
def test_listings_stay_in_the_user_folder(http: httpx.Client, outside: Path, query: dict[str, str]) -> None:
    assert http.get("/api/userdata", params=query).status_code == 403
    assert http.get("/api/v2/userdata", params={"path": query["dir"]}).status_code == 400  # ComfyUI's status here


def _snapshot(root: Path) -> dict[str, Any]:
    """Every file under `root` (symlinks as their target) with its bytes."""
    found: dict[str, Any] = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            found[str(path)] = os.readlink(path) if path.is_symlink() else path.read_bytes()
    return found


def test_multi_user(tmp_path: Path) -> None:
    running = start_server(tmp_path / "ws", multi_user=True)
    try:
        with running.client() as http:
            assert http.get("/api/users").json() == {"storage": "server", "users": {}}
            alice = http.post("/api/users", json={"username": "Alice Smith"}).json()
            assert alice.startswith("Alice-Smith_")
            assert http.post("/api/users", json={"username": "Alice Smith"}).status_code == 400
            assert http.post("/api/users", json={"username": "__system"}).status_code == 400
            assert http.get("/api/users").json()["users"] == {alice: "Alice Smith"}

            assert http.post("/api/settings/Comfy.Theme", json="light", headers={"comfy-user": alice}).status_code == 200
            settings = json.loads((tmp_path / "ws" / "user" / alice / "comfy.settings.json").read_text())
            assert settings == {"Comfy.Theme": "light"}
            assert http.post("/api/userdata/workflows%2Fa.json", content=b"{}", headers={"comfy-user": alice}).status_code == 200
            assert (tmp_path / "ws" / "user" / alice / "workflows" / "a.json").is_file()

            for user in ("nobody", "__system", "../default", ""):
                headers = {"comfy-user": user} if user else {}
                assert http.get("/api/settings", headers=headers).status_code == 403, user
                assert http.get("/api/userdata/workflows%2Fa.json", headers=headers).status_code == 403, user
    finally:
        running.stop()


def test_encoded_route_name_still_resolves_names_safely(http: httpx.Client, site: RunningServer) -> None:
    assert http.post("/api/%75serdata/enc.json", content=b"{}").status_code == 200
    assert (_user_dir(site) / "enc.json").is_file()
    assert http.get("/api/%75serdata/..%2F..%2Fpyproject.toml").status_code == 403

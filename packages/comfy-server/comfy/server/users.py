"""Users and their folders under the workspace's ``user/`` directory (ComfyUI's user manager).

Each request acts for one user: ``default``, or, when the configuration's ``multi_user`` is on,
the user its ``Comfy-User`` header names (one of ``user/users.json``, which ``POST /users``
extends). A user's files live in ``user/<id>/``: settings in ``comfy.settings.json``, saved
workflows in ``workflows/``, and whatever else the frontend stores there.

:meth:`UserDirectory.resolve` is the single gate for file names that come from a request:
absolute names, names that climb out with ``..`` (also when percent-encoded twice, since
ComfyUI decodes a ``%`` left in a name once more), NUL bytes and symlinks that lead out of the
user's folder all raise :class:`UserPathError`; ids starting with ``__`` (ComfyUI's system
users) and ids that are not plain names are unknown users.
"""

from __future__ import annotations

import json
import os
import re
import threading
import urllib.parse
import uuid
from typing import Any

from comfy.folder_paths import PathEscapeError, safe_join

__all__ = [
    "DEFAULT_USER",
    "SETTINGS_FILE",
    "SYSTEM_USER_PREFIX",
    "UnknownUser",
    "UserDirectory",
    "UserPathError",
    "write_atomically",
]

DEFAULT_USER = "default"
SETTINGS_FILE = "comfy.settings.json"
SYSTEM_USER_PREFIX = "__"
_USER_ID = re.compile(r"^[A-Za-z0-9_-]+$")


class UnknownUser(KeyError):
    """The request names no user of this server (answered with 403)."""


class UserPathError(ValueError):
    """A file name that would leave the user's folder (answered with 403)."""


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename, so a
    reader never sees half a file."""
    folder = os.path.dirname(path)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class UserDirectory:
    """The users of one server and their folders under ``root`` (the workspace's ``user/``)."""

    def __init__(self, root: str, multi_user: bool = False) -> None:
        self.root = os.path.abspath(root)
        self.multi_user = multi_user
        self._lock = threading.Lock()

    # --- users ---------------------------------------------------------------------------

    @property
    def users_file(self) -> str:
        return os.path.join(self.root, "users.json")

    def users(self) -> dict[str, str]:
        """``{id: name}``: ``users.json`` with ``multi_user``, else only ``default``."""
        if not self.multi_user:
            return {DEFAULT_USER: DEFAULT_USER}
        try:
            with open(self.users_file, encoding="utf-8") as f:
                users = json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in users.items()} if isinstance(users, dict) else {}

    def add_user(self, name: str) -> str:
        """Register a user called ``name``; returns its new id (``<name as a slug>_<uuid>``).
        Raises ValueError for an empty, reserved or taken name."""
        name = name.strip()
        if not name:
            raise ValueError("username not provided")
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name)
        if name.startswith(SYSTEM_USER_PREFIX) or slug.startswith(SYSTEM_USER_PREFIX):
            raise ValueError("System User prefix not allowed")
        with self._lock:
            users = self.users()
            if name in users.values():
                raise ValueError("Duplicate username.")
            user_id = f"{slug}_{uuid.uuid4()}"
            users[user_id] = name
            os.makedirs(self.root, exist_ok=True)
            write_atomically(self.users_file, json.dumps(users, indent=2).encode("utf-8"))
        return user_id

    def user_id(self, headers: Any) -> str:
        """The user a request acts for (its ``Comfy-User`` header with ``multi_user``); raises
        :class:`UnknownUser`."""
        user = DEFAULT_USER
        if self.multi_user:
            user = headers.get("comfy-user") or DEFAULT_USER
        if user.startswith(SYSTEM_USER_PREFIX) or not _USER_ID.match(user) or user not in self.users():
            raise UnknownUser(user)
        return user

    # --- files ---------------------------------------------------------------------------

    def user_root(self, user: str) -> str:
        """``root/<user>`` (need not exist yet)."""
        if user.startswith(SYSTEM_USER_PREFIX) or not _USER_ID.match(user):
            raise UnknownUser(user)
        return os.path.join(self.root, user)

    def resolve(self, user: str, name: str) -> str:
        """The path of ``name`` (``/``-separated, relative) in ``user``'s folder; raises
        :class:`UserPathError` when it would lead out of it."""
        if "%" in name:  # ComfyUI decodes names once more: "%2e%2e" must not slip through
            name = urllib.parse.unquote(name)
        if not name or "\\" in name:
            raise UserPathError(f"invalid file name {name!r}")
        user_root = self.user_root(user)
        try:
            return safe_join(user_root, name)
        except PathEscapeError as e:
            raise UserPathError(str(e)) from e

    # --- settings ------------------------------------------------------------------------

    def settings_path(self, user: str) -> str:
        return os.path.join(self.user_root(user), SETTINGS_FILE)

    def read_settings(self, user: str) -> dict[str, Any]:
        """The user's settings (``{}`` when there are none or the file is unreadable)."""
        try:
            with open(self.settings_path(user), encoding="utf-8") as f:
                settings = json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}
        return settings if isinstance(settings, dict) else {}

    def update_settings(self, user: str, values: dict[str, Any]) -> dict[str, Any]:
        """Merge ``values`` into the user's settings and write them; returns the result."""
        with self._lock:
            settings = {**self.read_settings(user), **values}
            path = self.settings_path(user)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomically(path, json.dumps(settings, indent=4, ensure_ascii=False).encode("utf-8"))
        return settings

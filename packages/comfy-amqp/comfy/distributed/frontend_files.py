"""`OutputStore`: output files that came back inside a distributed result, on the frontend's disk.

Workers and frontends share no filesystem: a worker sends a run's output files with its result
(``comfy.file`` chunks, `wire` module docstring). The frontend writes them into its own workspace
(``output/`` for `type: output`, ``temp/`` for previews, as the worker had them) so the unchanged
`/view` route and `POST /api/v1/prompts` with `Accept: image/png` serve them like local files, and
it rewrites the prompt's outputs to point there (`abs_path` becomes the frontend's path).

Several workers number their files independently (`ComfyUI_00001_.png` on each), so a name can
arrive twice with different bytes: the second file then gets the prompt id in its name
(`ComfyUI_00001__1a2b3c4d.png`) and the outputs name that file. The same bytes under the same name
(a redelivered job, a cached prompt) are written once.

Files a worker did not send (over its size threshold: records without bytes) keep their names;
`/view` finds them only when the frontend shares the worker's disk after all.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from comfy.folder_paths import FolderPaths, PathEscapeError, safe_join

__all__ = ["OutputStore", "ReceivedFile"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReceivedFile:
    """One output file of a result: where the worker had it, and its bytes."""

    filename: str
    subfolder: str
    type: str
    data: bytes

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.type or "output", self.subfolder or "", self.filename)


def _sha256_of_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OutputStore:
    """Writes received files under `folders` and rewrites outputs (see the module docstring)."""

    def __init__(self, folders: FolderPaths) -> None:
        self.folders = folders

    def _target(self, file: ReceivedFile) -> str | None:
        folder = self.folders.get_directory_by_type(file.type or "output")
        if folder is None:
            return None
        try:
            return safe_join(folder, os.path.join(file.subfolder or "", file.filename))
        except PathEscapeError:
            logger.warning("ignoring an output file with an unsafe name: %r / %r", file.subfolder, file.filename)
            return None

    def _write(self, file: ReceivedFile, prompt_id: str) -> str | None:
        """Write one file; returns the path it got (None when it cannot be stored)."""
        target = self._target(file)
        if target is None:
            return None
        digest = hashlib.sha256(file.data).hexdigest()
        stem, ext = os.path.splitext(target)
        candidates = [target, f"{stem}_{prompt_id[:8]}{ext}"] + [f"{stem}_{prompt_id[:8]}_{n}{ext}" for n in range(1, 100)]
        for path in candidates:
            if os.path.exists(path):
                try:
                    if os.path.getsize(path) == len(file.data) and _sha256_of_file(path) == digest:
                        return path  # the same bytes are there already
                except OSError:
                    pass
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(file.data)
                try:
                    os.link(temporary, path)  # fails if another result took the name meanwhile
                except FileExistsError:
                    continue
                except OSError:
                    os.replace(temporary, path)
                    temporary = ""
            finally:
                if temporary and os.path.exists(temporary):
                    os.unlink(temporary)
            return path
        logger.warning("no free name for %s", target)
        return None

    def store(self, prompt_id: str, outputs: Mapping[str, Any], files: Iterable[ReceivedFile]) -> dict[str, Any]:
        """Write `files` and return `outputs` with their entries pointing at the stored files.
        Blocking (disk I/O): call it off the event loop for large results."""
        stored: dict[tuple[str, str, str], str] = {}
        for file in files:
            path = self._write(file, prompt_id)
            if path is not None:
                stored[file.key] = path
        return self.rewrite(outputs, stored)

    def rewrite(self, outputs: Mapping[str, Any], stored: Mapping[tuple[str, str, str], str]) -> dict[str, Any]:
        """`outputs` with each file entry (a dict with `filename`) whose (type, subfolder, filename)
        is in `stored` renamed to the stored file and given its `abs_path`; other entries lose a
        worker's `abs_path` (a path on another machine)."""

        def entry(item: Any) -> Any:
            if not isinstance(item, dict) or not isinstance(item.get("filename"), str):
                return item
            key = (str(item.get("type") or "output"), str(item.get("subfolder") or ""), item["filename"])
            path = stored.get(key)
            item = dict(item)
            if path is None:
                item.pop("abs_path", None)
                return item
            folder = self.folders.get_directory_by_type(key[0]) or ""
            relative = os.path.relpath(path, folder)
            subfolder, filename = os.path.split(relative)
            item["filename"] = filename
            item["subfolder"] = subfolder.replace(os.sep, "/")
            item["abs_path"] = path
            return item

        rewritten: dict[str, Any] = {}
        for node_id, ui in outputs.items():
            if not isinstance(ui, dict):
                rewritten[node_id] = ui
                continue
            rewritten[node_id] = {
                name: [entry(i) for i in value] if isinstance(value, list) else value for name, value in ui.items()
            }
        return rewritten

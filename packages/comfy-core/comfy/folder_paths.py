"""Workspace folders: models, input, output, temp, user and custom_nodes (ComfyUI's ``folder_paths``).

All state lives in a :class:`FolderPaths` object; nothing is computed at import. The module-level
functions (``get_output_directory()``, ``get_full_path(...)``, …, ComfyUI's names) act on the
*current* one: the object set for this context with :func:`use_folder_paths`, else the process
default, which :func:`configure` replaces and which is otherwise built lazily from
``os.getcwd()``.

Layout under the base directory (``--base-directory``, else ``--cwd``, else the working
directory): ``models/<folder>/``, ``input/``, ``output/``, ``temp/``, ``user/``,
``custom_nodes/``; ``--output-directory`` and friends override single folders, relative ones
against the base. ``--base-paths`` and ``--extra-model-paths-config`` files add more model
folders, and so do plugins (``comfy_folder_paths``); ``comfy_resolve_path`` may resolve names.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import mimetypes
import os
import shutil
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "supported_pt_extensions",
    "FolderPaths",
    "current",
    "configure",
    "use_folder_paths",
    "map_legacy",
    "set_base_directory",
    "get_output_directory",
    "get_input_directory",
    "get_temp_directory",
    "get_user_directory",
    "get_directory_by_type",
    "get_folder_paths",
    "add_model_folder_path",
    "get_full_path",
    "get_full_path_or_raise",
    "get_filename_list",
    "get_annotated_filepath",
    "exists_annotated_filepath",
    "get_save_image_path",
    "PathEscapeError",
    "safe_join",
    "create_unique_file",
    "filter_files_content_types",
    "cleanup_temp",
]

logger = logging.getLogger(__name__)

supported_pt_extensions: frozenset[str] = frozenset(
    {".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"}
)
"""File extensions of model weights."""

# folder name -> (sub-directories of models/, accepted extensions; empty = any)
_MODEL_FOLDERS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "checkpoints": (("checkpoints",), supported_pt_extensions),
    "configs": (("configs",), frozenset({".yaml"})),
    "loras": (("loras",), supported_pt_extensions),
    "vae": (("vae",), supported_pt_extensions),
    "text_encoders": (("text_encoders", "clip"), supported_pt_extensions),
    "diffusion_models": (("unet", "diffusion_models"), supported_pt_extensions),
    "clip_vision": (("clip_vision",), supported_pt_extensions),
    "style_models": (("style_models",), supported_pt_extensions),
    "embeddings": (("embeddings",), supported_pt_extensions),
    "diffusers": (("diffusers",), frozenset({"folder"})),
    "vae_approx": (("vae_approx",), supported_pt_extensions),
    "controlnet": (("controlnet", "t2i_adapter"), supported_pt_extensions),
    "gligen": (("gligen",), supported_pt_extensions),
    "upscale_models": (("upscale_models",), supported_pt_extensions),
    "latent_upscale_models": (("latent_upscale_models",), supported_pt_extensions),
    "hypernetworks": (("hypernetworks",), supported_pt_extensions),
    "photomaker": (("photomaker",), supported_pt_extensions),
    "classifiers": (("classifiers",), frozenset()),
    "model_patches": (("model_patches",), supported_pt_extensions),
    "audio_encoders": (("audio_encoders",), supported_pt_extensions),
}

_LEGACY_NAMES = {"unet": "diffusion_models", "clip": "text_encoders"}

DirectoryType = Literal["output", "input", "temp"]


def map_legacy(folder_name: str) -> str:
    """Map old folder names to current ones (``unet`` → ``diffusion_models``, ``clip`` → ``text_encoders``)."""
    return _LEGACY_NAMES.get(folder_name, folder_name)


def _resolve(path: str, base: str) -> str:
    path = os.path.expandvars(os.path.expanduser(path))
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(base, path))


class PathEscapeError(ValueError):
    """A file name that leads out of its folder: absolute, through ``..``, or through a symlink."""


def _relative_name(name: str, what: str) -> str:
    """``name`` normalized, refusing absolute names and names that climb out with ``..``."""
    normalized = os.path.normpath(name)
    if (
        os.path.isabs(name)
        or os.path.isabs(normalized)
        or os.path.splitdrive(normalized)[0]
        or normalized == os.pardir
        or normalized.startswith(os.pardir + os.sep)
        or "\0" in name
    ):
        raise PathEscapeError(f"file name {name!r} escapes the {what}")
    return normalized


def _is_within(path: str, folder: str) -> bool:
    """Whether the real (symlink-resolved) ``path`` lies in the real ``folder`` (or is it)."""
    real_folder = os.path.realpath(folder)
    real_path = os.path.realpath(path)
    try:
        return os.path.commonpath((real_folder, real_path)) == real_folder
    except ValueError:  # different drives
        return False


def safe_join(folder: str, name: str) -> str:
    """``folder/name`` for a ``name`` that stays inside ``folder``.

    Raises :class:`PathEscapeError` (a ``ValueError``) for an absolute ``name``, one that
    climbs out with ``..``, and one that leads out through a symlink (in ``name``'s own
    components or the file itself). ``folder`` itself may be a symlink. The file need not exist.
    """
    normalized = _relative_name(name, f"folder {folder!r}")
    full_path = os.path.join(folder, normalized) if normalized != os.curdir else folder
    if not _is_within(full_path, folder):
        raise PathEscapeError(f"file name {name!r} escapes the folder {folder!r} through a symlink")
    return full_path


def create_unique_file(
    folder: str, name_for_counter: Callable[[int], str], counter: int
) -> tuple[IO[bytes], str, int]:
    """Create and open (``wb``) the first free file ``folder/name_for_counter(n)``, ``n >= counter``.

    The name is claimed atomically (``O_CREAT | O_EXCL``), so two writers in threads or
    processes never get the same file; an existing file, directory or symlink of that name makes
    it try ``n + 1``. Returns ``(file, path, n)``; the caller closes the file.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        path = os.path.join(folder, name_for_counter(counter))
        try:
            fd = os.open(path, flags, 0o666)
        except FileExistsError:
            counter += 1
            continue
        return os.fdopen(fd, "wb"), path, counter


_CONTENT_TYPE_EXTENSIONS: dict[str, str] = {".webp": "image", ".avif": "image", ".jxl": "image", ".exr": "image"}


def filter_files_content_types(files: Collection[str], content_types: Collection[str]) -> list[str]:
    """The ``files`` whose media type (from the extension: ``image``, ``video``, ``audio``, …)
    is one of ``content_types``; order kept (ComfyUI's ``filter_files_content_types``)."""
    result = []
    for file in files:
        extension = os.path.splitext(file)[1].lower()
        content_type = _CONTENT_TYPE_EXTENSIONS.get(extension)
        if content_type is None:
            mime_type, _ = mimetypes.guess_type(file, strict=False)
            if not mime_type:
                continue
            content_type = mime_type.split("/")[0]
        if content_type in content_types:
            result.append(file)
    return result


def _load_mapping_file(path: str) -> Mapping[str, Any]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        import yaml
    except ImportError:
        try:
            return json.loads(text) or {}
        except json.JSONDecodeError as e:
            raise RuntimeError(f"PyYAML is needed to read {path} (it is not JSON either)") from e
    return yaml.safe_load(text) or {}


class FolderPaths:
    """The folders of one workspace; see the module docstring."""

    def __init__(
        self,
        base_directory: str | None = None,
        *,
        output_directory: str | None = None,
        input_directory: str | None = None,
        temp_directory: str | None = None,
        user_directory: str | None = None,
        plugin_manager: "pluggy.PluginManager | None" = None,
    ) -> None:
        self.plugin_manager = plugin_manager
        self._overrides = {
            "output": output_directory,
            "input": input_directory,
            "temp": temp_directory,
            "user": user_directory,
        }
        self.set_base_directory(base_directory or os.getcwd())

    @classmethod
    def from_configuration(
        cls, configuration: Mapping[str, Any] | None = None, *, plugin_manager: "pluggy.PluginManager | None" = None
    ) -> "FolderPaths":
        """Build the folders a :class:`~comfy.cli_args_types.Configuration` describes."""
        config = configuration or {}
        paths = cls(
            config.get("base_directory") or config.get("cwd"),
            output_directory=config.get("output_directory"),
            input_directory=config.get("input_directory"),
            temp_directory=config.get("temp_directory"),
            user_directory=config.get("user_directory"),
            plugin_manager=plugin_manager,
        )
        for extra_base in config.get("base_paths") or ():
            paths.add_base_path(extra_base)
        for yaml_path in config.get("extra_model_paths_config") or ():
            paths.load_extra_model_paths(yaml_path)
        if plugin_manager is not None:
            for contributed in plugin_manager.hook.comfy_folder_paths():
                for folder_name, folders in (contributed or {}).items():
                    for folder in folders:
                        paths.add_model_folder_path(folder_name, folder)
        return paths

    # --- base and single directories -------------------------------------------------------

    def set_base_directory(self, base_directory: str) -> None:
        """Re-root the workspace: every default folder moves under ``base_directory``."""
        base = os.path.abspath(os.path.expanduser(base_directory))
        self.base_directory = base
        self.models_directory = os.path.join(base, "models")
        self.output_directory = self._directory("output")
        self.input_directory = self._directory("input")
        self.temp_directory = self._directory("temp")
        self.user_directory = self._directory("user")
        self.folder_names_and_paths: dict[str, tuple[list[str], set[str]]] = {}
        for name, (subdirs, extensions) in _MODEL_FOLDERS.items():
            self.folder_names_and_paths[name] = (
                [os.path.join(self.models_directory, sub) for sub in subdirs],
                set(extensions),
            )
        self.folder_names_and_paths["custom_nodes"] = ([os.path.join(base, "custom_nodes")], set())

    def _directory(self, kind: str) -> str:
        override = self._overrides.get(kind)
        return _resolve(override, self.base_directory) if override else os.path.join(self.base_directory, kind)

    def get_directory_by_type(self, type_name: str) -> str | None:
        """The directory of ``"output"``, ``"input"`` or ``"temp"``; None for anything else."""
        return {"output": self.output_directory, "input": self.input_directory, "temp": self.temp_directory}.get(
            type_name
        )

    # --- model folders -----------------------------------------------------------------------

    def add_model_folder_path(self, folder_name: str, full_folder_path: str, is_default: bool = False) -> None:
        """Add a folder for ``folder_name`` (first when ``is_default``); unknown names are created."""
        folder_name = map_legacy(folder_name)
        full_folder_path = os.path.normpath(os.path.abspath(full_folder_path))
        paths, _ = self.folder_names_and_paths.setdefault(folder_name, ([], set()))
        if full_folder_path in paths:
            if is_default and paths[0] != full_folder_path:
                paths.remove(full_folder_path)
                paths.insert(0, full_folder_path)
            return
        if is_default:
            paths.insert(0, full_folder_path)
        else:
            paths.append(full_folder_path)

    def add_base_path(self, base_path: str) -> None:
        """Add ``base_path/models/<sub>`` for every model folder and ``base_path/custom_nodes``."""
        base = _resolve(base_path, self.base_directory)
        for name, (subdirs, _) in _MODEL_FOLDERS.items():
            for sub in subdirs:
                self.add_model_folder_path(name, os.path.join(base, "models", sub))
        self.add_model_folder_path("custom_nodes", os.path.join(base, "custom_nodes"))

    def load_extra_model_paths(self, config_path: str) -> None:
        """Read an ``extra_model_paths.yaml``: sections of ``folder_name: path(s)`` with optional
        ``base_path`` (relative to the file) and ``is_default``."""
        config_path = os.path.abspath(config_path)
        config_dir = os.path.dirname(config_path)
        for section, conf in _load_mapping_file(config_path).items():
            if not isinstance(conf, Mapping):
                logger.warning("%s: section %r is not a mapping; skipped", config_path, section)
                continue
            conf = dict(conf)
            base_path = conf.pop("base_path", None)
            base = _resolve(str(base_path), config_dir) if base_path else config_dir
            is_default = bool(conf.pop("is_default", False))
            for folder_name, value in conf.items():
                lines = value if isinstance(value, list) else str(value).split("\n")
                for line in lines:
                    line = str(line).strip()
                    if line:
                        self.add_model_folder_path(folder_name, _resolve(line, base), is_default)

    def get_folder_paths(self, folder_name: str) -> list[str]:
        """The folders of ``folder_name`` (a copy; empty for an unknown name)."""
        entry = self.folder_names_and_paths.get(map_legacy(folder_name))
        return list(entry[0]) if entry else []

    def get_full_path(self, folder_name: str, filename: str) -> str | None:
        """The first existing file ``filename`` in ``folder_name``'s folders, or None.

        Plugins may answer first (``comfy_resolve_path``). A ``filename`` that is absolute or
        escapes its folder (``../x``) raises :class:`PathEscapeError` (a ``ValueError``).
        Symlinks placed in a model folder are followed wherever they lead: model files are
        commonly linked in from shared storage, and only the operator can create them.
        """
        folder_name = map_legacy(folder_name)
        normalized = _relative_name(filename, f"{folder_name!r} folders")
        if self.plugin_manager is not None:
            resolved = self.plugin_manager.hook.comfy_resolve_path(folder_name=folder_name, filename=filename)
            if resolved is not None:
                return resolved
        for folder in self.get_folder_paths(folder_name):
            full_path = os.path.join(folder, normalized)
            if os.path.isfile(full_path):
                return full_path
            if os.path.islink(full_path):
                logger.warning("%s is a broken symlink; skipped", full_path)
        return None

    def get_full_path_or_raise(self, folder_name: str, filename: str) -> str:
        """Like :meth:`get_full_path` but raise :class:`FileNotFoundError` when not found."""
        full_path = self.get_full_path(folder_name, filename)
        if full_path is None:
            raise FileNotFoundError(f"model {filename!r} not found in {folder_name!r} folders: {self.get_folder_paths(folder_name)}")
        return full_path

    def get_filename_list(self, folder_name: str) -> list[str]:
        """Sorted relative paths (``/``-separated) of the matching files in ``folder_name``'s folders."""
        entry = self.folder_names_and_paths.get(map_legacy(folder_name))
        if entry is None:
            return []
        folders, extensions = entry
        found: set[str] = set()
        for folder in folders:
            if not os.path.isdir(folder):
                continue
            for root, dirs, files in os.walk(folder, followlinks=True):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in files:
                    if extensions and os.path.splitext(name)[1].lower() not in extensions:
                        continue
                    found.add(os.path.relpath(os.path.join(root, name), folder).replace(os.sep, "/"))
        return sorted(found)

    # --- annotated names ("image.png [output]") ------------------------------------------------

    def _annotated(self, name: str) -> tuple[str, str | None]:
        for kind in ("output", "input", "temp"):
            suffix = f" [{kind}]"
            if name.endswith(suffix):
                return name[: -len(suffix)], self.get_directory_by_type(kind)
        return name, None

    def get_annotated_filepath(self, name: str, default_dir: str | None = None) -> str:
        """Path of ``"name [output|input|temp]"`` (un-annotated: in ``default_dir`` or input/).

        A name that leaves its folder (absolute, ``../``, or a symlink leading out) raises
        :class:`PathEscapeError` (a ``ValueError``); see :func:`safe_join`.
        """
        name, directory = self._annotated(name)
        if directory is None:
            directory = default_dir if default_dir is not None else self.input_directory
        return safe_join(directory, name)

    def exists_annotated_filepath(self, name: str) -> bool:
        """Whether the annotated file exists (False for a name that escapes its folder)."""
        try:
            return os.path.exists(self.get_annotated_filepath(name))
        except PathEscapeError:
            return False

    # --- temp folder ---------------------------------------------------------------------------

    def clean_temp_directory(self) -> bool:
        """Delete the temp folder and everything in it (ComfyUI does this at start-up).

        Refused, with a warning, when the temp folder is the workspace itself, the filesystem
        root or the home folder, or holds the input, output, user or models folder (a
        ``--temp-directory`` pointing at the wrong place must not wipe real files). Returns
        whether anything was deleted.
        """
        temp = os.path.realpath(self.temp_directory)
        if not os.path.isdir(temp):
            return False
        protected = {
            os.path.realpath(p)
            for p in (self.base_directory, self.input_directory, self.output_directory, self.user_directory, self.models_directory)
        }
        root = os.path.abspath(os.sep)
        if temp in (root, os.path.realpath(os.path.expanduser("~"))) or any(
            _is_within(p, temp) for p in protected
        ):
            logger.warning("not cleaning the temp folder %s: it is or holds a workspace folder", temp)
            return False
        shutil.rmtree(temp, ignore_errors=True)
        return True


def _compute_vars(text: str, image_width: int, image_height: int) -> str:
    now = time.localtime()
    replacements = {
        "%width%": str(image_width),
        "%height%": str(image_height),
        "%year%": str(now.tm_year),
        "%month%": f"{now.tm_mon:02}",
        "%day%": f"{now.tm_mday:02}",
        "%hour%": f"{now.tm_hour:02}",
        "%minute%": f"{now.tm_min:02}",
        "%second%": f"{now.tm_sec:02}",
    }
    for key, value in replacements.items():
        text = text.replace(key, value)
    return text


def get_save_image_path(
    filename_prefix: str, output_dir: str, image_width: int = 0, image_height: int = 0
) -> tuple[str, str, int, str, str]:
    """Where to save the next file: ``(full_output_folder, filename, counter, subfolder, filename_prefix)``.

    ``filename_prefix`` may hold a subfolder (``"sub/name"``) and ``%width%``, ``%height%``,
    ``%year%`` … ``%second%``. ``counter`` is 1 + the largest ``N`` of the files named
    ``{filename}_{N}_…`` already in the folder (1 when none); the folder is created. A prefix
    that leaves ``output_dir`` (``..``, absolute, or through a symlinked subfolder) raises
    :class:`PathEscapeError` (a ``ValueError``). Files are then written as
    ``f"{filename}_{counter:05}_.png"``; claim each name with :func:`create_unique_file`,
    since another writer may take the same counter between this scan and the write.
    """
    if "%" in filename_prefix:
        filename_prefix = _compute_vars(filename_prefix, image_width, image_height)
    subfolder = os.path.dirname(os.path.normpath(filename_prefix))
    filename = os.path.basename(os.path.normpath(filename_prefix))
    output_dir = os.path.abspath(output_dir)
    full_output_folder = os.path.abspath(os.path.join(output_dir, subfolder))
    if os.path.commonpath((output_dir, full_output_folder)) != output_dir or not _is_within(
        full_output_folder, output_dir
    ):
        raise PathEscapeError(
            f"saving outside the output folder is not allowed: prefix {filename_prefix!r} leads to "
            f"{full_output_folder!r}, outside {output_dir!r}"
        )
    counter = 1
    try:
        existing = os.listdir(full_output_folder)
    except FileNotFoundError:
        os.makedirs(full_output_folder, exist_ok=True)
        existing = []
    wanted = os.path.normcase(filename + "_")
    for name in existing:
        if os.path.normcase(name[: len(wanted)]) != wanted:
            continue
        digits = name[len(wanted) :].split("_")[0]
        if digits.isdigit() and name[len(wanted) + len(digits) :].startswith("_"):
            counter = max(counter, int(digits) + 1)
    return full_output_folder, filename, counter, subfolder, filename_prefix


# --- the current FolderPaths ------------------------------------------------------------------

_context_paths: contextvars.ContextVar[FolderPaths | None] = contextvars.ContextVar(
    "comfy_folder_paths", default=None
)
_default_paths: FolderPaths | None = None
_default_lock = threading.Lock()


def current() -> FolderPaths:
    """The folders in effect: this context's, else the process default (built on first use)."""
    paths = _context_paths.get()
    if paths is not None:
        return paths
    global _default_paths
    if _default_paths is None:
        with _default_lock:
            if _default_paths is None:
                _default_paths = FolderPaths()
    return _default_paths


def configure(
    configuration: Mapping[str, Any] | None = None, *, plugin_manager: "pluggy.PluginManager | None" = None
) -> FolderPaths:
    """Replace the process default with the folders ``configuration`` describes; returns them."""
    global _default_paths
    paths = FolderPaths.from_configuration(configuration, plugin_manager=plugin_manager)
    with _default_lock:
        _default_paths = paths
    return paths


@contextlib.contextmanager
def use_folder_paths(paths: FolderPaths) -> Iterator[FolderPaths]:
    """Make ``paths`` current in this context (an execution) until the block exits."""
    token = _context_paths.set(paths)
    try:
        yield paths
    finally:
        _context_paths.reset(token)


def set_base_directory(base_directory: str) -> None:
    """Re-root the current workspace (ComfyUI's ``folder_paths.set_base_directory``)."""
    current().set_base_directory(base_directory)


def get_output_directory() -> str:
    return current().output_directory


def get_input_directory() -> str:
    return current().input_directory


def get_temp_directory() -> str:
    return current().temp_directory


def get_user_directory() -> str:
    return current().user_directory


def get_directory_by_type(type_name: str) -> str | None:
    return current().get_directory_by_type(type_name)


def get_folder_paths(folder_name: str) -> list[str]:
    return current().get_folder_paths(folder_name)


def add_model_folder_path(folder_name: str, full_folder_path: str, is_default: bool = False) -> None:
    current().add_model_folder_path(folder_name, full_folder_path, is_default)


def get_full_path(folder_name: str, filename: str) -> str | None:
    return current().get_full_path(folder_name, filename)


def get_full_path_or_raise(folder_name: str, filename: str) -> str:
    return current().get_full_path_or_raise(folder_name, filename)


def get_filename_list(folder_name: str) -> list[str]:
    return current().get_filename_list(folder_name)


def get_annotated_filepath(name: str, default_dir: str | None = None) -> str:
    return current().get_annotated_filepath(name, default_dir)


def exists_annotated_filepath(name: str) -> bool:
    return current().exists_annotated_filepath(name)


def cleanup_temp() -> bool:
    """Delete the current temp folder (see :meth:`FolderPaths.clean_temp_directory`)."""
    return current().clean_temp_directory()


_MODULE_ATTRIBUTES = {
    "base_path": "base_directory",
    "models_dir": "models_directory",
    "output_directory": "output_directory",
    "input_directory": "input_directory",
    "temp_directory": "temp_directory",
    "user_directory": "user_directory",
    "folder_names_and_paths": "folder_names_and_paths",
}


def __getattr__(name: str) -> Any:
    """ComfyUI's module globals (``folder_paths.models_dir``, ``folder_names_and_paths``…), read live."""
    if name in _MODULE_ATTRIBUTES:
        return getattr(current(), _MODULE_ATTRIBUTES[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

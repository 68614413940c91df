"""``Configuration``: the engine's settings as a dict with attribute access and change observers.

``Configuration()`` starts from :data:`DEFAULTS` (the same values the command-line parser of
:mod:`comfy.cli_args` uses), so embedded users can write::

    config = Configuration()
    config.cwd = "/srv/comfy"
    config.cache_lru = 32

Reading an unknown key as an attribute gives None (plugins add options of their own). Observers
registered with :meth:`Configuration.register_observer` are called as ``observer(key, value)``
whenever a value changes. Pickling keeps the values and drops the observers.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["Configuration", "ConfigObserver", "LatentPreviewMethod", "DEFAULTS"]

ConfigObserver = Callable[[str, Any], None]
"""Called as ``observer(key, new_value)`` after a value changes."""


class LatentPreviewMethod(str, enum.Enum):
    """How samplers make preview frames (``--preview-method``)."""

    NoPreviews = "none"
    Auto = "auto"
    Latent2RGB = "latent2rgb"
    TAESD = "taesd"

    @classmethod
    def from_string(cls, value: str) -> "LatentPreviewMethod | None":
        """The member whose value is ``value`` (case-insensitive), or None."""
        for member in cls:
            if member.value == value.lower():
                return member
        return None


DEFAULTS: Final[Mapping[str, Any]] = {
    # workspace
    "config_files": [],
    "cwd": None,
    "base_directory": None,
    "base_paths": [],
    "output_directory": None,
    "input_directory": None,
    "temp_directory": None,
    "user_directory": None,
    "extra_model_paths_config": [],
    # server
    "listen": "127.0.0.1",
    "port": 8188,
    "max_queue_size": 65536,
    "max_upload_size": 100.0,
    "enable_cors_header": None,
    "external_address": None,
    "api_key": None,
    "max_workers": 1,
    "max_prompt_nodes": 500_000,
    "max_string_length": 10_000_000,
    # caching
    "cache_lru": 0,
    "cache_ram": 0.0,
    "cache_none": False,
    "cache_classic": False,
    # custom nodes
    "disable_all_custom_nodes": False,
    "whitelist_custom_nodes": [],
    "blacklist_custom_nodes": [],
    # running
    "workflows": [],
    "panic_when": [],
    "preview_method": LatentPreviewMethod.Auto,
    "preview_size": 512,
    "disable_metadata": False,
    "logging_level": "INFO",
    # distributed queue (comfy-amqp)
    "distributed_queue_connection_uri": None,
    "distributed_queue_name": "comfyui",
    "distributed_queue_worker": False,
    "distributed_queue_frontend": False,
    "health_port": None,
}
"""Every option's default value (``spec/engine.md`` §10)."""


def _restore(cls: type["Configuration"], values: dict[str, Any]) -> "Configuration":
    config = cls.__new__(cls)
    object.__setattr__(config, "_observers", [])
    dict.update(config, values)
    return config


class Configuration(dict):
    """Engine settings: a dict whose keys also read and write as attributes.

    Unknown keys read as None. Setting a value (``config.x = 1``, ``config["x"] = 1`` or
    ``config.update(x=1)``) notifies the observers when the value changed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        object.__setattr__(self, "_observers", [])
        dict.update(self, copy.deepcopy(dict(DEFAULTS)))
        values = dict(*args, **kwargs)
        verbose = values.pop("verbose", None)
        dict.update(self, values)
        if verbose is not None:
            self.verbose = verbose

    # --- attribute access ------------------------------------------------------------------

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__") and item.endswith("__"):
            raise AttributeError(item)
        return self.get(item)

    def __setattr__(self, key: str, value: Any) -> None:
        prop = getattr(type(self), key, None)
        if isinstance(prop, property):
            prop.__set__(self, value)  # type: ignore[attr-defined]
            return
        self[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(key) from None

    # --- change notification -------------------------------------------------------------

    def __setitem__(self, key: str, value: Any) -> None:
        changed = key not in self or self[key] != value
        super().__setitem__(key, value)
        if changed:
            self._notify_observers(key, value)

    def update(self, other: Mapping[str, Any] | None = None, /, **kwargs: Any) -> "Configuration":  # type: ignore[override]
        """Set several values, notifying observers of each that changed; returns ``self``."""
        items = dict(other or {}, **kwargs)
        changes = {k: v for k, v in items.items() if k not in self or self[k] != v}
        super().update(items)
        for key, value in changes.items():
            self._notify_observers(key, value)
        return self

    def register_observer(self, observer: ConfigObserver) -> None:
        """Call ``observer(key, value)`` after each change."""
        self._observer_list().append(observer)

    def unregister_observer(self, observer: ConfigObserver) -> None:
        """Stop notifying ``observer``."""
        self._observer_list().remove(observer)

    def _observer_list(self) -> list[ConfigObserver]:
        observers = self.__dict__.get("_observers")
        if observers is None:
            observers = []
            object.__setattr__(self, "_observers", observers)
        return observers

    def _notify_observers(self, key: str, value: Any) -> None:
        for observer in list(self.__dict__.get("_observers") or ()):
            observer(key, value)

    # --- copying and pickling ------------------------------------------------------------

    def copy(self) -> "Configuration":  # type: ignore[override]
        """A shallow copy with the same values and no observers."""
        return _restore(type(self), dict(self))

    def __copy__(self) -> "Configuration":
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> "Configuration":
        return _restore(type(self), copy.deepcopy(dict(self), memo))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), dict(self)))

    # --- aliases ---------------------------------------------------------------------------

    @property
    def verbose(self) -> str:
        """An alias of ``logging_level``; setting it to True means ``"DEBUG"``."""
        return self.get("logging_level") or "INFO"

    @verbose.setter
    def verbose(self, value: str | bool) -> None:
        if isinstance(value, bool):
            value = "DEBUG" if value else "INFO"
        self["logging_level"] = value

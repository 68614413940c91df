"""Exceptions raised by the API schema checks.

Named as in the OpenAPI-generated client that hiddenswitch/ComfyUI ships
(``comfy.api.exceptions``): :class:`ApiTypeError` is a :class:`TypeError` for a value of the
wrong type, :class:`ApiValueError` a :class:`ValueError` for a value of the right type but a bad
shape (a missing key, for instance). Both carry ``path_to_item``, the keys that lead from the
validated object to the offending value, and render it in their message.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["OpenApiException", "ApiTypeError", "ApiValueError", "render_path"]

PathToItem = Sequence[str | int]


def render_path(path_to_item: PathToItem | None) -> str:
    """Render a key path the way the generated client does: ``['3']['inputs']['seed']``."""
    if not path_to_item:
        return ""
    return "".join(f"[{key!r}]" for key in path_to_item)


class OpenApiException(Exception):
    """The base of every exception raised by :mod:`comfy.api`."""

    def __init__(self, msg: str, path_to_item: PathToItem | None = None) -> None:
        self.msg = msg
        self.path_to_item: tuple[str | int, ...] = tuple(path_to_item or ())
        full = msg
        if self.path_to_item:
            full = f"{msg} at {render_path(self.path_to_item)}"
        super().__init__(full)


class ApiTypeError(OpenApiException, TypeError):
    """A value had the wrong Python type (for example a node that is not a mapping).

    ``valid_classes`` names the accepted types; ``key_type`` is True when the offending
    object was a mapping key rather than a value.
    """

    def __init__(
        self,
        msg: str,
        path_to_item: PathToItem | None = None,
        valid_classes: tuple[type, ...] | None = None,
        key_type: bool | None = None,
    ) -> None:
        self.valid_classes = valid_classes
        self.key_type = key_type
        super().__init__(msg, path_to_item)


class ApiValueError(OpenApiException, ValueError):
    """A value had an acceptable type but a bad shape (for example a node without ``class_type``)."""

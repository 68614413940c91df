"""The engine's contract, stdlib only: prompt schema, error types and error dictionaries.

``comfy.api`` is a regular package inside the ``comfy`` namespace package (PEP 420): the
``comfy-api`` distribution ships it and nothing here imports torch, numpy or pillow.

Public modules:

* :mod:`comfy.api.exceptions` — :class:`ApiValueError`, :class:`ApiTypeError`.
* :mod:`comfy.api.errors` — the validation error ``type`` strings and a constructor for
  ComfyUI's error dictionaries.
* :mod:`comfy.api.components.schema.prompt` — ``Prompt.validate(obj) -> PromptDict``.
"""

from __future__ import annotations

from .exceptions import ApiTypeError, ApiValueError, OpenApiException

__all__ = ["ApiTypeError", "ApiValueError", "OpenApiException"]

"""ComfyUI's node type hints (``comfy.comfy_types.node_typing``): ``IO``, ``InputTypeDict``,
``ComfyNodeABC``, ``CheckLazyMixin``, ``FileLocator``.

``IO`` members are the socket type names; as in ComfyUI, ``IO`` compares as a type set, so
``IO.ANY`` matches anything and ``IO.NUMBER`` (``"FLOAT,INT"``) matches ``"INT"``. Used in
``INPUT_TYPES``/``RETURN_TYPES`` they behave as the plain strings (the engine reads their value).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import Literal, NotRequired, TypedDict

__all__ = [
    "StrEnum",
    "IO",
    "RemoteInputOptions",
    "MultiSelectOptions",
    "InputTypeOptions",
    "HiddenInputTypeDict",
    "InputTypeDict",
    "ComfyNodeABC",
    "CheckLazyMixin",
    "FileLocator",
]


class StrEnum(str, Enum):
    """A string enum whose ``str()`` is its value."""

    def __str__(self) -> str:
        return str(self.value)


class IO(StrEnum):
    """Node input/output type names; ``ANY`` is ``"*"``, and comma lists are unions."""

    STRING = "STRING"
    IMAGE = "IMAGE"
    MASK = "MASK"
    LATENT = "LATENT"
    BOOLEAN = "BOOLEAN"
    INT = "INT"
    FLOAT = "FLOAT"
    COMBO = "COMBO"
    CONDITIONING = "CONDITIONING"
    SAMPLER = "SAMPLER"
    SIGMAS = "SIGMAS"
    GUIDER = "GUIDER"
    NOISE = "NOISE"
    CLIP = "CLIP"
    CONTROL_NET = "CONTROL_NET"
    VAE = "VAE"
    MODEL = "MODEL"
    CLIP_VISION = "CLIP_VISION"
    CLIP_VISION_OUTPUT = "CLIP_VISION_OUTPUT"
    STYLE_MODEL = "STYLE_MODEL"
    GLIGEN = "GLIGEN"
    UPSCALE_MODEL = "UPSCALE_MODEL"
    AUDIO = "AUDIO"
    WEBCAM = "WEBCAM"
    POINT = "POINT"
    FACE_ANALYSIS = "FACE_ANALYSIS"
    BBOX = "BBOX"
    SEGS = "SEGS"
    VIDEO = "VIDEO"

    ANY = "*"
    """Matches any type."""
    NUMBER = "FLOAT,INT"
    """A float or an int."""
    PRIMITIVE = "STRING,FLOAT,INT,BOOLEAN"
    """A string, float, int or bool."""

    def __ne__(self, value: object) -> bool:
        if self == "*" or value == "*":
            return False
        if not isinstance(value, str):
            return True
        a = frozenset(self.split(","))
        b = frozenset(value.split(","))
        return not (b.issubset(a) or a.issubset(b))


class RemoteInputOptions(TypedDict):
    route: str
    refresh_button: bool
    control_after_refresh: Literal["first", "last"]
    timeout: int
    max_retries: int
    refresh: int


class MultiSelectOptions(TypedDict):
    placeholder: NotRequired[str]
    chip: NotRequired[bool]


class InputTypeOptions(TypedDict, total=False):
    """The options dict of an ``INPUT_TYPES`` entry (all keys optional)."""

    default: bool | str | float | int | list | tuple  # type: ignore[type-arg]
    defaultInput: bool
    forceInput: bool
    lazy: bool
    rawLink: bool
    tooltip: str
    min: float
    max: float
    step: float
    round: float
    label_on: str
    label_off: str
    multiline: bool
    placeholder: str
    dynamicPrompts: bool
    image_upload: bool
    image_folder: Literal["input", "output", "temp"]
    remote: RemoteInputOptions
    control_after_generate: bool
    options: list[str | int | float]
    multi_select: MultiSelectOptions


class HiddenInputTypeDict(TypedDict, total=False):
    """The ``hidden`` entry of ``INPUT_TYPES``."""

    node_id: Literal["UNIQUE_ID"]
    unique_id: Literal["UNIQUE_ID"]
    prompt: Literal["PROMPT"]
    extra_pnginfo: Literal["EXTRA_PNGINFO"]
    dynprompt: Literal["DYNPROMPT"]


class InputTypeDict(TypedDict, total=False):
    """What ``INPUT_TYPES()`` returns."""

    required: dict[str, tuple[IO, InputTypeOptions]]
    optional: dict[str, tuple[IO, InputTypeOptions]]
    hidden: HiddenInputTypeDict


class ComfyNodeABC(ABC):
    """Abstract base of V1 nodes: the class attributes the engine reads, with their types."""

    DESCRIPTION: str
    CATEGORY: str
    EXPERIMENTAL: bool
    DEPRECATED: bool

    @classmethod
    @abstractmethod
    def INPUT_TYPES(s) -> InputTypeDict:  # noqa: N802, N805
        """The node's inputs: ``required``, ``optional`` and ``hidden``."""
        return {"required": {}}

    OUTPUT_NODE: bool
    INPUT_IS_LIST: bool
    OUTPUT_IS_LIST: tuple[bool, ...]
    RETURN_TYPES: tuple[IO, ...]
    RETURN_NAMES: tuple[str, ...]
    OUTPUT_TOOLTIPS: tuple[str, ...]
    FUNCTION: str


class CheckLazyMixin:
    """A ``check_lazy_status`` that asks for every input not evaluated yet."""

    def check_lazy_status(self, **kwargs: object) -> list[str]:
        return [name for name, value in kwargs.items() if value is None]


class FileLocator(TypedDict, total=False):
    """Where a file is, as the UI addresses it."""

    filename: str
    subfolder: str
    type: Literal["input", "output", "temp"]

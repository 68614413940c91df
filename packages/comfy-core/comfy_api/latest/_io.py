"""The V3 node schema API (``comfy_api.latest.io``), ComfyUI's ``io.ComfyNode`` and friends.

A V3 node is a class with two classmethods::

    from comfy_api.latest import io

    class Invert(io.ComfyNode):
        @classmethod
        def define_schema(cls) -> io.Schema:
            return io.Schema(node_id="MyInvert", display_name="Invert", category="image",
                             inputs=[io.Image.Input("image")], outputs=[io.Image.Output()],
                             hidden=[io.Hidden.unique_id])

        @classmethod
        def execute(cls, image) -> io.NodeOutput:        # may be ``async def``
            return io.NodeOutput(1.0 - image)

Optional classmethods, used only when a subclass overrides them: ``validate_inputs`` (V1
``VALIDATE_INPUTS``), ``fingerprint_inputs`` (``IS_CHANGED``), ``check_lazy_status``.

The class also has ComfyUI's V1 face (``INPUT_TYPES()``, ``RETURN_TYPES``, ``OUTPUT_NODE``,
``FUNCTION``, ``GET_NODE_INFO_V1()`` …) derived from the schema, for code that reads node classes
the V1 way. The executor reads it through :meth:`ComfyNode.GET_V1_CLASS` (see
:mod:`comfy_api.latest._v1_adapter`): every call runs on a fresh subclass whose ``hidden``
holds the call's hidden values (``cls.hidden.unique_id`` …), so nodes are stateless.

Type hints (``io.Image.Type`` …) are ``Any`` here: importing this module does not import torch.
Not provided yet: the dynamic inputs (``Autogrow``, ``DynamicCombo``, ``DynamicSlot``).
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Literal, TypeVar

from comfy_execution.graph_utils import ExecutionBlocker

__all__ = [
    "FolderType", "UploadType", "RemoteOptions", "NumberDisplay",
    "comfytype", "Custom", "Input", "WidgetInput", "Output", "ComfyTypeI", "ComfyTypeIO",
    "Boolean", "Int", "Float", "String", "Combo", "MultiCombo", "Image", "Mask", "Latent",
    "Conditioning", "Sampler", "Sigmas", "Noise", "Guider", "Clip", "ControlNet", "Vae", "Model",
    "ClipVision", "ClipVisionOutput", "StyleModel", "Gligen", "UpscaleModel", "LatentUpscaleModel",
    "Audio", "Video", "SVG", "LoraModel", "LossMap", "Voxel", "Mesh", "Hooks", "HookKeyframes",
    "TimestepsRange", "LatentOperation", "FlowControl", "Accumulation", "Photomaker", "Point",
    "FaceAnalysis", "BBOX", "SEGS", "AnyType", "MODEL_PATCH", "AudioEncoder", "AudioEncoderOutput",
    "Webcam", "MultiType", "MatchType",
    "HiddenHolder", "Hidden", "NodeInfoV1", "NodeInfoV3", "Schema", "ComfyNode", "NodeOutput",
    "classproperty", "first_real_override", "prune_dict",
]


# --------------------------------------------------------------------------- small helpers


def prune_dict(d: dict[str, Any]) -> dict[str, Any]:
    """``d`` without its None values."""
    return {k: v for k, v in d.items() if v is not None}


class classproperty:  # noqa: N801 - ComfyUI's name
    """A read-only property of the class (``Node.RETURN_TYPES``)."""

    def __init__(self, fget: Any) -> None:
        self.fget = fget
        self.__doc__ = getattr(fget, "__doc__", None)

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self.fget(owner if owner is not None else type(obj))


def _default_hook(fn: Any) -> Any:
    """Marks a base-class hook: the engine uses only a subclass's own override."""
    fn._comfy_default_hook = True
    return fn


def first_real_override(cls: type, name: str) -> Any:
    """``cls``'s attribute ``name`` when a subclass really overrides the base hook, else None."""
    attr = getattr(cls, name, None)
    if attr is None or getattr(attr, "_comfy_default_hook", False):
        return None
    return attr


def _copy_class(cls: type | None) -> type | None:
    if cls is None:
        return None
    namespace = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    return type(cls.__name__, (cls,), namespace)


# --------------------------------------------------------------------------- enums and options


class FolderType(str, Enum):
    input = "input"
    output = "output"
    temp = "temp"


class UploadType(str, Enum):
    image = "image_upload"
    audio = "audio_upload"
    video = "video_upload"
    model = "file_upload"


class NumberDisplay(str, Enum):
    number = "number"
    slider = "slider"


class RemoteOptions:
    """Options of a combo whose choices come from an HTTP route (UI only)."""

    def __init__(self, route: str, refresh_button: bool, control_after_refresh: Literal["first", "last"] = "first",
                 timeout: int | None = None, max_retries: int | None = None, refresh: int | None = None) -> None:
        self.route = route
        self.refresh_button = refresh_button
        self.control_after_refresh = control_after_refresh
        self.timeout = timeout
        self.max_retries = max_retries
        self.refresh = refresh

    def as_dict(self) -> dict[str, Any]:
        return prune_dict({"route": self.route, "refresh_button": self.refresh_button,
                           "control_after_refresh": self.control_after_refresh, "timeout": self.timeout,
                           "max_retries": self.max_retries, "refresh": self.refresh})


# --------------------------------------------------------------------------- inputs and outputs


class _ComfyType:
    Type: Any = Any
    io_type: str = ""


T = TypeVar("T", bound=type)


def comfytype(io_type: str, **kwargs: Any) -> Any:
    """Class decorator: binds ``io_type`` to a type class and to its ``Input``/``Output`` classes."""

    def decorator(cls: T) -> T:
        if issubclass(cls, _ComfyType):
            new_cls: Any = cls
            if getattr(new_cls, "Input", None) is not None:
                new_cls.Input = _copy_class(new_cls.Input)
            if getattr(new_cls, "Output", None) is not None:
                new_cls.Output = _copy_class(new_cls.Output)
        else:
            namespace = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
            new_cls = type(cls.__name__, (cls, ComfyTypeIO), namespace)
            new_cls.Input = _copy_class(new_cls.Input)
            new_cls.Output = _copy_class(new_cls.Output)
        new_cls.io_type = io_type
        if getattr(new_cls, "Input", None) is not None:
            new_cls.Input.Parent = new_cls
        if getattr(new_cls, "Output", None) is not None:
            new_cls.Output.Parent = new_cls
        return new_cls  # type: ignore[no-any-return]

    return decorator


def Custom(io_type: str) -> type[ComfyTypeIO]:  # noqa: N802 - ComfyUI's name
    """A type class for a custom ``io_type`` (``io.Custom("MY_TYPE").Input("x")``)."""

    @comfytype(io_type=io_type)
    class CustomComfyType(ComfyTypeIO):
        ...

    return CustomComfyType


class _IO_V3:  # noqa: N801
    Parent: Any = None

    def validate(self) -> None:
        pass

    @property
    def io_type(self) -> str:
        return self.Parent.io_type  # type: ignore[no-any-return]

    @property
    def Type(self) -> Any:  # noqa: N802
        return self.Parent.Type


class Input(_IO_V3):
    """An input socket. Unknown keyword options go into ``extra_dict`` (the V1 options dict)."""

    def __init__(self, id: str, display_name: str | None = None, optional: bool = False, tooltip: str | None = None,
                 lazy: bool | None = None, extra_dict: dict[str, Any] | None = None, raw_link: bool | None = None,
                 advanced: bool | None = None, **kwargs: Any) -> None:
        self.id = id
        self.display_name = display_name
        self.optional = optional
        self.tooltip = tooltip
        self.lazy = lazy
        self.extra_dict = dict(extra_dict or {}) | kwargs
        self.rawLink = raw_link
        self.advanced = advanced

    def as_dict(self) -> dict[str, Any]:
        return prune_dict({"display_name": self.display_name, "optional": self.optional, "tooltip": self.tooltip,
                           "lazy": self.lazy, "rawLink": self.rawLink, "advanced": self.advanced}) | prune_dict(self.extra_dict)

    def get_io_type(self) -> str:
        return self.io_type

    def get_all(self) -> list[Input]:
        return [self]


class WidgetInput(Input):
    """An input that the UI may show as a widget (has a ``default``)."""

    def __init__(self, id: str, display_name: str | None = None, optional: bool = False, tooltip: str | None = None,
                 lazy: bool | None = None, default: Any = None, socketless: bool | None = None,
                 widget_type: str | None = None, force_input: bool | None = None,
                 extra_dict: dict[str, Any] | None = None, raw_link: bool | None = None, **kwargs: Any) -> None:
        super().__init__(id, display_name, optional, tooltip, lazy, extra_dict, raw_link, **kwargs)
        self.default = default
        self.socketless = socketless
        self.widget_type = widget_type
        self.force_input = force_input

    def as_dict(self) -> dict[str, Any]:
        return super().as_dict() | prune_dict({"default": self.default, "socketless": self.socketless,
                                               "widgetType": self.widget_type, "forceInput": self.force_input})

    def get_io_type(self) -> str:
        return self.widget_type if self.widget_type is not None else super().get_io_type()


class Output(_IO_V3):
    """An output socket; ``is_output_list=True`` is V1's ``OUTPUT_IS_LIST`` for it."""

    def __init__(self, id: str | None = None, display_name: str | None = None, tooltip: str | None = None,
                 is_output_list: bool = False) -> None:
        self.id = id
        self.display_name = display_name
        self.tooltip = tooltip
        self.is_output_list = is_output_list

    def as_dict(self) -> dict[str, Any]:
        return prune_dict({"display_name": self.display_name, "tooltip": self.tooltip,
                           "is_output_list": self.is_output_list})

    def get_io_type(self) -> str:
        return self.io_type


class ComfyTypeI(_ComfyType):
    """A type with an ``Input`` class only."""

    class Input(Input):
        ...


class ComfyTypeIO(ComfyTypeI):
    """A type with ``Input`` and ``Output`` classes."""

    class Output(Output):
        ...


@comfytype(io_type="BOOLEAN")
class Boolean(ComfyTypeIO):
    Type = bool

    class Input(WidgetInput):
        def __init__(self, id: str, display_name: str | None = None, optional: bool = False, tooltip: str | None = None,
                     lazy: bool | None = None, default: bool | None = None, label_on: str | None = None,
                     label_off: str | None = None, socketless: bool | None = None, force_input: bool | None = None,
                     extra_dict: dict[str, Any] | None = None, raw_link: bool | None = None, **kwargs: Any) -> None:
            super().__init__(id, display_name, optional, tooltip, lazy, default, socketless, None, force_input,
                             extra_dict, raw_link, **kwargs)
            self.label_on = label_on
            self.label_off = label_off

        def as_dict(self) -> dict[str, Any]:
            return super().as_dict() | prune_dict({"label_on": self.label_on, "label_off": self.label_off})


@comfytype(io_type="INT")
class Int(ComfyTypeIO):
    Type = int

    class Input(WidgetInput):
        def __init__(self, id: str, display_name: str | None = None, optional: bool = False, tooltip: str | None = None,
                     lazy: bool | None = None, default: int | None = None, min: int | None = None,
                     max: int | None = None, step: int | None = None, control_after_generate: bool | None = None,
                     display_mode: NumberDisplay | None = None, socketless: bool | None = None,
                     force_input: bool | None = None, extra_dict: dict[str, Any] | None = None,
                     raw_link: bool | None = None, **kwargs: Any) -> None:
            super().__init__(id, display_name, optional, tooltip, lazy, default, socketless, None, force_input,
                             extra_dict, raw_link, **kwargs)
            self.min, self.max, self.step = min, max, step
            self.control_after_generate = control_after_generate
            self.display_mode = display_mode

        def as_dict(self) -> dict[str, Any]:
            return super().as_dict() | prune_dict({
                "min": self.min, "max": self.max, "step": self.step,
                "control_after_generate": self.control_after_generate,
                "display": self.display_mode.value if isinstance(self.display_mode, Enum) else self.display_mode,
            })


@comfytype(io_type="FLOAT")
class Float(ComfyTypeIO):
    Type = float

    class Input(WidgetInput):
        def __init__(self, id: str, display_name: str | None = None, optional: bool = False, tooltip: str | None = None,
                     lazy: bool | None = None, default: float | None = None, min: float | None = None,
                     max: float | None = None, step: float | None = None, round: float | None = None,
                     display_mode: NumberDisplay | None = None, socketless: bool | None = None,
                     force_input: bool | None = None, extra_dict: dict[str, Any] | None = None,
                     raw_link: bool | None = None, **kwargs: Any) -> None:
            super().__init__(id, display_name, optional, tooltip, lazy, default, socketless, None, force_input,
                             extra_dict, raw_link, **kwargs)
            self.min, self.max, self.step, self.round = min, max, step, round
            self.display_mode = display_mode

        def as_dict(self) -> dict[str, Any]:
            return super().as_dict() | prune_dict({
                "min": self.min, "max": self.max, "step": self.step, "round": self.round,
                "display": self.display_mode.value if isinstance(self.display_mode, Enum) else self.display_mode,
            })


@comfytype(io_type="STRING")
class String(ComfyTypeIO):
    Type = str

    class Input(WidgetInput):
        def __init__(self, id: str, display_name: str | None = None, optional: bool = False, tooltip: str | None = None,
                     lazy: bool | None = None, multiline: bool = False, placeholder: str | None = None,
                     default: str | None = None, dynamic_prompts: bool | None = None, socketless: bool | None = None,
                     force_input: bool | None = None, extra_dict: dict[str, Any] | None = None,
                     raw_link: bool | None = None, **kwargs: Any) -> None:
            super().__init__(id, display_name, optional, tooltip, lazy, default, socketless, None, force_input,
                             extra_dict, raw_link, **kwargs)
            self.multiline = multiline
            self.placeholder = placeholder
            self.dynamic_prompts = dynamic_prompts

        def as_dict(self) -> dict[str, Any]:
            return super().as_dict() | prune_dict({"multiline": self.multiline, "placeholder": self.placeholder,
                                                   "dynamicPrompts": self.dynamic_prompts})


@comfytype(io_type="COMBO")
class Combo(ComfyTypeIO):
    Type = str

    class Input(WidgetInput):
        """A choice among ``options`` (a list, or an ``Enum`` class whose values are the options)."""

        def __init__(self, id: str, options: Any = None, display_name: str | None = None, optional: bool = False,
                     tooltip: str | None = None, lazy: bool | None = None, default: Any = None,
                     control_after_generate: bool | None = None, upload: UploadType | None = None,
                     image_folder: FolderType | None = None, remote: RemoteOptions | None = None,
                     socketless: bool | None = None, extra_dict: dict[str, Any] | None = None,
                     raw_link: bool | None = None, **kwargs: Any) -> None:
            if isinstance(options, type) and issubclass(options, Enum):
                options = [v.value for v in options]
            if isinstance(default, Enum):
                default = default.value
            super().__init__(id, display_name, optional, tooltip, lazy, default, socketless, None, None,
                             extra_dict, raw_link, **kwargs)
            self.multiselect = False
            self.options = list(options) if options is not None else []
            self.control_after_generate = control_after_generate
            self.upload = upload
            self.image_folder = image_folder
            self.remote = remote

        def as_dict(self) -> dict[str, Any]:
            return super().as_dict() | prune_dict({
                "multiselect": self.multiselect,
                "options": self.options,
                "control_after_generate": self.control_after_generate,
                **({self.upload.value: True} if self.upload is not None else {}),
                "image_folder": self.image_folder.value if self.image_folder else None,
                "remote": self.remote.as_dict() if self.remote else None,
            })

    class Output(Output):
        def __init__(self, id: str | None = None, display_name: str | None = None, options: list[str] | None = None,
                     tooltip: str | None = None, is_output_list: bool = False) -> None:
            super().__init__(id, display_name, tooltip, is_output_list)
            self.options = options if options is not None else []


@comfytype(io_type="COMBO")
class MultiCombo(ComfyTypeI):
    """A choice of several of ``options`` (UI: multi-select)."""

    Type = list

    class Input(Combo.Input):
        def __init__(self, id: str, options: list[str], display_name: str | None = None, optional: bool = False,
                     tooltip: str | None = None, lazy: bool | None = None, default: list[str] | None = None,
                     placeholder: str | None = None, chip: bool | None = None,
                     control_after_generate: bool | None = None, socketless: bool | None = None,
                     extra_dict: dict[str, Any] | None = None, raw_link: bool | None = None) -> None:
            super().__init__(id, options, display_name, optional, tooltip, lazy, default, control_after_generate,
                             socketless=socketless, extra_dict=extra_dict, raw_link=raw_link)
            self.multiselect = True
            self.placeholder = placeholder
            self.chip = chip

        def as_dict(self) -> dict[str, Any]:
            return super().as_dict() | prune_dict({"multi_select": self.multiselect, "placeholder": self.placeholder,
                                                   "chip": self.chip})


@comfytype(io_type="WEBCAM")
class Webcam(ComfyTypeIO):
    Type = str

    class Input(WidgetInput):
        def __init__(self, id: str, display_name: str | None = None, optional: bool = False,
                     tooltip: str | None = None, lazy: bool | None = None, default: str | None = None,
                     socketless: bool | None = None, extra_dict: dict[str, Any] | None = None,
                     raw_link: bool | None = None) -> None:
            super().__init__(id, display_name, optional, tooltip, lazy, default, socketless, None, None,
                             extra_dict, raw_link)


def _plain(io_type: str, name: str) -> type[ComfyTypeIO]:
    cls = type(name, (ComfyTypeIO,), {"Type": Any, "__module__": __name__, "__qualname__": name})
    return comfytype(io_type=io_type)(cls)  # type: ignore[no-any-return]


# Socket types whose values the engine passes through untouched (tensors, models, dicts …).
Image = _plain("IMAGE", "Image")
Mask = _plain("MASK", "Mask")
Latent = _plain("LATENT", "Latent")
Conditioning = _plain("CONDITIONING", "Conditioning")
Sampler = _plain("SAMPLER", "Sampler")
Sigmas = _plain("SIGMAS", "Sigmas")
Noise = _plain("NOISE", "Noise")
Guider = _plain("GUIDER", "Guider")
Clip = _plain("CLIP", "Clip")
ControlNet = _plain("CONTROL_NET", "ControlNet")
Vae = _plain("VAE", "Vae")
Model = _plain("MODEL", "Model")
ClipVision = _plain("CLIP_VISION", "ClipVision")
ClipVisionOutput = _plain("CLIP_VISION_OUTPUT", "ClipVisionOutput")
StyleModel = _plain("STYLE_MODEL", "StyleModel")
Gligen = _plain("GLIGEN", "Gligen")
UpscaleModel = _plain("UPSCALE_MODEL", "UpscaleModel")
LatentUpscaleModel = _plain("LATENT_UPSCALE_MODEL", "LatentUpscaleModel")
Audio = _plain("AUDIO", "Audio")
Video = _plain("VIDEO", "Video")
SVG = _plain("SVG", "SVG")
LoraModel = _plain("LORA_MODEL", "LoraModel")
LossMap = _plain("LOSS_MAP", "LossMap")
Voxel = _plain("VOXEL", "Voxel")
Mesh = _plain("MESH", "Mesh")
Hooks = _plain("HOOKS", "Hooks")
HookKeyframes = _plain("HOOK_KEYFRAMES", "HookKeyframes")
TimestepsRange = _plain("TIMESTEPS_RANGE", "TimestepsRange")
LatentOperation = _plain("LATENT_OPERATION", "LatentOperation")
FlowControl = _plain("FLOW_CONTROL", "FlowControl")
Accumulation = _plain("ACCUMULATION", "Accumulation")
Photomaker = _plain("PHOTOMAKER", "Photomaker")
Point = _plain("POINT", "Point")
FaceAnalysis = _plain("FACE_ANALYSIS", "FaceAnalysis")
BBOX = _plain("BBOX", "BBOX")
SEGS = _plain("SEGS", "SEGS")
AnyType = _plain("*", "AnyType")
MODEL_PATCH = _plain("MODEL_PATCH", "MODEL_PATCH")
AudioEncoder = _plain("AUDIO_ENCODER", "AudioEncoder")
AudioEncoderOutput = _plain("AUDIO_ENCODER_OUTPUT", "AudioEncoderOutput")


def _type_classes(types: Iterable[Any]) -> list[Any]:
    return [t if isinstance(t, type) else type(t) for t in types]


@comfytype(io_type="COMFY_MULTITYPED_V3")
class MultiType:
    """An input accepting several types (V1: the comma union ``"A,B"``)."""

    Type = Any

    class Input(Input):
        def __init__(self, id: str | Input, types: list[Any], display_name: str | None = None, optional: bool = False,
                     tooltip: str | None = None, lazy: bool | None = None, extra_dict: dict[str, Any] | None = None,
                     raw_link: bool | None = None) -> None:
            self.input_override: Input | None = None
            if isinstance(id, Input):
                self.input_override = id
                optional = id.optional or optional
                tooltip = id.tooltip if id.tooltip is not None else tooltip
                display_name = id.display_name if id.display_name is not None else display_name
                lazy = id.lazy if id.lazy is not None else lazy
                if isinstance(id, WidgetInput):
                    id.widget_type = id.get_io_type()
                id = id.id
            super().__init__(id, display_name, optional, tooltip, lazy, extra_dict, raw_link)
            self._io_types = types

        @property
        def io_types(self) -> list[Any]:
            return _type_classes(self._io_types)

        def get_io_type(self) -> str:
            names = [t.io_type for t in self.io_types]
            if self.input_override is not None:
                names.insert(0, self.input_override.get_io_type())
            return ",".join(dict.fromkeys(names))

        def as_dict(self) -> dict[str, Any]:
            if self.input_override is not None:
                return self.input_override.as_dict() | super().as_dict()
            return super().as_dict()


@comfytype(io_type="COMFY_MATCHTYPE_V3")
class MatchType(ComfyTypeIO):
    """Sockets whose type follows what is connected (the engine treats them as ``"*"``)."""

    class Template:
        def __init__(self, template_id: str, allowed_types: Any = None) -> None:
            self.template_id = template_id
            if allowed_types is None:
                allowed_types = [AnyType]
            elif not isinstance(allowed_types, Iterable):
                allowed_types = [allowed_types]
            self.allowed_types = list(allowed_types)

        def as_dict(self) -> dict[str, Any]:
            return {"template_id": self.template_id,
                    "allowed_types": ",".join(t.io_type for t in _type_classes(self.allowed_types))}

    class Input(Input):
        def __init__(self, id: str, template: MatchType.Template, display_name: str | None = None,
                     optional: bool = False, tooltip: str | None = None, lazy: bool | None = None,
                     extra_dict: dict[str, Any] | None = None, raw_link: bool | None = None) -> None:
            super().__init__(id, display_name, optional, tooltip, lazy, extra_dict, raw_link)
            self.template = template

        def as_dict(self) -> dict[str, Any]:
            return super().as_dict() | {"template": self.template.as_dict()}

    class Output(Output):
        def __init__(self, template: MatchType.Template, id: str | None = None, display_name: str | None = None,
                     tooltip: str | None = None, is_output_list: bool = False) -> None:
            super().__init__(id, display_name, tooltip, is_output_list)
            self.template = template


MATCH_TYPE_IO = "COMFY_MATCHTYPE_V3"


# --------------------------------------------------------------------------- hidden values


class Hidden(str, Enum):
    """Hidden values a node may ask for (``Schema(hidden=[io.Hidden.unique_id])``)."""

    unique_id = "UNIQUE_ID"
    """This node's id (possibly an expanded node's ephemeral id)."""
    prompt = "PROMPT"
    """The prompt as submitted."""
    extra_pnginfo = "EXTRA_PNGINFO"
    """``extra_data["extra_pnginfo"]`` (the workflow, for saved files' metadata)."""
    dynprompt = "DYNPROMPT"
    """The live :class:`comfy_execution.graph.DynamicPrompt` (grows with node expansion)."""
    auth_token_comfy_org = "AUTH_TOKEN_COMFY_ORG"
    api_key_comfy_org = "API_KEY_COMFY_ORG"


class HiddenHolder:
    """``cls.hidden`` during a call: the hidden values (None for those not asked for)."""

    def __init__(self, unique_id: Any = None, prompt: Any = None, extra_pnginfo: Any = None, dynprompt: Any = None,
                 auth_token_comfy_org: Any = None, api_key_comfy_org: Any = None, **kwargs: Any) -> None:
        self.unique_id = unique_id
        self.prompt = prompt
        self.extra_pnginfo = extra_pnginfo
        self.dynprompt = dynprompt
        self.auth_token_comfy_org = auth_token_comfy_org
        self.api_key_comfy_org = api_key_comfy_org

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return None

    @classmethod
    def from_dict(cls, d: dict[Any, Any] | None) -> HiddenHolder:
        """From ``{Hidden.x or "UNIQUE_ID"…: value}``."""
        d = d or {}
        return cls(**{h.name: d.get(h, d.get(h.value)) for h in Hidden})

    @classmethod
    def from_v3_data(cls, v3_data: dict[str, Any] | None) -> HiddenHolder:
        return cls.from_dict((v3_data or {}).get("hidden_inputs"))


# --------------------------------------------------------------------------- schema


@dataclass
class NodeInfoV1:
    """A node as ``/object_info`` describes it (ComfyUI's V1 shape)."""

    input: dict[str, Any] | None = None
    input_order: dict[str, list[str]] | None = None
    output: list[str] | None = None
    output_is_list: list[bool] | None = None
    output_name: list[str] | None = None
    output_tooltips: list[str | None] | None = None
    output_matchtypes: list[str | None] | None = None
    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    python_module: Any = None
    category: str | None = None
    output_node: bool | None = None
    deprecated: bool | None = None
    experimental: bool | None = None
    api_node: bool | None = None
    search_aliases: list[str] | None = None


@dataclass
class NodeInfoV3:
    input: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    hidden: list[str] | None = None
    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    python_module: Any = None
    category: str | None = None
    output_node: bool | None = None
    deprecated: bool | None = None
    experimental: bool | None = None
    api_node: bool | None = None


def _input_dict_v1(inputs: Iterable[Input]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {"required": {}}
    for i in inputs:
        options = i.as_dict()
        options.pop("optional", None)
        result.setdefault("optional" if i.optional else "required", {})[i.id] = (i.get_io_type(), options)
    return result


@dataclass
class Schema:
    """What a V3 node declares: id, inputs, outputs, hidden values and flags."""

    node_id: str
    display_name: str | None = None
    category: str = "sd"
    inputs: list[Input] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    hidden: list[Hidden] = field(default_factory=list)
    description: str = ""
    search_aliases: list[str] = field(default_factory=list)
    is_input_list: bool = False
    """V1 ``INPUT_IS_LIST``: ``execute`` gets whole lists."""
    is_output_node: bool = False
    """V1 ``OUTPUT_NODE``: the engine runs what this node needs (adds hidden prompt/extra_pnginfo)."""
    is_deprecated: bool = False
    is_experimental: bool = False
    is_api_node: bool = False
    not_idempotent: bool = False
    """V1 ``NOT_IDEMPOTENT``: never share cached results with an identical node."""
    enable_expand: bool = False
    """Allows ``NodeOutput(expand=...)`` (node expansion)."""

    def validate(self) -> None:
        """Raise ValueError when input or output ids repeat (within or across the two lists)."""
        input_ids = [i.id for inp in self.inputs for i in inp.get_all()]
        output_ids = [o.id for o in self.outputs]
        issues = []
        for kind, ids in (("Input", input_ids), ("Output", output_ids)):
            repeated = [item for item, count in Counter(ids).items() if count > 1]
            if repeated:
                issues.append(f"{kind} ids must be unique, but {repeated} are not.")
        both = set(input_ids) & set(output_ids)
        if both:
            issues.append(f"Ids must be unique between inputs and outputs, but {both} are not.")
        if issues:
            raise ValueError(f"node {self.node_id}: " + "\n".join(issues))
        for item in [*self.inputs, *self.outputs]:
            item.validate()

    def finalize(self) -> None:
        """Add the hidden values the flags imply and default output ids (``_{i}_{io_type}_``)."""
        self.inputs = list(self.inputs or [])
        self.outputs = list(self.outputs or [])
        self.hidden = [h if isinstance(h, Hidden) else Hidden(h) for h in self.hidden or []]
        implied = []
        if self.is_api_node:
            implied += [Hidden.auth_token_comfy_org, Hidden.api_key_comfy_org]
        if self.is_output_node:
            implied += [Hidden.prompt, Hidden.extra_pnginfo]
        for h in implied:
            if h not in self.hidden:
                self.hidden.append(h)
        for i, output in enumerate(self.outputs):
            if output.id is None:
                output.id = f"_{i}_{output.io_type}_"

    def get_v1_info(self, cls: type | None = None) -> NodeInfoV1:
        """The V1 description (``INPUT_TYPES()`` is its ``input``)."""
        inputs: dict[str, Any] = _input_dict_v1(self.inputs)
        for h in self.hidden:
            inputs.setdefault("hidden", {})[h.name] = (h.value,)
        matchtypes = [o.template.template_id if isinstance(o, MatchType.Output) else None for o in self.outputs]
        return NodeInfoV1(
            input=inputs,
            input_order={key: list(value) for key, value in inputs.items()},
            output=[o.io_type for o in self.outputs],
            output_is_list=[o.is_output_list for o in self.outputs],
            output_name=[o.display_name or o.io_type for o in self.outputs],
            output_tooltips=[o.tooltip or None for o in self.outputs],
            output_matchtypes=matchtypes if any(m is not None for m in matchtypes) else None,
            name=self.node_id,
            display_name=self.display_name,
            description=self.description,
            python_module=getattr(cls, "RELATIVE_PYTHON_MODULE", None) or "nodes",
            category=self.category,
            output_node=self.is_output_node,
            deprecated=self.is_deprecated,
            experimental=self.is_experimental,
            api_node=self.is_api_node,
            search_aliases=list(self.search_aliases),
        )

    def get_v3_info(self, cls: type | None = None) -> NodeInfoV3:
        return NodeInfoV3(
            input={i.id: (i.get_io_type(), i.as_dict()) for i in self.inputs},
            output={o.id: (o.get_io_type(), o.as_dict()) for o in self.outputs},  # type: ignore[misc]
            hidden=[h.value for h in self.hidden],
            name=self.node_id,
            display_name=self.display_name,
            description=self.description,
            python_module=getattr(cls, "RELATIVE_PYTHON_MODULE", None) or "nodes",
            category=self.category,
            output_node=self.is_output_node,
            deprecated=self.is_deprecated,
            experimental=self.is_experimental,
            api_node=self.is_api_node,
        )


# --------------------------------------------------------------------------- outputs


class _UIOutput:
    """A node's UI payload (``ui.PreviewImage`` …): ``as_dict()`` is the V1 ``ui`` dict."""

    def as_dict(self) -> dict[str, Any]:
        raise TypeError(f"{type(self).__name__} must define as_dict()")


class NodeOutput:
    """What ``execute`` returns: output values, and optionally ``ui``, ``expand`` or a block."""

    def __init__(self, *args: Any, ui: _UIOutput | dict[str, Any] | None = None, expand: dict[str, Any] | None = None,
                 block_execution: str | None = None) -> None:
        self.args = args
        self.ui = ui
        self.expand = expand
        self.block_execution = block_execution

    @property
    def result(self) -> tuple[Any, ...] | None:
        return self.args if self.args else None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodeOutput:
        """From a V1 return dict (``result``/``ui``/``expand``)."""
        result = data.get("result", ())
        if isinstance(result, ExecutionBlocker):
            return cls(block_execution=result.message)
        return cls(*(result or ()), ui=data.get("ui"), expand=data.get("expand"))

    def __getitem__(self, index: int) -> Any:
        return self.args[index]

    def __repr__(self) -> str:
        return f"NodeOutput(args={self.args!r}, ui={self.ui!r}, expand={self.expand!r}, block_execution={self.block_execution!r})"


# --------------------------------------------------------------------------- nodes


class _ComfyNodeBaseInternal:
    """The machinery of :class:`ComfyNode` (V1 face, schema caching, class clones)."""

    RELATIVE_PYTHON_MODULE: str | None = None
    SCHEMA: Schema | None = None
    hidden: HiddenHolder | None = None
    """The running call's hidden values (set on the per-call clone)."""

    @classmethod
    @_default_hook
    def define_schema(cls) -> Schema:
        """Override: return this node's :class:`Schema`."""
        raise TypeError(f"node class {cls.__name__} does not define define_schema()")

    @classmethod
    @_default_hook
    def execute(cls, **kwargs: Any) -> NodeOutput:
        """Override: compute the outputs (may be ``async``)."""
        raise TypeError(f"node class {cls.__name__} does not define execute()")

    @classmethod
    @_default_hook
    def validate_inputs(cls, **kwargs: Any) -> bool | str:
        """Optional override, V1's ``VALIDATE_INPUTS``: True, or an error message."""
        return True

    @classmethod
    @_default_hook
    def fingerprint_inputs(cls, **kwargs: Any) -> Any:
        """Optional override, V1's ``IS_CHANGED``: the node re-runs when this value changes."""
        return None

    @classmethod
    @_default_hook
    def check_lazy_status(cls, **kwargs: Any) -> list[str]:
        """Optional override: names of lazy inputs (None when not evaluated yet) to evaluate."""
        return [name for name, value in kwargs.items() if value is None]

    @classmethod
    def VALIDATE_CLASS(cls) -> None:  # noqa: N802
        """Raise TypeError unless ``define_schema`` and ``execute`` are overridden."""
        for name in ("define_schema", "execute"):
            if first_real_override(cls, name) is None:
                raise TypeError(f"No {name} function was defined for node class {cls.__name__}.")

    @classmethod
    def FINALIZE_SCHEMA(cls) -> Schema:  # noqa: N802
        """A fresh ``define_schema()``, finalized (combo options are read anew)."""
        schema = cls.define_schema()
        if not isinstance(schema, Schema):
            raise TypeError(f"{cls.__name__}.define_schema() must return an io.Schema, not {type(schema).__name__}")
        schema.finalize()
        return schema

    @classmethod
    def GET_SCHEMA(cls) -> Schema:  # noqa: N802
        """The validated schema, computed once per class."""
        schema = cls.__dict__.get("_comfy_schema")
        if schema is None:
            cls.VALIDATE_CLASS()
            schema = cls.FINALIZE_SCHEMA()
            schema.validate()
            cls._comfy_schema = schema  # type: ignore[attr-defined]
            cls.SCHEMA = schema
        return schema  # type: ignore[no-any-return]

    @classmethod
    def GET_NODE_INFO_V1(cls) -> dict[str, Any]:  # noqa: N802
        """``/object_info`` entry (from a fresh schema)."""
        cls.VALIDATE_CLASS()
        schema = cls.FINALIZE_SCHEMA()
        schema.validate()
        return asdict(schema.get_v1_info(cls))

    @classmethod
    def GET_NODE_INFO_V3(cls) -> dict[str, Any]:  # noqa: N802
        return asdict(cls.GET_SCHEMA().get_v3_info(cls))

    @classmethod
    def INPUT_TYPES(cls, include_hidden: bool = True, return_schema: bool = False) -> Any:  # noqa: N802
        """V1 ``INPUT_TYPES()`` from a fresh schema (with ``return_schema``: ``(inputs, schema)``)."""
        schema = cls.FINALIZE_SCHEMA()
        inputs = schema.get_v1_info(cls).input or {}
        if not include_hidden:
            inputs.pop("hidden", None)
        return (inputs, schema) if return_schema else inputs

    @classmethod
    def GET_V1_CLASS(cls) -> type:  # noqa: N802
        """The V1 class the executor runs for this node (see :mod:`comfy_api.latest._v1_adapter`)."""
        from ._v1_adapter import v1_class

        return v1_class(cls)

    @classmethod
    def PREPARE_CLASS_CLONE(cls, v3_data: dict[str, Any] | None = None) -> type:  # noqa: N802
        """A throw-away subclass with ``hidden`` set, so a call cannot change the real class."""
        return clone_with_hidden(cls, HiddenHolder.from_v3_data(v3_data))

    @classmethod
    def EXECUTE_NORMALIZED(cls, *args: Any, **kwargs: Any) -> NodeOutput:  # noqa: N802
        """``execute`` with its return made a :class:`NodeOutput`."""
        return normalize_output(cls, cls.execute(*args, **kwargs))

    @classmethod
    async def EXECUTE_NORMALIZED_ASYNC(cls, *args: Any, **kwargs: Any) -> NodeOutput:  # noqa: N802
        """``await execute`` with its return made a :class:`NodeOutput`."""
        return normalize_output(cls, await cls.execute(*args, **kwargs))

    @classproperty
    def FUNCTION(cls) -> str:  # noqa: N802
        return "EXECUTE_NORMALIZED_ASYNC" if inspect.iscoroutinefunction(cls.execute) else "EXECUTE_NORMALIZED"

    @classproperty
    def RETURN_TYPES(cls) -> list[str]:  # noqa: N802
        return [o.io_type for o in cls.GET_SCHEMA().outputs]

    @classproperty
    def RETURN_NAMES(cls) -> list[str]:  # noqa: N802
        return [o.display_name or o.io_type for o in cls.GET_SCHEMA().outputs]

    @classproperty
    def OUTPUT_IS_LIST(cls) -> list[bool]:  # noqa: N802
        return [o.is_output_list for o in cls.GET_SCHEMA().outputs]

    @classproperty
    def OUTPUT_TOOLTIPS(cls) -> list[str | None]:  # noqa: N802
        return [o.tooltip or None for o in cls.GET_SCHEMA().outputs]

    @classproperty
    def INPUT_IS_LIST(cls) -> bool:  # noqa: N802
        return cls.GET_SCHEMA().is_input_list

    @classproperty
    def OUTPUT_NODE(cls) -> bool:  # noqa: N802
        return cls.GET_SCHEMA().is_output_node

    @classproperty
    def NOT_IDEMPOTENT(cls) -> bool:  # noqa: N802
        return cls.GET_SCHEMA().not_idempotent

    @classproperty
    def CATEGORY(cls) -> str:  # noqa: N802
        return cls.GET_SCHEMA().category

    @classproperty
    def DESCRIPTION(cls) -> str:  # noqa: N802
        return cls.GET_SCHEMA().description

    @classproperty
    def DEPRECATED(cls) -> bool:  # noqa: N802
        return cls.GET_SCHEMA().is_deprecated

    @classproperty
    def EXPERIMENTAL(cls) -> bool:  # noqa: N802
        return cls.GET_SCHEMA().is_experimental

    @classproperty
    def API_NODE(cls) -> bool:  # noqa: N802
        return cls.GET_SCHEMA().is_api_node

    @classproperty
    def SEARCH_ALIASES(cls) -> list[str]:  # noqa: N802
        return list(cls.GET_SCHEMA().search_aliases)


class ComfyNode(_ComfyNodeBaseInternal):
    """Base class of V3 nodes: override ``define_schema`` and ``execute`` (see the module docstring)."""

    @classmethod
    def GET_BASE_CLASS(cls) -> type:  # noqa: N802
        return ComfyNode


def clone_with_hidden(node_cls: type, hidden: HiddenHolder) -> type:
    """A subclass of ``node_cls`` carrying ``hidden``; the schema cache is shared."""
    namespace: dict[str, Any] = {
        "hidden": hidden,
        "__module__": node_cls.__module__,
        "__qualname__": node_cls.__qualname__,
        "__doc__": node_cls.__doc__,
    }
    schema = node_cls.__dict__.get("_comfy_schema")
    if schema is not None:
        namespace["_comfy_schema"] = schema
    return type(node_cls.__name__, (node_cls,), namespace)


def normalize_output(node_cls: Any, returned: Any) -> NodeOutput:
    """``execute``'s return (None, NodeOutput, tuple, V1 dict or ExecutionBlocker) as a NodeOutput."""
    if returned is None:
        output = NodeOutput()
    elif isinstance(returned, NodeOutput):
        output = returned
    elif isinstance(returned, tuple):
        output = NodeOutput(*returned)
    elif isinstance(returned, dict):
        output = NodeOutput.from_dict(returned)
    elif isinstance(returned, ExecutionBlocker):
        output = NodeOutput(block_execution=returned.message)
    else:
        raise TypeError(f"Invalid return type from node {getattr(node_cls, '__name__', node_cls)}: {type(returned)}")
    if output.expand is not None:
        schema = getattr(node_cls, "SCHEMA", None) or node_cls.GET_SCHEMA()
        if not schema.enable_expand:
            raise ValueError(
                f"Node {node_cls.__name__} is not expandable, but expand included in NodeOutput; "
                "set enable_expand=True on the node's Schema to allow this."
            )
    return output

import os

import comfy.model_management
import comfy.utils
import folder_paths
import nodes
from comfy.comfy_types import IO, ComfyNodeABC, InputTypeDict
from comfy.comfy_types.node_typing import CheckLazyMixin
from comfy_execution.graph import ExecutionBlocker
from comfy_execution.graph_utils import GraphBuilder
from server import PromptServer

# read at import, as packs do: the core nodes are there already
BASE_SAVE = nodes.NODE_CLASS_MAPPINGS["SaveImage"]


class ScaleToSquare(ComfyNodeABC):
    """Resizes with comfy.utils.common_upscale, reports progress, and tells the browser."""

    @classmethod
    def INPUT_TYPES(cls) -> InputTypeDict:
        return {
            "required": {
                "image": (IO.IMAGE,),
                "size": (IO.INT, {"default": 8, "min": 1, "max": nodes.MAX_RESOLUTION}),
            },
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    RETURN_TYPES = (IO.IMAGE, IO.INT)
    RETURN_NAMES = ("image", "size")
    FUNCTION = "scale"
    CATEGORY = "v1_pack"

    def scale(self, image, size, unique_id):
        comfy.model_management.throw_exception_if_processing_interrupted()
        bar = comfy.utils.ProgressBar(2)
        bar.update(1)
        samples = image.movedim(-1, 1)
        scaled = comfy.utils.common_upscale(samples, size, size, "bilinear", "center").movedim(1, -1)
        bar.update(1)
        PromptServer.instance.send_sync(
            "v1_pack.scaled", {"node": unique_id, "size": size}, PromptServer.instance.client_id
        )
        return (scaled.to(comfy.model_management.intermediate_device()), size)


class SaveSquare(nodes.SaveImage):
    """A subclass of the core SaveImage (``nodes.SaveImage``), saving under v1_pack/."""

    @classmethod
    def INPUT_TYPES(cls):
        inputs = super().INPUT_TYPES()
        inputs["required"]["filename_prefix"] = ("STRING", {"default": "v1_pack/square"})
        return inputs

    CATEGORY = "v1_pack"


class WorkspaceInfo:
    """Model lists and folders through ``folder_paths``."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"folder": (["checkpoints", "loras"],)}}

    RETURN_TYPES = ("STRING",)
    OUTPUT_NODE = True
    FUNCTION = "describe"
    CATEGORY = "v1_pack"

    def describe(self, folder):
        names = folder_paths.get_filename_list(folder)
        text = "|".join(
            [
                os.path.relpath(folder_paths.models_dir, folder_paths.base_path),
                os.path.relpath(folder_paths.get_output_directory(), folder_paths.base_path),
                ",".join(names),
                str(folder in folder_paths.folder_names_and_paths),
            ]
        )
        return {"ui": {"text": [text]}, "result": (text,)}


class MaybeBlock(CheckLazyMixin):
    """Uses ExecutionBlocker and GraphBuilder the way flow-control packs do."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": ("INT", {"default": 0}), "block": ("BOOLEAN", {"default": False})}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "run"
    CATEGORY = "v1_pack"

    def run(self, value, block):
        if block:
            return (ExecutionBlocker(None),)
        graph = GraphBuilder()
        node = graph.node("PrimitiveInt", value=value + 1)
        return {"result": (node.out(0),), "expand": graph.finalize()}


NODE_CLASS_MAPPINGS = {
    "V1ScaleToSquare": ScaleToSquare,
    "V1SaveSquare": SaveSquare,
    "V1WorkspaceInfo": WorkspaceInfo,
    "V1MaybeBlock": MaybeBlock,
}
NODE_DISPLAY_NAME_MAPPINGS = {"V1ScaleToSquare": "Scale To Square (v1 pack)"}

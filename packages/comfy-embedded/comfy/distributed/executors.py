"""``comfy.distributed.executors.ContextVarExecutor`` (ComfyUI's import path).

The executors live in :mod:`comfy.client.executors`; see there.
"""

from comfy.client.executors import ContextVarExecutor, ProcessPoolExecutor

__all__ = ["ContextVarExecutor", "ProcessPoolExecutor"]

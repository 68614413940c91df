"""``comfy.distributed.process_pool_executor.ProcessPoolExecutor`` (ComfyUI's import path).

The pool lives in :mod:`comfy.client.executors`; see there.
"""

from comfy.client.executors import ProcessPoolExecutor

__all__ = ["ProcessPoolExecutor"]

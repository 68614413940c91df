"""Graph helpers shared by the executor and by nodes that build graphs (``comfy_execution``).

:mod:`comfy_execution.graph_utils` holds ``GraphBuilder``, ``is_link`` and ``ExecutionBlocker``
under the names ComfyUI uses, so node packs written for ComfyUI import them unchanged.
"""

"""Compatibility with ComfyUI custom node packs (``comfy.compat``).

Packs written for ComfyUI import a handful of top-level modules; comfy-core ships them as thin
shims over the engine, only so that such packs run unchanged (new code should use the ``comfy.``
APIs):

- ``folder_paths``: :mod:`comfy.folder_paths` itself (live ``models_dir``, ``folder_names_and_paths``).
- ``nodes``: ``MAX_RESOLUTION``, the loaded ``NODE_CLASS_MAPPINGS`` and node classes by name.
- ``server``: ``PromptServer.instance`` (:mod:`comfy.compat.prompt_server`): ``send_sync`` into the
  running prompt's event handler, and ``routes`` recorded for the HTTP server to mount.
"""

"""ComfyUI's ``folder_paths`` module, for custom node packs only (``import folder_paths``).

A compatibility shim shipped by comfy-core: importing it gives :mod:`comfy.folder_paths` itself
(the same module object), so ``folder_paths.models_dir``, ``folder_paths.folder_names_and_paths``
and the functions all act on the current workspace. New code should import ``comfy.folder_paths``.
"""

import sys

from comfy import folder_paths as _folder_paths

sys.modules[__name__] = _folder_paths

"""Schema components of the engine's API (``comfy.api.components``)."""

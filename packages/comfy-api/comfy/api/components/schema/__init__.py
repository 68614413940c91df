"""Schema checks for the objects that cross the API boundary (``comfy.api.components.schema``)."""

"""The `comfyui` command line."""

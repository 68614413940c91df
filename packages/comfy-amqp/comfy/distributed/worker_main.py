"""`comfyui-worker`: placeholder entry point until the worker lands (issue 8)."""

from __future__ import annotations


def main() -> None:
    raise SystemExit("comfyui-worker is not built yet")

"""Regenerate the typed client `comfy_api_client` from `comfy/api/openapi.yaml` (issue 7).

    python packages/comfy-remote/scripts/generate_client.py            # rewrite the committed client
    python packages/comfy-remote/scripts/generate_client.py --check    # exit 1 if it differs from the spec
    python packages/comfy-remote/scripts/generate_client.py --output DIR

The generator is openapi-python-client, pinned (0.29.1) in the workspace's dev dependencies; its
configuration (`packages/comfy-remote/openapi-client.yaml`) pins the package name, maps the binary
media types to bytes and formats with ruff (`--isolated`, so no surrounding configuration changes
the result). No network is used. The generator's warnings (a schema or media type it cannot turn
into code, so that piece is left out of the client) are printed on stderr: fix them in the spec.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
ROOT = PACKAGE_ROOT.parents[1]
SPEC = ROOT / "packages/comfy-api/comfy/api/openapi.yaml"
CONFIG = PACKAGE_ROOT / "openapi-client.yaml"
CLIENT = PACKAGE_ROOT / "comfy_api_client"
GENERATOR_VERSION = "0.29.1"


def _tool(name: str) -> str:
    """`name` from this interpreter's environment (where the pinned generator is installed)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed: run `make install` (uv sync) first")
    return found


def generate(output: Path) -> None:
    """Write the client package to `output` (replaced if it exists)."""
    generator = _tool("openapi-python-client")
    version = subprocess.run([generator, "--version"], check=True, capture_output=True, text=True).stdout
    if GENERATOR_VERSION not in version:
        raise SystemExit(f"openapi-python-client {GENERATOR_VERSION} is required, found: {version.strip()}")
    env = {**os.environ, "PATH": f"{Path(_tool('ruff')).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [
        generator, "generate", "--path", str(SPEC), "--config", str(CONFIG), "--meta", "none",
        "--output-path", str(output), "--overwrite",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=output.parent)
    if result.returncode != 0:
        raise SystemExit(f"openapi-python-client failed:\n{result.stdout}\n{result.stderr}")
    if "Warning" in result.stdout or "WARNING" in result.stdout:
        print(f"openapi-python-client left parts out:\n{result.stdout}", file=sys.stderr)


def differences(left: Path, right: Path) -> list[str]:
    """Relative paths that differ between two trees (missing on one side, or other content)."""

    def files(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}

    ours, theirs = files(left), files(right)
    changed = sorted(ours ^ theirs)
    changed += sorted(p for p in ours & theirs if not filecmp.cmp(left / p, right / p, shallow=False))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare the committed client with a fresh one")
    parser.add_argument("--output", type=Path, default=CLIENT, help=f"where to write (default {CLIENT})")
    args = parser.parse_args(argv)
    if not args.check:
        generate(args.output.resolve())
        print(f"wrote {args.output}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "comfy_api_client"
        generate(fresh)
        changed = differences(CLIENT, fresh)
    if changed:
        print("the committed comfy_api_client differs from openapi.yaml; run `make client`:", *changed, sep="\n  ")
        return 1
    print("comfy_api_client matches openapi.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Stable Diffusion sampling speed through the engine: SD1.5-sized at 512² and SDXL-sized at 1024², 20 steps,
euler, CFG — steps per second, seconds per image and peak memory, with a baseline measured in the same run.

The checkpoints are random-weight files with the real layouts and sizes (``comfy_nodes_sd.tiny``,
``scale="full"``: about 2 GB and 7 GB in fp16), written to a scratch workspace and loaded by
``CheckpointLoaderSimple`` like a downloaded file; the images are noise. Each row runs the same
API-format workflow (CheckpointLoaderSimple → CLIPTextEncode ×2 → EmptyLatentImage → KSampler →
VAEDecode → PreviewImage) through ``PromptExecutor``:

- ``baseline fp32``: ComfyUI's ``force_fp32`` (UNet, VAE and text encoders in fp32, eager);
- ``ours``: the engine's defaults (on CUDA: fp16 UNet, bf16 VAE, PyTorch scaled-dot-product
  attention) plus ``force_channels_last``;
- ``ours + compile`` (``--compile``): the same with the UNet's forward through ``torch.compile``.

A warm-up prompt loads (and compiles) first; then ``--runs`` prompts with new seeds are timed (the
loader and text encoders are cache hits, as in a real queue). steps/s is measured between the
sampler's first and last progress events (all CFG evaluations included); s/image is the whole
prompt; peak memory is ``torch.cuda.max_memory_allocated`` of the timed runs (CPU: the process's
peak RSS so far).

    uv run python benchmarks/sd_speed.py                 # GPU: SD1.5 512², SDXL 1024²
    uv run python benchmarks/sd_speed.py --compile
    uv run python benchmarks/sd_speed.py --tiny          # CPU-sized smoke run (tiny models, 64²/128²)

Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# family, full-size resolution, tiny resolution
CASES = {"sd15": (512, 64), "sdxl": (1024, 128)}


class Recorder:
    """Progress handler keeping (time, event, data)."""

    client_id = "bench"

    def __init__(self) -> None:
        self.events: list[tuple[float, str, Any]] = []

    def send_sync(self, event: str, data: Any, sid: Any = None) -> None:
        self.events.append((time.perf_counter(), event, data))


def workflow(ckpt: str, size: int, steps: int, seed: int, cfg: float, sampler: str, scheduler: str) -> dict[str, Any]:
    return {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a photograph of an astronaut riding a horse", "clip": ["1", 1]}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry, low quality", "clip": ["1", 1]}},
        "4": {"class_type": "EmptyLatentImage", "inputs": {"width": size, "height": size, "batch_size": 1}},
        "5": {
            "class_type": "KSampler",
            "inputs": {
                "model": ["1", 0], "positive": ["2", 0], "negative": ["3", 0], "latent_image": ["4", 0],
                "seed": seed, "steps": steps, "cfg": cfg, "sampler_name": sampler, "scheduler": scheduler, "denoise": 1.0,
            },
        },  # fmt: skip
        "6": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["1", 2]}},
        "7": {"class_type": "PreviewImage", "inputs": {"images": ["6", 0]}},
    }


def sampling_rate(recorder: Recorder, steps: int) -> float:
    """Steps per second between the sampler's first and last progress events."""
    times = [t for t, event, data in recorder.events if event == "progress" and data.get("node") == "5"]
    if len(times) < 2:
        return float("nan")
    return (len(times) - 1) / (times[-1] - times[0])


def compile_cached_unets(torch: Any) -> int:
    from comfy_nodes_sd import memory

    count = 0
    for loaded in memory.manager().loaded_checkpoints():
        unet = loaded.model.diffusion_model
        if not getattr(unet, "_bench_compiled", False):
            unet.forward = torch.compile(unet.forward)
            unet._bench_compiled = True
            count += 1
    return count


def run_row(args: Any, workspace: Path, family: str, size: int, variant: str, overrides: dict[str, Any]) -> dict[str, Any]:
    import torch
    from comfy import folder_paths
    from comfy.cli_args import use_configuration
    from comfy.cli_args_types import Configuration
    from comfy.execution import PromptExecutor
    from comfy.nodes.registry import load_registry
    from comfy_nodes_sd import devices, memory

    config = Configuration(**({"cpu": True} if args.cpu else {}), **overrides)
    ckpt = f"{family}.safetensors"
    cuda = torch.cuda.is_available() and not args.cpu
    with use_configuration(config), folder_paths.use_folder_paths(folder_paths.FolderPaths(str(workspace))):
        device = devices.torch_device()
        dtype = str(devices.unet_dtype(device)).replace("torch.", "")
        executor = PromptExecutor(load_registry(), handler=Recorder(), raise_exceptions=True)
        try:
            start = time.perf_counter()
            executor.execute(workflow(ckpt, size, args.steps, 0, args.cfg, args.sampler, args.scheduler), "warmup-0")
            if variant.endswith("compile"):
                compile_cached_unets(torch)
                executor.execute(workflow(ckpt, size, args.steps, 1, args.cfg, args.sampler, args.scheduler), "warmup-1")
            warmup = time.perf_counter() - start
            if cuda:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            rates, seconds = [], []
            for run in range(args.runs):
                recorder = Recorder()
                executor.handler = recorder
                t0 = time.perf_counter()
                executor.execute(workflow(ckpt, size, args.steps, 100 + run, args.cfg, args.sampler, args.scheduler), f"run-{run}")
                if cuda:
                    torch.cuda.synchronize()
                seconds.append(time.perf_counter() - t0)
                rates.append(sampling_rate(recorder, args.steps))
            peak = torch.cuda.max_memory_allocated() if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        finally:
            executor.close()
            memory.unload_all()
            gc.collect()
            if cuda:
                torch.cuda.empty_cache()
    return {
        "family": family, "size": size, "variant": variant, "dtype": dtype, "steps_s": statistics.median(rates),
        "s_image": statistics.median(seconds), "peak_gib": peak / 2**30, "warmup_s": warmup,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny random models at 64²/128² (a CPU smoke run)")
    parser.add_argument("--families", default="sd15,sdxl", help="comma-separated: sd15, sdxl")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2, help="timed prompts per row (median reported)")
    parser.add_argument("--cfg", type=float, default=7.0)
    parser.add_argument("--sampler", default="euler")
    parser.add_argument("--scheduler", default="normal")
    parser.add_argument("--compile", action="store_true", help="add a row with the UNet through torch.compile")
    parser.add_argument("--no-baseline", action="store_true", help="skip the fp32 baseline rows")
    parser.add_argument("--cpu", action="store_true", help="run on the CPU even when CUDA is present")
    parser.add_argument("--workspace", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)

    import torch
    from comfy_nodes_sd import tiny

    cuda = torch.cuda.is_available() and not args.cpu
    device_name = torch.cuda.get_device_name() if cuda else "CPU"
    print(f"device: {device_name}; torch {torch.__version__}; {'tiny' if args.tiny else 'full-size'} random-weight checkpoints", flush=True)
    variants: list[tuple[str, dict[str, Any]]] = []
    if not args.no_baseline:
        variants.append(("baseline fp32", {"force_fp32": True}))
    variants.append(("ours", {"force_channels_last": True}))
    if args.compile:
        variants.append(("ours + compile", {"force_channels_last": True}))

    with tempfile.TemporaryDirectory(prefix="sd_speed_") as scratch:
        workspace = args.workspace or Path(scratch)
        folder = workspace / "models" / "checkpoints"
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for family in [f.strip() for f in args.families.split(",") if f.strip()]:
            full, small = CASES[family]
            size = small if args.tiny else full
            t0 = time.perf_counter()
            path = tiny.make_checkpoint(family, folder / f"{family}.safetensors", seed=0, scale="tiny" if args.tiny else "full")
            print(f"{family}: wrote {path.stat().st_size / 2**30:.2f} GiB in {time.perf_counter() - t0:.1f} s", flush=True)
            for variant, overrides in variants:
                try:
                    row = run_row(args, workspace, family, size, variant, overrides)
                except Exception as e:  # a failing row is reported, the others still run
                    print(f"{family} {variant}: failed: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
                    continue
                rows.append(row)
                print(
                    f"  {row['variant']:<16} {row['dtype']:<9} {row['steps_s']:8.2f} steps/s {row['s_image']:8.2f} s/image "
                    f"peak {row['peak_gib']:6.2f} GiB (warm-up {row['warmup_s']:.1f} s)",
                    flush=True,
                )
            path.unlink()

    print()
    print("| model | size | steps | variant | UNet dtype | steps/s | s/image | peak GiB | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        base = next((r for r in rows if r["family"] == row["family"] and r["variant"] == "baseline fp32"), None)
        speedup = f"{row['steps_s'] / base['steps_s']:.2f}x" if base else "-"
        print(
            f"| {row['family']} | {row['size']}² | {args.steps} | {row['variant']} | {row['dtype']} | {row['steps_s']:.2f} | "
            f"{row['s_image']:.2f} | {row['peak_gib']:.2f} | {speedup} |"
        )
    print(f"\ndevice: {device_name}; euler/normal, cfg {args.cfg}, batch 1; peak = "
          f"{'torch.cuda.max_memory_allocated' if cuda else 'process peak RSS'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The seed's embedded samples, pasted unchanged (only the workflow and the checkpoint name are ours).

The workflow is ComfyUI's "Save (API Format)" of the reference txt2img graph
(``shared/reference/txt2img_euler_normal.workflow_api.json``) with the tiny generated SD1.5
checkpoint; these tests need the SD plugin and skip, saying why, without it.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from embedded_support import reference_workflow

from comfy.api.components.schema.prompt import Prompt
from comfy.client.embedded_comfy_client import Comfy
from comfy.component_model.executor_types import PreviewImageWithMetadataMessage
from comfy.component_model.queue_types import BinaryEventTypes

pytestmark = pytest.mark.slow

_PROMPT_FROM_WEB_UI = {
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "cfg": 7.0,
            "denoise": 1.0,
            "latent_image": ["5", 0],
            "model": ["4", 0],
            "negative": ["7", 0],
            "positive": ["6", 0],
            "sampler_name": "euler",
            "scheduler": "normal",
            "seed": 42,
            "steps": 4,
        },
    },
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny_sd15.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"batch_size": 1, "height": 64, "width": 64}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "text": "a photo of a cat"}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "text": "blurry, low quality"}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ref_txt2img_euler_normal", "images": ["8", 0]}},
}


def test_the_workflow_is_the_reference_one() -> None:
    assert _PROMPT_FROM_WEB_UI == reference_workflow()


async def test_seed_embedded_sample(sd_workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prompt = Prompt.validate(_PROMPT_FROM_WEB_UI)

    # --- the seed, unchanged ---
    async with Comfy() as client:
        # This will run your prompt
        # To get the prompt JSON, visit the ComfyUI interface, design your workflow and click **Save (API Format)**. This JSON is what you will use as your workflow.
        outputs = await client.queue_prompt(prompt)
        # At this point, your prompt is finished and all the outputs, like saving images, have been completed.
        # Now the outputs will contain the same thing that the Web UI expresses: a file path for each output.
        # Let's find the node ID of the first SaveImage node. This will work when you change your workflow JSON from
        # the example above.
        save_image_node_id = next(key for key in prompt if prompt[key].class_type == "SaveImage")
        # Now let's print the absolute path to the image.
        print(outputs[save_image_node_id]["images"][0]["abs_path"])
    # At this point, all the models have been unloaded from VRAM, and everything has been cleaned up.
    # --- end of the seed ---

    printed = capsys.readouterr().out.strip()
    assert printed == outputs["9"]["images"][0]["abs_path"]
    assert Path(printed).is_file() and Path(printed).parent == sd_workspace / "output"
    assert not client.is_running


async def test_seed_preview_sample(sd_workspace: Path) -> None:
    # --- the seed, unchanged (its "..." turns the dict into the prompt) ---
    prompt_dict = copy.deepcopy(_PROMPT_FROM_WEB_UI)
    prompt_dict["6"]["inputs"]["text"] = "masterpiece best quality man"
    prompt = Prompt.validate(prompt_dict)
    preview_frames = []
    async with Comfy() as client:
        task = client.queue_with_progress(prompt)
        async for notification in task.progress():
            if notification.event == BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA:
                image_data: PreviewImageWithMetadataMessage = notification.data
                unencoded_preview, _ = image_data
                preview_frames.append(unencoded_preview.pil_image.copy())
    # --- end of the seed ---

    result = await task.get()
    assert Path(result.outputs["9"]["images"][0]["abs_path"]).is_file()
    assert len(preview_frames) == _PROMPT_FROM_WEB_UI["3"]["inputs"]["steps"]
    assert all(frame.size[0] > 0 and frame.size[1] > 0 for frame in preview_frames)


@pytest.mark.gpu
async def test_leaving_the_context_gives_gpu_memory_back(sd_workspace: Path) -> None:
    """ComfyUI's ``test_cuda_memory_usage``: after the block, GPU memory is back at its baseline."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    torch.cuda.synchronize()
    baseline = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    async with Comfy() as client:
        await client.queue_prompt(_PROMPT_FROM_WEB_UI)
    torch.cuda.synchronize()
    assert torch.cuda.max_memory_allocated() > baseline + 1e7, "the models did not run on the GPU"
    assert torch.cuda.memory_allocated() - baseline < 1e7

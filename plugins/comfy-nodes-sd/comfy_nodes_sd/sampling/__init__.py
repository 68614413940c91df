"""Sampling: noise schedules (``model_sampling``), σ schedulers (``schedulers``), k-diffusion samplers
(``samplers``), seeded noise (``noise``), classifier-free guidance (``model_wrapper``) and the KSampler
procedure that ties them together (``ksampler``).

``SAMPLER_NAMES`` and ``SCHEDULER_NAMES`` are importable without torch (node schemas list them)."""

from .samplers import SAMPLER_NAMES
from .schedulers import SCHEDULER_NAMES

__all__ = ["SAMPLER_NAMES", "SCHEDULER_NAMES"]

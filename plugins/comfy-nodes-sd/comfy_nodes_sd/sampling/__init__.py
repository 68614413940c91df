"""Sampling: noise schedules (``model_sampling``), σ schedulers (``schedulers``), k-diffusion samplers
(``samplers`` with ``samplers_extra``, ``samplers_sde``, ``samplers_cfgpp``, ``unipc``), seeded noise
(``noise``: generators and Brownian trees), conditioning and classifier-free guidance
(``model_wrapper``), the GUIDER objects (``guiders``) and the KSampler procedure and SAMPLER objects
that tie them together (``ksampler``).

``SAMPLER_NAMES`` and ``SCHEDULER_NAMES`` are importable without torch (node schemas list them)."""

from .samplers import SAMPLER_NAMES
from .schedulers import SCHEDULER_NAMES

__all__ = ["SAMPLER_NAMES", "SCHEDULER_NAMES"]

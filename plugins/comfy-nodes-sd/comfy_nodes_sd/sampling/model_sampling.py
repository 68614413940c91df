"""The discrete noise schedule of DDPM-trained models and the ε / v parameterisations, in k-diffusion's
σ terms (Karras et al. 2022): ``x_noisy = x0 + σ·ε``.

``betas`` are "scaled linear" (``linspace(√β₀, √β₁, T)²``, float64), ``ᾱ = cumprod(1 − β)`` and
``σ_t = √((1 − ᾱ_t) / ᾱ_t)``, stored as float32 with their logs. ``timestep(σ)`` is the index of the
nearest σ in log space (an integer); ``sigma(t)`` interpolates ``log σ`` linearly between indices.
The model sees ``x / √(σ² + 1)`` and the integer timestep; its output becomes the denoised estimate
``x − σ·ε`` (ε) or ``x/(σ²+1) − σ·v/√(σ²+1)`` (v).
"""

from __future__ import annotations

import torch

__all__ = ["DiscreteSchedule"]


class DiscreteSchedule:
    """σ table of a model trained on ``timesteps`` discrete steps, with its prediction type."""

    sigma_data = 1.0

    def __init__(
        self,
        linear_start: float = 0.00085,
        linear_end: float = 0.012,
        timesteps: int = 1000,
        prediction: str = "eps",
    ) -> None:
        if prediction not in ("eps", "v"):
            raise ValueError(f"unknown prediction type {prediction!r}")
        self.prediction = prediction
        betas = torch.linspace(linear_start**0.5, linear_end**0.5, timesteps, dtype=torch.float64) ** 2
        alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
        sigmas = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5
        self.sigmas = sigmas.float()
        self.log_sigmas = sigmas.log().float()

    @property
    def sigma_min(self) -> torch.Tensor:
        return self.sigmas[0]

    @property
    def sigma_max(self) -> torch.Tensor:
        return self.sigmas[-1]

    def timestep(self, sigma: torch.Tensor) -> torch.Tensor:
        """Index of the nearest table σ (by log distance), shaped like ``sigma``."""
        dists = sigma.log().to(self.log_sigmas.device) - self.log_sigmas[:, None]
        return dists.abs().argmin(dim=0).view(sigma.shape).to(sigma.device)

    def sigma(self, timestep: torch.Tensor) -> torch.Tensor:
        """σ at a (fractional) timestep: log-linear interpolation of the table."""
        t = torch.clamp(timestep.float().to(self.log_sigmas.device), min=0, max=len(self.sigmas) - 1)
        low, high = t.floor().long(), t.ceil().long()
        w = t.frac()
        log_sigma = (1 - w) * self.log_sigmas[low] + w * self.log_sigmas[high]
        return log_sigma.exp().to(timestep.device)

    def percent_to_sigma(self, percent: float) -> float:
        """σ at a fraction of the sampling schedule (0: start, 1: end)."""
        if percent <= 0.0:
            return 999999999.9
        if percent >= 1.0:
            return 0.0
        return float(self.sigma(torch.tensor((1.0 - percent) * 999.0)))

    # --- parameterisation ------------------------------------------------------------------

    @staticmethod
    def _view(sigma: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return sigma.view(sigma.shape[:1] + (1,) * (like.ndim - 1))

    def calculate_input(self, sigma: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """What the network sees: ``x / √(σ² + σ_data²)``."""
        return x / (self._view(sigma, x) ** 2 + self.sigma_data**2) ** 0.5

    def calculate_denoised(self, sigma: torch.Tensor, model_output: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The denoised estimate from the network output."""
        s = self._view(sigma, model_output)
        if self.prediction == "eps":
            return x - model_output * s
        sd2 = self.sigma_data**2
        return x * sd2 / (s**2 + sd2) - model_output * s * self.sigma_data / (s**2 + sd2) ** 0.5

    def noise_scaling(
        self, sigma: torch.Tensor, noise: torch.Tensor, latent: torch.Tensor, max_denoise: bool = False
    ) -> torch.Tensor:
        """The starting point: ``latent + σ·noise`` (``√(1 + σ²)·noise`` when starting from pure noise)."""
        scale = torch.sqrt(1.0 + sigma**2.0) if max_denoise else sigma
        return noise * scale + latent

    def inverse_noise_scaling(self, sigma: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
        return latent

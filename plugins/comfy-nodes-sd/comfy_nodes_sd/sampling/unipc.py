"""UniPC (Zhao et al. 2023, "UniPC: A Unified Predictor-Corrector Framework for Fast Sampling of
Diffusion Models"), the multistep data-prediction variant ComfyUI runs as ``uni_pc`` (B(h) = h,
"bh1") and ``uni_pc_bh2`` (B(h) = e^h − 1).

How ComfyUI drives it, reproduced here step for step:

- The time variable is σ itself, in the variance-preserving picture: α(σ) = 1/√(1+σ²),
  σ_vp(σ) = √(1 − α²), λ(σ) = log α − log σ_vp (ComfyUI's ``SigmaConvert``). A final σ of 0 is
  replaced by 0.001 (λ would be infinite).
- The k-diffusion latent is divided by √(1+σ₀²) to enter the VP picture; the denoiser is turned into
  a noise predictor ε = (x·√(1+σ²) − D(x·√(1+σ²), σ)) / σ, and back into a data prediction
  x0 = (x − σ_vp·ε)/α; the result is divided by α(σ_last) on the way out.
- Order min(3, steps − 1), lower orders at the start and the end; the corrector runs at every step
  but the last, and its model evaluation is reused as the next step's history (no extra call).

Same signature as every sampler (see ``samplers``); ``callback`` gets ``x``, ``i`` and the latest
data prediction as ``denoised``.
"""

from __future__ import annotations

from .samplers import register

__all__ = ["sample_uni_pc", "sample_uni_pc_bh2"]


def _expand(v, dims: int):  # type: ignore[no-untyped-def]
    return v[(...,) + (None,) * (dims - 1)]


def _log_mean_coeff(sigma):  # type: ignore[no-untyped-def]
    import torch

    return 0.5 * torch.log(1 / ((sigma * sigma) + 1))


def _alpha(sigma):  # type: ignore[no-untyped-def]
    import torch

    return torch.exp(_log_mean_coeff(sigma))


def _std(sigma):  # type: ignore[no-untyped-def]
    import torch

    return torch.sqrt(1.0 - torch.exp(2.0 * _log_mean_coeff(sigma)))


def _lambda(sigma):  # type: ignore[no-untyped-def]
    import torch

    log_mean_coeff = _log_mean_coeff(sigma)
    log_std = 0.5 * torch.log(1.0 - torch.exp(2.0 * log_mean_coeff))
    return log_mean_coeff - log_std


class _UniPC:
    def __init__(self, model, variant: str, callback) -> None:  # type: ignore[no-untyped-def]
        self.model = model
        self.variant = variant
        self.callback = callback

    def eps(self, x, t):  # type: ignore[no-untyped-def]
        """ComfyUI's ``predict_eps_sigma``: the noise the denoiser implies at VP-scaled ``x``."""
        if t.reshape((-1,)).shape[0] == 1:
            t = t.expand(x.shape[0])
        sigma = t.view(t.shape[:1] + (1,) * (x.ndim - 1))
        scaled = x * ((sigma**2 + 1.0) ** 0.5)
        return (scaled - self.model(scaled, t)) / sigma

    def data_prediction(self, x, t):  # type: ignore[no-untyped-def]
        noise = self.eps(x, t)
        dims = x.dim()
        alpha_t, sigma_t = _alpha(t), _std(t)
        return (x - _expand(sigma_t, dims) * noise) / _expand(alpha_t, dims)

    def update(self, x, model_prev_list, t_prev_list, t, order: int, use_corrector: bool):  # type: ignore[no-untyped-def]
        """One multistep UniPC step (predictor, then corrector when asked) with B(h) of the variant."""
        import torch

        dims = x.dim()
        t_prev_0 = t_prev_list[-1]
        lambda_prev_0 = _lambda(t_prev_0)
        lambda_t = _lambda(t)
        model_prev_0 = model_prev_list[-1]
        sigma_prev_0, sigma_t = _std(t_prev_0), _std(t)
        alpha_t = torch.exp(_log_mean_coeff(t))
        h = lambda_t - lambda_prev_0

        rks = []
        D1s = []
        for i in range(1, order):
            t_prev_i = t_prev_list[-(i + 1)]
            model_prev_i = model_prev_list[-(i + 1)]
            lambda_prev_i = _lambda(t_prev_i)
            rk = ((lambda_prev_i - lambda_prev_0) / h)[0]
            rks.append(rk)
            D1s.append((model_prev_i - model_prev_0) / rk)
        rks.append(1.0)
        rks_t = torch.tensor(rks, device=x.device)

        hh = -h[0]
        h_phi_1 = torch.expm1(hh)
        h_phi_k = h_phi_1 / hh - 1
        factorial_i = 1
        if self.variant == "bh1":
            B_h = hh
        elif self.variant == "bh2":
            B_h = torch.expm1(hh)
        else:
            raise ValueError(f"unknown UniPC variant {self.variant!r}")
        R = []
        b = []
        for i in range(1, order + 1):
            R.append(torch.pow(rks_t, i - 1))
            b.append(h_phi_k * factorial_i / B_h)
            factorial_i *= i + 1
            h_phi_k = h_phi_k / hh - 1 / factorial_i
        R_t = torch.stack(R)
        b_t = torch.tensor(b, device=x.device)

        D1s_t = None
        rhos_p = None
        if D1s:
            D1s_t = torch.stack(D1s, dim=1)
            rhos_p = torch.tensor([0.5], device=b_t.device) if order == 2 else torch.linalg.solve(R_t[:-1, :-1], b_t[:-1])
        rhos_c = None
        if use_corrector:
            rhos_c = torch.tensor([0.5], device=b_t.device) if order == 1 else torch.linalg.solve(R_t, b_t)

        x_t_ = _expand(sigma_t / sigma_prev_0, dims) * x - _expand(alpha_t * h_phi_1, dims) * model_prev_0
        pred_res = torch.einsum("k,bkchw->bchw", rhos_p, D1s_t) if D1s_t is not None else 0
        x_t = x_t_ - _expand(alpha_t * B_h, dims) * pred_res

        model_t = None
        if use_corrector:
            model_t = self.data_prediction(x_t, t)
            corr_res = torch.einsum("k,bkchw->bchw", rhos_c[:-1], D1s_t) if D1s_t is not None else 0
            D1_t = model_t - model_prev_0
            x_t = x_t_ - _expand(alpha_t * B_h, dims) * (corr_res + rhos_c[-1] * D1_t)
        return x_t, model_t

    def sample(self, x, timesteps, order: int):  # type: ignore[no-untyped-def]
        steps = len(timesteps) - 1
        if steps < order:
            raise ValueError(f"UniPC needs at least {order} steps")
        model_prev_list: list = []
        t_prev_list: list = []
        for step_index in range(steps):
            if step_index == 0:
                vec_t = timesteps[0].expand(x.shape[0])
                model_prev_list = [self.data_prediction(x, vec_t)]
                t_prev_list = [vec_t]
            elif step_index < order:
                init_order = step_index
                vec_t = timesteps[init_order].expand(x.shape[0])
                x, model_x = self.update(x, model_prev_list, t_prev_list, vec_t, init_order, use_corrector=True)
                if model_x is None:
                    model_x = self.data_prediction(x, vec_t)
                model_prev_list.append(model_x)
                t_prev_list.append(vec_t)
            else:
                extra_final_step = 1 if step_index == steps - 1 else 0
                for step in range(step_index, step_index + 1 + extra_final_step):
                    vec_t = timesteps[step].expand(x.shape[0])
                    step_order = min(order, steps + 1 - step)
                    use_corrector = step != steps
                    x, model_x = self.update(x, model_prev_list, t_prev_list, vec_t, step_order, use_corrector=use_corrector)
                    for i in range(order - 1):
                        t_prev_list[i] = t_prev_list[i + 1]
                        model_prev_list[i] = model_prev_list[i + 1]
                    t_prev_list[-1] = vec_t
                    if step < steps:
                        if model_x is None:
                            model_x = self.data_prediction(x, vec_t)
                        model_prev_list[-1] = model_x
            if self.callback is not None:
                self.callback({"x": x, "i": step_index, "denoised": model_prev_list[-1]})
        return x


def _sample(model, x, sigmas, callback, variant: str):  # type: ignore[no-untyped-def]
    import torch

    timesteps = sigmas.clone()
    if sigmas[-1] == 0:
        timesteps[-1] = 0.001
    noise = x / torch.sqrt(1.0 + timesteps[0] ** 2.0)
    order = min(3, len(timesteps) - 2)
    out = _UniPC(model, variant, callback).sample(noise, timesteps, order)
    out /= _alpha(timesteps[-1])
    return out


@register("uni_pc")
def sample_uni_pc(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None):  # type: ignore[no-untyped-def]
    """UniPC multistep predictor-corrector (Zhao et al. 2023), data prediction, B(h) = h ("bh1")."""
    return _sample(model, x, sigmas, callback, "bh1")


@register("uni_pc_bh2")
def sample_uni_pc_bh2(model, x, sigmas, *, callback=None, noise_sampler=None, seed=None):  # type: ignore[no-untyped-def]
    """UniPC multistep predictor-corrector (Zhao et al. 2023), data prediction, B(h) = e^h − 1 ("bh2")."""
    return _sample(model, x, sigmas, callback, "bh2")

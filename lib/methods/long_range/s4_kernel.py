"""S4D: a diagonal state-space model as a causal convolution, computed three equivalent ways.

Per channel h (H channels, independent) the continuous system is
    x'(t) = A x(t) + B u(t),   y(t) = 2 Re(C x(t)) + D u(t)
with a diagonal complex A of N/2 entries (their conjugates are implied, hence the 2 Re) and B = 1.
Zero-order hold with a learned step dt gives the discrete recurrence
    x_k = Ab x_{k-1} + Bb u_k,   Ab = exp(dt A),   Bb = (exp(dt A) - 1) / A
and unrolling it turns the layer into one causal convolution y = K * u + D u with kernel
    K[h, l] = 2 Re( sum_n C[h, n] Bb[h, n] Ab[h, n]^l ),   l = 0..L-1   (a Vandermonde product).

The three computations below (recurrence, direct convolution, FFT convolution padded to 2L) give
the same output; the tests hold them to 1e-5. Formulas adapted from state-spaces/s4
(models/s4/s4d.py, S4DKernel and S4D.forward), written afresh.

Shapes: u is (B, H, L) float; K is (H, L) float; complex parameters are (H, N/2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch.utils.checkpoint import checkpoint

MIN_LOG_DECAY = -60.0


@dataclass(frozen=True)
class S4DParams:
    """The learnable parameters of one S4D layer (plain tensors, for the pure functions below).

    log_dt:     (H,) float, log of the step size; S4D init uniform in [log dt_min, log dt_max].
    log_A_real: (H, N/2) float, A.real = -exp(log_A_real) < 0 keeps the system stable (init log 0.5).
    A_imag:     (H, N/2) float, A.imag; S4D-Lin init pi * n, so mode n oscillates n/2 cycles per unit time.
    C:          (H, N/2) complex, output projection (B is folded into C); init standard complex normal.
    D:          (H,) float, skip term.
    """

    log_dt: torch.Tensor
    log_A_real: torch.Tensor
    A_imag: torch.Tensor
    C: torch.Tensor
    D: torch.Tensor

    @property
    def channels(self) -> int:
        return int(self.log_dt.shape[0])

    @property
    def state_size(self) -> int:
        """N: twice the number of stored complex modes."""
        return 2 * int(self.A_imag.shape[1])


def s4d_lin_init(channels: int, state_size: int = 16, *, dt_min: float = 1e-3, dt_max: float = 1e-1,
                 generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> S4DParams:
    """S4D-Lin initialisation: A_n = -1/2 + i pi n, dt log-uniform in [dt_min, dt_max].

    state_size N must be even (N/2 complex modes per channel).
    """
    if state_size < 2 or state_size % 2:
        raise ValueError(f"state_size must be an even number >= 2, got {state_size}")
    if not 0 < dt_min <= dt_max:
        raise ValueError(f"need 0 < dt_min <= dt_max, got {dt_min}, {dt_max}")
    modes = state_size // 2
    complex_dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
    log_dt = torch.rand(channels, generator=generator, dtype=dtype) * (math.log(dt_max) - math.log(dt_min))
    log_dt = log_dt + math.log(dt_min)
    log_A_real = torch.full((channels, modes), math.log(0.5), dtype=dtype)
    A_imag = math.pi * torch.arange(modes, dtype=dtype).expand(channels, modes).clone()
    C = torch.randn(channels, modes, generator=generator, dtype=complex_dtype)
    D = torch.randn(channels, generator=generator, dtype=dtype)
    return S4DParams(log_dt=log_dt, log_A_real=log_A_real, A_imag=A_imag, C=C, D=D)


def continuous_A(log_A_real: torch.Tensor, A_imag: torch.Tensor) -> torch.Tensor:
    """(H, N/2) complex state matrix diagonal A = -exp(log_A_real) + i A_imag (real part always < 0)."""
    return torch.complex(-torch.exp(log_A_real), A_imag)


def discretize_zoh(log_dt: torch.Tensor, log_A_real: torch.Tensor, A_imag: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-order hold: (Ab, Bb), both (H, N/2) complex, Ab = exp(dt A), Bb = (exp(dt A) - 1) / A."""
    A = continuous_A(log_A_real, A_imag)
    dtA = A * torch.exp(log_dt).unsqueeze(-1)  # (H, N/2)
    Ab = torch.exp(dtA)
    return Ab, (Ab - 1.0) / A


def _vandermonde_taps(dtA_real: torch.Tensor, dtA_imag: torch.Tensor, C_real: torch.Tensor, C_imag: torch.Tensor,
                      start: int, stop: int) -> torch.Tensor:
    """K[:, start:stop] = 2 Re(sum_n C_n exp(dtA_n l)) in real arithmetic (about 2x faster than complex on CPU).

    exp(dtA l) = exp(Re(dtA) l) (cos(Im(dtA) l) + i sin(Im(dtA) l)), so
    2 Re(C exp(dtA l)) = 2 exp(Re(dtA) l) (Re C cos(Im(dtA) l) - Im C sin(Im(dtA) l)).
    All inputs (H, N/2) float -> (H, stop - start) float.
    """
    steps = torch.arange(start, stop, device=dtA_real.device, dtype=dtA_real.dtype)
    # Clamped at exp(-60) ~ 1e-26: a tap that small changes nothing, while letting the tail underflow
    # through float32's subnormal range slows CPUs down many times over.
    decay = torch.exp((dtA_real.unsqueeze(-1) * steps).clamp_min(MIN_LOG_DECAY))  # (H, N/2, l)
    phase = dtA_imag.unsqueeze(-1) * steps
    return 2.0 * (torch.einsum("hn,hnl->hl", C_real, decay * torch.cos(phase))
                  - torch.einsum("hn,hnl->hl", C_imag, decay * torch.sin(phase)))


def s4d_kernel(log_dt: torch.Tensor, log_A_real: torch.Tensor, A_imag: torch.Tensor, C: torch.Tensor,
               length: int, *, chunk: int | None = None) -> torch.Tensor:
    """(H, L) float kernel K[h, l] = 2 Re(sum_n C Bb Ab^l), built as a Vandermonde product.

    Ab^l is computed as exp(l * dt A) (no repeated multiplication, so no error build-up).
    Memory is O(H * N/2 * L): the largest tensors of an S4D layer at long L. With `chunk`, the taps
    are built `chunk` steps at a time and recomputed in the backward pass (activation checkpointing),
    so memory is O(H * N/2 * chunk + H * L): the role the Cauchy/Vandermonde CUDA kernels play in S4.
    """
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    A = continuous_A(log_A_real, A_imag)
    dtA = A * torch.exp(log_dt).unsqueeze(-1)  # (H, N/2)
    C_tilde = C * (torch.exp(dtA) - 1.0) / A  # (H, N/2): C times the ZOH input matrix Bb
    inputs = (dtA.real, dtA.imag, C_tilde.real, C_tilde.imag)
    if chunk is None or length <= chunk:
        return _vandermonde_taps(*inputs, 0, length)
    recompute = torch.is_grad_enabled() and any(t.requires_grad for t in inputs)
    parts = []
    for start in range(0, length, chunk):
        stop = min(start + chunk, length)
        if recompute:
            parts.append(checkpoint(_vandermonde_taps, *inputs, start, stop, use_reentrant=False))
        else:
            parts.append(_vandermonde_taps(*inputs, start, stop))
    return torch.cat(parts, dim=-1)


def with_step(params: S4DParams, dt: float) -> S4DParams:
    """The same parameters with every channel's step size set to `dt` (teaching: dt sets how far back a
    channel remembers, in steps, since the continuous decay rate stays the same)."""
    if dt <= 0:
        raise ValueError(f"dt must be positive, got {dt}")
    return replace(params, log_dt=torch.full_like(params.log_dt, math.log(dt)))


def kernel_of(params: S4DParams, length: int) -> torch.Tensor:
    """s4d_kernel for an S4DParams: (H, L) float."""
    return s4d_kernel(params.log_dt, params.log_A_real, params.A_imag, params.C, length)


def fft_causal_conv(u: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """y[..., h, k] = sum_{j<=k} K[h, k-j] u[..., h, j] via FFT, zero-padded to >= 2L so nothing wraps around.

    u (..., H, L) float, kernel (H, L) float -> (..., H, L). Cost O(H L log L).
    """
    length = u.shape[-1]
    n = fft_size(2 * length)
    spectrum = torch.fft.rfft(u, n=n) * torch.fft.rfft(kernel, n=n)  # (..., H, n//2+1) complex
    return torch.fft.irfft(spectrum, n=n)[..., :length]


def fft_size(minimum: int) -> int:
    """Smallest power of two >= minimum. Any size >= 2L - 1 gives the same causal result; 2L itself can
    have a large prime factor (2 x 11,820 = 2^3 x 3 x 5 x 197), which makes the FFT several times slower."""
    return 1 << max(0, int(minimum) - 1).bit_length()


def direct_causal_conv(u: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """The same causal convolution written as a sum over lags (O(H L^2)): the reference the FFT must match.

    u (..., H, L) float, kernel (H, L) float -> (..., H, L).
    """
    length = u.shape[-1]
    out = torch.zeros_like(u)
    for lag in range(length):  # shift u right by `lag` steps and weight it by K[:, lag]
        out[..., lag:] += kernel[:, lag:lag + 1] * u[..., : length - lag]
    return out


def s4d_recurrence(u: torch.Tensor, params: S4DParams, *, return_states: bool = False
                   ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Run the discrete system step by step: x_k = Ab x_{k-1} + Bb u_k, y_k = 2 Re(C x_k) + D u_k.

    u (B, H, L) float -> y (B, H, L) float, including the D skip term.
    With return_states, also the states (B, H, N/2, L) complex (the teaching view: what is remembered).
    """
    Ab, Bb = discretize_zoh(params.log_dt, params.log_A_real, params.A_imag)
    batch, channels, length = u.shape
    state = torch.zeros(batch, channels, Ab.shape[-1], dtype=Ab.dtype, device=u.device)
    outputs, states = [], []
    for k in range(length):
        state = Ab * state + Bb * u[:, :, k, None]  # (B, H, N/2)
        outputs.append(2.0 * (params.C * state).sum(-1).real + params.D * u[:, :, k])
        if return_states:
            states.append(state)
    y = torch.stack(outputs, dim=-1)
    if return_states:
        return y, torch.stack(states, dim=-1)
    return y


def s4d_convolution(u: torch.Tensor, params: S4DParams, *, method: str = "fft") -> torch.Tensor:
    """The SSM output K * u + D u by one of "fft", "direct" or "recurrence" (all equal up to rounding).

    u (B, H, L) float -> (B, H, L) float.
    """
    if method == "recurrence":
        return s4d_recurrence(u, params)  # type: ignore[return-value]
    kernel = kernel_of(params, u.shape[-1])
    if method == "fft":
        y = fft_causal_conv(u, kernel)
    elif method == "direct":
        y = direct_causal_conv(u, kernel)
    else:
        raise ValueError(f"method must be 'fft', 'direct' or 'recurrence', got {method!r}")
    return y + params.D.unsqueeze(-1) * u


def memory_length(kernel: torch.Tensor, fraction: float = 0.9) -> torch.Tensor:
    """(H,) int: per channel, the smallest lag count holding `fraction` of the kernel's total |K| mass.

    A kernel is how strongly the output now depends on the input `lag` steps ago, so this is how far
    back each channel effectively remembers (its effective receptive field, in steps).
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    mass = kernel.abs().cumsum(-1)  # (H, L)
    total = mass[:, -1:].clamp_min(torch.finfo(mass.dtype).tiny)
    return ((mass / total < fraction).sum(-1) + 1).clamp_max(kernel.shape[-1])

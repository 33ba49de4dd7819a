"""The S4D layer as an nn.Module: SSM convolution + D skip, GELU, dropout, position-wise Linear (ViS4mer's S4 block).

ViS4mer's S4 (md-mohaiminul/ViS4mer s4.py) uses the NPLR kernel with a Cauchy CUDA extension; we use the
diagonal S4D kernel (state-spaces/s4 models/s4/s4d.py) that needs plain torch only, and keep ViS4mer's
position-wise Linear(H -> H) output mixing. The math lives in lib.methods.long_range.s4_kernel.
"""
from __future__ import annotations

import torch
from torch import nn

from lib.methods.long_range.s4_kernel import S4DParams, fft_causal_conv, s4d_convolution, s4d_kernel, s4d_lin_init

# Learning-rate/weight-decay hints read by `optimizer_groups` (the `_optim` convention of state-spaces/s4):
# the SSM's A and dt must not be pulled towards 0 by weight decay.
SSM_OPTIM = {"lr": 1e-3, "weight_decay": 0.0}


class S4DLayer(nn.Module):
    """(B, H, L) -> (B, H, L). Causal: output at step k depends only on inputs 0..k.

    channels H, state_size N (even; N/2 complex modes per channel), dt range of the S4D-Lin init.
    `method` picks how the SSM part is computed: "fft" (default, O(L log L)), "direct" (O(L^2)) or
    "recurrence" (O(L) steps in Python, for verification and the step-by-step view).
    `kernel_chunk` (a runtime setting, not saved): build the kernel that many steps at a time with
    recomputation in backward, trading a little time for O(H N chunk) instead of O(H N L) memory.
    """

    def __init__(self, channels: int, state_size: int = 16, *, dt_min: float = 1e-3, dt_max: float = 1e-1,
                 dropout: float = 0.0, seed: int | None = None) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        init = s4d_lin_init(channels, state_size, dt_min=dt_min, dt_max=dt_max, generator=generator)
        self.log_dt = nn.Parameter(init.log_dt)
        self.log_A_real = nn.Parameter(init.log_A_real)
        self.A_imag = nn.Parameter(init.A_imag)
        self.C = nn.Parameter(torch.view_as_real(init.C).clone())  # (H, N/2, 2): safetensors has no complex
        self.D = nn.Parameter(init.D)
        for name in ("log_dt", "log_A_real", "A_imag"):
            getattr(self, name)._optim = dict(SSM_OPTIM)
        self.activation = nn.GELU()
        self.dropout = nn.Dropout(dropout)
        self.output_linear = nn.Linear(channels, channels)
        self.kernel_chunk: int | None = 2048

    def params(self) -> S4DParams:
        """The SSM parameters as an S4DParams (views of the live parameters, gradients flow)."""
        return S4DParams(log_dt=self.log_dt, log_A_real=self.log_A_real, A_imag=self.A_imag,
                         C=torch.view_as_complex(self.C), D=self.D)

    def kernel(self, length: int) -> torch.Tensor:
        """(H, L) float impulse response of the SSM part (without the D skip)."""
        return s4d_kernel(self.log_dt, self.log_A_real, self.A_imag, torch.view_as_complex(self.C), length,
                          chunk=self.kernel_chunk)

    def ssm(self, u: torch.Tensor, *, method: str = "fft") -> torch.Tensor:
        """(B, H, L) -> (B, H, L): K * u + D u only (no activation or mixing)."""
        if method == "fft":  # the training path, written out to avoid building S4DParams each call
            return fft_causal_conv(u, self.kernel(u.shape[-1])) + self.D.unsqueeze(-1) * u
        return s4d_convolution(u, self.params(), method=method)

    def forward(self, u: torch.Tensor, *, method: str = "fft") -> torch.Tensor:
        y = self.dropout(self.activation(self.ssm(u, method=method)))  # (B, H, L)
        return self.output_linear(y.transpose(-1, -2)).transpose(-1, -2)


def optimizer_groups(model: nn.Module, *, lr: float, weight_decay: float) -> list[dict]:
    """AdamW parameter groups: ordinary parameters with (lr, weight_decay); parameters tagged `_optim`
    (the SSM's log_dt, log_A_real, A_imag) in their own group with their hints, as ViS4mer's setup does."""
    plain, special = [], []
    for param in model.parameters():
        if not param.requires_grad:
            continue
        (special if hasattr(param, "_optim") else plain).append(param)
    groups = [{"params": plain, "lr": lr, "weight_decay": weight_decay}]
    if special:
        groups.append({"params": special, **SSM_OPTIM})
    return groups

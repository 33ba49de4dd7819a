"""Training recipes: which cost-saving techniques a training step uses, alone or combined.

A `TrainingRecipe` is the full set of switches; `recipe_for(keys)` builds one from technique keys
(the names the survey taxonomy, the benchmark and the app share).
"""
from __future__ import annotations

from dataclasses import dataclass

from lib.errors import UserInputError


@dataclass(frozen=True)
class Technique:
    """One measurable technique: its key, a short title and what it changes in the step."""

    key: str
    title: str
    what: str


TECHNIQUES: dict[str, Technique] = {t.key: t for t in (
    Technique("bf16", "bf16 autocast", "matmuls and convolutions run in bfloat16 under torch.autocast"),
    Technique("checkpointing", "activation checkpointing",
              "each block keeps only its input and recomputes the rest during backward"),
    Technique("token_drop", "token dropping", "the encoder sees a random subset of the tubelet tokens"),
    Technique("freeze", "freeze all but the head", "only the classifier head is trained"),
    Technique("lora", "LoRA adapters", "low-rank adapters on the attention projections (peft); base weights frozen"),
    Technique("grad_accum", "gradient accumulation", "the batch runs as micro-batches; one optimiser step"),
    Technique("fused_attention", "fused attention (SDPA)",
              "scaled_dot_product_attention never stores the N x N attention matrix"),
)}

TUNING_MODES = ("full", "head", "lora")


@dataclass(frozen=True)
class TrainingRecipe:
    """The switches of one training step.

    bf16:            autocast to bfloat16 for the forward pass (master weights stay fp32).
    checkpointing:   activation checkpointing of every transformer block.
    keep_ratio:      fraction of tubelet tokens kept, in (0, 1]; 1.0 = no dropping.
    tuning:          "full" (all weights), "head" (all but the head frozen) or "lora".
    micro_batches:   the batch is split into this many micro-batches (gradient accumulation).
    fused_attention: scaled_dot_product_attention instead of explicit softmax(q k^T) v.
    lora_rank:       rank of the LoRA adapters when tuning == "lora".
    """

    bf16: bool = False
    checkpointing: bool = False
    keep_ratio: float = 1.0
    tuning: str = "full"
    micro_batches: int = 1
    fused_attention: bool = False
    lora_rank: int = 4

    def __post_init__(self) -> None:
        if self.tuning not in TUNING_MODES:
            raise UserInputError(f"Tuning must be one of {', '.join(TUNING_MODES)}, not {self.tuning!r}.")
        if not 0.0 < self.keep_ratio <= 1.0:
            raise UserInputError(f"The share of tokens kept must be above 0 and at most 1, not {self.keep_ratio}.")
        if self.micro_batches < 1:
            raise UserInputError("Use at least one micro-batch.")
        if self.lora_rank < 1:
            raise UserInputError("The LoRA rank must be at least 1.")

    @property
    def keys(self) -> tuple[str, ...]:
        """The technique keys this recipe switches on, in TECHNIQUES order."""
        on = {"bf16": self.bf16, "checkpointing": self.checkpointing, "token_drop": self.keep_ratio < 1.0,
              "freeze": self.tuning == "head", "lora": self.tuning == "lora", "grad_accum": self.micro_batches > 1,
              "fused_attention": self.fused_attention}
        return tuple(k for k in TECHNIQUES if on[k])

    @property
    def label(self) -> str:
        """Short name: 'fp32 baseline' or the techniques joined with ' + ' (with their settings)."""
        if not self.keys:
            return "fp32 baseline"
        parts = []
        for key in self.keys:
            if key == "token_drop":
                parts.append(f"token drop {1 - self.keep_ratio:.0%}")
            elif key == "grad_accum":
                parts.append(f"grad accum x{self.micro_batches}")
            elif key == "lora":
                parts.append(f"LoRA r{self.lora_rank}")
            else:
                parts.append(TECHNIQUES[key].title)
        return " + ".join(parts)


def recipe_for(keys: tuple[str, ...] | list[str], *, keep_ratio: float = 0.5, micro_batches: int = 2,
               lora_rank: int = 4) -> TrainingRecipe:
    """The recipe switching on `keys` (a subset of TECHNIQUES), with the given settings for each.

    Raises UserInputError for unknown keys and for freezing together with LoRA (LoRA already freezes
    the base weights; the two are alternative ways to tune few parameters).
    """
    keys = tuple(dict.fromkeys(keys))
    unknown = [k for k in keys if k not in TECHNIQUES]
    if unknown:
        raise UserInputError(f"Unknown technique {unknown[0]!r}; choose from {', '.join(TECHNIQUES)}.")
    if "freeze" in keys and "lora" in keys:
        raise UserInputError("Pick either 'freeze all but the head' or 'LoRA adapters', not both: "
                             "LoRA already freezes the base weights.")
    if "token_drop" in keys and keep_ratio >= 1.0:
        raise UserInputError("Token dropping needs a kept share below 1; lower the share of tokens kept.")
    if "grad_accum" in keys and micro_batches < 2:
        raise UserInputError("Gradient accumulation needs at least 2 micro-batches.")
    tuning = "head" if "freeze" in keys else "lora" if "lora" in keys else "full"
    return TrainingRecipe(bf16="bf16" in keys, checkpointing="checkpointing" in keys,
                          keep_ratio=keep_ratio if "token_drop" in keys else 1.0, tuning=tuning,
                          micro_batches=micro_batches if "grad_accum" in keys else 1,
                          fused_attention="fused_attention" in keys, lora_rank=lora_rank)

"""The survey's taxonomy of efficient-training methods, with what this project can measure of it.

Source: Zhuang, Liu, Pan, He, Weng, Shen, "A Survey on Efficient Training of Transformers" (IJCAI 2023,
arXiv 2302.01107), Fig. 1: computation efficiency, memory efficiency, hardware/algorithm co-design.
Each leaf is either measured here (it names a technique key of lib.methods.training_cost.recipe), not
measurable on this machine (it needs hardware that is absent: the reason says which), or not measured by
this tab (it could run here but is outside the tab's step-cost comparison). No leaf carries a number that
was not measured.
"""
from __future__ import annotations

import functools
import platform
from dataclasses import dataclass

import torch

MEASURED, NOT_MEASURABLE, NOT_MEASURED = "measured", "not measurable here", "not measured in this tab"


@dataclass(frozen=True)
class TaxonomyNode:
    """One node of the tree; `technique` is set on measured leaves, `reason` explains the others."""

    node_id: str
    label: str
    parent: str  # "" for the root
    status: str = ""  # "" for inner nodes
    technique: str | None = None
    reason: str = ""


def _n(node_id: str, label: str, parent: str, status: str = "", technique: str | None = None,
       reason: str = "") -> TaxonomyNode:
    return TaxonomyNode(node_id, label, parent, status, technique, reason)


TAXONOMY: tuple[TaxonomyNode, ...] = (
    _n("root", "Efficient training<br>of transformers", ""),
    _n("compute", "Computation<br>efficiency", "root"),
    _n("optimisation", "Optimisation", "compute"),
    _n("optimisers", "Optimisers<br>(AdamW, Lion, SAM)", "optimisation", NOT_MEASURED,
       reason="changes how fast the loss falls, not what one step costs"),
    _n("initialisation", "Initialisation<br>(Fixup, ReZero)", "optimisation", NOT_MEASURED,
       reason="changes stability of deep training, not the cost of a step"),
    _n("sparse_training", "Sparse training", "optimisation", NOT_MEASURED,
       reason="needs a pruning schedule over a whole training run"),
    _n("overparam", "Over-<br>parameterisation", "optimisation", NOT_MEASURED,
       reason="a property of a whole training run"),
    _n("large_batch", "Large-batch<br>training (LAMB)", "optimisation", NOT_MEASURED,
       reason="a property of a whole training run (gradient accumulation, measured, reaches large batches)"),
    _n("progressive", "Progressive /<br>incremental learning", "optimisation", NOT_MEASURED,
       reason="grows the model over a whole training run"),
    _n("data_selection", "Data selection", "compute"),
    _n("token_drop", "Token masking /<br>dropping", "data_selection", MEASURED, "token_drop"),
    _n("data_pruning", "Importance sampling /<br>data pruning", "data_selection", NOT_MEASURED,
       reason="chooses examples across a data set, not within one step"),
    _n("memory", "Memory<br>efficiency", "root"),
    _n("parallelism", "Parallelism", "memory"),
    _n("data_parallel", "Data parallel /<br>ZeRO sharding", "parallelism", NOT_MEASURED,
       reason="needs several processes: use 'Data parallel and ZeRO' below the taxonomy (2 gloo processes)"),
    _n("tensor_parallel", "Tensor<br>parallelism", "parallelism", NOT_MEASURABLE,
       reason="needs several accelerators joined by a fast interconnect"),
    _n("pipeline_parallel", "Pipeline<br>parallelism", "parallelism", NOT_MEASURABLE,
       reason="needs several accelerators, one stage of layers each"),
    _n("grad_accum", "Micro-batches /<br>gradient accumulation", "parallelism", MEASURED, "grad_accum"),
    _n("quantised", "Quantised<br>training", "memory"),
    _n("bf16", "Mixed precision<br>(bf16 autocast)", "quantised", MEASURED, "bf16"),
    _n("fp16", "fp16 + loss<br>scaling", "quantised", NOT_MEASURABLE,
       reason="needs fp16 matrix units (GPU tensor cores); this CPU has bf16 instructions, not fp16 ones"),
    _n("fp8", "FP8 training", "quantised", NOT_MEASURABLE,
       reason="needs FP8 tensor cores (NVIDIA Hopper / Ada or newer)"),
    _n("act_compress", "Activation-<br>compressed training", "quantised", NOT_MEASURED,
       reason="needs custom compression kernels"),
    _n("remat", "Rematerialisation", "memory"),
    _n("checkpointing", "Activation<br>checkpointing", "remat", MEASURED, "checkpointing"),
    _n("offload", "Offloading", "memory"),
    _n("cpu_offload", "ZeRO-Offload<br>(to CPU)", "offload", NOT_MEASURABLE,
       reason="moves tensors off an accelerator into CPU memory; here training already runs in CPU memory"),
    _n("nvme_offload", "ZeRO-Infinity<br>(to NVMe)", "offload", NOT_MEASURABLE,
       reason="needs an accelerator plus DeepSpeed's NVMe swapping on a dedicated fast disk"),
    _n("peft", "Parameter-efficient<br>tuning", "memory"),
    _n("freeze", "Freeze all<br>but the head", "peft", MEASURED, "freeze"),
    _n("lora", "LoRA", "peft", MEASURED, "lora"),
    _n("adapters", "Adapters /<br>prompt tuning", "peft", NOT_MEASURED, reason="LoRA stands for this family here"),
    _n("codesign", "Hardware / algorithm<br>co-design", "root"),
    _n("flash", "IO-aware attention<br>(FlashAttention)", "codesign", MEASURED, "fused_attention"),
    _n("sparse_mm", "Sparse matrix<br>multiplication (2:4)", "codesign", NOT_MEASURABLE,
       reason="needs sparse tensor cores (NVIDIA Ampere or newer)"),
    _n("hw_low_precision", "Hardware-aware<br>low precision", "codesign", NOT_MEASURABLE,
       reason="needs FP8 / INT8 training units on an accelerator"),
)


def measured_leaves() -> dict[str, TaxonomyNode]:
    """Technique key -> the taxonomy leaf that shows its measurement."""
    return {node.technique: node for node in TAXONOMY if node.technique}


@functools.lru_cache(maxsize=1)
def machine_description() -> str:
    """This machine in a few words: CPU model, core count, GPU if any."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {torch.get_num_threads()} threads, {gpu}"

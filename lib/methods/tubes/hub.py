"""TubeViT-B built from an image ViT checkpoint (google/vit-base-patch16-224), as the public ports do.

daniel-code/TubeViT (scripts/convert_vit_weight.py) resizes the 16x16 patch kernel to 8x8, repeats it
over 8 frames and divides by 8 (I3D-style inflation) to get the base 8x8x8 kernel, keeps the encoder
and drops the position embedding (replaced by the fixed sin-cos code) and the head. We do the same,
and with `interpolated_kernels=False` each tube gets its own inflated copy, so the 1x16x16 tube *is*
the pretrained patch kernel (the paper's choice; the port interpolates it from the 8x8x8 kernel).
The video head is new (random): this model shows kernels and sampling, not Kinetics predictions.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from lib.methods.tubes.geometry import PAPER_INPUT, PAPER_TUBES, TubeSpec
from lib.methods.tubes.kernels import inflate_patch_kernel
from lib.methods.tubes.model import TubeViT


def _layer_weights(vit: nn.Module) -> tuple[list[dict[str, torch.Tensor]], dict[str, torch.Tensor]]:
    """Per encoder layer its q/k/v/o, MLP and layer-norm tensors, and the final norm, from a transformers ViTModel.

    transformers 5.x names them layers.N.attention.{q,k,v,o}_proj, mlp.fc1/fc2, layernorm_before/after;
    older 4.x names encoder.layer.N.attention.attention.{query,key,value}, ... Both are accepted.
    """
    state = {k.removeprefix("vit."): v for k, v in vit.state_dict().items()}
    if any(k.startswith("layers.") for k in state):
        prefix, names = "layers.{i}.", {
            "q": "attention.q_proj", "k": "attention.k_proj", "v": "attention.v_proj", "o": "attention.o_proj",
            "fc1": "mlp.fc1", "fc2": "mlp.fc2", "ln1": "layernorm_before", "ln2": "layernorm_after"}
    elif any(k.startswith("encoder.layer.") for k in state):
        prefix, names = "encoder.layer.{i}.", {
            "q": "attention.attention.query", "k": "attention.attention.key", "v": "attention.attention.value",
            "o": "attention.output.dense", "fc1": "intermediate.dense", "fc2": "output.dense",
            "ln1": "layernorm_before", "ln2": "layernorm_after"}
    else:
        raise ValueError("not a transformers ViTModel state dict: no encoder layers found")
    layers = []
    i = 0
    while (prefix.format(i=i) + names["q"] + ".weight") in state:
        p = prefix.format(i=i)
        layers.append({f"{key}.{kind}": state[f"{p}{path}.{kind}"] for key, path in names.items()
                       for kind in ("weight", "bias")})
        i += 1
    final = {"weight": state["layernorm.weight"], "bias": state["layernorm.bias"]}
    return layers, final


def tubevit_from_vit(vit: nn.Module, *, tubes: Sequence[TubeSpec] = PAPER_TUBES,
                     input_shape: Sequence[int] = PAPER_INPUT, num_classes: int = 400,
                     class_names: list[str] | None = None, interpolated_kernels: bool = False) -> TubeViT:
    """A TubeViT whose tube kernels are inflated from `vit`'s patch kernel and whose encoder is `vit`'s.

    vit: a transformers ViTModel (or ViTFor... with .vit). Width, depth, heads, MLP size and layer-norm eps
    follow its config; the attention-pooling and head layers are freshly initialised.
    """
    config = vit.config
    if config.hidden_act != "gelu":
        raise ValueError(f"only exact-GELU ViTs can be inflated, got {config.hidden_act}")
    backbone = getattr(vit, "vit", vit)
    patch = backbone.embeddings.patch_embeddings.projection  # Conv2d(C, D, P, stride=P)
    model = TubeViT([t.as_list() for t in tubes], list(input_shape), dim=config.hidden_size,
                    depth=config.num_hidden_layers, heads=config.num_attention_heads,
                    mlp_dim=config.intermediate_size, num_classes=num_classes, class_names=class_names,
                    interpolated_kernels=interpolated_kernels, layer_norm_eps=config.layer_norm_eps,
                    in_channels=config.num_channels, head_trained=False)  # a fresh head: no prediction
    layers, final = _layer_weights(backbone)
    with torch.no_grad():
        weight2d, bias = patch.weight.float(), patch.bias.float()
        if interpolated_kernels:
            model.tokenizer.base_weight.copy_(inflate_patch_kernel(weight2d, model.tokenizer.base_weight.shape[2:]))
        else:
            for i, tube in enumerate(model.tube_specs):
                model.tokenizer.weights[i].copy_(inflate_patch_kernel(weight2d, tube.kernel))
        for b in model.tokenizer.biases:
            b.copy_(bias)
        for block, w in zip(model.blocks, layers):
            block.attn.qkv.weight.copy_(torch.cat([w["q.weight"], w["k.weight"], w["v.weight"]]))
            block.attn.qkv.bias.copy_(torch.cat([w["q.bias"], w["k.bias"], w["v.bias"]]))
            for mine, theirs in ((block.attn.proj, "o"), (block.fc1, "fc1"), (block.fc2, "fc2"),
                                 (block.norm1, "ln1"), (block.norm2, "ln2")):
                mine.weight.copy_(w[f"{theirs}.weight"])
                mine.bias.copy_(w[f"{theirs}.bias"])
        model.norm.weight.copy_(final["weight"])
        model.norm.bias.copy_(final["bias"])
    return model.eval()


class TubeViTFromViT:
    """Registry adapter: `from_pretrained(hub_id_or_folder, **transformers_kwargs)` -> TubeViT-B (inflated)."""

    @staticmethod
    def from_pretrained(location: str | Path, *, output_loading_info: bool = False, **kwargs: Any):
        from transformers import ViTModel

        kwargs.pop("attn_implementation", None)  # our blocks always compute eager attention
        vit, info = ViTModel.from_pretrained(location, add_pooling_layer=False, output_loading_info=True, **kwargs)
        model = tubevit_from_vit(vit)
        return (model, info) if output_loading_info else model

"""Each training-cost technique really engages, and the memory measurement sees what it saves."""
from __future__ import annotations

import pytest
import torch

from lib.errors import UserInputError
from lib.methods.training_cost.memory import profile_cpu_memory
from lib.methods.training_cost.model import SmallVideoTransformerConfig
from lib.methods.training_cost.recipe import TrainingRecipe, recipe_for
from lib.methods.training_cost.step import (
    build_model,
    count_params,
    forward_backward,
    initial_state,
    make_optimizer,
    measure_memory,
    measure_recipe,
    training_step,
)

CONFIG = SmallVideoTransformerConfig(num_frames=4, image_size=32, dim=64, heads=2, depth=2, num_classes=10)


@pytest.fixture(scope="module")
def state():
    return initial_state(CONFIG, seed=0)


@pytest.fixture(scope="module")
def batch():
    generator = torch.Generator().manual_seed(1)
    video = torch.rand(4, 3, CONFIG.num_frames, CONFIG.image_size, CONFIG.image_size, generator=generator)
    return video, torch.tensor([0, 3, 5, 9])


def _blocks(model):
    return model.get_base_model().blocks if hasattr(model, "get_base_model") else model.blocks


def _step(recipe, state, batch):
    model = build_model(CONFIG, recipe, state)
    training_step(model, make_optimizer(model), *batch, recipe, generator=torch.Generator().manual_seed(0))
    return model


def test_checkpointing_reruns_each_block_forward_during_backward(state, batch):
    for recipe, expected in [(TrainingRecipe(), 1), (TrainingRecipe(checkpointing=True), 2)]:
        model = build_model(CONFIG, recipe, state)
        calls = []
        for block in model.blocks:
            block.register_forward_pre_hook(lambda *_: calls.append(1))  # post-hooks miss early-stopped recomputes
        forward_backward(model, *batch, recipe)
        assert len(calls) == expected * CONFIG.depth


def test_token_dropping_shortens_the_sequence_the_encoder_sees(state, batch):
    lengths = []
    model = build_model(CONFIG, TrainingRecipe(), state)
    model.blocks[0].register_forward_pre_hook(lambda _m, args: lengths.append(args[0].shape[1]))
    for ratio in (1.0, 0.5, 0.25):
        forward_backward(model, *batch, TrainingRecipe(keep_ratio=ratio))
    n = CONFIG.num_tokens
    assert lengths == [n + 1, n // 2 + 1, n // 4 + 1]


def test_autocast_produces_bf16_activations_and_keeps_fp32_weights(state, batch):
    for recipe, dtype in [(TrainingRecipe(), torch.float32), (TrainingRecipe(bf16=True), torch.bfloat16)]:
        model = build_model(CONFIG, recipe, state)
        seen = []
        model.blocks[0].attn.qkv.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
        forward_backward(model, *batch, recipe)
        assert seen == [dtype]
        assert all(p.dtype == torch.float32 for p in model.parameters())


def test_lora_freezes_the_base_weights_and_trains_few_parameters(state, batch):
    recipe = TrainingRecipe(tuning="lora", lora_rank=4)
    model = _step(recipe, state, batch)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or "head" in n for n in trainable)
    base = model.get_base_model()
    for name in ("blocks.0.attn.qkv.base_layer.weight", "blocks.1.fc1.weight", "patch_embed.weight"):
        key = name.replace(".base_layer", "")
        assert torch.equal(base.get_parameter(name), state[key]), f"{name} changed"
    lora_b = base.blocks[0].attn.qkv.lora_B["default"].weight
    assert lora_b.abs().sum() > 0  # initialised to zero by LoRA, so it has trained
    trainable_count, total = count_params(model)
    assert trainable_count / total < 0.05


def test_freezing_trains_only_the_head(state, batch):
    model = _step(TrainingRecipe(tuning="head"), state, batch)
    for name, param in model.named_parameters():
        changed = not torch.equal(param, state[name])
        assert changed == name.startswith("head."), name
        assert (param.grad is not None) == name.startswith("head."), name


def test_micro_batches_give_the_full_batch_gradient(state, batch):
    grads = []
    for micro in (1, 2, 4):
        model = build_model(CONFIG, TrainingRecipe(micro_batches=micro), state)
        loss = forward_backward(model, *batch, TrainingRecipe(micro_batches=micro))
        grads.append((loss, torch.cat([p.grad.flatten() for p in model.parameters()])))
    for loss, grad in grads[1:]:
        assert loss == pytest.approx(grads[0][0], rel=1e-5)
        torch.testing.assert_close(grad, grads[0][1], rtol=1e-4, atol=1e-6)


def test_fused_attention_matches_explicit_attention(state, batch):
    model = build_model(CONFIG, TrainingRecipe(), state)
    with torch.no_grad():
        explicit = model(batch[0])
        fused = model(batch[0], fused_attention=True)
    torch.testing.assert_close(fused, explicit, rtol=1e-4, atol=1e-5)


def test_profiler_memory_sees_a_known_allocation():
    def allocate():
        block = torch.ones(2 * 2 ** 20)  # 8 MiB, freed on return
        return float(block[0])
    profile = profile_cpu_memory(allocate)
    assert 8 * 2 ** 20 <= profile.peak_bytes < 8.2 * 2 ** 20


def test_checkpointing_reduces_measured_activation_memory(state, batch):
    base = measure_memory(CONFIG, TrainingRecipe(), *batch, state)
    ckpt = measure_memory(CONFIG, TrainingRecipe(checkpointing=True), *batch, state)
    assert ckpt.activation_bytes < 0.5 * base.activation_bytes
    assert ckpt.step_peak_bytes < base.step_peak_bytes
    assert ckpt.state_bytes == base.state_bytes  # same weights and optimiser state


def test_frozen_and_lora_hold_less_optimiser_state(state, batch):
    base = measure_memory(CONFIG, TrainingRecipe(), *batch, state)
    for recipe in (TrainingRecipe(tuning="head"), TrainingRecipe(tuning="lora")):
        assert measure_memory(CONFIG, recipe, *batch, state).state_bytes < 0.5 * base.state_bytes


def test_measure_recipe_trains_and_times(state, batch):
    result = measure_recipe(CONFIG, TrainingRecipe(), *batch, state, steps=4)
    assert len(result.losses) == len(result.step_seconds) == 4
    assert result.losses[-1] < result.losses[0]  # the same batch four times: the loss must fall
    assert result.seconds_per_step > 0 and result.memory.peak_bytes > result.memory.state_bytes > 0
    stopped = measure_recipe(CONFIG, TrainingRecipe(), *batch, state, steps=4, should_stop=lambda: True)
    assert stopped.losses == ()


def test_recipe_names_and_refusals():
    assert recipe_for([]).label == "fp32 baseline"
    combo = recipe_for(["bf16", "checkpointing", "token_drop"], keep_ratio=0.25)
    assert combo.keys == ("bf16", "checkpointing", "token_drop") and combo.keep_ratio == 0.25
    assert "token drop 75%" in combo.label
    with pytest.raises(UserInputError, match="either"):
        recipe_for(["freeze", "lora"])
    with pytest.raises(UserInputError, match="Unknown technique"):
        recipe_for(["fp8"])
    with pytest.raises(UserInputError):
        TrainingRecipe(keep_ratio=0.0)

"""Training losses of the propagation models: Mask2Former's Hungarian-matched set loss for the segmentor,
and the MPVSS motion module's flow + warped-mask losses.

Set loss adapted from facebookresearch/Mask2Former (matcher.py, criterion.py), re-written and simplified:
masks are compared on all pixels of the stride-4 grid instead of sampled points.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment

CLASS_WEIGHT, MASK_WEIGHT, DICE_WEIGHT, NO_OBJECT_WEIGHT = 2.0, 5.0, 5.0, 0.1


def semantic_targets(semantic: torch.Tensor, num_classes: int,
                     size: tuple[int, int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(B, H, W) class maps -> per image (classes (M,) long, masks (M, h, w) float in [0, 1]) at `size`.

    Every class present becomes one target segment (semantic segmentation has one segment per class);
    masks are area-averaged to the prediction grid.
    """
    one_hot = F.one_hot(semantic.long(), num_classes).permute(0, 3, 1, 2).float()  # (B, K, H, W)
    small = F.interpolate(one_hot, size=size, mode="area")
    out = []
    for b in range(semantic.shape[0]):
        present = torch.nonzero(one_hot[b].flatten(1).sum(1) > 0).flatten()
        out.append((present, small[b, present]))
    return out


def _dice(pred_probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(N, P), (N, P) -> (N,) dice loss."""
    num = 2 * (pred_probs * target).sum(-1)
    den = pred_probs.sum(-1) + target.sum(-1)
    return 1 - (num + 1) / (den + 1)


@torch.no_grad()
def hungarian_match(class_logits: torch.Tensor, mask_logits: torch.Tensor, classes: torch.Tensor,
                    masks: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """One image: (Q, K+1), (Q, h, w) vs (M,), (M, h, w) -> (query indices, target indices), M pairs."""
    prob = class_logits.softmax(-1)[:, classes]  # (Q, M)
    logits, tgt = mask_logits.flatten(1), masks.flatten(1)  # (Q, P), (M, P)
    p = logits.shape[1]
    pos = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits), reduction="none")
    neg = F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits), reduction="none")
    bce = (pos @ tgt.T + neg @ (1 - tgt).T) / p
    sig = logits.sigmoid()
    dice = 1 - (2 * sig @ tgt.T + 1) / (sig.sum(-1)[:, None] + tgt.sum(-1)[None] + 1)
    cost = MASK_WEIGHT * bce + DICE_WEIGHT * dice - CLASS_WEIGHT * prob
    rows, cols = linear_sum_assignment(cost.cpu().numpy())
    return rows, cols


def set_loss(class_logits: torch.Tensor, mask_logits: torch.Tensor,
             targets: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    """Mask2Former set loss of one decoder layer: (B, Q, K+1), (B, Q, h, w), targets -> scalar.

    Class cross-entropy on all queries (unmatched -> "no object", down-weighted 0.1), plus BCE and dice
    on the matched masks.
    """
    b, q, k1 = class_logits.shape
    target_classes = torch.full((b, q), k1 - 1, dtype=torch.long, device=class_logits.device)
    mask_terms = []
    for i, (classes, masks) in enumerate(targets):
        rows, cols = hungarian_match(class_logits[i], mask_logits[i], classes, masks)
        target_classes[i, rows] = classes[cols]
        pred = mask_logits[i, rows].flatten(1)
        tgt = masks[cols].flatten(1)
        mask_terms.append(MASK_WEIGHT * F.binary_cross_entropy_with_logits(pred, tgt, reduction="none").mean(1)
                          + DICE_WEIGHT * _dice(pred.sigmoid(), tgt))
    weight = torch.ones(k1, device=class_logits.device)
    weight[-1] = NO_OBJECT_WEIGHT
    cls_loss = F.cross_entropy(class_logits.transpose(1, 2), target_classes, weight=weight)
    num_masks = max(sum(len(t[0]) for t in targets), 1)
    return CLASS_WEIGHT * cls_loss + torch.cat(mask_terms).sum() / num_masks


def semantic_nll(scores: torch.Tensor, semantic: torch.Tensor) -> torch.Tensor:
    """Pixel-wise negative log-likelihood of (B, K, H, W) non-negative class scores (normalised over K)
    against (B, H, W) class maps: the warped-mask loss of the motion module."""
    probs = scores / scores.sum(1, keepdim=True).clamp_min(1e-6)
    return F.nll_loss(probs.clamp_min(1e-6).log(), semantic.long())


def endpoint_error(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean end-point error between (N, 2, h, w) flows; optional (N, h, w) pixel weights."""
    epe = (pred - target).norm(dim=1)
    if weight is None:
        return epe.mean()
    return (epe * weight).sum() / weight.sum().clamp_min(1e-6)

"""Weight norm and the norm clamp (paper 1 §5)."""
from __future__ import annotations

import torch


def sq_norms(params: dict, names) -> dict:
    """Per-tensor Σθ² for each member: name -> [M]."""
    return {k: params[k].detach().pow(2).flatten(1).sum(1) for k in names}


def weight_norm(params: dict, names) -> torch.Tensor:
    """‖W‖ = sqrt(Σ over `names` of ‖·‖²) per member, biases excluded by the model's `norm_names`: [M]."""
    return torch.stack(list(sq_norms(params, names).values())).sum(0).sqrt()


@torch.no_grad()
def clamp_(params: dict, names, target: torch.Tensor, active: torch.Tensor):
    """Rescale the tensors in `names` of each active member by one scalar so that their joint norm equals
    that member's target. Optimiser moments are left alone (paper 1 §5)."""
    if not bool(active.any()):
        return
    scale = torch.where(active, target / weight_norm(params, names), torch.ones_like(target))
    for k in names:
        params[k].mul_(scale.reshape((-1,) + (1,) * (params[k].dim() - 1)))

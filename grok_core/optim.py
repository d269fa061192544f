"""Optimisers over members: per-member lr and λ, decoupled decay on the model's decay tensors only."""
from __future__ import annotations

import torch


def _per_member(v: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return v.reshape((-1,) + (1,) * (like.dim() - 1))


class BatchedAdamW:
    """torch.optim.AdamW's update, member-wise: W *= (1 - lr·λ) (decay tensors only), then the bias-corrected
    Adam step. Paper 1 §5: moments are never reset, the clamp included."""

    def __init__(self, params: dict, lr, wd, decay_names, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.wd = lr, wd                                   # [M] each
        self.decay_names = set(decay_names)
        self.b1, self.b2, self.eps = beta1, beta2, eps
        self.m = {k: torch.zeros_like(v) for k, v in params.items()}
        self.v = {k: torch.zeros_like(v) for k, v in params.items()}
        self.t = 0

    @torch.no_grad()
    def step(self, params: dict, grads: dict):
        self.t += 1
        bc1, bc2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for k, p in params.items():
            g, m, v = grads[k], self.m[k], self.v[k]
            lr = _per_member(self.lr, p)
            if k in self.decay_names:
                p.mul_(1 - lr * _per_member(self.wd, p))
            m.mul_(self.b1).add_(g, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            denom = (v.sqrt() / bc2 ** 0.5).add_(self.eps)
            p.sub_(lr / bc1 * m / denom)

    def select(self, keep: torch.Tensor):
        self.lr, self.wd = self.lr[keep], self.wd[keep]
        self.m = {k: v[keep] for k, v in self.m.items()}
        self.v = {k: v[keep] for k, v in self.v.items()}


class BatchedSGD:
    """Plain SGD without momentum; decay W *= (1 - lr·λ), which for SGD equals an L2 term (paper 2: γ = ηλ)."""

    def __init__(self, params: dict, lr, wd, decay_names, **_):
        self.lr, self.wd = lr, wd
        self.decay_names = set(decay_names)

    @torch.no_grad()
    def step(self, params: dict, grads: dict):
        for k, p in params.items():
            lr = _per_member(self.lr, p)
            if k in self.decay_names:
                p.mul_(1 - lr * _per_member(self.wd, p))
            p.sub_(lr * grads[k])

    def select(self, keep: torch.Tensor):
        self.lr, self.wd = self.lr[keep], self.wd[keep]


def build(name: str, params, lr, wd, decay_names, beta1, beta2, eps):
    cls = {"adamw": BatchedAdamW, "sgd": BatchedSGD}[name]
    return cls(params, lr, wd, decay_names, beta1=beta1, beta2=beta2, eps=eps)

"""Optimisers over members: per-member lr and λ, decoupled decay on the model's decay tensors only."""
from __future__ import annotations

import math

import torch


class Flat:
    """A batch's tensors as views of one [M, T] buffer, the decayed ones first, so that the optimiser updates
    two slices ("decay", "rest") instead of one tensor at a time. Per element the update is the same sequence of
    operations, so the trajectory is bitwise the one of the per-tensor update (tests/test_train.py); what it
    saves is the per-operation overhead, most of a small model's update (chapter 4's quick preset trained in 77 s
    instead of 102 s, with the one-gather forwards of `models`); at the book's sizes the step is unchanged.
    """

    def __init__(self, params: dict, decay_names):
        decay = set(decay_names)
        self.order = list(params)                                    # the caller's order of names
        packed = [k for k in params if k in decay] + [k for k in params if k not in decay]
        self.shapes = {k: tuple(params[k].shape[1:]) for k in params}
        sizes = {k: math.prod(self.shapes[k]) for k in params}
        self.offsets, o = {}, 0
        for k in packed:
            self.offsets[k] = (o, o + sizes[k])
            o += sizes[k]
        self.packed, self.n_decay = packed, sum(sizes[k] for k in packed if k in decay)

    def pack(self, tensors: dict) -> torch.Tensor:
        """One [M, T] tensor of `tensors` (name -> [M, ...]) in this layout."""
        M = next(iter(tensors.values())).shape[0]
        return torch.cat([tensors[k].reshape(M, -1) for k in self.packed], 1)

    def views(self, buf: torch.Tensor, requires_grad: bool = False) -> dict:
        """name -> [M, ...] view of `buf` (leaves for autograd where `requires_grad`: `buf` itself needs none)."""
        M = buf.shape[0]
        out = {k: buf[:, slice(*self.offsets[k])].view((M,) + self.shapes[k]) for k in self.order}
        return {k: v.requires_grad_() for k, v in out.items()} if requires_grad else out

    def parts(self, buf: torch.Tensor) -> dict:
        """The decayed and undecayed slices of `buf`, as the optimiser's tensors ("decay", "rest")."""
        out = {"decay": buf[:, :self.n_decay], "rest": buf[:, self.n_decay:]}
        return {k: v for k, v in out.items() if v.shape[1]}


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

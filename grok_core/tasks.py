"""Tasks: (a+b) mod p and (a·b) mod p over all p² pairs with a per-seed random split; sparse parity."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .specs import RunSpec


@dataclass
class Split:
    """One member's data. Modular tasks: inputs are token pairs (a, b); parity: ±1 bit vectors."""

    train_x: torch.Tensor   # [N, 2] int64 (modular) or [N, n_bits] float32 (parity)
    train_y: torch.Tensor   # [N] int64
    test_x: torch.Tensor
    test_y: torch.Tensor
    n_classes: int


def modular_labels(task: str, a: torch.Tensor, b: torch.Tensor, p: int) -> torch.Tensor:
    if task == "add":
        return (a + b) % p
    if task == "mul":
        return (a * b) % p
    raise ValueError(f"task={task!r} is not allowed: 'add' or 'mul' for modular labels")


def make_split(spec: RunSpec) -> Split:
    """Deterministic in spec.init_seed(): the same seed gives the same split, on every device."""
    g = torch.Generator().manual_seed(spec.init_seed() + 1)
    if spec.task in ("add", "mul"):
        p = spec.p
        a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
        pairs = torch.stack([a.reshape(-1), b.reshape(-1)], 1)          # [p², 2]
        y = modular_labels(spec.task, pairs[:, 0], pairs[:, 1], p)
        perm = torch.randperm(p * p, generator=g)
        n_train = int(round(spec.frac * p * p))
        tr, te = perm[:n_train], perm[n_train:]
        return Split(pairs[tr], y[tr], pairs[te], y[te], p)
    # sparse parity (paper 1 §8): label = parity of the first k bits of a ±1 vector
    x = torch.randint(0, 2, (spec.n_train + spec.n_test, spec.n_bits), generator=g)
    y = x[:, : spec.k_bits].sum(1) % 2
    x = (2 * x - 1).float()
    return Split(x[: spec.n_train], y[: spec.n_train], x[spec.n_train:], y[spec.n_train:], 2)

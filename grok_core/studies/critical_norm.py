"""Chapter 1, paper 1 §4: the critical norm W_c under free training (the authors' `src/run_grokfss.py`).

Four studies of paper 1's main MLP (fraction 0.4, lr 1e-3, λ = 1 unless swept): W_c across training fractions at
p_ref, across a learning-rate × weight-decay grid, across moduli, and at a held-out modulus whose W_c the
moduli's power law predicts before its runs exist."""
from __future__ import annotations

from dataclasses import dataclass

from ..specs import RunSpec


@dataclass(frozen=True)
class CriticalNorm:
    p_ref: int = 59
    seeds: int = 8
    budget: int = 60_000                      # the authors' budget for these runs
    tail_steps: int = 500
    lr: float = 1e-3
    wd: float = 1.0
    d_embed: int = 128
    hidden: int = 256
    fractions: tuple = (0.30, 0.35, 0.40, 0.50, 0.65)
    lrs: tuple = (3e-4, 1e-3, 3e-3)
    wds: tuple = (0.3, 1.0, 3.0)
    frac_lr: float = 0.5                      # the training fraction of the lr × λ grid
    moduli: tuple = (29, 41, 59, 79, 97)
    frac_p: float = 0.4                       # the training fraction of the moduli study
    heldout_p: int = 67

    def base(self) -> RunSpec:
        return RunSpec(d_embed=self.d_embed, hidden=self.hidden, lr=self.lr, wd=self.wd, max_steps=self.budget,
                       tail_steps=self.tail_steps)

    def cell(self, **kw) -> list[RunSpec]:
        return [self.base().replace(seed=s, **kw) for s in range(self.seeds)]


PRESETS = {
    # CI smoke test: a narrow MLP at small p, a minute on two cores
    "quick": CriticalNorm(p_ref=23, seeds=2, budget=1500, tail_steps=100, lr=6e-3, wd=2.0, d_embed=32, hidden=64,
                          fractions=(0.6,), lrs=(6e-3,), wds=(2.0,), frac_lr=0.6, moduli=(23, 29), frac_p=0.6,
                          heldout_p=31),
    # the book: the paper's grid and model, 8 seeds per cell (the paper uses 20)
    "book": CriticalNorm(),
    # the paper's seed count
    "paper": CriticalNorm(seeds=20),
}


def plan(cfg: CriticalNorm, store=None) -> dict:
    """{study: [RunSpec]}. The held-out modulus is listed too; its chapter trains it only once the moduli's
    power law has written its prediction."""
    return {"fractions": [s for f in cfg.fractions for s in cfg.cell(p=cfg.p_ref, frac=f)],
            "moduli": [s for p in cfg.moduli for s in cfg.cell(p=p, frac=cfg.frac_p)],
            "lr × λ": [s for lr in cfg.lrs for wd in cfg.wds for s in cfg.cell(p=cfg.p_ref, frac=cfg.frac_lr, lr=lr, wd=wd)],
            "held-out modulus": cfg.cell(p=cfg.heldout_p, frac=cfg.frac_p)}

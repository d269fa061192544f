"""Chapter 3b, paper 1 §8 (arXiv 2606.13753; the authors' `src/run_parity.py`): does the norm law leave modular
arithmetic? Sparse parity (k = 3 of n = 30 bits, m = 1000 training examples, 2000 fresh test examples), MLP
n → 512 → 2 with GELU, full-batch AdamW, ‖W‖ and the clamp over W1 and W2, clamp from t_int = 1000.

Three studies: free runs across learning rates (W_c and its invariance), free runs across training-set sizes m
(paper 1's Table 2: the grokking norm drifts with m), and the reference learning rate's seeds held at ρ·W_c, with
budgets min(cap, 4·T_free·e^{7.5(ρ−1)}) (at least `floor`), as in chapter 2. The held study needs the free runs'
W_c and T_free, so the plan lists it once they are stored."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..protocol import held_cell
from ..specs import RunSpec


@dataclass(frozen=True)
class SparseParity:
    n_bits: int = 30
    k_bits: int = 3
    n_train: int = 1000
    n_test: int = 2000
    hidden: int = 512
    lr: float = 1e-3                          # the reference learning rate (W_c, T_free and the holds)
    budget: int = 40_000
    tail_steps: int = 500
    seeds: int = 8
    lrs: tuple = (5e-4, 1e-3, 2e-3)
    n_trains: tuple = (600, 1000, 1500)       # paper 1's training-set sizes
    t_int: int = 1000
    rhos: tuple = (0.90, 1.00, 1.10, 1.20, 1.30)
    cap: int = 60_000
    floor: int = 10_000

    def base(self) -> RunSpec:
        return RunSpec(task="parity", n_bits=self.n_bits, k_bits=self.k_bits, n_train=self.n_train,
                       n_test=self.n_test, hidden=self.hidden, lr=self.lr, max_steps=self.budget,
                       tail_steps=self.tail_steps)


PRESETS = {
    # CI smoke test: 12 bits, 300 examples, a narrow MLP
    "quick": SparseParity(n_bits=12, n_train=300, n_test=500, hidden=64, lr=3e-3, budget=3000, tail_steps=100,
                          seeds=2, lrs=(3e-3, 6e-3, 1.2e-2), n_trains=(200, 300), t_int=100, rhos=(0.9, 1.1),
                          cap=3000, floor=1000),
    # the book: the paper's task and model, 8 seeds per cell (the paper uses 16)
    "book": SparseParity(),
    # the authors' seeds and free-run budget (src/run_parity.py: 16 seeds, 50k steps); their clamp arms are ρ 0.90
    # and 1.30 only, their n = 20, 40 size scaling is not a study here
    "paper": SparseParity(seeds=16, budget=50_000),
}


def free(cfg: SparseParity) -> list[RunSpec]:
    return [cfg.base().replace(lr=lr, seed=s) for lr in cfg.lrs for s in range(cfg.seeds)]


def data_sizes(cfg: SparseParity) -> list[RunSpec]:
    return [cfg.base().replace(n_train=m, seed=s) for m in cfg.n_trains for s in range(cfg.seeds)]


def reference(cfg: SparseParity, free_records: list[dict]) -> tuple[float, float]:
    """(W_c, T_free): median ‖W‖ at T_grok and median T_grok over the grokked free seeds at the reference lr."""
    ok = [r["summary"] for r in free_records if r is not None and r["spec"]["lr"] == cfg.lr
          and r["summary"]["status"] == "grokked"]
    if not ok:
        return math.nan, math.nan
    return float(np.median([s["norm_at_grok"] for s in ok])), float(np.median([s["t_grok"] for s in ok]))


def held(cfg: SparseParity, wc: float, t_free: float) -> list[RunSpec]:
    return [s for rho in cfg.rhos
            for s in held_cell(cfg.base(), range(cfg.seeds), wc, t_free, rho, cfg.t_int, cfg.cap, cfg.floor)]


def plan(cfg: SparseParity, store=None, free_records: list[dict] | None = None) -> dict:
    """{study: [RunSpec]}: the held study once the free runs (given, or read from `store`) give W_c and T_free."""
    out = {"free": free(cfg), "training-set size": data_sizes(cfg)}
    if free_records is None and store is not None:
        recs = [store.get(s) for s in out["free"]]
        free_records = recs if all(r is not None for r in recs) else None
    if free_records is not None:
        out["held"] = held(cfg, *reference(cfg, free_records))
    return out

"""Chapter 2, paper 1 §5–6 (arXiv 2606.13753; the authors' `src/run_efflr.py`, `run_denserho.py`,
`run_normint.py`, `run_pscan.py`): the pinned-norm delay law.

Paper 1's main MLP, free controls (chapter 1's runs, reused), and from t_int on ‖W‖ held (or rescaled once) at
ρ·W_c of the control: the ρ × η matrix at p_ref (Table 1), the dense ρ sweep, the one-shot arm, and the p-scan
over moduli. A clamped cell's budget is min(cap, 4·T_free·e^{7.5(ρ−1)}), at least `floor`. A cell needs its
control's W_c, so the plan lists it once the control is stored."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..protocol import control_stats, held_cell
from ..specs import RunSpec


@dataclass(frozen=True)
class PinnedNorm:
    p_ref: int = 59
    frac: float = 0.4
    lr: float = 1e-3
    wd: float = 1.0
    d_embed: int = 128
    hidden: int = 256
    budget: int = 60_000                      # the controls' budget: chapter 1's free runs
    tail_steps: int = 500
    seeds: int = 8
    t_int: int = 500
    cap: int = 160_000
    floor: int = 20_000
    lrs: tuple = (1e-3, 2e-3, 4e-3, 8e-3)
    table_rhos: tuple = (0.85, 1.00, 1.15, 1.30)
    dense_rhos: tuple = (0.85, 0.90, 0.95, 1.00, 1.05, 1.10, 1.15, 1.20, 1.25, 1.30)
    fit_rho_max: float = 1.25                 # the dense fit's range, as paper 1's (0.85–1.25)
    moduli: tuple = (31, 41, 53, 59, 71)
    scan_seeds: int = 0                       # seeds per p-scan cell; 0: `seeds` (the authors' p-scan used 12)
    scan_rhos: tuple = (0.85, 1.00, 1.15)
    scan_high: dict = field(default_factory=lambda: {41: 1.30, 59: 1.30})   # a fourth ρ at these moduli
    rho_high: float = 1.30
    early: int = 20_000                       # a step count the page reads the high-ρ cells at
    collapse: tuple = (41, 53, 59, 71)        # the moduli of the shared-exponent fit (paper 1's p-scan)
    once_rhos: tuple = (0.70, 0.85, 1.00, 1.15, 1.30)
    hold_spread: tuple = (0.90, 1.15)         # the hold's spread is read between these ρ (paper 1 §5)

    def base(self) -> RunSpec:
        return RunSpec(d_embed=self.d_embed, hidden=self.hidden, frac=self.frac, lr=self.lr, wd=self.wd,
                       max_steps=self.budget, tail_steps=self.tail_steps)


PRESETS = {
    # CI smoke test: a narrow MLP at small p (chapter 1's quick runs are its controls)
    "quick": PinnedNorm(p_ref=23, frac=0.6, lr=6e-3, wd=2.0, d_embed=32, hidden=64, budget=1500, tail_steps=100,
                        seeds=2, t_int=100, cap=3000, floor=1000, lrs=(6e-3, 1.2e-2), table_rhos=(0.9, 1.1),
                        dense_rhos=(0.9, 1.0, 1.1), fit_rho_max=1.05, moduli=(23, 29), scan_rhos=(0.9, 1.1),
                        scan_high={}, rho_high=1.1, early=1000, collapse=(23, 29), once_rhos=(0.9, 1.1),
                        hold_spread=(0.9, 1.1)),
    # the book: the paper's model and grids, 8 seeds per cell (the paper uses 16)
    "book": PinnedNorm(),
    # the authors' seeds: 16 for the matrix, dense sweep and one-shot arm, 12 for the p-scan
    # (src/run_denserho.py, run_normint.py, run_delaylaw_pscan.py); our budgets are at least theirs
    "paper": PinnedNorm(seeds=16, scan_seeds=12),
}


def _seeds(cfg: PinnedNorm, p: int) -> int:
    return cfg.seeds if p == cfg.p_ref or not cfg.scan_seeds else cfg.scan_seeds


def controls(cfg: PinnedNorm, p: int) -> list[RunSpec]:
    return [cfg.base().replace(p=p, seed=s) for s in range(_seeds(cfg, p))]


def clamped(cfg: PinnedNorm, p: int, rho: float, lr: float, ctl: dict, mode: str = "hold") -> list[RunSpec]:
    """One cell: the control's seeds held (or rescaled once) at ρ·W_c from t_int on ([] without a W_c)."""
    return held_cell(cfg.base().replace(p=p, lr=lr), range(_seeds(cfg, p)), ctl["wc"], ctl["t_free"], rho, cfg.t_int,
                     cfg.cap, cfg.floor, mode=mode)


def reference_cells(cfg: PinnedNorm, ctl: dict) -> dict:
    """The studies at p_ref, given its control's statistics (protocol.control_stats)."""
    return {"ρ × η matrix": [s for rho in cfg.table_rhos for lr in cfg.lrs for s in clamped(cfg, cfg.p_ref, rho, lr, ctl)],
            "dense ρ": [s for rho in cfg.dense_rhos for s in clamped(cfg, cfg.p_ref, rho, cfg.lr, ctl)],
            "one-shot": [s for rho in cfg.once_rhos for s in clamped(cfg, cfg.p_ref, rho, cfg.lr, ctl, mode="once")]}


def scan_cells(cfg: PinnedNorm, ctls: dict) -> list[RunSpec]:
    """The p-scan's held cells at every modulus whose control statistics are in `ctls`."""
    return [s for p in cfg.moduli if p in ctls
            for rho in cfg.scan_rhos + ((cfg.scan_high[p],) if p in cfg.scan_high else ())
            for s in clamped(cfg, p, rho, cfg.lr, ctls[p])]


def plan(cfg: PinnedNorm, store=None) -> dict:
    """{study: [RunSpec]}: the controls, then each clamped study whose control `store` holds complete."""
    from ..store import frame

    out = {"controls": [s for p in dict.fromkeys((cfg.p_ref, *cfg.moduli)) for s in controls(cfg, p)]}
    if store is None:
        return out
    ctls = {}
    for p in dict.fromkeys((cfg.p_ref, *cfg.moduli)):
        recs = [store.get(s) for s in controls(cfg, p)]
        if all(r is not None for r in recs):
            ctls[p] = control_stats(frame(recs))
    if cfg.p_ref in ctls:
        out.update(reference_cells(cfg, ctls[cfg.p_ref]))
    out["p-scan"] = scan_cells(cfg, ctls)
    return out

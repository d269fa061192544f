"""The quickstart: one free cell and the same seeds held at ρ times its W_c (paper 1's protocol at its
smallest). W_c is the median ‖W‖ at T_grok over the free seeds that grokked; the held arm shares each seed's
initialisation and split with its free twin and is held from t_int on."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..protocol import control_stats
from ..specs import RunSpec
from ..store import frame


@dataclass(frozen=True)
class Quickstart:
    p: int = 59
    frac: float = 0.5
    d_embed: int = 64
    hidden: int = 128
    lr: float = 3e-3
    max_steps: int = 12_000
    seeds: int = 4
    t_int: int = 200
    rho: float = 1.15                         # held norm, a multiple of the free runs' W_c

    def base(self) -> RunSpec:
        return RunSpec(p=self.p, frac=self.frac, d_embed=self.d_embed, hidden=self.hidden, lr=self.lr,
                       max_steps=self.max_steps)


PRESETS = {
    # CI smoke test: a tiny model, seconds
    "quick": Quickstart(p=23, d_embed=32, hidden=64, max_steps=1500, seeds=2, t_int=100),
    # what the book shows: the small configuration of the engine's tests (groks in ~1.2k steps on CPU)
    "book": Quickstart(),
    # paper 1's main MLP: d = 128, W1 256×256, fraction 0.4, lr 1e-3
    "paper": Quickstart(frac=0.4, d_embed=128, hidden=256, lr=1e-3, max_steps=40_000, seeds=8, t_int=500),
}


def free(cfg: Quickstart) -> list[RunSpec]:
    return [cfg.base().replace(seed=s) for s in range(cfg.seeds)]


def wc(free_df) -> float:
    """Paper 1's W_c of the free seeds (`protocol.control_stats`)."""
    return control_stats(free_df)["wc"]


def held(cfg: Quickstart, w_c: float) -> list[RunSpec]:
    """The free seeds held at ρ·W_c from t_int on; [] without a W_c."""
    if not np.isfinite(w_c):
        return []
    return [s.replace(clamp_mode="hold", clamp_target=cfg.rho * w_c, rho=cfg.rho, t_int=cfg.t_int) for s in free(cfg)]


def plan(cfg: Quickstart, store=None) -> dict:
    """{study: [RunSpec]}: the free cell, then the held arm once the free cell is stored."""
    out = {"free": free(cfg)}
    recs = [store.get(s) for s in out["free"]] if store is not None else [None]
    if all(r is not None for r in recs):
        out["held"] = held(cfg, wc(frame(recs)))
    return out

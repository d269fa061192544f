"""Paper 1's LayerNorm claim as its authors ran it (arXiv 2606.13753 §7; `src/run_tfnormint.py` in their
repository): the one-layer attention model with parameter-free LayerNorm before attention, MLP and
unembedding, held group by group, never in total.

From t_int on, one tensor group (unembedding, MLP or embedding) is held at ρ times that group's own W_c: the
median of the group's norm at T_grok over the grokked seeds of a free control of the same configuration.
(The authors used fixed per-group constants measured in an earlier run; we measure ours from the control.)
Every arm shares the control's seeds, so init and split are the same (RunSpec.init_seed ignores the clamp).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..protocol import record_stats
from ..specs import RunSpec


@dataclass(frozen=True)
class GroupHolds:
    p: int = 71
    frac: float = 0.40
    lr: float = 1e-3
    wd: float = 1.0
    d_embed: int = 128
    hidden: int = 512
    heads: int = 4
    t_int: int = 600
    max_steps: int = 25_000
    seeds: int = 8
    tail_steps: int = 500                     # steps the control trains past T_grok (held runs stop at T_grok)
    holds: tuple = (("unembed", 0.85), ("unembed", 1.00), ("unembed", 1.15), ("unembed", 1.30),  # (group, ρ) arms, each group held at ρ × its own W_c
                    ("mlp", 0.85), ("mlp", 1.30), ("embed", 1.30))
    # the unembedding's dose cells (the ratio T(1.30) / T(0.85)) run this many seeds, the paper's 16; every
    # W_c stays the first `seeds` control seeds' (fixed before these ran), so the other arms keep their ids
    dose: tuple = (("unembed", 0.85), ("unembed", 1.30))  # the unembedding's dose arms, run with `dose_seeds` seeds
    dose_seeds: int = 16                      # seeds of the dose arms (paper 1's 16)

    def base(self) -> RunSpec:
        return RunSpec(model="attn", layernorm=True, pos_init=0.1, readout_eq=True, p=self.p, frac=self.frac,
                       lr=self.lr, wd=self.wd, d_embed=self.d_embed, hidden=self.hidden, heads=self.heads,
                       max_steps=self.max_steps, tail_steps=self.tail_steps)


PRESETS = {
    "quick": GroupHolds(p=23, frac=0.6, lr=1e-2, d_embed=32, hidden=64, t_int=100, max_steps=1500, seeds=2,
                        tail_steps=100, holds=(("unembed", 0.85), ("mlp", 1.30)), dose_seeds=2),
    "book": GroupHolds(),
    "paper": GroupHolds(seeds=16, dose_seeds=16),
}

GROUP_TENSORS = {"embed": ("W_E", "W_pos"), "attn": ("W_Q", "W_K", "W_V", "W_O"), "mlp": ("W_in", "W_out"),
                 "unembed": ("W_U",)}


def control(cfg: GroupHolds) -> list[RunSpec]:
    return [cfg.base().replace(seed=s) for s in range(cfg.seeds)]


def group_wc(records: list[dict], group: str) -> float:
    """The group's W_c, from the stored per-tensor norm curves (`protocol.record_stats`)."""
    return record_stats(records, GROUP_TENSORS[group])["wc"]


def arm_seeds(cfg: GroupHolds, group: str, rho: float) -> range:
    """The seeds of one held arm: `dose_seeds` for the dose cells, `seeds` for the others."""
    return range(max(cfg.seeds, cfg.dose_seeds) if (group, rho) in cfg.dose else cfg.seeds)


def held(cfg: GroupHolds, wc: dict) -> list[RunSpec]:
    """The held arms, given each group's W_c; a group without one (no seed grokked) gives no runs."""
    return [cfg.base().replace(seed=s, clamp_mode="hold", clamp_group=g, clamp_target=round(rho * wc[g], 4),
                               rho=rho, t_int=cfg.t_int, tail_steps=0)
            for g, rho in cfg.holds if math.isfinite(wc.get(g, math.nan)) for s in arm_seeds(cfg, g, rho)]


def plan(cfg: GroupHolds, store=None, control_records: list[dict] | None = None) -> dict:
    """{study: [RunSpec]}: the control first; the held arms once the control's records (given, or read from
    `store`) give the W_c's."""
    out = {"control": control(cfg)}
    if control_records is None and store is not None:
        recs = [store.get(s) for s in out["control"]]
        control_records = recs if all(r is not None for r in recs) else None
    if control_records is not None:
        out["held"] = held(cfg, {g: group_wc(control_records, g) for g, _ in cfg.holds})
    return out

"""Chapter 3, paper 1 §7 (arXiv 2606.13753): LayerNorm and attention.

Four studies. (1) Our extension: paper 1's MLP with and without a final parameter-free LayerNorm, held at ρ·W_c
(and, as a diagnostic, the LayerNorm variant with only W2 held at ρ times W2's own W_c). (2) The attention model
without LayerNorm held at ρ·W_c (paper 1's α₂). (3) The attention model with LayerNorm across training fractions
(which norm is concentrated at T_grok) and its unembedding held at ρ times the unembedding's W_c. (4) Paper 1's
own group holds (`ln_groups`). Every held study needs its control's W_c and T_free, so the plan lists it once
the control is stored. Budgets: min(cap, 4·T_free·e^{7.5(ρ−1)}), at least `floor`."""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..protocol import control_stats, held_cell
from ..specs import RunSpec
from . import ln_groups


@dataclass(frozen=True)
class LnAblation:
    # (1) the MLP (our extension)
    p: int = 59
    frac: float = 0.4
    lr: float = 1e-3
    wd: float = 1.0
    d_embed: int = 128
    hidden: int = 256
    budget: int = 60_000                      # chapter 1's free runs are the no-LN controls
    tail_steps: int = 500
    seeds: int = 8
    t_int: int = 500
    rhos: tuple = (0.85, 1.00, 1.15, 1.30)
    cap: int = 160_000
    floor: int = 20_000
    # (2) the attention model without LayerNorm
    attn_p: int = 59
    attn_frac: float = 0.4
    attn_hidden: int = 512
    attn_lr: float = 5e-4
    attn_budget: int = 60_000
    attn_seeds: int = 4
    attn_t_int: int = 600
    attn_rhos: tuple = (0.85, 1.00, 1.15, 1.20)
    attn_cap: int = 40_000                    # the paper's slowest cells need ~100k steps (censored here)
    attn_floor: int = 20_000
    # (3) the attention model with LayerNorm
    ln_lr: float = 1e-3
    ln_budget: int = 60_000
    ln_fracs: tuple = (0.3, 0.4, 0.5, 0.6)
    ln_frac_ref: float = 0.4
    group: str = "W_U"
    group_rhos: tuple = (0.85, 1.15)
    # (4) paper 1's group holds
    groups: str = "book"                      # the ln_groups preset

    def mlp(self) -> RunSpec:
        return RunSpec(p=self.p, frac=self.frac, lr=self.lr, wd=self.wd, d_embed=self.d_embed, hidden=self.hidden,
                       max_steps=self.budget, tail_steps=self.tail_steps)

    def attn(self) -> RunSpec:
        return RunSpec(model="attn", p=self.attn_p, frac=self.attn_frac, d_embed=self.d_embed, hidden=self.attn_hidden,
                       lr=self.attn_lr, max_steps=self.attn_budget, tail_steps=self.tail_steps)

    def attn_ln(self) -> RunSpec:
        return RunSpec(model="attn", layernorm=True, p=self.attn_p, d_embed=self.d_embed, hidden=self.attn_hidden,
                       lr=self.ln_lr, max_steps=self.ln_budget, tail_steps=self.tail_steps)


PRESETS = {
    # CI smoke test: narrow models at p = 23
    "quick": LnAblation(p=23, frac=0.6, lr=6e-3, wd=2.0, d_embed=32, hidden=64, budget=1500, tail_steps=100, seeds=2,
                        t_int=100, rhos=(0.9, 1.1), cap=3000, floor=1000, attn_p=23, attn_frac=0.6, attn_hidden=64,
                        attn_lr=1e-2, attn_budget=2000, attn_seeds=2, attn_t_int=100, attn_rhos=(0.9, 1.1),
                        attn_cap=3000, attn_floor=1000, ln_lr=1e-2, ln_budget=2000, ln_fracs=(0.5, 0.7),
                        ln_frac_ref=0.5, group_rhos=(0.9, 1.1), groups="quick"),
    # the book: the paper's models; 8 seeds per MLP cell, 4 per attention cell (the paper uses 16), attention
    # budgets capped at 40k steps
    "book": LnAblation(),
    "paper": LnAblation(seeds=16, attn_budget=200_000, attn_seeds=16, attn_cap=200_000, groups="paper"),
}
VARIANTS = ("no LN", "final LN")


def variant(cfg: LnAblation, name: str) -> RunSpec:
    return cfg.mlp().replace(layernorm=name == "final LN")


def controls(base: RunSpec, seeds: int, **changes) -> list[RunSpec]:
    return [base.replace(seed=s, **changes) for s in range(seeds)]


def mlp_held(cfg: LnAblation, name: str, ctl: dict, group: str = "norm") -> list[RunSpec]:
    return [s for rho in cfg.rhos for s in held_cell(variant(cfg, name), range(cfg.seeds), ctl["wc"], ctl["t_free"],
                                                    rho, cfg.t_int, cfg.cap, cfg.floor, group=group)]


def attn_held(cfg: LnAblation, ctl: dict) -> list[RunSpec]:
    return [s for rho in cfg.attn_rhos for s in held_cell(cfg.attn(), range(cfg.attn_seeds), ctl["wc"], ctl["t_free"],
                                                         rho, cfg.attn_t_int, cfg.attn_cap, cfg.attn_floor)]


def group_held(cfg: LnAblation, ctl: dict) -> list[RunSpec]:
    """The LayerNorm attention model's `group` tensor held at ρ times its own W_c (`ctl` over that tensor)."""
    return [s for rho in cfg.group_rhos
            for s in held_cell(cfg.attn_ln().replace(frac=cfg.ln_frac_ref), range(cfg.attn_seeds), ctl["wc"],
                               ctl["t_free"], rho, cfg.attn_t_int, cfg.attn_cap, cfg.attn_floor, group=cfg.group)]


def tensor_stats(records: list[dict], tensor: str) -> dict:
    """control_stats over one tensor's norm at T_grok (from the stored per-tensor curves)."""
    from ..analysis import at_grok
    from ..store import frame

    return control_stats(frame(records).assign(norm_t=[at_grok(r, "norm_" + tensor) for r in records]), value="norm_t")


def plan(cfg: LnAblation, store=None) -> dict:
    """{study: [RunSpec]}: controls first; each held study once its control is stored in `store`."""
    from ..store import frame

    def stored(specs):
        recs = [store.get(s) for s in specs] if store is not None else [None]
        return recs if all(r is not None for r in recs) else None

    ctl_specs = {name: controls(variant(cfg, name), cfg.seeds) for name in VARIANTS}
    out = {"MLP controls": [s for v in ctl_specs.values() for s in v],
           "attention controls": controls(cfg.attn(), cfg.attn_seeds),
           "attention with LN across fractions": [s for f in cfg.ln_fracs
                                                  for s in controls(cfg.attn_ln(), cfg.attn_seeds, frac=f)]}
    held = []
    for name in VARIANTS:
        recs = stored(ctl_specs[name])
        if recs:
            held += mlp_held(cfg, name, control_stats(frame(recs)))
            if name == "final LN":
                out["MLP W2 held"] = mlp_held(cfg, name, tensor_stats(recs, "W2"), group="W2")
    out["MLP held"] = held
    recs = stored(out["attention controls"])
    if recs:
        out["attention held"] = attn_held(cfg, control_stats(frame(recs)))
    recs = stored(controls(cfg.attn_ln(), cfg.attn_seeds, frac=cfg.ln_frac_ref))
    if recs:
        out["attention with LN, group held"] = group_held(cfg, tensor_stats(recs, cfg.group))
    for k, v in ln_groups.plan(ln_groups.PRESETS[cfg.groups], store).items():
        out[f"group holds: {k}"] = v
    return out

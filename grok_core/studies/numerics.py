"""The drift of the opt-in bf16 matmul mode (RunSpec.matmul_precision), per model family, on paired seeds.

Each family's fp32 cell is one the book already stores, with a long budget (a held cell where the family has
one): paper 1's MLP held at ρ = 1.10 (chapter 2's dense sweep), paper 1's attention model with LayerNorm (the
group holds' free control, chapter 3) and paper 2's transformer (chapter 5's free runs at p = 67). The bf16 twin
of each run differs only in `matmul_precision`, so init, split and batches are the same: the pair differs by
the arithmetic alone. A chapter may use bf16 only where this table shows the drift inside seed noise; none does.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import claims, fits
from ..protocol import control_stats
from ..specs import RunSpec
from ..store import frame
from . import ln_groups, one_law, pinned_norm


def fp32_cells(store) -> dict:
    """{family: [RunSpec]} of the stored fp32 cells (empty where a cell's control is not stored)."""
    pn = pinned_norm.PRESETS["book"]
    ctl = [store.get(s) for s in pinned_norm.controls(pn, pn.p_ref)]
    mlp = []
    if all(r is not None for r in ctl):
        dense = pinned_norm.reference_cells(pn, control_stats(frame(ctl)))["dense ρ"]
        mlp = [s for s in dense if abs(s.rho - 1.10) < 1e-9]
    return {"MLP (held at ρ 1.10)": mlp,
            "attention with LayerNorm (free)": ln_groups.control(ln_groups.PRESETS["book"]),
            "transformer (free, p = 67)": one_law.free(one_law.PRESETS["book"])[:8]}


def twins(specs: list[RunSpec]) -> list[RunSpec]:
    return [s.replace(matmul_precision="bf16") for s in specs]


def plan(store) -> dict:
    """The bf16 twins to train, by family."""
    return {f"{k}, bf16": twins(v) for k, v in fp32_cells(store).items()}


def drift(store) -> pd.DataFrame:
    """Per family: paired seeds, T_grok and ‖W‖ at T_grok in fp32 and bf16 (medians), their ratio with a 95 % CI
    over resampled pairs, the seeds whose T_grok is the same logged step, and the fp32 cell's seed-to-seed CV of
    T_grok (the noise a drift is set against)."""
    rows = []
    for fam, specs in fp32_cells(store).items():
        pairs = [(store.get(s), store.get(t)) for s, t in zip(specs, twins(specs))]
        pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
        if not pairs:
            rows.append(dict(family=fam, pairs=0))
            continue
        t = np.array([[r["summary"]["t_grok"] if r["summary"]["t_grok"] is not None else np.nan for r in p]
                      for p in pairs], float)
        w = np.array([[r["summary"]["norm_at_grok"] if r["summary"]["norm_at_grok"] is not None else np.nan
                       for r in p] for p in pairs], float)
        ratio = lambda cs: fits._med(cs[0][:, 1]) / fits._med(cs[0][:, 0])
        t_lo, t_hi = fits.cell_bootstrap([t], ratio)
        w_lo, w_hi = fits.cell_bootstrap([w], ratio)
        rows.append(dict(family=fam, pairs=len(pairs), T_fp32=fits._med(t[:, 0]), T_bf16=fits._med(t[:, 1]),
                         T_ratio=ratio([t]), T_ci=f"[{t_lo:.3f}, {t_hi:.3f}]", same_T=int(np.sum(t[:, 0] == t[:, 1])),
                         norm_ratio=ratio([w]), norm_ci=f"[{w_lo:.4f}, {w_hi:.4f}]",
                         seed_cv_pct=100 * fits.cv(t[:, 0])))
        rows[-1]["verdict"] = claims.drift_verdict(len(pairs), rows[-1]["T_ratio"], t_lo, t_hi,
                                                   rows[-1]["seed_cv_pct"], rows[-1]["norm_ratio"])
    return pd.DataFrame(rows)

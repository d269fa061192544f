"""Paper 1's clamp protocol as spec builders, shared by the chapters that hold the norm (so that two chapters
asking for the same cell ask for the same runs, and the store answers the second from the first)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import fits
from .specs import RunSpec


# Paper 1's critical norm and free timescale of a control cell, the one definition every chapter uses: W_c is the
# median over the seeds that grokked of the weight norm at T_grok, T_free their median T_grok (nan when none did).

def control_stats(df: pd.DataFrame, value: str = "norm_at_grok") -> dict:
    """W_c (median `value` at T_grok over grokked seeds) and T_free of a control cell, from its runs' frame."""
    ok = df[df.status == "grokked"]
    if not len(ok):
        return dict(wc=np.nan, t_free=np.nan, grokked=0, seeds=len(df))
    return dict(wc=float(np.median(ok[value].astype(float))), t_free=float(np.median(ok.t_grok.astype(float))),
                grokked=len(ok), seeds=len(df))


def record_stats(records, names=None) -> dict:
    """W_c and T_free of a control cell from its stored records (None entries skipped): with `names`, W_c of those
    tensors together (one part of the model), read from the per-tensor norm curves."""
    records = [r for r in records if r is not None]
    ok = [r for r in records if r["summary"]["status"] == "grokked"]
    if not ok:
        return dict(wc=np.nan, t_free=np.nan, grokked=0, seeds=len(records))
    norms = [r["summary"]["norm_at_grok"] if names is None else norm_at_grok(r, names) for r in ok]
    return dict(wc=float(np.median(norms)), t_free=float(np.median([r["summary"]["t_grok"] for r in ok])),
                grokked=len(ok), seeds=len(records))


def cell_budget(t_free: float, rho: float, cap: int, floor: int, factor: float = 4.0, alpha: float = 7.5) -> int:
    """Step budget of a held cell, set from the free-run timescale: factor·T_free·e^{α(ρ−1)}, within [floor, cap]."""
    if not (t_free > 0 and math.isfinite(t_free)):
        raise ValueError(f"t_free={t_free!r} is not allowed: a finite free-run time > 0")
    return int(min(cap, max(floor, math.ceil(factor * t_free * math.exp(alpha * (rho - 1))))))


def norm_at_grok(record: dict, names) -> float:
    """‖tensors `names`‖ together at the run's T_grok, from the stored per-tensor norm curves; nan if it did not
    grok."""
    t = record["summary"]["t_grok"]
    if t is None:
        return math.nan
    c = record["curves"]
    i = int(np.searchsorted(c["step"], t))
    return float(math.sqrt(sum(float(c["norm_" + k][i]) ** 2 for k in names)))


def held_cell(base: RunSpec, seeds, wc: float, t_free: float, rho: float, t_int: int, cap: int, floor: int,
              mode: str = "hold", group: str = "norm", **changes) -> list[RunSpec]:
    """The control's seeds held (or rescaled once) at ρ·Wc from t_int on; [] when the control has no Wc."""
    if not math.isfinite(wc):
        return []
    target = round(rho * wc, 4)
    extra = dict(clamp_group=group) if group != "norm" else {}
    return [base.replace(seed=s, clamp_mode=mode, clamp_target=target, rho=rho, t_int=t_int, tail_steps=0,
                         max_steps=cell_budget(t_free, rho, cap, floor), **extra, **changes) for s in seeds]


def grok_times(df: pd.DataFrame) -> np.ndarray:
    """Per run T_grok, nan where the run did not grok: what a median over grokked seeds, resampled, reads."""
    return np.where(df.status == "grokked", df.t_grok.astype(float), np.nan)


def min_seeds(df: pd.DataFrame, by) -> int:
    """The fewest seeds in any cell of `by`: what a row's CI rests on (0 for an empty frame)."""
    return int(df.groupby(by).size().min()) if len(df) else 0


def times(df: pd.DataFrame):
    """Per run (time, observed) for censoring-aware fits: a run that did not grok contributes the steps it ran."""
    t = np.where(df.status == "grokked", df.t_grok.astype(float), df.steps_run.astype(float))
    return t, (df.status == "grokked").to_numpy()


def cell_table(df: pd.DataFrame, by: list[str], value: str = "t_grok") -> pd.DataFrame:
    """Per cell (`by`), over its seeds: seeds, grokked, and the median of `value` over the grokked seeds with its
    bootstrap 95 % CI (paper 1's cell statistic), then
    - for value "t_grok" (held runs): censored seeds, the Kaplan–Meier median (censored seeds kept) and the cell's
      budget; the median is the column T_median;
    - for a norm such as "norm_at_grok" (free runs, W_c): its CV across seeds (%) and the median T_grok."""
    time = value == "t_grok"
    rows = []
    for key, g in df.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        ok = g[g.status == "grokked"]
        x = ok[value].astype(float)
        med, lo, hi = fits.median_ci(x)
        row = {**dict(zip(by, key)), "seeds": len(g), "grokked": len(ok)}
        if time:
            t, e = times(g)
            row.update(censored=int((g.status == "censored").sum()), T_median=med, ci_lo=lo, ci_hi=hi,
                       T_km=fits.km_median(t, e), budget=int(g.max_steps.max()))
        else:
            row.update({value: med, "ci_lo": lo, "ci_hi": hi, "cv_%": 100 * fits.cv(x),
                        "t_grok": float(np.median(ok.t_grok.astype(float))) if len(ok) else np.nan})
        rows.append(row)
    cols = (["censored", "T_median", "ci_lo", "ci_hi", "T_km", "budget"] if time
            else [value, "ci_lo", "ci_hi", "cv_%", "t_grok"])
    return pd.DataFrame(rows, columns=[*by, "seeds", "grokked", *cols])

"""Tables the chapters share: per-cell statistics over seeds, threshold re-reads of stored curves, scorecards."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import claims, fits
from .record import first_crossing


def cell_stats(df: pd.DataFrame, by: list[str], value: str = "norm_at_grok") -> pd.DataFrame:
    """Per cell: seeds, grokked count, median of `value` over grokked seeds with a bootstrap 95% CI, its CV
    across seeds, and the median T_grok (paper 1's cell statistic)."""
    rows = []
    for key, g in df.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        ok = g[g.status == "grokked"]
        med, lo, hi = fits.median_ci(ok[value].astype(float))
        rows.append({**dict(zip(by, key)), "seeds": len(g), "grokked": len(ok), value: med,
                     "ci_lo": lo, "ci_hi": hi, "cv_%": 100 * fits.cv(ok[value].astype(float)),
                     "t_grok": float(np.median(ok.t_grok.astype(float))) if len(ok) else np.nan})
    return pd.DataFrame(rows)


def at_threshold(record: dict, threshold: float, key: str = "test_acc") -> tuple[float, float]:
    """(step, ‖W‖) at the first logged step where `key` >= threshold, from the stored curves; nan if never."""
    c = record["curves"]
    t = first_crossing(c["step"], c[key], threshold)
    if t is None:
        return np.nan, np.nan
    return float(t), _curve_at(c, "weight_norm", t)


def at_grok(record: dict, key: str) -> float:
    """A stored curve's value at the run's T_grok; nan if it did not grok."""
    t = record["summary"]["t_grok"]
    return np.nan if t is None else _curve_at(record["curves"], key, t)


def _curve_at(curves: dict, key: str, t) -> float:
    """`key`'s value at logged step t (t must be one of the logged steps)."""
    return float(curves[key][np.searchsorted(curves["step"], t)])


def scorecard(rows: list[dict], glue_as: str | None = "scorecard") -> pd.DataFrame:
    """rows of dict(claim, key, paper, ours, verdict) -> a table for the chapter's end. `key` names the paper's
    figure in `claims.PAPER`, whose section and source file fill the `source` column; a row without one is a
    test of our own."""
    out = [dict(r, source=claims.cite(r["key"]) if r.get("key") else "our own test") for r in rows]
    df = pd.DataFrame(out, columns=["claim", "paper", "ours", "verdict", "source"])
    unknown = set(df.verdict) - set(claims.VERDICTS)
    if unknown:
        raise ValueError(f"verdict(s) {sorted(unknown)} are not allowed: one of {claims.VERDICTS}")
    if glue_as:      # the replication report reads every chapter's scorecard back from its executed page
        glue(glue_as, df.to_json(orient="records", force_ascii=False))
    return df.set_index("claim")


GLUE_DIGITS = 6


def glue(name: str, value, display: bool = False):
    """myst_nb.glue with numpy scalars turned into Python numbers first (a glued np.float64 is stored as the
    text 'np.float64(…)', which `{glue:text}` cannot format), and floats rounded to GLUE_DIGITS significant
    digits: far more than any page prints, and few enough that the last bits of a sum, which differ between
    machines and thread counts, do not reach the stored value nbval compares."""
    from myst_nb import glue as _glue

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isfinite(value):
        value = float(f"{value:.{GLUE_DIGITS}g}")
    _glue(name, value, display=display)

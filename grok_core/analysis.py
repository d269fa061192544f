"""Tables the chapters share: threshold re-reads of stored curves, scorecards, glued values (per-cell
statistics over seeds: grok_core.protocol.cell_table)."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from . import claims, fits
from .record import first_crossing


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


# Column names as a reader reads them; anything else has its underscores turned into spaces.
HEADERS = {"t_grok": "T_grok", "t_mem": "T_mem", "T_median": "median T_grok", "T_grok": "T_grok", "T_km": "Kaplan–Meier median",
           "ci_lo": "95 % CI low", "ci_hi": "95 % CI high", "cv_%": "CV (%)", "cv_pct": "CV (%)", "norm_at_grok": "‖W‖ at T_grok",
           "wc": "Wc", "wd": "λ", "lr": "η", "rho": "ρ", "frac": "training fraction", "p": "p", "n_train": "m",
           "final_norm": "final ‖θ‖", "final_train_acc": "final train accuracy", "max_steps": "budget (steps)",
           "T_eta_lam": "T_grok·ηλ", "delay_eta_lam": "delay·ηλ", "clamp_group": "group held"}


def _cell(x, digits: int) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        return str(x)
    if np.isinf(x):
        return "∞" if x > 0 else "−∞"
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) < 0.01:
        return f"{x:.2g}"
    return f"{x:,.{digits}f}" if abs(x) >= 1 else f"{x:.{digits + 1}g}"


def table(df: pd.DataFrame, digits: int = 2, headers: dict | None = None):
    """A DataFrame as the book shows tables: no index column unless it carries names, whole numbers without
    '.0', missing values as '—', infinities as '∞', readable headers, no truncated cells."""
    d = df.reset_index() if any(n is not None for n in df.index.names) else df.reset_index(drop=True)
    names = {**HEADERS, **(headers or {})}
    d = d.rename(columns=lambda c: names.get(c, str(c).replace("_", " ")))
    d.columns = [str(c) for c in d.columns]
    uid = hashlib.sha256(d.to_csv().encode()).hexdigest()[:8]         # stable ids: nbval compares the HTML
    return d.style.hide(axis="index").format(lambda x: _cell(x, digits)).set_uuid(uid)


def scorecard(rows: list[dict], glue_as: str | None = "scorecard", verdicts: tuple = claims.VERDICTS,
              headers: dict | None = None):
    """rows of dict(claim, key, paper, ours, verdict) -> a table for the chapter's end. `key` names the paper's
    figure in `claims.PAPER`, whose section and source file fill the `source` column; a row without one is a
    test of our own. A chapter that tests predictions of its own passes its verdict words and headers."""
    out = [dict(r, source=claims.cite(r["key"]) if r.get("key") else "our own test") for r in rows]
    df = pd.DataFrame(out, columns=["claim", "paper", "ours", "verdict", "source"])
    unknown = set(df.verdict) - set(verdicts)
    if unknown:
        raise ValueError(f"verdict(s) {sorted(unknown)} are not allowed: one of {verdicts}")
    if glue_as:      # the replication report reads every chapter's scorecard back from its executed page
        glue(glue_as, df.to_json(orient="records", force_ascii=False))
    return table(df, headers=headers)


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


def glue_all(values: dict):
    """glue (display=False) every name -> value of a dict, such as a study function's `values`."""
    for name, value in values.items():
        glue(name, value, display=False)

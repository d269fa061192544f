"""Tables the chapters share: threshold re-reads of stored curves, scorecards, glued values (per-cell
statistics over seeds: grok_core.protocol.cell_table)."""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd

from . import claims
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


# Columns that hold a grid's parameter: shown at the precision of the grid, so distinct values stay distinct.
PARAM_COLUMNS = {"rho", "lr", "wd", "frac", "p", "n_train", "seed", "t_int", "eta", "lam", "m", "ρ", "η", "λ"}
# Columns that hold step counts: whole numbers; an infinite one is a run that did not grok.
STEP_COLUMNS = {"t_grok", "t_mem", "T_mem", "T_grok", "T_median", "T_km", "ci_lo_T", "ci_hi_T", "max_steps", "budget", "delay",
                "free_T", "t_free", "prediction"}


def _is_num(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _missing(x) -> bool:
    return x is None or (isinstance(x, (float, np.floating)) and np.isnan(x))


def _cell(x, digits: int, steps: bool = False) -> str:
    """One value as the book prints it: three significant figures at most below 1, `digits` decimals from 1 to
    100, whole numbers from 100 on and for step counts; '—' for a missing value; 'did not grok' for an infinite
    step count."""
    if _missing(x):
        return "—"
    if not _is_num(x):
        return str(x)
    if np.isinf(x):
        return ("did not grok" if steps else "∞") if x > 0 else "−∞"
    x = float(x)
    if steps or abs(x) >= 100 or (x.is_integer() and abs(x) < 1e15):
        return f"{round(x):,}".replace("-", "−")
    if abs(x) < 0.01:
        return f"{x:.2g}".replace("-", "−")
    s = f"{x:,.{digits}f}" if abs(x) >= 1 else f"{x:#.{digits + 1}g}"
    return s.replace("-", "−")


def _grid_format(values) -> callable:
    """A formatter for a parameter column: the fewest decimals (at most 6) at which every value of the column is
    written exactly as its shortest form, so 0.85, 1.0 and 1.15 read 0.85, 1.00, 1.15 and never collide."""
    nums = [float(v) for v in values if _is_num(v) and not _missing(v) and np.isfinite(v)]
    dec = 0
    for v in nums:
        s = np.format_float_positional(v, trim="-")
        dec = max(dec, len(s.split(".")[1]) if "." in s else 0)
    dec = min(dec, 6)
    return lambda x: "—" if _missing(x) else (f"{float(x):,.{dec}f}" if _is_num(x) and np.isfinite(x) else _cell(x, 2))


def shown(df: pd.DataFrame, digits: int = 2, headers: dict | None = None) -> pd.DataFrame:
    """A DataFrame as the book prints it, every cell a string: flat readable headers, no index column unless it
    carries names, parameter columns at their grid's precision, step counts whole."""
    d = df.reset_index() if any(n is not None for n in df.index.names) else df.reset_index(drop=True)
    if isinstance(d.columns, pd.MultiIndex):
        d.columns = [" ".join(str(c) for c in col if str(c)) for col in d.columns]
    raw = [str(c) for c in d.columns]
    names = {**HEADERS, **(headers or {})}
    out = {}
    for c, col in zip(raw, d.columns):
        v = d[col]
        if c in PARAM_COLUMNS:
            f = _grid_format(v)
        else:
            steps = c in STEP_COLUMNS
            f = lambda x, steps=steps: _cell(x, digits, steps)
        out[names.get(c, c.replace("_", " "))] = [f(x) for x in v]
    return pd.DataFrame(out)


def table(df: pd.DataFrame, digits: int = 2, headers: dict | None = None):
    """The one table style of the book: `shown` cells, padded, numbers right-aligned. The table's HTML id is a
    hash of what it shows, so a last-bit difference in a value (another CPU, another thread count) that does
    not change a printed cell does not change the page."""
    s = shown(df, digits, headers)
    uid = hashlib.sha256(s.to_csv().encode()).hexdigest()[:8]         # stable ids: nbval compares the HTML
    numeric = [c for c in s.columns if len(s) and s[c].map(_numeric_text).all()]
    styles = [{"selector": "th, td", "props": "padding: 0.25em 0.7em;"},
              {"selector": "th", "props": "text-align: left;"}]
    st = s.style.hide(axis="index").set_uuid(uid).set_table_styles(styles)
    if numeric:
        st = st.set_table_styles({c: [{"selector": "td", "props": "text-align: right;"}] for c in numeric},
                                 overwrite=False)
    return st


def _numeric_text(s: str) -> bool:
    return bool(re.fullmatch(r"[−-]?[\d,]*\.?\d+(e[−+-]?\d+)?|—|∞|did not grok", s))


CARD_COLUMNS = ["claim", "paper", "ours", "ci", "seeds", "verdict", "registered", "source", "claim_id", "own"]


def scorecard(rows: list[dict], glue_as: str | None = "scorecard", verdicts: tuple = claims.VERDICTS,
              headers: dict | None = None):
    """rows of dict(claim, key, paper, ours, verdict[, ci, seeds, registered, claim_id, own]) -> a table for the
    chapter's end. `key` names the paper's figure in `claims.PAPER`, whose section and source file fill the
    `source` column; a row without one, or with own=True, is a test of our own (kept out of the replication
    tally). `ci` is our 95 % CI (seeds resampled within cells), `seeds` ours / the paper's per cell;
    `registered` the verdict the rule fixed before the runs gives at our value, where 'not resolved' (added
    after) replaced it; rows sharing a `claim_id` (default: the key) are one claim of the paper, counted once by
    its first row. A chapter that tests predictions of its own passes its verdict words and headers."""
    out = []
    for r in rows:
        r = dict(r)
        own = bool(r.get("own", not r.get("key")))
        out.append(dict(r, ci=r.get("ci") or "—", seeds=r.get("seeds") or "—", own=own,
                        registered=r.get("registered") or r["verdict"],
                        claim_id=r.get("claim_id") or r.get("key") or r["claim"],
                        source=claims.cite(r["key"]) if r.get("key") else "our own test"))
    df = pd.DataFrame(out, columns=CARD_COLUMNS)
    unknown = (set(df.verdict) | set(df.registered)) - set(verdicts)
    if unknown:
        raise ValueError(f"verdict(s) {sorted(unknown)} are not allowed: one of {verdicts}")
    if glue_as:      # the replication report reads every chapter's scorecard back from its executed page
        glue(glue_as, df.to_json(orient="records", force_ascii=False))
        glue("at_a_glance", glance(df, verdicts))
    return table(card_view(df), headers={"ci": "95 % CI", "seeds": "seeds (ours / paper)", **(headers or {})})


def glance(df: pd.DataFrame, verdicts: tuple = claims.VERDICTS) -> str:
    """One sentence for a chapter's opening: how many of its scorecard's claims (rows sharing a claim_id count
    once, by their first row) came out each way, naming those that did not come out as the first verdict; rows
    testing our own designs (`own`) are counted apart, as the report counts them."""
    predictions = tuple(verdicts) != tuple(claims.VERDICTS)     # a chapter scoring predictions of its own
    own = (df.own.astype(bool) if "own" in df and not predictions else pd.Series(False, index=df.index))
    first = df[~own].drop_duplicates("claim_id")
    n_own = df[own].claim_id.nunique()
    counts = first.verdict.value_counts()
    parts = [f"{counts[v]} {v}" for v in verdicts if counts.get(v, 0)]
    missed = [f"{r.claim} ({r.verdict})" for r in first.itertuples() if r.verdict not in (verdicts[0], "not resolved")]
    noun = "predictions" if predictions else "claims"
    text = f"{len(first)} {noun} scored on this page: " + ", ".join(parts) + "."
    if missed:
        text += " Those that came out otherwise: " + "; ".join(missed) + "."
    if n_own:
        text += f" {n_own} more {'rows test' if n_own > 1 else 'row tests'} a design of our own, not counted."
    return text


def card_view(df: pd.DataFrame) -> pd.DataFrame:
    """The columns a reader sees; a verdict that our seeds could not resolve names the registered rule's."""
    shown = df.assign(verdict=[v if v == reg else f"{v} (rule at our value: {reg})"
                               for v, reg in zip(df.verdict, df.registered)])
    return shown[["claim", "paper", "ours", "ci", "seeds", "verdict", "source"]]


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

"""Statistics the papers use, and the censoring-aware ones they do not.

All bootstrap draws take a seed, so the numbers in the book are reproducible.
"""
from __future__ import annotations

import numpy as np

N_BOOT = 3000  # paper 1: bootstrap 95% CI of the cell median, 3000 resamples


def median_ci(x, n_boot: int = N_BOOT, seed: int = 0, level: float = 0.95):
    """Median and percentile-bootstrap CI over resampled seeds (paper 1's cell statistic)."""
    x = np.asarray([v for v in x if v is not None and np.isfinite(v)], dtype=float)
    if len(x) == 0:
        return np.nan, np.nan, np.nan
    rng = np.random.default_rng(seed)
    boots = np.median(rng.choice(x, (n_boot, len(x))), axis=1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return float(np.median(x)), float(lo), float(hi)


def cv(x) -> float:
    """Coefficient of variation (sample std / mean)."""
    x = np.asarray([v for v in x if v is not None and np.isfinite(v)], dtype=float)
    return float(np.std(x, ddof=1) / np.mean(x)) if len(x) > 1 else np.nan


def ols(x, y):
    """Least squares y = a + b·x: returns (slope b, intercept a, R²)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    r2 = 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean())) if len(y) > 2 or np.ptp(y) > 0 else np.nan
    return float(b), float(a), float(r2)


def power_law(p, w, n_boot: int = N_BOOT, seed: int = 0, groups=None):
    """Fit w = c·p^k on log-log axes. `p`, `w` are per-run values; the fit runs on per-p medians, and the CI
    on k comes from resampling runs within each p. Returns dict(k, c, r2, lo, hi)."""
    p, w = np.asarray(p, float), np.asarray(w, float)
    ps = np.unique(p)
    med = lambda pp, ww: np.array([np.median(ww[pp == q]) for q in ps])
    k, logc, r2 = ols(np.log(ps), np.log(med(p, w)))
    rng = np.random.default_rng(seed)
    ks = []
    for _ in range(n_boot):
        ww = np.concatenate([rng.choice(w[p == q], (p == q).sum()) for q in ps])
        pp = np.concatenate([p[p == q] for q in ps])
        ks.append(ols(np.log(ps), np.log(med(pp, ww)))[0])
    lo, hi = np.quantile(ks, [0.025, 0.975])
    return dict(k=k, c=float(np.exp(logc)), r2=r2, lo=float(lo), hi=float(hi))


def km_median(times, observed):
    """Kaplan–Meier median of event times with right censoring (observed=False: no event by that time).
    Returns the first time the survival curve drops to <= 0.5, or inf if it never does."""
    t = np.asarray(times, float)
    e = np.asarray(observed, bool)
    order = np.lexsort((~e, t))
    t, e = t[order], e[order]
    surv, at_risk = 1.0, len(t)
    for ti, ei in zip(t, e):
        if ei:
            surv *= 1 - 1 / at_risk
            if surv <= 0.5:
                return float(ti)
        at_risk -= 1
    return float("inf")

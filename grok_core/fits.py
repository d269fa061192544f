"""Statistics the papers use, and the censoring-aware ones they do not.

All bootstrap draws take a seed, so the numbers in the book are reproducible.
"""
from __future__ import annotations

import numpy as np
from scipy import optimize, special, stats

N_BOOT = 3000  # paper 1: bootstrap 95% CI of the cell median, 3000 resamples
_LOG_SQRT_2PI = np.log(np.sqrt(2 * np.pi))   # as scipy.stats.norm writes the constant of its log density


def median_ci(x, n_boot: int = N_BOOT, seed: int = 0, level: float = 0.95):
    """Median and percentile-bootstrap CI over resampled seeds (paper 1's cell statistic)."""
    x = np.asarray([v for v in x if v is not None and np.isfinite(v)], dtype=float)
    if len(x) == 0:
        return np.nan, np.nan, np.nan
    rng = np.random.default_rng(seed)
    boots = np.median(rng.choice(x, (n_boot, len(x))), axis=1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return float(np.median(x)), float(lo), float(hi)


def cell_bootstrap(cells: list, stat, n_boot: int = 1000, seed: int = 0, level: float = 0.95):
    """Percentile-bootstrap CI of `stat(cells)` where each cell (an array of per-seed values, or a tuple of such
    arrays of one length) is resampled over its own seeds: the CI a verdict carries, at the seed count we ran.
    Returns (lo, hi); nan where fewer than half of the draws give a finite value."""
    rng = np.random.default_rng(seed)
    arrs = [tuple(np.asarray(a) for a in c) if isinstance(c, tuple) else (np.asarray(c),) for c in cells]
    boots = []
    for _ in range(n_boot):
        draw = []
        for c in arrs:
            i = rng.integers(0, len(c[0]), len(c[0]))
            draw.append(tuple(a[i] for a in c) if len(c) > 1 else c[0][i])
        try:
            boots.append(float(stat(draw)))
        except (ValueError, ZeroDivisionError, np.linalg.LinAlgError):
            boots.append(np.nan)
    boots = np.asarray(boots, float)
    ok = boots[np.isfinite(boots)]
    if len(ok) < n_boot / 2:
        return np.nan, np.nan
    lo, hi = np.quantile(ok, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _med(x) -> float:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else np.nan


def frontier_time(points, norm: float) -> float:
    """The weight-decay frontier's T_grok at `norm`: ln T interpolated linearly in ‖W‖ between the frontier's
    points [(‖W‖ at T_grok, T_grok)] (one per λ, medians), and beyond its ends extended along the line through
    the two nearest points; nan with fewer than two finite points (paper 1 §5's frontier comparison)."""
    pts = sorted((float(w), float(t)) for w, t in points if np.isfinite(w) and np.isfinite(t) and t > 0)
    if len(pts) < 2:
        return np.nan
    w = np.array([p[0] for p in pts])
    lt = np.log([p[1] for p in pts])
    i = int(np.clip(np.searchsorted(w, norm) - 1, 0, len(w) - 2))
    if w[i + 1] == w[i]:
        return float(np.exp(lt[i:i + 2].mean()))
    return float(np.exp(lt[i] + (lt[i + 1] - lt[i]) * (norm - w[i]) / (w[i + 1] - w[i])))


def ratio_ci(num, den, **kw):
    """CI of median(num) / median(den) over grokked seeds (a censored seed is nan), seeds resampled per cell."""
    return cell_bootstrap([np.asarray(num, float), np.asarray(den, float)], lambda cs: _med(cs[0]) / _med(cs[1]), **kw)


def geo_ratio_ci(pairs, **kw):
    """CI of the geometric mean over pairs (num, den) of median(num) / median(den)."""
    flat = [np.asarray(c, float) for pair in pairs for c in pair]
    stat = lambda cs: float(np.exp(np.mean([np.log(_med(cs[i]) / _med(cs[i + 1])) for i in range(0, len(cs), 2)])))
    return cell_bootstrap(flat, stat, **kw)


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


def cell_time(times, observed, method: str = "median") -> float:
    """A cell's grokking time from its seeds. 'median': paper 1's median over the seeds that grokked;
    'km': Kaplan–Meier median, which keeps censored seeds (no grok by their budget) at risk."""
    t = np.asarray(times, float)
    e = np.asarray(observed, bool)
    if method == "median":
        return float(np.median(t[e])) if e.any() else np.nan
    if method == "km":
        return km_median(t, e)
    raise ValueError(f"method={method!r} is not allowed: 'median' or 'km'")


def _slope_ci(fit, cells, n_boot: int, seed: int, parts: tuple = (0,)):
    """95 % percentile CIs of fit(cells)[i] for each i in `parts` (default: the slope alone) over bootstrap
    draws that resample seeds within each cell; one (lo, hi) pair per part, flattened."""
    rng = np.random.default_rng(seed)
    boots, seen = [], {}
    for _ in range(n_boot):
        cs = []
        for g, r, t, e in cells:
            i = rng.integers(0, len(t), len(t))
            cs.append((g, r, np.asarray(t, float)[i], np.asarray(e, bool)[i]))
        # a draw equal to an earlier one has that draw's fit (the fit is a function of the data alone): cells of
        # one or two seeds repeat draws often, and each censored fit is an optimisation
        key = tuple((t.tobytes(), e.tobytes()) for _, _, t, e in cs)
        if key not in seen:
            out = fit(cs)
            seen[key] = [out[k] for k in parts]
        boots.append(seen[key])
    out = []
    for j in range(len(parts)):
        b = np.asarray([x[j] for x in boots], float)
        b = b[np.isfinite(b)]
        lo, hi = np.quantile(b, [0.025, 0.975]) if len(b) else (np.nan, np.nan)
        out += [float(lo), float(hi)]
    return tuple(out)


def shared_exp_fit(cells, method: str = "median", n_boot: int = N_BOOT, seed: int = 0) -> dict:
    """Fit ln T = a_g + α·ρ with one slope α over groups g (one intercept each): paper 1's delay law (one
    group: its per-p fit; several: the shared-exponent collapse). `cells` is a list of
    (group, rho, times, observed) with per-seed arrays. The 95% CI on α resamples seeds within each cell.
    Cells whose time is not finite (no grok; KM median beyond the data) are left out and counted."""

    def fit(cs):
        rows = [(g, r, np.log(cell_time(t, e, method))) for g, r, t, e in cs]
        rows = [x for x in rows if np.isfinite(x[2])]
        groups = sorted({g for g, _, _ in rows})
        if len(rows) < len(groups) + 1 or len({r for _, r, _ in rows}) < 2:
            return np.nan, {}, np.nan, len(rows)
        X = np.zeros((len(rows), len(groups) + 1))
        for i, (g, r, _) in enumerate(rows):
            X[i, groups.index(g)] = 1.0
            X[i, -1] = r
        y = np.array([v for _, _, v in rows])
        coef, *_ = np.linalg.lstsq(X, y, rcond=None)
        resid = y - X @ coef
        ss = ((y - y.mean()) ** 2).sum()
        r2 = 1 - (resid ** 2).sum() / ss if ss > 0 else np.nan
        return float(coef[-1]), dict(zip(groups, map(float, coef[:-1]))), float(r2), len(rows)

    alpha, intercepts, r2, used = fit(cells)
    lo, hi, r2_lo, r2_hi = _slope_ci(fit, cells, n_boot if np.isfinite(alpha) else 0, seed, parts=(0, 2))
    return dict(alpha=alpha, intercepts=intercepts, r2=r2, lo=lo, hi=hi, r2_lo=r2_lo, r2_hi=r2_hi, cells_used=used,
                cells_dropped=len(cells) - used)


def censored_exp_fit(cells, n_boot: int = 1000, seed: int = 0) -> dict:
    """Censored regression for the delay law: per run, ln T = a_g + α·ρ + σ·ε with ε ~ N(0, 1), fitted by
    maximum likelihood where a censored run (no grok by its budget b) contributes P(T > b) = 1 − Φ((ln b − μ)/σ).
    Unlike a median over grokked seeds, it neither drops the slow seeds nor needs half a cell to grok.
    `cells` as for `shared_exp_fit`; the 95 % CI on α resamples seeds within each cell.
    Returns dict(alpha, intercepts, sigma, lo, hi, runs, censored)."""
    def prepare(cs):
        groups = sorted({g for g, *_ in cs})
        gi, rho, lt, obs = [], [], [], []
        for g, r, t, e in cs:
            t, e = np.asarray(t, float), np.asarray(e, bool)
            keep = np.isfinite(t) & (t > 0)
            gi += [groups.index(g)] * int(keep.sum())
            rho += [r] * int(keep.sum())
            lt += list(np.log(t[keep]))
            obs += list(e[keep])
        return groups, np.array(gi, int), np.array(rho, float), np.array(lt, float), np.array(obs, bool)

    def fit(cs):
        groups, gi, rho, lt, obs = prepare(cs)
        if not obs.any() or len(np.unique(rho[obs])) < 2:
            return np.nan, {}, np.nan
        G = len(groups)

        def nll(theta):
            """The negative log likelihood and its exact gradient (BFGS then needs one evaluation per step,
            not G + 3 for a finite-difference gradient, and stops nearer the true optimum)."""
            a, alpha, log_s = theta[:G], theta[G], theta[G + 1]
            s = np.exp(log_s)
            z = (lt - a[gi] - alpha * rho) / s
            # the standard normal's log density and log survival as scipy.stats.norm computes them (the same
            # floats), without its per-call argument checks, which cost ~6x the arithmetic in these small fits
            zc = -z[~obs]
            log_sf = special.log_ndtr(zc)
            f = -((-z[obs] ** 2 / 2.0 - _LOG_SQRT_2PI).sum() - obs.sum() * log_s + log_sf.sum())
            # d f / d z per run: z for a run that grokked, the hazard φ(z) / (1 − Φ(z)) for a censored one
            dz = np.where(obs, z, 0.0)
            dz[~obs] = np.exp(-zc ** 2 / 2.0 - _LOG_SQRT_2PI - log_sf)
            dmu = -dz / s
            grad = np.empty(G + 2)
            grad[:G] = np.bincount(gi, weights=dmu, minlength=G)
            grad[G] = (dmu * rho).sum()
            grad[G + 1] = obs.sum() - (dz * z).sum()
            return f, grad

        # start from least squares on the observed runs
        X = np.zeros((obs.sum(), G + 1))
        X[np.arange(obs.sum()), gi[obs]] = 1
        X[:, -1] = rho[obs]
        coef = np.linalg.lstsq(X, lt[obs], rcond=None)[0]
        s0 = max(np.std(lt[obs] - X @ coef), 0.05)
        # tolerances far below the page's precision, so that the last bits of the start (which differ between
        # machines) do not move the optimum's printed digits
        opts = dict(xatol=1e-9, fatol=1e-12, maxiter=200000, maxfev=200000) if G > 6 else dict(gtol=1e-9)
        x0 = np.r_[coef, np.log(s0)]
        res = (optimize.minimize(lambda th: nll(th)[0], x0, method="Nelder-Mead", options=opts) if G > 6
               else optimize.minimize(nll, x0, jac=True, method="BFGS", options=opts))
        th = res.x
        return float(th[G]), dict(zip(groups, map(float, th[:G]))), float(np.exp(th[G + 1]))

    alpha, intercepts, sigma = fit(cells)
    lo, hi = _slope_ci(fit, cells, n_boot if np.isfinite(alpha) else 0, seed)
    n = sum(len(t) for _, _, t, _ in cells)
    cens = sum(int((~np.asarray(e, bool)).sum()) for *_, e in cells)
    return dict(alpha=alpha, intercepts=intercepts, sigma=sigma, lo=lo, hi=hi, runs=n, censored=cens)


def share_ci(k: int, n: int) -> tuple[float, float]:
    """Exact (Clopper–Pearson) 95 % CI of a share k / n, for the rows that count runs."""
    if not n:
        return np.nan, np.nan
    ci = stats.binomtest(int(k), int(n)).proportion_ci(0.95)
    return float(ci.low), float(ci.high)

"""Chapter 5, one law or two: each paper's law tested on the other paper's network.

Paper 1 (arXiv 2606.13753) holds ‖W‖ at ρ·W_c and finds T_grok ∝ exp(α·ρ); paper 2 (arXiv 2603.13331) lets the
norm contract freely and finds T_grok − T_mem ≈ ln(V_mem / V_post) / (2ηλ). Most of the chapter reads runs other
chapters stored (chapter 1's free MLP runs, chapter 4's transformer runs). Two studies are new, and their
outcomes were predicted from the other paper's fit before they ran (`predict`, written to results/predictions/):

- "held transformer": paper 1's clamp on paper 2's transformer (LayerNorms and all), ‖θ‖ held at ρ·W_c from
  t_int on, W_c measured from chapter 4's free runs at the same modulus (which are the control: same seeds, same
  init and split);
- "MLP at a new λ": paper 1's MLP at a weight decay outside chapter 1's grid, whose delay paper 2's 1/(ηλ)
  timescale predicts from the grid.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..specs import RunSpec
from . import critical_norm
from .log_law import P2             # paper 2's transformer protocol, as chapter 4 runs it

@dataclass(frozen=True)
class OneLaw:
    # paper 1's clamp on paper 2's transformer
    p: int = 67
    lr: float = 1e-3
    wd: float = 1.0
    d_embed: int = 128
    hidden: int = 512
    batch_size: int = 512
    log_every: int = 200
    free_budget: int = 20_000                # chapter 4's budget: its free runs are this study's control
    stop_chance_steps: int = 5000
    free_seeds: int = 10
    rhos: tuple = (0.85, 1.00, 1.15, 1.30, 1.60, 2.20)   # 2.2·W_c ≈ the norm the free runs have at t_int
    t_int: int = 600                         # after every free seed has memorised (T_mem = 400 at p = 67)
    hold_seeds: int = 4
    hold_budget: int = 20_000                # ten times the free median T_grok
    # paper 2's timescale on paper 1's MLP: a weight decay outside chapter 1's lr × λ grid
    mlp_lr: float = 1e-3
    mlp_wd: float = 0.1
    mlp_seeds: int = 8
    chapter1: str = "book"                   # the chapter-1 preset whose runs this chapter reads

    def transformer(self) -> RunSpec:
        return RunSpec(**dict(P2, d_embed=self.d_embed, hidden=self.hidden, batch_size=self.batch_size,
                              log_every=self.log_every), p=self.p, lr=self.lr, wd=self.wd,
                       max_steps=self.free_budget, stop_chance_steps=self.stop_chance_steps)


PRESETS = {
    "quick": OneLaw(p=23, lr=3e-3, d_embed=32, hidden=64, batch_size=128, log_every=50, free_budget=2500,
                    stop_chance_steps=1000, free_seeds=2, rhos=(0.85, 1.15), t_int=200, hold_seeds=2,
                    hold_budget=2500, mlp_lr=6e-3, mlp_wd=0.5, mlp_seeds=2, chapter1="quick"),
    "book": OneLaw(),
    "paper": OneLaw(free_seeds=10, hold_seeds=10, chapter1="paper"),
}


def free(cfg: OneLaw) -> list[RunSpec]:
    return [cfg.transformer().replace(seed=s) for s in range(cfg.free_seeds)]


def wc(records: list[dict]) -> float:
    """Paper 1's W_c: the median over grokked seeds of ‖θ‖ at T_grok (nan when none grokked)."""
    vals = [r["summary"]["norm_at_grok"] for r in records if r is not None and r["summary"]["status"] == "grokked"]
    return float(np.median(vals)) if vals else math.nan


def held(cfg: OneLaw, w_c: float) -> list[RunSpec]:
    """‖θ‖ (every parameter: paper 2's V = Σθ²) held at ρ·W_c from t_int on; held runs stop at T_grok."""
    return [cfg.transformer().replace(seed=s, clamp_mode="hold", clamp_target=round(rho * w_c, 4), rho=rho,
                                      t_int=cfg.t_int, tail_steps=0, max_steps=cfg.hold_budget)
            for rho in cfg.rhos for s in range(cfg.hold_seeds)]


def mlp_grid(cfg: OneLaw) -> list[RunSpec]:
    """Chapter 1's lr × λ grid (paper 1's MLP), the runs the new-λ prediction is fitted on."""
    return critical_norm.plan(critical_norm.PRESETS[cfg.chapter1])["lr × λ"]


def mlp_new(cfg: OneLaw) -> list[RunSpec]:
    c1 = critical_norm.PRESETS[cfg.chapter1]
    return [c1.base().replace(p=c1.p_ref, frac=c1.frac_lr, lr=cfg.mlp_lr, wd=cfg.mlp_wd, seed=s)
            for s in range(cfg.mlp_seeds)]


def plan(cfg: OneLaw, store=None, free_records: list[dict] | None = None) -> dict:
    """{study: [RunSpec]}: the held arm is listed once the free runs (given, or read from `store`) give W_c."""
    out = {"free transformer": free(cfg), "MLP lr × λ grid": mlp_grid(cfg), "MLP at a new λ": mlp_new(cfg)}
    if free_records is None and store is not None:
        recs = [store.get(s) for s in out["free transformer"]]
        free_records = recs if all(r is not None for r in recs) else None
    if free_records is not None:
        w = wc(free_records)
        if math.isfinite(w):
            out["held transformer"] = held(cfg, w)
    return out


# ---- the measured quantities both laws speak of

def delay_eta_lam(records: list[dict]) -> np.ndarray:
    """(T_grok − T_mem)·ηλ per grokked run: paper 2's law makes it ln(V_mem/V_post)/2, a number of order one."""
    return np.array([(r["summary"]["t_grok"] - r["summary"]["t_mem"]) * r["spec"]["lr"] * r["spec"]["wd"]
                     for r in records if r is not None and r["summary"]["status"] == "grokked"])


def log_law_terms(record: dict) -> dict:
    """For one grokked run: the delay, and paper 2's prediction ln(V_mem/V_post)/(2ηλ) with V_post taken two ways:
    paper 2's own (V at the end of the run, which stops `tail_steps` after T_grok) and paper 1's (W_c², the
    run's own ‖W‖² at T_grok); also the peak of ‖W‖ after T_mem, where the MLP's norm turns to contract."""
    s, su, c = record["spec"], record["summary"], record["curves"]
    step, w = np.asarray(c["step"]), np.asarray(c["weight_norm"], dtype=float)
    el = s["lr"] * s["wd"]
    after = (step >= su["t_mem"]) & (step <= su["t_grok"])
    w_peak = float(w[after].max())
    return dict(delay=su["t_grok"] - su["t_mem"], eta_lam=el, after_grok=int(step[-1] - su["t_grok"]),
                pred_end=math.log(su["norm_at_mem"] ** 2 / w[-1] ** 2) / (2 * el),
                pred_wc=math.log(su["norm_at_mem"] ** 2 / su["norm_at_grok"] ** 2) / (2 * el),
                pred_peak=math.log(w_peak ** 2 / su["norm_at_grok"] ** 2) / (2 * el),
                norm_mem=su["norm_at_mem"], norm_peak=w_peak, norm_grok=su["norm_at_grok"], norm_end=float(w[-1]))


def predict(cfg: OneLaw, free_records: list[dict], grid_records: list[dict], alpha: float, ln_bound: float) -> dict:
    """The predictions this chapter's new runs are judged by, from stored runs only.

    Held transformer: paper 1's exponential law with its MLP exponent α, anchored at the free median T_grok
    (T(ρ) = T_free·exp(α(ρ − 1))); paper 1's LayerNorm result (the held norm moves T_grok at most `ln_bound`
    times); paper 2's contraction picture (a norm held above W_c never contracts to it: no grokking within the
    budget for ρ > 1; at or below W_c grokking as soon as the hold starts). MLP at a new λ: paper 2's timescale,
    delay = K/(ηλ), K the median over the grid's cells of the cell's median delay·ηλ, band its range."""
    w_c = wc(free_records)
    t_free = float(np.median([r["summary"]["t_grok"] for r in free_records if r["summary"]["status"] == "grokked"]))
    cells = {}
    for r in grid_records:
        if r is not None and r["summary"]["status"] == "grokked":
            cells.setdefault((r["spec"]["lr"], r["spec"]["wd"]), []).append(r)
    k_cells = {f"{lr:g}, {wd:g}": float(np.median(delay_eta_lam(v))) for (lr, wd), v in sorted(cells.items())}
    ks = np.array(list(k_cells.values()))
    el = cfg.mlp_lr * cfg.mlp_wd
    return {
        "held_transformer": {
            "p": cfg.p, "t_int": cfg.t_int, "budget": cfg.hold_budget, "wc": w_c, "t_free": t_free,
            "free_run_ids": [RunSpec(**r["spec"]).run_id for r in free_records],
            "paper1_exponential": {"alpha": alpha, "t_grok": {f"{rho:.2f}": t_free * math.exp(alpha * (rho - 1))
                                                              for rho in cfg.rhos}},
            "paper1_layernorm": {"max_ratio": ln_bound},
            "paper2_contraction": {"groks_above_wc": False, "t_grok_at_or_below_wc": cfg.t_int},
        },
        "mlp_new_lambda": {
            "lr": cfg.mlp_lr, "wd": cfg.mlp_wd, "k_cells": k_cells, "k": float(np.median(ks)),
            "delay": float(np.median(ks)) / el, "band": [float(ks.min()) / el, float(ks.max()) / el],
        },
    }


# ---- verdict rules, fixed before the new runs (prediction held / partly / failed)
PREDICTION_VERDICTS = ("held", "partly", "failed", "not measured")


def ratio_verdict(measured: float, predicted: float) -> str:
    """A predicted time: held within a factor 1.3 of the measured, partly within 2, else failed."""
    if measured is None or math.isnan(measured):
        return "not measured"
    r = abs(math.log(measured / predicted))          # a cell that never grokked (∞) fails
    return "held" if r <= math.log(1.3) else ("partly" if r <= math.log(2.0) else "failed")


def alpha_verdict(alpha: float, predicted: float) -> str:
    """A predicted exponent: held within 30 % of the measured slope, partly within a factor 2, else failed."""
    if alpha is None or not math.isfinite(alpha) or alpha <= 0:
        return "failed" if alpha is not None and math.isfinite(alpha) else "not measured"
    return ratio_verdict(alpha, predicted)


def bound_verdict(measured: float, bound: float) -> str:
    """'At most `bound`': held if measured ≤ bound, partly if ≤ 2·bound (∞, a cell that never grokked, fails)."""
    if measured is None or math.isnan(measured):
        return "not measured"
    return "held" if measured <= bound else ("partly" if measured <= 2 * bound else "failed")


def never_verdict(grokked: int, total: int) -> str:
    """'No grokking within the budget': held if none grokked, partly if at most a quarter did."""
    if total == 0:
        return "not measured"
    return "held" if grokked == 0 else ("partly" if grokked <= total / 4 else "failed")


def prediction_path(store, preset: str):
    return store.root / "predictions" / f"one_law_{preset}.json"


def write_predictions(cfg: OneLaw, preset: str, store, alpha: float, ln_bound: float):
    """Write `predict`'s numbers once, before any of the new runs exists, and never overwrite them; returns what
    the file holds (None while the runs they need are missing)."""
    import json

    path = prediction_path(store, preset)
    if path.exists():
        return json.loads(path.read_text())
    studies = plan(cfg, store)
    new = studies.get("held transformer", []) + studies["MLP at a new λ"]
    if "held transformer" not in studies or any(store.get(s) is None for s in studies["MLP lr × λ grid"]):
        return None
    if any(store.get(s) is not None for s in new):
        raise RuntimeError(f"{path} is missing but some of the runs it predicts are stored: a prediction must be "
                           "written before its runs exist")
    free_recs = [store.get(s) for s in studies["free transformer"]]
    grid_recs = [store.get(s) for s in studies["MLP lr × λ grid"]]
    out = predict(cfg, free_recs, grid_recs, alpha, ln_bound)
    out["new_run_ids"] = sorted(s.run_id for s in new)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    return out


# ---- the chapter's tables

def mlp_frame(records) -> "pd.DataFrame":
    """Paper 2's law on paper 1's MLP: one row per grokked free run, with `log_law_terms`."""
    import pandas as pd

    rows = [dict(p=r["spec"]["p"], frac=r["spec"]["frac"], lr=r["spec"]["lr"], wd=r["spec"]["wd"],
                 seed=r["spec"]["seed"], **log_law_terms(r))
            for r in records if r is not None and r["summary"]["status"] == "grokked"]
    return pd.DataFrame(rows).drop_duplicates()


def chapter2_arms(store, p: int = 59, frac: float = 0.4, lr: float = 1e-3, wd: float = 1.0, t_int: int = 500) -> dict:
    """Chapter 2's one-shot ('once') and sustained ('hold') arms of paper 1's MLP, read from the store by their
    spec: {mode: {rho: [record]}}."""
    out = {"once": {}, "hold": {}}
    for r in store.all():
        s = r["spec"]
        if (s["model"], s["task"], s["p"], s["frac"], s["lr"], s["wd"], s["layernorm"], s["t_int"]) == \
                ("mlp", "add", p, frac, lr, wd, False, t_int) and s["clamp_mode"] in out:
            out[s["clamp_mode"]].setdefault(s["rho"], []).append(r)
    return out


def cells(by_rho: dict, t_free: float) -> "pd.DataFrame":
    """Per ρ: seeds, grokked, median T_grok over the grokked seeds (paper 1's statistic), the Kaplan–Meier median
    (censored seeds kept at risk: ∞ when fewer than half grok) and the ratio of the KM median to the free median."""
    import pandas as pd
    from .. import fits

    rows = []
    for rho, recs in sorted(by_rho.items()):
        t = [r["summary"]["t_grok"] if r["summary"]["t_grok"] is not None else r["summary"]["steps_run"] for r in recs]
        e = [r["summary"]["t_grok"] is not None for r in recs]
        km = fits.km_median(t, e)
        rows.append(dict(rho=rho, seeds=len(recs), grokked=int(sum(e)), T_median=fits.cell_time(t, e), T_km=km,
                         budget=max(r["spec"]["max_steps"] for r in recs), ratio_to_free=km / t_free))
    return pd.DataFrame(rows)


def alpha_fit(by_rho: dict, rhos=None) -> dict:
    """Paper 1's delay-law slope: OLS of ln(median T_grok) on ρ (cells where a seed grokked), bootstrap 95 % CI."""
    from .. import fits

    cs = [(0, rho, [r["summary"]["t_grok"] or r["summary"]["steps_run"] for r in recs],
           [r["summary"]["t_grok"] is not None for r in recs])
          for rho, recs in sorted(by_rho.items()) if rhos is None or rho in rhos]
    return fits.shared_exp_fit(cs)


def wc_cells(df) -> "pd.DataFrame":
    """Paper 1's W_c statistic on a frame of runs (grok_core.store.frame): per (p, η, λ) cell, seeds, grokked, the
    median ‖θ‖ at T_grok over grokked seeds and its CV across them (%)."""
    import pandas as pd
    from .. import fits

    rows = []
    for (p, lr, wd), g in df.groupby(["p", "lr", "wd"], sort=True):
        ok = g[g.status == "grokked"].norm_at_grok.astype(float)
        rows.append(dict(p=p, lr=lr, wd=wd, seeds=len(g), grokked=len(ok), wc=float(ok.median()) if len(ok) else np.nan,
                         cv_pct=100 * fits.cv(ok) if len(ok) > 1 else np.nan))
    return pd.DataFrame(rows)


def norm_at_accuracy(record: dict, threshold: float, key: str = "test_acc") -> float:
    """‖θ‖ at the first logged step where `key` reaches `threshold` (nan if it never does): where along its
    contraction a free run's transition starts, not only where it ends."""
    from ..record import first_crossing

    c = record["curves"]
    t = first_crossing(c["step"], c[key], threshold)
    return math.nan if t is None else float(c["weight_norm"][int(np.searchsorted(c["step"], t))])

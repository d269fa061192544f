"""Chapter 3b, paper 1 §8 (arXiv 2606.13753; the authors' `src/run_parity.py`): does the norm law leave modular
arithmetic? Sparse parity (k = 3 of n = 30 bits, m = 1000 training examples, 2000 fresh test examples), MLP
n → 512 → 2 with GELU, full-batch AdamW, ‖W‖ and the clamp over W1 and W2, clamp from t_int = 1000.

Four studies: free runs across learning rates (W_c and its invariance), free runs across training-set sizes m
(paper 1's Table 2: the grokking norm drifts with m), free runs across weight decay at the reference learning
rate (the λ frontier of the authors' `src/run_parity_lambda.py`: λ 0.3 … 5, 50k steps), and the reference
learning rate's seeds held at ρ·W_c, with budgets min(cap, 4·T_free·e^{7.5(ρ−1)}) (at least `floor`), as in
chapter 2. The held study needs the free runs' W_c and T_free, so the plan lists it once they are stored."""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from .. import claims, fits, plots
from ..claims import concentration_verdict
from ..protocol import cell_table, grok_times, held_cell, min_seeds, record_stats, times
from ..specs import RunSpec


@dataclass(frozen=True)
class SparseParity:
    n_bits: int = 30                          # input bits n
    k_bits: int = 3                           # parity bits k
    n_train: int = 1000                       # training-set size m
    n_test: int = 2000                        # test-set size
    hidden: int = 512
    lr: float = 1e-3                          # reference learning rate (W_c, T_free and the holds)
    budget: int = 40_000
    tail_steps: int = 500
    seeds: int = 8
    lrs: tuple = (5e-4, 1e-3, 2e-3)
    # the free cells per learning rate run this many seeds (the paper's 16) for W_c's CV across lr; W_c and
    # T_free of the holds stay the first `seeds` seeds' at the reference lr (fixed before the others ran)
    lr_seeds: int = 16                        # seeds per learning-rate cell (paper 1's 16)
    n_trains: tuple = (600, 1000, 1500)       # training-set sizes m of the free runs (paper 1's)
    t_int: int = 1000
    rhos: tuple = (0.90, 1.00, 1.10, 1.20, 1.30)
    cap: int = 60_000
    floor: int = 10_000
    # the λ frontier (paper 1 §8; src/run_parity_lambda.py: these six λ at lr 1e-3, 16 seeds, 50k steps); its
    # λ = 1 cell is the free runs' reference cell (a grokked run answers any longer budget)
    lambdas: tuple = (0.3, 0.5, 1.0, 2.0, 3.0, 5.0)  # weight decays λ of the λ frontier (the authors' six)
    lambda_budget: int = 50_000               # step budget of the λ frontier

    def base(self) -> RunSpec:
        return RunSpec(task="parity", n_bits=self.n_bits, k_bits=self.k_bits, n_train=self.n_train,
                       n_test=self.n_test, hidden=self.hidden, lr=self.lr, max_steps=self.budget,
                       tail_steps=self.tail_steps)


PRESETS = {
    # CI smoke test: 12 bits, 300 examples, a narrow MLP
    "quick": SparseParity(n_bits=12, n_train=300, n_test=500, hidden=64, lr=3e-3, budget=3000, tail_steps=100,
                          seeds=2, lr_seeds=2, lrs=(3e-3, 6e-3, 1.2e-2), n_trains=(200, 300), t_int=100, rhos=(0.9, 1.1),
                          cap=3000, floor=1000, lambdas=(1.0, 2.0), lambda_budget=3000),
    # the book: the paper's task and model, 8 seeds per cell (the paper uses 16)
    "book": SparseParity(),
    # the authors' seeds and free-run budget (src/run_parity.py: 16 seeds, 50k steps); their clamp arms are ρ 0.90
    # and 1.30 only, their n = 20, 40 size scaling is not a study here
    "paper": SparseParity(seeds=16, budget=50_000),
}


def free(cfg: SparseParity) -> list[RunSpec]:
    return [cfg.base().replace(lr=lr, seed=s) for lr in cfg.lrs for s in range(max(cfg.seeds, cfg.lr_seeds))]


def lambda_frontier(cfg: SparseParity) -> list[RunSpec]:
    return [cfg.base().replace(wd=lam, max_steps=cfg.lambda_budget, seed=s) for lam in cfg.lambdas
            for s in range(cfg.seeds)]


def data_sizes(cfg: SparseParity) -> list[RunSpec]:
    return [cfg.base().replace(n_train=m, seed=s) for m in cfg.n_trains for s in range(cfg.seeds)]


def reference(cfg: SparseParity, free_records: list[dict]) -> tuple[float, float]:
    """(W_c, T_free): median ‖W‖ at T_grok and median T_grok over the grokked free seeds at the reference lr."""
    st = record_stats([r for r in free_records if r is not None and r["spec"]["lr"] == cfg.lr
                       and r["spec"]["seed"] < cfg.seeds])
    return st["wc"], st["t_free"]


def held(cfg: SparseParity, wc: float, t_free: float) -> list[RunSpec]:
    return [s for rho in cfg.rhos
            for s in held_cell(cfg.base(), range(cfg.seeds), wc, t_free, rho, cfg.t_int, cfg.cap, cfg.floor)]


def plan(cfg: SparseParity, store=None, free_records: list[dict] | None = None) -> dict:
    """{study: [RunSpec]}: the held study once the free runs (given, or read from `store`) give W_c and T_free."""
    out = {"free": free(cfg), "training-set size": data_sizes(cfg), "λ frontier": lambda_frontier(cfg)}
    if free_records is None and store is not None:
        recs = [store.get(s) for s in out["free"]]
        free_records = recs if all(r is not None for r in recs) else None
    if free_records is not None:
        out["held"] = held(cfg, *reference(cfg, free_records))
    return out


# ---------------------------------------------------------------------------------------------------------------
# The page: each function returns what one section of chapter 3b shows and glues (`values`: glue name -> value);
# the *_figure functions draw. Paper 1's figures come from grok_core.claims.

def free_table(cfg: SparseParity, free_df) -> dict:
    """The free runs per learning rate: W_c, its CV across seeds and across learning rates, and the times."""
    lr_ref = cfg.base().lr
    rows = []
    for lr, g in free_df.groupby("lr"):
        gk = g[g.status == "grokked"]
        med, lo, hi = fits.median_ci(gk.norm_at_grok)
        rows.append(dict(lr=lr, seeds=len(g), grokked=len(gk), wc=med, ci_lo=lo, ci_hi=hi,
                         cv_pct=100 * fits.cv(gk.norm_at_grok),
                         t_grok=float(np.median(gk.t_grok)) if len(gk) else np.nan,
                         t_mem=float(np.median(gk.t_mem)) if len(gk) else np.nan))
    by_lr = pd.DataFrame(rows, columns=["lr", "seeds", "grokked", "wc", "ci_lo", "ci_hi", "cv_pct", "t_grok", "t_mem"])
    # the holds' reference: the first `seeds` seeds at the reference lr (the extra lr seeds came later)
    ref = free_df[(free_df.lr == lr_ref) & (free_df.status == "grokked") & (free_df.seed < cfg.seeds)]
    values = dict(sp_wc=float(np.median(ref.norm_at_grok)) if len(ref) else np.nan,
                  sp_t_free=float(np.median(ref.t_grok)) if len(ref) else np.nan,
                  sp_cv_seed=100 * fits.cv(ref.norm_at_grok), sp_cv_lr=100 * fits.cv(by_lr.wc),
                  sp_lr_span=max(cfg.lrs) / min(cfg.lrs),
                  sp_t_span=float(by_lr.t_grok.max() / by_lr.t_grok.min()) if by_lr.t_grok.notna().any() else np.nan,
                  sp_wc_paper=claims.PAPER["parity_wc"]["value"], sp_lr_ref=lr_ref)
    return dict(df=free_df, ref=ref, values=values, table=by_lr.round({"wc": 3, "ci_lo": 3, "ci_hi": 3, "cv_pct": 2}))


def free_figure(d: dict, store):
    ok, ref, wc = d["df"][d["df"].status == "grokked"], d["ref"], d["values"]["sp_wc"]
    fig, (ax, ax_c) = plt.subplots(1, 2, figsize=(11, 3.8))
    plots.strip(data=ok, x="lr", y="norm_at_grok", ax=ax, color=plots.OURS, alpha=0.6, size=4)
    ax.axhline(claims.PAPER["parity_wc"]["value"], color=plots.PAPER, ls="--", label="paper 1: Wc")
    if np.isfinite(wc):
        ax.axhline(wc, color=plots.OURS, lw=1, label=f"ours: Wc at lr {d['values']['sp_lr_ref']:g}")
    ax.set(xlabel="learning rate", ylabel="‖W‖ at $T_\\mathrm{grok}$",
           title="The grokking norm across seeds and learning rates")
    ax.legend()
    if len(ref):
        rec = store.load(ref.iloc[(ref.t_grok - ref.t_grok.median()).abs().argsort().iloc[0]].run_id)
        c, s = rec["curves"], rec["summary"]
        step = c["step"].clip(min=1)
        ax_c.plot(step, c["weight_norm"], color="black", label="‖W‖")
        ax_c.axhline(wc, color="grey", ls="--", lw=0.8, label="Wc")
        ax2 = ax_c.twinx()
        ax2.plot(step, c["train_acc"], "--", color=plots.OURS, label="train acc")
        ax2.plot(step, c["test_acc"], color="tab:green", label="test acc")
        ax2.grid(False)
        ax2.set_ylabel("accuracy")
        for t in (s["t_mem"], s["t_grok"]):
            ax_c.axvline(t, color="grey", ls=":", lw=0.8)
        ax_c.set(xscale="log", xlabel="step", ylabel="‖W‖", title=f"A typical run (seed {rec['spec']['seed']})")
        ax_c.legend(loc="upper left")
        ax2.legend(loc="center left")
    fig.tight_layout()
    return fig


def clamped(cfg: SparseParity, clamp_df) -> dict:
    """The held cells against paper 1's, α two ways, and the spread from the lowest to the highest ρ."""
    pt = claims.PAPER["parity_t"]["value"]
    tab = cell_table(clamp_df, ["rho"]).drop(columns="censored")
    tab["paper"] = [pt.get(round(r, 2), np.nan) for r in tab.rho]
    cells = [(0, rho, *times(g)) for rho, g in clamp_df.groupby("rho")]
    med = fits.shared_exp_fit(cells, method="median", n_boot=1000)
    cen = fits.censored_exp_fit(cells, n_boot=500)
    lo_rho, hi_rho = min(cfg.rhos), max(cfg.rhos)

    def t_at(r):
        hit = np.isclose(tab.rho, r)
        return float(tab.loc[hit, "T_median"].iloc[0]) if hit.any() else np.nan

    values = dict(sp_alpha_add=claims.PAPER["alpha_shared"]["value"], sp_alpha=med["alpha"], sp_alpha_lo=med["lo"], sp_alpha_hi=med["hi"], sp_r2=med["r2"],
                  sp_alpha_cen=cen["alpha"], sp_alpha_cen_lo=cen["lo"], sp_alpha_cen_hi=cen["hi"],
                  sp_ratio=t_at(hi_rho) / t_at(lo_rho), sp_ratio_paper=pt[max(pt)] / pt[min(pt)],
                  sp_t_lo=t_at(lo_rho), sp_t_hi=t_at(hi_rho), sp_rho_lo=lo_rho, sp_rho_hi=hi_rho,
                  sp_censored=int((clamp_df.status == "censored").sum()), sp_t_int=cfg.t_int)
    return dict(df=clamp_df, tab=tab, fit=med, t_at=t_at, values=values, table=tab.round(1))


def clamped_figure(cfg: SparseParity, d: dict, t_free: float):
    tab, fit = d["tab"], d["fit"]
    fig, ax = plt.subplots(figsize=(6.2, 4))
    if len(tab):
        ax.errorbar(tab.rho, tab.T_median, yerr=[tab.T_median - tab.ci_lo, tab.ci_hi - tab.T_median], fmt="o",
                    color=plots.OURS, capsize=3, label="ours: median of grokked (95 % CI)")
        ok = d["df"][d["df"].status == "grokked"]
        ax.scatter(ok.rho, ok.t_grok, s=8, color=plots.OURS, alpha=0.35, label="ours: single runs")
        if np.isfinite(fit["alpha"]):
            rr = np.linspace(min(cfg.rhos), max(cfg.rhos), 30)
            ax.plot(rr, np.exp(fit["intercepts"][0] + fit["alpha"] * rr), color=plots.OURS, lw=1,
                    label=f"fit: α = {fit['alpha']:.2f}")
    ax.axhline(t_free, color="grey", ls=":", label="free runs (median)")
    pt = claims.PAPER["parity_t"]["value"]
    ax.plot(list(pt), list(pt.values()), "x", color=plots.PAPER, ms=9, label="paper 1")
    ax.set(yscale="log", xlabel="held norm ρ (× Wc)", ylabel="$T_\\mathrm{grok}$ (steps)", title="Sparse parity under the clamp")
    ax.yaxis.set_major_locator(LogLocator(subs=(1, 1.5, 2, 3, 4, 6, 8)))
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.legend()
    fig.tight_layout()
    return fig


def frontier(cfg: SparseParity, lam_df, cl: dict, wc: float) -> dict:
    """The λ frontier: per λ the median ‖W‖ at T_grok (its CI over seeds) and median T_grok beside the authors'
    cells; the two Table 2 answers it gives by the rules in claims; the slope of ln W_c on ln λ with a CI from seeds
    resampled within cells, beside the same slope of the authors' medians."""
    P = claims.PAPER["parity_lambda"]
    rows, wc_by_lam, front = [], {}, []
    for lam in cfg.lambdas:
        g = lam_df[np.isclose(lam_df.wd, lam)] if len(lam_df) else lam_df
        ok = g[g.status == "grokked"] if len(g) else g
        med, lo, hi = fits.median_ci(ok.norm_at_grok) if len(ok) else (np.nan, np.nan, np.nan)
        t = float(np.median(ok.t_grok)) if len(ok) else np.nan
        enough = len(g) > 0 and len(ok) >= len(g) / 2
        if enough:
            wc_by_lam[lam] = med
            front.append((med, t))
        rows.append(dict(wd=lam, seeds=len(g), grokked=len(ok), wc=med, ci_lo=lo, ci_hi=hi, t_grok=t,
                         budget=int(g.max_steps.max()) if len(g) else cfg.lambda_budget,
                         paper_wc=P["value"].get(lam, np.nan), paper_t=P["t_grok"].get(lam, np.nan),
                         paper_grokked=f"{P['grokked'].get(lam, 0)} of {P['seeds']}" if lam in P["grokked"] else "—"))
    tab = pd.DataFrame(rows)
    held = [(r.rho * wc, r.T_median) for r in cl["tab"].itertuples()] if np.isfinite(wc) else []
    set_by = claims.set_by_weight_decay(wc_by_lam)
    unreachable, cmp = claims.on_frontier(front, held)
    lams = sorted(wc_by_lam)
    cells = [lam_df[np.isclose(lam_df.wd, lam) & (lam_df.status == "grokked")].norm_at_grok.to_numpy(float)
             for lam in lams]
    slope = fits.ols(np.log(lams), np.log([wc_by_lam[x] for x in lams]))[0] if len(lams) >= 2 else np.nan
    s_lo, s_hi = (fits.cell_bootstrap(cells, lambda cs: fits.ols(np.log(lams), np.log([np.median(c) for c in cs]))[0])
                  if len(lams) >= 2 else (np.nan, np.nan))
    pl = sorted(P["value"])
    paper_slope = fits.ols(np.log(pl), np.log([P["value"][x] for x in pl]))[0]
    ratio = wc_by_lam[lams[0]] / wc_by_lam[lams[-1]] if len(lams) >= 2 else np.nan
    complete = len(lam_df) == len(cfg.lambdas) * cfg.seeds
    values = dict(sp_lam_set_by=set_by if complete else "not measured", sp_lam_ratio=ratio,
                  sp_lam_ratio_paper=P["value"][pl[0]] / P["value"][pl[-1]],
                  sp_lam_unreachable=unreachable if complete else "not measured",
                  sp_lam_slope=slope, sp_lam_slope_lo=s_lo, sp_lam_slope_hi=s_hi, sp_lam_slope_paper=paper_slope,
                  sp_lam_runs=len(lam_df), sp_lam_grid=len(cfg.lambdas) * cfg.seeds,
                  sp_lam_list=", ".join(f"{x:g}" for x in cfg.lambdas), sp_lam_budget=cfg.lambda_budget,
                  sp_lam_span=f"{lams[0]:g}–{lams[-1]:g}" if lams else "—",
                  sp_lam_held_off=sum(1 for w, t, f in cmp if not 1 / claims.ON_FRONTIER <= t / f <= claims.ON_FRONTIER),
                  sp_lam_held_n=len(cmp), sp_lam_factor=claims.ON_FRONTIER, sp_lam_min_ratio=claims.FRONTIER_MIN_RATIO,
                  sp_lam_worst=max((t / f for w, t, f in cmp), default=np.nan, key=lambda r: abs(np.log(r))))
    table = tab.rename(columns={"paper_wc": "paper Wc", "paper_t": "paper T_grok", "paper_grokked": "paper grokked"})
    return dict(tab=tab, front=front, held=held, cmp=cmp, values=values, table=table, complete=complete,
                slope=dict(alpha=slope, lo=s_lo, hi=s_hi), paper_slope=paper_slope,
                n=min_seeds(lam_df, "wd"))


def frontier_figure(d: dict):
    P = claims.PAPER["parity_lambda"]
    tab = d["tab"]
    fig, (ax, ax_f) = plt.subplots(1, 2, figsize=(10, 3.8))
    ok = tab[tab.wc.notna()]
    ax.errorbar(ok.wd, ok.wc, yerr=[ok.wc - ok.ci_lo, ok.ci_hi - ok.wc], fmt="o-", color=plots.OURS, capsize=3,
                label="ours: median, 95 % CI")
    ax.plot(list(P["value"]), list(P["value"].values()), "x--", color=plots.PAPER, ms=8, label="paper 1's data")
    ax.set(xscale="log", xlabel="weight decay λ", ylabel=r"‖W‖ at $T_\mathrm{grok}$",
           title="Weight decay sets the grokking norm")
    ax.legend()
    if d["front"]:
        w, t = zip(*sorted(d["front"]))
        ax_f.plot(w, t, "o-", color=plots.OURS, label="free runs across λ (the frontier)")
    pw = sorted(P["value"])
    ax_f.plot([P["value"][x] for x in pw], [P["t_grok"][x] for x in pw], "x--", color=plots.PAPER, ms=8,
              label="paper 1's frontier (its data)")
    if d["held"]:
        hw, ht = zip(*d["held"])
        ax_f.plot(hw, ht, "s", color="#2a9d8f", ms=7,
                  label="held at ρ·Wc (λ = 1)")
    ax_f.set(yscale="log", xlabel=r"‖W‖ at $T_\mathrm{grok}$ (held: ρ·Wc)", ylabel=r"median $T_\mathrm{grok}$ (steps)",
             title="The clamp lies on the frontier")
    ax_f.legend(fontsize=8)
    fig.tight_layout()
    return fig


def transfer(cfg: SparseParity, fr: dict, m_df, fl: dict | None = None) -> dict:
    """Paper 1's Table 2 row for parity, property by property, beside ours."""
    by_m = m_df[m_df.status == "grokked"].groupby("n_train").agg(wc=("norm_at_grok", "median"), t_grok=("t_grok", "median"))
    complete = len(m_df) == len(cfg.n_trains) * cfg.seeds            # judged on the whole study only
    cv_m = 100 * fits.cv(by_m.wc) if len(by_m) >= 2 and complete else np.nan
    df = fr["df"]
    n_ok = int((df.status == "grokked").sum())
    cv_lr, t_span = fr["values"]["sp_cv_lr"], fr["values"]["sp_t_span"]
    ours = {"grokking occurs": ("yes" if n_ok / max(len(df), 1) >= 0.5 else "no", f"{n_ok} of {len(df)} free runs"),
            "norm at grok set by weight decay": (
                fl["values"]["sp_lam_set_by"], f"median ‖W‖ falls {fl['values']['sp_lam_ratio']:.2f}-fold over "
                f"λ {fl['values']['sp_lam_span']} (the λ that grokked)") if fl and fl["complete"] else
                ("not measured", "needs free runs across λ"),
            "norm at grok invariant to learning rate": (claims.invariant(cv_lr) if np.isfinite(t_span) and t_span >= 1.5
                                                        else "not measured",
                                                        f"CV {cv_lr:.1f} % across lr while T moves {t_span:.1f}x"),
            "norm at grok invariant to data amount": (claims.invariant(cv_m),
                                                      f"CV {cv_m:.1f} % across m = {', '.join(map(str, cfg.n_trains))}"),
            "reg.-unreachable above-norm delay": (
                fl["values"]["sp_lam_unreachable"], f"{fl['values']['sp_lam_held_off']} of "
                f"{fl['values']['sp_lam_held_n']} held cells off the frontier by more than {claims.ON_FRONTIER:g}x")
                if fl and fl["complete"] else ("not measured", "needs free runs across λ to draw the frontier")}
    paper = claims.PAPER["parity_transfer"]["value"]
    tab = pd.DataFrame([{"property": k, "paper 1": paper[k], "ours": a, "measured": m} for k, (a, m) in ours.items()])
    m_cells = [g.norm_at_grok.to_numpy(float) for _, g in m_df[m_df.status == "grokked"].groupby("n_train")]
    return dict(table=tab.set_index("property"), paper=paper, m_cells=m_cells if complete else [],
                free_counts=(n_ok, len(df)), m_seeds=int(m_df.groupby("n_train").size().min()) if len(m_df) else 0,
                values={"sp_cv_m": cv_m, "sp_m_wc": ", ".join(f"{w:.1f} (m = {m})" for m, w in by_m.wc.items())})


def score(fr: dict, cl: dict, tr: dict, fl: dict | None = None) -> list[dict]:
    """The chapter's scorecard rows by the rules fixed before the runs, each with our 95 % CI (seeds resampled
    within cells) and 'not resolved' where it reaches across the rule's line (added after the runs). A Table 2
    row measured by a CV is judged by chapter 1's concentration rule on that CV, its CI included."""
    P = claims.PAPER
    wc, t_at, tab, paper = fr["values"]["sp_wc"], cl["t_at"], tr["table"], tr["paper"]
    ref, free, held = fr["ref"], fr["df"], cl["tab"]

    _, w_lo, w_hi = fits.median_ci(ref.norm_at_grok) if len(ref) else (np.nan, np.nan, np.nan)
    rows = [dict(claim="parity Wc (free runs)", key="parity_wc", paper=f"{P['parity_wc']['value']}", ours=f"{wc:.2f}",
                 **claims.judged(claims.verdict, wc, w_lo, w_hi, len(ref), "parity_wc", P["parity_wc"]["value"]))]
    for r, v in P["parity_t"]["value"].items():
        hit = held[np.isclose(held.rho, r)]
        lo, hi = (float(hit.ci_lo.iloc[0]), float(hit.ci_hi.iloc[0])) if len(hit) else (np.nan, np.nan)
        n = int(hit.seeds.iloc[0]) if len(hit) else 0
        rows.append(dict(claim=f"parity median T_grok held at ρ = {r}", key="parity_t", claim_id=f"parity_t {r}",
                         paper=f"{v:,.0f}", ours=f"{t_at(r):,.0f}",
                         **claims.judged(claims.verdict, t_at(r), lo, hi, n, "parity_t", v, fmt=",.0f")))
    # post hoc (added after the runs): the delay law's slope on parity, through the same two cells as the
    # paper's figure, with our five-cell fit beside it
    c_df = cl["df"]
    t_lo, t_hi = (grok_times(c_df[np.isclose(c_df.rho, r)]) for r in (0.90, 1.30))
    if len(t_lo) and len(t_hi):
        slope = lambda cs: float(np.log(fits._med(cs[1]) / fits._med(cs[0])) / 0.40)
        a2 = slope([t_lo, t_hi])
        lo, hi = fits.cell_bootstrap([t_lo, t_hi], slope)
        pa = P["parity_alpha"]["value"]
        rows.append(dict(claim="parity: slope of ln T_grok on ρ between ρ 0.90 and 1.30 (post hoc; our fit over all "
                               f"five ρ: {cl['fit']['alpha']:.2f})", key="parity_alpha",
                         paper=f"{pa:.2f} (its two cells; modular addition ≈ 7.5)", ours=f"{a2:.2f}",
                         **claims.judged_exponent(dict(alpha=a2, lo=lo, hi=hi), pa, min(len(t_lo), len(t_hi)),
                                                  "parity_alpha")))
    ok = free[free.status == "grokked"]
    lr_cells = [g.norm_at_grok.to_numpy(float) for _, g in ok.groupby("lr")]
    cv_lo, cv_hi = (fits.cell_bootstrap(lr_cells, lambda cs: 100 * fits.cv([np.median(c) for c in cs]))
                    if len(lr_cells) >= 2 else (np.nan, np.nan))
    cv_lr = fr["values"]["sp_cv_lr"]
    for f in tab.index:
        row = dict(claim=f"Table 2, parity: {f}", key="parity_transfer", claim_id=f"parity_transfer {f}", paper=paper[f],
                   ours=tab.loc[f, "ours"], verdict=claims.answer_verdict(tab.loc[f, "ours"], paper[f]),
                   seeds=claims.seeds(min_seeds(ok, "lr"), "parity_wc")
                   if tab.loc[f, "ours"] != "not measured" else "—")
        if f == "norm at grok invariant to learning rate" and row["verdict"] != "not measured":
            j = claims.judged(concentration_verdict, cv_lr, cv_lo, cv_hi, min_seeds(ok, "lr"),
                              "parity_transfer", fmt=".1f", unit=" %")
            row.update(ours=f"{row['ours']} (CV {cv_lr:.1f} %)", ci=j["ci"], seeds=j["seeds"], registered=row["verdict"],
                       verdict=j["verdict"] if j["verdict"] == "not resolved" else row["verdict"])
        # CIs added after the runs: the share of free runs that grokked (exact binomial), the CV across m (seeds
        # resampled within each m, judged by the same concentration rule as the lr row); the two λ-frontier rows
        # are yes/no readings of the frontier, whose own row (below) carries the CI
        if f == "grokking occurs" and row["verdict"] != "not measured":
            k, n_all = tr["free_counts"]
            row["ci"] = claims.ci_text(*fits.share_ci(k, n_all)) + " of free runs grokking"
        if f == "norm at grok invariant to data amount" and row["verdict"] != "not measured" and tr["m_cells"]:
            cv_m = tr["values"]["sp_cv_m"]
            m_lo, m_hi = fits.cell_bootstrap(tr["m_cells"], lambda cs: 100 * fits.cv([np.median(c) for c in cs]))
            j = claims.judged(concentration_verdict, cv_m, m_lo, m_hi, tr["m_seeds"], None, fmt=".1f", unit=" %")
            row.update(ci=j["ci"], registered=row["verdict"],
                       verdict=j["verdict"] if j["verdict"] == "not resolved" else row["verdict"])
        if f in ("norm at grok set by weight decay", "reg.-unreachable above-norm delay") and row["verdict"] != \
                "not measured":
            row["ci"] = "(a reading of the λ frontier: its row below carries the CI)"
        rows.append(row)
    if fl and fl["complete"]:
        rows.append(dict(claim=f"parity: Wc across λ, slope of ln Wc on ln λ (λ {fl['values']['sp_lam_list']})",
                         key="parity_lambda", paper=f"{fl['paper_slope']:.3f} (its data; the text: 'a clean monotone "
                         "frontier')", ours=f"{fl['slope']['alpha']:.3f}",
                         **claims.judged_exponent(fl["slope"], fl["paper_slope"], fl["n"], "parity_lambda", fmt=".3f")))
    return rows

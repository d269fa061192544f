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

import dataclasses
import datetime
import hashlib
import json
import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import claims, fits, plots, sweep
from ..claims import (alpha_verdict, at_least_verdict, bound_verdict, never_verdict,  # noqa: F401 (rules live
                      ratio_verdict)                                                  # in claims)
from ..models import build, clamp_names
from ..protocol import record_stats
from ..record import first_crossing
from ..specs import RunSpec
from . import critical_norm, pinned_norm
from . import log_law              # paper 2's transformer protocol, as chapter 4 runs it

@dataclass(frozen=True)
class OneLaw:
    # paper 1's clamp on paper 2's transformer
    p: int = 67                               # modulus of the held transformer
    lr: float = 1e-3
    wd: float = 1.0
    d_embed: int = 128
    hidden: int = 512
    batch_size: int = 512
    log_every: int = 200
    free_budget: int = 20_000                 # step budget of the free runs (chapter 4's: the control)
    stop_chance_steps: int = 5000
    free_seeds: int = 10
    rhos: tuple = (0.85, 1.00, 1.15, 1.30, 1.60, 2.20)  # held norms ρ × W_c (2.2·W_c ≈ the free runs' norm at t_int)
    t_int: int = 600                          # step from which the norm is held (after every free seed memorised)
    hold_seeds: int = 4
    hold_budget: int = 20_000                 # step budget of a held run (ten times the free median T_grok)
    # paper 2's timescale on paper 1's MLP: a weight decay outside chapter 1's lr × λ grid
    mlp_lr: float = 1e-3
    mlp_wd: float = 0.1                       # the MLP's new weight decay λ, outside chapter 1's grid
    mlp_seeds: int = 8                        # seeds of the predicted MLP runs
    # seeds added to that cell after its row came out 'not resolved': the same prediction, written before them,
    # scores them all
    mlp_more_seeds: int = 16                  # seeds of that cell once more seeds were added
    chapter1: str = "book"                    # chapter 1's preset, whose runs this chapter reads
    chapter2: str = "book"                    # chapter 2's preset, whose one-shot and hold arms the bridge reads
    chapter4: str = "book"                    # chapter 4's preset, whose transformer runs section 2 reads
    # paper 2's clock outside the grid's ηλ (9e-5 … 9e-3): (η, λ) cells predicted before their runs, in a
    # prediction file of their own (`range_prediction_path`)
    range_cells: tuple = ((1e-3, 10.0), (3e-3, 10.0))  # (η, λ) cells outside the grid's ηλ, predicted first
    range_seeds: int = 16
    range_budget: int = 20_000                # step budget (the out-of-range cells)
    # which path carries the held norm: the same hold on one part of the transformer at a time, at ρ times that
    # part's own W_c (the median of its norm at T_grok over the free runs): "body", every tensor up to and
    # including the second LayerNorm (all of it feeds the final LayerNorm, whose output does not change when its
    # input is scaled), and "readout", the final LayerNorm's affine weights and the head, which scale the logits.
    # Predicted in a file of their own (`path_prediction_path`) before their runs.
    path_groups: tuple = ("body", "readout")  # parts held one at a time: body, readout
    path_rhos: tuple = (0.85, 1.30)
    path_seeds: int = 4
    path_budget: int = 20_000                 # step budget (holds of one part)
    # seeds added to the readout's cells after its row came out 'not resolved' at 4 seeds: the same prediction,
    # written before them, scores them all (as for the new-λ MLP cell)
    path_more: tuple = ("readout",)           # parts given `path_more_seeds` seeds
    path_more_seeds: int = 12                 # seeds of those parts

    def transformer(self) -> RunSpec:
        return log_law.transformer(self, self.p, self.lr, self.free_budget, wd=self.wd)


PRESETS = {
    "quick": OneLaw(p=23, lr=6e-3, d_embed=32, hidden=64, batch_size=128, log_every=50, free_budget=1600,
                    stop_chance_steps=1000, free_seeds=2, rhos=(0.85, 1.15), t_int=200, hold_seeds=2,
                    hold_budget=1000, mlp_lr=6e-3, mlp_wd=0.5, mlp_seeds=2, mlp_more_seeds=2, range_cells=((6e-3, 5.0),), range_seeds=2,
                    range_budget=1500, path_seeds=2, path_budget=1000, path_more_seeds=3, chapter1="quick",
                    chapter2="quick", chapter4="quick"),
    "book": OneLaw(),
    "paper": OneLaw(free_seeds=10, hold_seeds=10, chapter1="paper", chapter2="paper", chapter4="paper"),
}


def free(cfg: OneLaw) -> list[RunSpec]:
    return [cfg.transformer().replace(seed=s) for s in range(cfg.free_seeds)]


def wc(records: list[dict]) -> float:
    """Paper 1's W_c of the free transformer runs (`protocol.record_stats`)."""
    return record_stats(records)["wc"]


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


def mlp_more(cfg: OneLaw) -> list[RunSpec]:
    """The new-λ cell's seeds past the predicted ones (run after the prediction, which they are scored by)."""
    return [s.replace(seed=k) for s in mlp_new(cfg)[:1] for k in range(cfg.mlp_seeds, cfg.mlp_more_seeds)]


def mlp_range(cfg: OneLaw) -> list[RunSpec]:
    """Paper 1's MLP at ηλ outside chapter 1's grid: the cells of `range_cells`, `range_seeds` seeds each."""
    c1 = critical_norm.PRESETS[cfg.chapter1]
    return [c1.base().replace(p=c1.p_ref, frac=c1.frac_lr, lr=lr, wd=wd, seed=s, max_steps=cfg.range_budget)
            for lr, wd in cfg.range_cells for s in range(cfg.range_seeds)]


def part_wc(records: list[dict], group: str) -> float:
    """W_c of one part of the model (a clamp group), from the stored per-tensor norm curves
    (`protocol.record_stats`)."""
    ok = [r for r in records if r is not None]
    return record_stats(ok, clamp_names(build(RunSpec.from_dict(ok[0]["spec"])), group))["wc"] if ok else math.nan


def by_path(cfg: OneLaw, wcs: dict) -> list[RunSpec]:
    """One part of the transformer (`path_groups`) held at ρ·(that part's W_c) from t_int on, the free runs' seeds."""
    return [cfg.transformer().replace(seed=s, clamp_mode="hold", clamp_group=g, clamp_target=round(rho * wcs[g], 4),
                                      rho=rho, t_int=cfg.t_int, tail_steps=0, max_steps=cfg.path_budget)
            for g in cfg.path_groups for rho in cfg.path_rhos for s in range(cfg.path_seeds)]


def by_path_more(cfg: OneLaw, wcs: dict) -> list[RunSpec]:
    """The `path_more` parts' cells past the predicted seeds, up to `path_more_seeds` per cell."""
    return [s.replace(seed=k) for s in by_path(cfg, wcs) if s.clamp_group in cfg.path_more and s.seed == 0
            for k in range(cfg.path_seeds, cfg.path_more_seeds)]


PREDICTED = ("held transformer", "MLP at a new λ", "MLP at a new λ, more seeds")
RANGE = "MLP outside the grid's ηλ"      # predicted in its own file, written after the first predictions
PATHS = "transformer held by path"       # predicted in its own file too
PATHS_MORE = "transformer held by path, more seeds"
CHOICES = {"chapter1": tuple(critical_norm.PRESETS), "chapter2": tuple(pinned_norm.PRESETS),
           "chapter4": tuple(log_law.PRESETS)}     # fields whose value names something: checked by coerce


CH1_STUDIES = ("fractions", "moduli", "lr × λ", "held-out modulus")     # chapter 1's runs section 1 reads
CH4_STUDIES = ("λ sweep", "η×λ grid", "moduli", "η sweep")              # chapter 4's runs section 2 reads


def chapter1_runs(cfg: OneLaw, store=None) -> dict:
    """Chapter 1's free MLP runs that section 1 reads, as chapter 1's own plan stages them (given a store, its
    held-out modulus only once that chapter's prediction is written)."""
    return {k: v for k, v in critical_norm.plan(critical_norm.PRESETS[cfg.chapter1], store).items() if k in CH1_STUDIES}


def chapter4_runs(cfg: OneLaw) -> dict:
    """Chapter 4's free transformer runs that section 2 reads, by study."""
    planned = log_law.plan(log_law.PRESETS[cfg.chapter4])
    return {k: planned[k] for k in CH4_STUDIES}


def plan(cfg: OneLaw, store=None, free_records: list[dict] | None = None, gate: bool = True) -> dict:
    """{study: [RunSpec]}: the held arm is listed once the free runs (given, or read from `store`) give W_c.
    The predicted studies (and chapter 1's held-out modulus, which this chapter reads) are, given a store, listed
    only once their prediction file exists there (`preregister` writes it), so that no runner trains them first;
    `gate=False` lists this chapter's regardless (for the writer of the predictions itself)."""
    out = {"chapter 1's MLP runs": [s for v in chapter1_runs(cfg, store).values() for s in v],
           "chapter 4's transformer runs": [s for v in chapter4_runs(cfg).values() for s in v],
           "free transformer": free(cfg), "MLP lr × λ grid": mlp_grid(cfg), "MLP at a new λ": mlp_new(cfg),
           "MLP at a new λ, more seeds": mlp_more(cfg), RANGE: mlp_range(cfg)}
    if free_records is None and store is not None:
        recs = [store.get(s) for s in out["free transformer"]]
        free_records = recs if all(r is not None for r in recs) else None
    if free_records is not None:
        w = wc(free_records)
        if math.isfinite(w):
            out["held transformer"] = held(cfg, w)
        wcs = {g: part_wc(free_records, g) for g in cfg.path_groups}
        if all(math.isfinite(v) for v in wcs.values()):
            out[PATHS] = by_path(cfg, wcs)
            out[PATHS_MORE] = by_path_more(cfg, wcs)
    if gate and store is not None and not prediction_path(store, nearest_preset(cfg), cfg).exists():
        out = {k: v for k, v in out.items() if k not in PREDICTED}
    if gate and store is not None and not range_prediction_path(store, nearest_preset(cfg), cfg).exists():
        out.pop(RANGE, None)
    if gate and store is not None and not path_prediction_path(store, nearest_preset(cfg), cfg).exists():
        out.pop(PATHS, None)
        out.pop(PATHS_MORE, None)
    return out


def nearest_preset(cfg: OneLaw) -> str:
    """The preset a configuration is, or differs least from (what its prediction file is named after)."""
    return min(PRESETS, key=lambda k: sum(getattr(cfg, f.name) != getattr(PRESETS[k], f.name)
                                          for f in dataclasses.fields(cfg)))


def preregister(cfg: OneLaw, store) -> None:
    """Before each round of a runner (studies.run): write the predictions as soon as the runs they rest on are
    stored, so that the predicted studies are planned only after them."""
    critical_norm.preregister(critical_norm.PRESETS[cfg.chapter1], store)     # chapter 1's, whose runs we read
    write_predictions(cfg, nearest_preset(cfg), store, claims.PAPER["alpha_shared"]["value"],
                      claims.PAPER["attn_ln_hold_max"]["value"])
    write_range_predictions(cfg, nearest_preset(cfg), store)
    write_path_predictions(cfg, nearest_preset(cfg), store, claims.PAPER["attn_ln_hold_max"]["value"])


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


def grid_k(grid_records: list[dict]) -> tuple[dict, dict]:
    """Chapter 1's grid by (η, λ) cell (grokked runs only), and each cell's K: the median of delay·ηλ."""
    cells = {}
    for r in grid_records:
        if r is not None and r["summary"]["status"] == "grokked":
            cells.setdefault((r["spec"]["lr"], r["spec"]["wd"]), []).append(r)
    return cells, {f"{lr:g}, {wd:g}": float(np.median(delay_eta_lam(v))) for (lr, wd), v in sorted(cells.items())}


def predict(cfg: OneLaw, free_records: list[dict], grid_records: list[dict], alpha: float, ln_bound: float) -> dict:
    """The predictions this chapter's new runs are judged by, from stored runs only.

    Held transformer: paper 1's exponential law with its MLP exponent α, anchored at the free median T_grok
    (T(ρ) = T_free·exp(α(ρ − 1))); paper 1's LayerNorm result (the held norm moves T_grok at most `ln_bound`
    times); paper 2's contraction picture (a norm held above W_c never contracts to it: no grokking within the
    budget for ρ > 1; at or below W_c grokking as soon as the hold starts). MLP at a new λ: paper 2's timescale,
    delay = K/(ηλ), K the median over the grid's cells of the cell's median delay·ηλ, band its range."""
    w_c = wc(free_records)
    t_free = record_stats(free_records)["t_free"]
    _, k_cells = grid_k(grid_records)
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
PREDICTION_VERDICTS = ("held", "partly", "failed", "not resolved", "not measured")   # 'not resolved': added after the runs


def prediction_path(store, preset: str, cfg: OneLaw | None = None):
    """The preset's prediction file; a configuration that differs from the preset (another ρ grid, modulus, …)
    gets a file of its own, named by a hash of what differs, so that its predictions too are written before its
    runs."""
    tag = ""
    base = PRESETS.get(preset)
    if cfg is not None and cfg != base:
        changed = sorted((f.name, getattr(cfg, f.name)) for f in dataclasses.fields(cfg)
                         if base is None or getattr(cfg, f.name) != getattr(base, f.name))
        tag = "_" + hashlib.sha1(repr(changed).encode()).hexdigest()[:8]
    return store.root / "predictions" / f"one_law_{preset}{tag}.json"


def range_prediction_path(store, preset: str, cfg: OneLaw | None = None):
    """The out-of-range cells' prediction file, beside the chapter's first one."""
    p = prediction_path(store, preset, cfg)
    return p.with_name(p.stem + "_range.json")


def path_prediction_path(store, preset: str, cfg: OneLaw | None = None):
    """The by-path holds' prediction file, beside the chapter's first one."""
    p = prediction_path(store, preset, cfg)
    return p.with_name(p.stem + "_paths.json")


def predict_paths(cfg: OneLaw, free_records: list[dict], ln_bound: float) -> dict:
    """What paper 1 says of each part held alone (its §7: a LayerNorm decouples the scale of what feeds it from
    the function). The body feeds the final LayerNorm, so paper 1 predicts that holding it moves T_grok weakly:
    at every ρ the cell's time within `ln_bound` times the free median. The readout is not normalised: it scales
    the logits, as the weights of paper 1's networks without LayerNorm do, so paper 1 predicts a delay that grows
    with its held norm; it gives no exponent for this network, so the prediction is the direction and a size
    past the LayerNorm bound: T(ρ_max) / T(ρ_min) ≥ `ln_bound`. A cell's time is its Kaplan–Meier median over
    the seeds, a cell whose median is past its budget counted at the budget (a lower bound)."""
    t_free = record_stats(free_records)["t_free"]
    return {"paths": {
        "p": cfg.p, "t_int": cfg.t_int, "budget": cfg.path_budget, "rhos": list(cfg.path_rhos), "t_free": t_free,
        "wc": {g: part_wc(free_records, g) for g in cfg.path_groups},
        "free_run_ids": [RunSpec.from_dict(r["spec"]).run_id for r in free_records],
        "body": {"source": "paper 1 §7 (a LayerNorm decouples scale from function)",
                 "statistic": "largest fold change of the cell's time from the free median, over ρ",
                 "at_most": ln_bound},
        "readout": {"source": "paper 1's delay law on weights that scale the logits (direction and size only)",
                    "statistic": f"T(ρ {max(cfg.path_rhos):.2f}) / T(ρ {min(cfg.path_rhos):.2f})",
                    "at_least": ln_bound},
    }}


def _write_once(path, new: list, needed: list, store, make):
    """A prediction file written once, before any of the `new` runs exists and once every `needed` run is stored,
    never overwritten; returns what it holds (None while a needed run is missing)."""
    ids = sorted(s.run_id for s in new)
    if path.exists():
        out = json.loads(path.read_text())
        if ids and ids != out["new_run_ids"]:
            raise RuntimeError(f"{path} predicts other runs than this configuration plans: it was written for "
                               "another configuration")
        return out
    if not new or any(store.get(s) is None for s in needed):
        return None
    if any(store.get(s) is not None for s in new):
        raise RuntimeError(f"{path} is missing but some of the runs it predicts are stored: a prediction must be "
                           "written before its runs exist")
    out = make()
    out["new_run_ids"] = ids
    out["written_utc"] = _now_utc()           # the runs' records carry their start; tests/test_provenance.py compares
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    return out


def write_path_predictions(cfg: OneLaw, preset: str, store, ln_bound: float):
    """Write `predict_paths`'s numbers once the free runs are stored and before any by-path run exists."""
    studies = plan(cfg, store, gate=False)
    free = studies["free transformer"]
    return _write_once(path_prediction_path(store, preset, cfg), studies.get(PATHS, []), free, store,
                       lambda: predict_paths(cfg, [store.get(s) for s in free], ln_bound))


def path_time(times, observed, budget: float) -> float:
    """A by-path cell's time: the Kaplan–Meier median over its seeds, or its budget where the median lies past it."""
    km = fits.km_median(times, observed)
    return float(min(km, budget))


def path_stats(cells: dict, t_free: float, budget: float) -> dict:
    """The two registered statistics from {group: {ρ: (times, observed)}}: the body's largest fold change from
    the free median over ρ, and the readout's T(ρ_max) / T(ρ_min)."""
    out = {}
    if "body" in cells and cells["body"]:
        out["body"] = max(max(x, 1 / x) for x in (path_time(*c, budget) / t_free for c in cells["body"].values()))
    if "readout" in cells and len(cells["readout"]) >= 2:
        r = cells["readout"]
        out["readout"] = path_time(*r[max(r)], budget) / path_time(*r[min(r)], budget)
    return out


def predict_range(cfg: OneLaw, grid_records: list[dict]) -> dict:
    """Paper 2's clock at each (η, λ) of `range_cells`: delay = K/(ηλ), K the median over chapter 1's nine grid
    cells of the cell's median delay·ηλ (as for the new λ), band the cells' range of K; and the grid's ηλ span,
    which these cells lie outside."""
    cells, k_cells = grid_k(grid_records)
    ks = np.array(list(k_cells.values()))
    k = float(np.median(ks))
    els = [lr * wd for lr, wd in cells]
    return {"k_cells": k_cells, "k": k, "grid_eta_lambda": [min(els), max(els)],
            "cells": [{"lr": lr, "wd": wd, "eta_lambda": lr * wd, "delay": k / (lr * wd),
                       "band": [float(ks.min()) / (lr * wd), float(ks.max()) / (lr * wd)]} for lr, wd in cfg.range_cells]}


def write_range_predictions(cfg: OneLaw, preset: str, store):
    """Write `predict_range`'s numbers once, before any of their runs exists (chapter 1's grid stored), and never
    overwrite them; returns what the file holds, or None while the grid is incomplete."""
    studies = plan(cfg, store, gate=False)
    grid = studies["MLP lr × λ grid"]
    return _write_once(range_prediction_path(store, preset, cfg), studies[RANGE], grid, store,
                       lambda: {"mlp_out_of_range": predict_range(cfg, [store.get(s) for s in grid])})


def _now_utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def write_predictions(cfg: OneLaw, preset: str, store, alpha: float, ln_bound: float):
    """Write `predict`'s numbers once, before any of the new runs exists, and never overwrite them; returns what
    the file holds (None while the runs they need are missing)."""
    path = prediction_path(store, preset, cfg)
    studies = plan(cfg, store, gate=False)
    if "held transformer" not in studies:           # the free runs that give W_c are not all stored yet
        return json.loads(path.read_text()) if path.exists() else None
    free, grid = studies["free transformer"], studies["MLP lr × λ grid"]
    return _write_once(path, studies["held transformer"] + studies["MLP at a new λ"], free + grid, store,
                       lambda: predict(cfg, [store.get(s) for s in free], [store.get(s) for s in grid], alpha,
                                       ln_bound))


# ---- the chapter's tables

def mlp_frame(records) -> "pd.DataFrame":
    """Paper 2's law on paper 1's MLP: one row per grokked free run, with `log_law_terms`."""
    rows = [dict(p=r["spec"]["p"], frac=r["spec"]["frac"], lr=r["spec"]["lr"], wd=r["spec"]["wd"],
                 seed=r["spec"]["seed"], **log_law_terms(r))
            for r in records if r is not None and r["summary"]["status"] == "grokked"]
    return pd.DataFrame(rows).drop_duplicates()


def chapter2_arms(cfg: "OneLaw", store) -> dict:
    """Chapter 2's one-shot ('once') and sustained ('hold', the dense ρ sweep) arms of paper 1's MLP, as chapter
    2's plan names them (preset `cfg.chapter2`), read from `store`: {mode: {rho: [record]}}, and the arms'
    free control (chapter 2's controls at its reference modulus)."""
    c2 = pinned_norm.PRESETS[cfg.chapter2]
    planned = pinned_norm.plan(c2, store)
    out = {"once": {}, "hold": {}}
    for mode, study in (("once", "one-shot"), ("hold", "dense ρ")):
        specs = planned.get(study, [])
        for s, r in zip(specs, sweep.run(specs, store=store, train=False, progress=False)):
            if r is not None:
                out[mode].setdefault(s.rho, []).append(r)
    free = [r for r in sweep.run(pinned_norm.controls(c2, c2.p_ref), store=store, train=False, progress=False)
            if r is not None]
    return out, free, c2.lr * c2.wd


def cells(by_rho: dict, t_free: float) -> "pd.DataFrame":
    """Per ρ: seeds, grokked, median T_grok over the grokked seeds (paper 1's statistic), the Kaplan–Meier median
    (censored seeds kept at risk: ∞ when fewer than half grok) and the ratio of the KM median to the free median."""
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
    cs = [(0, rho, [r["summary"]["t_grok"] or r["summary"]["steps_run"] for r in recs],
           [r["summary"]["t_grok"] is not None for r in recs])
          for rho, recs in sorted(by_rho.items()) if rhos is None or rho in rhos]
    return fits.shared_exp_fit(cs)


def censored_fit(by_rho: dict, rhos) -> dict:
    """The delay law's slope by censored (log-normal) regression over the cells `rhos`: a run that did not grok
    counts as 'slower than its budget' instead of being dropped (chapters 2 and 3 use the same estimator)."""
    cs = [(0, rho, [r["summary"]["t_grok"] or r["summary"]["steps_run"] for r in by_rho[rho]],
           [r["summary"]["t_grok"] is not None for r in by_rho[rho]]) for rho in sorted(rhos)]
    if len(cs) < 2:
        return dict(alpha=np.nan, lo=np.nan, hi=np.nan, runs=0, censored=0)
    return fits.censored_exp_fit(cs, n_boot=500)


def wc_cells(df) -> "pd.DataFrame":
    """Paper 1's W_c statistic on a frame of runs (grok_core.store.frame): per (p, η, λ) cell, seeds, grokked, the
    median ‖θ‖ at T_grok over grokked seeds and its CV across them (%)."""
    rows = []
    for (p, lr, wd), g in df.groupby(["p", "lr", "wd"], sort=True):
        ok = g[g.status == "grokked"].norm_at_grok.astype(float)
        rows.append(dict(p=p, lr=lr, wd=wd, seeds=len(g), grokked=len(ok), wc=float(ok.median()) if len(ok) else np.nan,
                         cv_pct=100 * fits.cv(ok) if len(ok) > 1 else np.nan))
    return pd.DataFrame(rows)


def norm_at_accuracy(record: dict, threshold: float, key: str = "test_acc") -> float:
    """‖θ‖ at the first logged step where `key` reaches `threshold` (nan if it never does): where along its
    contraction a free run's transition starts, not only where it ends."""
    c = record["curves"]
    t = first_crossing(c["step"], c[key], threshold)
    return math.nan if t is None else float(c["weight_norm"][int(np.searchsorted(c["step"], t))])


# ---------------------------------------------------------------------------------------------------------------
# The page: each function returns what one section of chapter 5 shows and glues (`values`: glue name -> value);
# the *_figure functions draw. The papers' figures come from grok_core.claims.

WORDS = {"held": "held", "partly": "held partly", "failed": "failed", "not measured": "could not be judged",
         "not resolved": "is not resolved: its 95 % CI reaches both sides of the rule's line"}
TEAL, PURPLE = "#2a9d8f", "#7b5ea7"


def mlp_law(cfg: OneLaw, mlp) -> dict:
    """1. Paper 2's law on chapter 1's free MLP runs: where the norm is at T_mem, the prediction against the
    delay, and the 1/(ηλ) clock over the η × λ grid (delay ∝ (ηλ)^-k; K = delay·ηλ per cell)."""
    moved = 100 * (mlp.norm_end / mlp.norm_grok - 1).abs()        # how far ‖W‖ moves between T_grok and V_post
    grid = mlp[mlp.frac == critical_norm.PRESETS[cfg.chapter1].frac_lr]
    tscale = fits.ols(np.log(1 / (grid.lr * grid.wd)), np.log(grid.delay))
    k = grid.assign(k=grid.delay * grid.lr * grid.wd).groupby(["lr", "wd"]).k.median()
    values = dict(ol_mlp_n=len(mlp), ol_mlp_below=int((mlp.norm_mem < mlp.norm_grok).sum()),
                  ol_mlp_pred_med=float(mlp.pred_end.median()), ol_mlp_delay_med=float(mlp.delay.median()),
                  ol_mlp_peak_ratio=float((mlp.delay / mlp.pred_peak).median()), ol_mlp_tail=int(mlp.after_grok.median()),
                  ol_mlp_tail_move=float(moved.median()), ol_mlp_tail_move_max=float(moved.max()),
                  ol_tscale=tscale[0], ol_tscale_r2=tscale[2], ol_k_med=float(k.median()), ol_k_cv=100 * fits.cv(k),
                  ol_k_implied=float(np.exp(k.median())),
                  ol_mlp_shrink=float((mlp.norm_peak / mlp.norm_grok).median()))
    return dict(mlp=mlp, grid=grid, tscale=tscale, values=values)


def mlp_law_figure(d: dict):
    mlp, grid, tscale = d["mlp"], d["grid"], d["tscale"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax.scatter(mlp.pred_end, mlp.delay, s=14, color=plots.OURS, alpha=0.6, label="paper 1's MLP, one run each")
    lim = max(mlp.delay.max(), 10)
    xx = np.geomspace(50, lim * 1.5, 20)
    ax.plot(xx, xx, "--", color=plots.PAPER, label="paper 2's law: delay = prediction")
    # negative predictions (the norm grew after T_mem) on a linear stretch around 0; few ticks, so none collide
    ax.set_xscale("symlog", linthresh=1000)
    ax.set_xticks([t for t in (-1000, 0, 1000, 10 ** 4, 10 ** 5, 10 ** 6) if t < lim * 1.5])
    ax.set(yscale="log", xlim=(-3000, lim * 1.5), ylim=(50, lim * 1.5),
           xlabel="paper 2's prediction $\\ln(V_\\mathrm{mem}/V_\\mathrm{post})/(2\\eta\\lambda)$ (steps)",
           ylabel="$T_\\mathrm{grok} - T_\\mathrm{mem}$ (steps)", title="The MLP's norm does not contract to grok")
    ax.legend(loc="lower right")
    x = 1 / (grid.lr * grid.wd)
    ax2.scatter(x, grid.delay, s=14, alpha=0.6, color=plots.OURS, label="one run each (3 η × 3 λ)")
    xx = np.geomspace(x.min(), x.max(), 20)
    ax2.plot(xx, np.exp(tscale[1]) * xx ** tscale[0], color=plots.OURS,
             label=f"fit: delay ∝ $(\\eta\\lambda)^{{-{tscale[0]:.2f}}}$")
    ax2.set(xscale="log", yscale="log", xlabel="1/(ηλ) (steps)", ylabel="$T_\\mathrm{grok} - T_\\mathrm{mem}$ (steps)",
            title="…but its delay does scale as 1/(ηλ)")
    ax2.legend()
    fig.tight_layout()
    return fig


def transformer_wc(tf: dict) -> dict:
    """2. Paper 1's W_c in chapter 4's transformer runs: within-cell CV, across λ, and the power law in p."""
    P = claims.PAPER
    cells_ = pd.concat([wc_cells(v).assign(study=k) for k, v in tf.items()], ignore_index=True)
    lam = cells_[(cells_.study == "λ sweep") & (cells_.grokked > 0)]
    mod = tf["moduli"][tf["moduli"].status == "grokked"]
    law = fits.power_law(mod.p, mod.norm_at_grok)
    p1 = P["wc_by_p_frac040"]["value"]
    values = dict(ol_tf_cv_med=float(cells_.cv_pct.median()), ol_tf_cv_max=float(cells_.cv_pct.max()),
                  ol_tf_lam_range=f"{lam.wc.min():.1f}–{lam.wc.max():.1f}", ol_tf_lam_span=float(lam.wc.max() / lam.wc.min()),
                  **{f"ol_tf_k_{k}": law[k] for k in ("k", "lo", "hi", "r2")},
                  ol_p1_k=fits.power_law(list(p1), list(p1.values()))["k"],
                  ol_p1_cv="–".join(f"{v:g}" for v in P["wc_cv"]["value"]))
    return dict(mod=mod, law=law, lam=tf["λ sweep"][tf["λ sweep"].status == "grokked"], values=values,
                table=cells_[["study", "p", "lr", "wd", "seeds", "grokked", "wc", "cv_pct"]])


def transformer_wc_figure(d: dict):
    mod, law, lam = d["mod"], d["law"], d["lam"]
    wc_wd = claims.PAPER["wc_by_wd"]["value"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    ax.scatter(mod.p, mod.norm_at_grok, s=14, alpha=0.6, color=plots.OURS, label="paper 2's transformer, one run each")
    pp = np.geomspace(mod.p.min(), mod.p.max(), 20)
    ax.plot(pp, law["c"] * pp ** law["k"], color=plots.OURS, label=f"fit: ‖θ‖ ∝ p^{law['k']:.2f}")
    ax.set(xscale="log", yscale="log", xlabel="modulus p", ylabel="‖θ‖ at $T_\\mathrm{grok}$",
           title="A power law in p, with a wide spread")
    ax.legend()
    ax2.scatter(lam.wd, lam.norm_at_grok, s=14, alpha=0.6, color=plots.OURS, label="transformer (chapter 4)")
    ax2.plot(list(wc_wd), list(wc_wd.values()), "s--", color=plots.PAPER, label="paper 1's MLP, its $W_c$")
    ax2.set(xscale="log", xlabel="weight decay λ", ylabel="norm at $T_\\mathrm{grok}$",
            title="$W_c$ moves with λ in both models")
    ax2.legend()
    fig.tight_layout()
    return fig


def held_transformer(cfg: OneLaw, pred: dict | None, free_recs: list, held_specs: list, held_recs: list) -> dict:
    """3. Paper 1's clamp on paper 2's transformer: the cells, the four pre-set rows' quantities and verdicts,
    and (post hoc) the free runs' norm at 10 % and 50 % validation accuracy."""
    P = claims.PAPER
    ht = pred["held_transformer"] if pred else dict(wc=np.nan, t_free=np.nan, p=cfg.p, t_int=cfg.t_int,
                                                     budget=cfg.hold_budget)
    by_rho = {}
    for s, r in zip(held_specs, held_recs):
        if r is not None:
            by_rho.setdefault(s.rho, []).append(r)
    tab = cells(by_rho, ht["t_free"]) if by_rho else pd.DataFrame(columns=["rho"])
    if pred:
        tab["paper 1 exponential"] = [ht["paper1_exponential"]["t_grok"][f"{r:.2f}"] for r in tab.rho]
    above = [r for rho, recs in by_rho.items() if rho > 1 for r in recs]
    at_below = [r for rho, recs in by_rho.items() if rho <= 1 for r in recs]
    fit = alpha_fit(by_rho) if by_rho else dict(alpha=np.nan, lo=np.nan, hi=np.nan, r2=np.nan)
    cen = censored_fit(by_rho, [r for r in by_rho if r >= 1.0])     # post hoc: the censored runs kept in
    max_ratio = float(tab.ratio_to_free.max()) if len(tab) else np.nan
    t_below = float(np.median([r["summary"]["t_grok"] for r in at_below if r["summary"]["t_grok"] is not None]
                              or [np.nan]))
    n_above = sum(r["summary"]["t_grok"] is not None for r in above)
    # post hoc: the norm at which the free runs' validation accuracy first reaches 10 % and 50 %, in units of W_c
    onset = {th: np.median([norm_at_accuracy(r, th) for r in free_recs]) / ht["wc"] for th in (0.1, 0.5)}
    full = tab[tab.grokked == tab.seeds] if len(tab) else tab    # every seed grokked
    norm_tint = np.median([r["curves"]["weight_norm"][list(r["curves"]["step"]).index(cfg.t_int)] for r in free_recs])
    # the rules fixed with the predictions
    verdict = {"paper 1's exponential law": alpha_verdict(fit["alpha"], P["alpha_shared"]["value"]) if by_rho
               else "not measured",
               "paper 1's LayerNorm bound": bound_verdict(max_ratio, P["attn_ln_hold_max"]["value"]) if by_rho
               else "not measured",
               "paper 2's 'no grokking above W_c'": never_verdict(n_above, len(above)),
               "paper 2's 'grokking at once at or below W_c'": ratio_verdict(t_below, ht["t_int"])}
    said = {v: [k for k, w in verdict.items() if w == v] for v in PREDICTION_VERDICTS}
    values = dict(ol_p=ht["p"], ol_wc=ht["wc"], ol_t_free=ht["t_free"], ol_t_int=ht["t_int"], ol_budget=ht["budget"],
                  ol_free_n=len(free_recs), ol_hold_seeds=cfg.hold_seeds, ol_alpha=P["alpha_shared"]["value"],
                  ol_ln_bound=P["attn_ln_hold_max"]["value"],
                  ol_tmem_max=max(r["summary"]["t_mem"] for r in free_recs),
                  ol_pilot=(pred or {}).get("pilot", "No run preceded the prediction file."),
                  ol_norm_tint=float(norm_tint) / ht["wc"],
                  ol_tf_alpha=fit["alpha"], ol_tf_alpha_lo=fit["lo"], ol_tf_alpha_hi=fit["hi"],
                  ol_tf_cen_alpha=cen["alpha"], ol_tf_cen_lo=cen["lo"], ol_tf_cen_hi=cen["hi"],
                  ol_tf_cen_censored=cen.get("censored", 0), ol_tf_cen_runs=cen.get("runs", 0),
                  ol_tf_cap=ht["budget"] / ht["t_free"] if np.isfinite(ht["t_free"]) else np.nan,
                  ol_tf_max_ratio=max_ratio,
                  # the rule as registered with the prediction file (807bb4d) read a cell that never grokked as
                  # 'not measured'; it was changed to 'failed' 8 minutes later (ad38ffa), before any new run finished
                  ol_ln_registered=WORDS["not measured" if not np.isfinite(max_ratio) else
                                         bound_verdict(max_ratio, P["attn_ln_hold_max"]["value"])],
                  ol_tf_t_below=t_below, ol_tf_above_n=len(above), ol_tf_above_grok=n_above,
                  ol_tf_min_ratio=float(tab.ratio_to_free.min()) if len(tab) else np.nan,
                  ol_tf_n=sum(map(len, by_rho.values())),
                  ol_tf_grok=sum(r["summary"]["t_grok"] is not None for v in by_rho.values() for r in v),
                  ol_onset10=onset[0.1], ol_onset50=onset[0.5],
                  **long_cost(cfg, [r for v in by_rho.values() for r in v]),
                  ol_tf_fin_min=float(full.T_median.min() / ht["t_free"]) if len(full) else np.nan,
                  ol_tf_fin_max=float(full.T_median.max() / ht["t_free"]) if len(full) else np.nan,
                  ol_tf_fin_rho=float(full.rho.max()) if len(full) else np.nan,
                  ol_tf_wall=", ".join(f"{g} of {n} at ρ = {r:.2f}" for r, g, n in zip(tab.rho, tab.grokked, tab.seeds)
                                       if g < n) if len(tab) else "",
                  ol_tf_story="; ".join(f"{', '.join(ks)} {WORDS[v]}" for v, ks in said.items() if ks))
    return dict(ht=ht, by_rho=by_rho, tab=tab, fit=fit, cen=cen, max_ratio=max_ratio, t_below=t_below, n_above=n_above,
                above=above, onset=onset, verdict=verdict, values=values)


LONG = dict(rhos=(1.30, 1.60), seeds=8, budget=200_000)   # the runs that would tell a steep law from a wall


def long_cost(cfg: OneLaw, recs: list[dict]) -> dict:
    """What the long cells (`LONG`: ρ 1.30 and 1.60 to 100x the free time, 8 seeds) would cost on one CPU core, at
    the rate the stored held runs trained (member-steps per second of a batch's wall time), every run to its
    budget (the upper bound; a run that groks stops sooner)."""
    done = [r for r in recs if r["summary"].get("wall_s")]
    rate = (sum(r["summary"]["steps_run"] for r in done) / sum(r["summary"]["wall_s"] / r["summary"]["members"]
                                                               for r in done)) if done else np.nan
    steps = len(LONG["rhos"]) * LONG["seeds"] * LONG["budget"]
    return dict(ol_long_rhos=" and ".join(f"{r:.2f}" for r in LONG["rhos"]), ol_long_seeds=LONG["seeds"],
                ol_long_budget=LONG["budget"], ol_long_rate=rate, ol_long_h=steps / rate / 3600)


def held_figure(cfg: OneLaw, h: dict):
    ht, tab = h["ht"], h["tab"]
    fig, ax = plt.subplots(figsize=(11, 4.4))
    for rho, recs in sorted(h["by_rho"].items()):
        t = [r["summary"]["t_grok"] or r["summary"]["steps_run"] for r in recs]
        ok = [r["summary"]["t_grok"] is not None for r in recs]
        ax.scatter([rho] * len(t), t, s=18, alpha=0.6, marker="o", color=[plots.OURS if o else "#999999" for o in ok])
    if len(tab):
        done = tab[tab.grokked == tab.seeds]
        ax.plot(done.rho, done.T_median, "o-", color=plots.OURS, ms=9,
                label="ours: median $T_\\mathrm{grok}$, every seed grokked")
        for _, c in tab[tab.grokked < tab.seeds].iterrows():
            ax.annotate(f"{int(c.grokked)} of {int(c.seeds)}\ngrokked", (c.rho, c.budget), xytext=(0, 12),
                        textcoords="offset points", ha="center", fontsize=10, color="#555555")
    rr = np.linspace(min(cfg.rhos), max(cfg.rhos), 80)
    ax.plot(rr, ht["t_free"] * np.exp(claims.PAPER["alpha_shared"]["value"] * (rr - 1)), "--", color=plots.PAPER,
            label="paper 1's exponential law (α of its MLP)")
    ax.axhspan(ht["t_free"] / 2, ht["t_free"] * 2, color=plots.PAPER, alpha=0.08,
               label="paper 1's LayerNorm result: within 2× of free")
    ax.axhline(ht["t_free"], color="k", lw=0.8, label="free runs (median)")
    ax.axvspan(1.0, max(cfg.rhos) + 0.1, ymin=0.93, color=PURPLE, alpha=0.25,
               label="paper 2's picture: no grokking for ρ > 1")
    for th, ls in ((0.1, ":"), (0.5, "-.")):
        ax.axvline(h["onset"][th], color=TEAL, ls=ls, lw=1.2,
                   label=f"free runs' ‖θ‖ at {th:.0%} validation accuracy (post hoc)")
    ax.set(yscale="log", ylim=(300, 4 * cfg.hold_budget), xlabel="held norm ρ = ‖θ‖ / $W_c$",
           ylabel="$T_\\mathrm{grok}$ (steps)",
           title=f"Paper 1's clamp on paper 2's transformer (grey: censored at {cfg.hold_budget / ht['t_free']:.0f}× the free time)")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def bridge(cfg: OneLaw, store) -> dict:
    """4. Chapter 2's one-shot and hold arms against paper 2's contraction ln ρ / (ηλ) (post hoc)."""
    arms, free, el = chapter2_arms(cfg, store)
    t_free = float(np.median([r["summary"]["t_grok"] for r in free if r["summary"]["t_grok"] is not None]
                             or [np.nan]))
    once, hold = (cells(arms[m], t_free) for m in ("once", "hold"))
    out = dict(arms=arms, once=once, hold=hold, t_free=t_free, el=el, values={})
    if len(once) and len(hold):
        t1_once = float(once.loc[once.rho == 1.0, "T_median"].iloc[0])
        fit = alpha_fit(arms["hold"], [r for r in arms["hold"] if r <= 1.25])
        t1_hold = float(hold.loc[hold.rho == 1.0, "T_median"].iloc[0])
        out.update(t1_once=t1_once, t1_hold=t1_hold, fit=fit)
        paired = {rho: paired_shift(arms["once"][rho], arms["once"][1.0]) for rho in once.rho}
        once["shift from ρ 1 (paired)"] = [paired[r][0] for r in once.rho]
        once["shift 95 % CI"] = [f"[{paired[r][1]:,.0f}, {paired[r][2]:,.0f}]" if np.isfinite(paired[r][1]) else "—"
                                 for r in once.rho]
        once["shift predicted, ln ρ/ηλ"] = np.log(once.rho) / el
        hi, lo = paired[once.rho.iloc[-1]], paired[once.rho.iloc[0]]
        out["values"] = dict(ol_once_hi=hi[0], ol_once_lo=lo[0],
                             ol_once_hi_ci=f"[{hi[1]:,.0f}, {hi[2]:,.0f}]", ol_once_lo_ci=f"[{lo[1]:,.0f}, {lo[2]:,.0f}]",
                             ol_once_pairs=min(len(arms["once"][r]) for r in once.rho),
                             ol_once_x_hi=hi[0] / float(np.log(once.rho.iloc[-1]) / el),
                             ol_once_x_lo=lo[0] / float(np.log(once.rho.iloc[0]) / el),
                             ol_once_pred_hi=float(np.log(once.rho.iloc[-1]) / el),
                             ol_once_pred_lo=float(np.log(once.rho.iloc[0]) / el),
                             ol_once_rho_hi=float(once.rho.iloc[-1]), ol_once_rho_lo=float(once.rho.iloc[0]),
                             ol_alpha59=fit["alpha"], ol_slope_exp=fit["alpha"] * t1_hold, ol_slope_log=1 / el,
                             ol_slope_x=fit["alpha"] * t1_hold * el)
    return out


def paired_shift(recs: list[dict], ref: list[dict]) -> tuple:
    """Per seed T_grok(arm) − T_grok(reference arm), seeds that grokked in both: (median, 95 % CI low, high).
    The arms share their seeds' initial weights and splits, so the difference removes the seed's own pace."""
    t_ref = {r["spec"]["seed"]: r["summary"]["t_grok"] for r in ref if r["summary"]["t_grok"] is not None}
    d = [r["summary"]["t_grok"] - t_ref[r["spec"]["seed"]] for r in recs
         if r["summary"]["t_grok"] is not None and r["spec"]["seed"] in t_ref]
    return fits.median_ci(np.array(d, float)) if d else (np.nan, np.nan, np.nan)


def bridge_figure(b: dict):
    once, hold, el, fit = b["once"], b["hold"], b["el"], b["fit"]
    fig, ax = plt.subplots(figsize=(11, 4.2))
    ax.plot(hold.rho, hold.T_median, "o", color=plots.OURS, label="sustained hold (chapter 2)")
    ax.plot(once.rho, once.T_median, "s", color=TEAL, label="one rescale, then free (chapter 2)")
    rr = np.linspace(0.7, 1.3, 60)
    ax.plot(rr, b["t1_hold"] * np.exp(fit["alpha"] * (rr - 1)), "-", color=plots.OURS, lw=1,
            label=f"paper 1's law fitted to the hold: α = {fit['alpha']:.2f}")
    ax.plot(rr, b["t1_once"] + np.log(rr) / el, "--", color=TEAL, lw=1.5, label="paper 2's contraction: T(1) + ln ρ / (ηλ)")
    ax.axvspan(1.0, 1.32, ymin=0.93, color=PURPLE, alpha=0.25, label="paper 2's contraction for a hold: never")
    ax.axhline(b["t_free"], color="k", lw=0.8, label="free runs (median)")
    ax.set(yscale="log", xlim=(0.68, 1.32), xlabel="ρ = ‖W‖ / $W_c$ at and after $t_\\mathrm{int}$",
           ylabel="$T_\\mathrm{grok}$ (steps)", title="Paper 1's MLP: the one-shot arm follows paper 2, the hold follows paper 1")
    ax.legend(fontsize=9, loc="upper left")
    fig.tight_layout()
    return fig


def new_mlp(cfg: OneLaw, pred: dict | None, new_recs: list, held_recs: list, grid) -> dict:
    """5. Paper 2's clock predicted for the MLP at a new λ, against the new runs; the new runs' CPU hours."""
    new = mlp_frame(new_recs) if any(r is not None for r in new_recs) else pd.DataFrame(columns=["delay", "norm_grok"])
    mp = pred["mlp_new_lambda"] if pred else dict(delay=np.nan, band=[np.nan, np.nan], k=np.nan)
    delay = float(new.delay.median()) if len(new) else np.nan

    def hours(rs):
        return sum(r["summary"]["wall_s"] / r["summary"]["members"] for r in rs if r is not None) / 3600

    values = dict(ol_new_lr=cfg.mlp_lr, ol_new_wd=cfg.mlp_wd, ol_new_pred=mp["delay"], ol_new_lo=mp["band"][0],
                  ol_new_hi=mp["band"][1], ol_new_k=mp["k"], ol_new_delay=delay, ol_new_n=len(new),
                  ol_new_seeds=sum(r is not None for r in new_recs), ol_new_wc=float(new.norm_grok.median()) if len(new) else np.nan,
                  ol_new_el=f"{cfg.mlp_lr * cfg.mlp_wd:.1e}", ol_grid_el_min=f"{float((grid.lr * grid.wd).min()):.1e}",
                  ol_new_ratio=mp["delay"] / delay, ol_new_verdict=WORDS[claims.resolve(ratio_verdict, delay, *_delay_ci(new), mp["delay"])],
                  ol_new_registered=WORDS[ratio_verdict(delay, mp["delay"])],
                  ol_new_ci=claims.ci_text(*_delay_ci(new), ",.0f"),
                  ol_cpu_h_held=hours(held_recs), ol_cpu_h_new=hours(new_recs), ol_cpu_h=hours(list(held_recs) + list(new_recs)))
    lo, hi = _delay_ci(new)
    verdict, registered = claims.resolve(ratio_verdict, delay, lo, hi, mp["delay"]), ratio_verdict(delay, mp["delay"])
    more = int((new.seed >= cfg.mlp_seeds).sum()) if len(new) and "seed" in new else 0
    in_band = mp["band"][0] <= delay <= mp["band"][1] if math.isfinite(delay) else False
    factor = float(np.exp(abs(np.log(mp["delay"] / delay)))) if math.isfinite(delay) and delay > 0 else np.nan
    values.update(ol_new_wc_min=float(new.norm_grok.min()) if len(new) else np.nan,
                  ol_new_wc_max=float(new.norm_grok.max()) if len(new) else np.nan)
    values.update(ol_new_pred_seeds=cfg.mlp_seeds, ol_new_more=more, ol_new_factor=factor, ol_new_story=(
        f"The prediction was {mp['delay'] / delay:.2f} times the measured delay, {'inside' if in_band else 'outside'} "
        f"the nine cells' range; by the rule, at our median, it {WORDS[registered]}. The 95 % CI of our median delay "
        f"({claims.ci_text(lo, hi, ',.0f')}) " + ("reaches both sides of the rule's line, so the outcome added after "
                                                 "the runs applies: the prediction " if verdict == "not resolved" else
                                                 "stays on one side of the rule's line: the prediction ")
        + WORDS[verdict]) if math.isfinite(delay) else "No new run has grokked yet.")
    return dict(new=new, mp=mp, delay=delay, grid=grid, values=values)


def range_mlp(cfg: OneLaw, pred: dict | None, recs: list) -> dict:
    """6. Paper 2's clock predicted outside the grid's ηλ, per cell: the measured median delay T_grok − T_mem over
    the grokked seeds with its CI, against the prediction written before the runs."""
    df = mlp_frame(recs) if any(r is not None for r in recs) else pd.DataFrame(columns=["lr", "wd", "delay"])
    rows = []
    for c in (pred or {}).get("mlp_out_of_range", {}).get("cells", []):
        g = df[np.isclose(df.lr, c["lr"]) & np.isclose(df.wd, c["wd"])] if len(df) else df
        n_run = sum(1 for r in recs if r is not None and np.isclose(r["spec"]["lr"], c["lr"])
                    and np.isclose(r["spec"]["wd"], c["wd"]))
        delay = float(g.delay.median()) if len(g) else np.nan
        lo, hi = _delay_ci(g)
        # the seeds that did not grok: final train accuracy (a weight decay this strong can undo memorisation)
        lost = [r["summary"]["final_train_acc"] for r in recs if r is not None and np.isclose(r["spec"]["lr"], c["lr"])
                and np.isclose(r["spec"]["wd"], c["wd"]) and r["summary"]["status"] != "grokked"]
        j = claims.judged(ratio_verdict, delay, lo, hi, n_run, None, c["delay"], fmt=",.0f")
        rows.append(dict(lr=c["lr"], wd=c["wd"], eta_lambda=c["eta_lambda"], seeds=n_run, grokked=len(g),
                         predicted=c["delay"], band=f"{c['band'][0]:,.0f}–{c['band'][1]:,.0f}", delay=delay,
                         ci=j["ci"], verdict=WORDS[j["verdict"]], judged=j,
                         lost_max=max(lost) if lost else np.nan))
    tab = pd.DataFrame(rows, columns=["lr", "wd", "eta_lambda", "seeds", "grokked", "predicted", "band", "delay", "ci",
                                      "verdict", "judged", "lost_max"])
    grid = (pred or {}).get("mlp_out_of_range", {}).get("grid_eta_lambda", [np.nan, np.nan])
    values = dict(ol_range_grid=f"{grid[0]:.0e} – {grid[1]:.0e}", ol_range_seeds=cfg.range_seeds,
                  ol_range_k=(pred or {}).get("mlp_out_of_range", {}).get("k", np.nan),
                  ol_range_cells=", ".join(f"η = {lr:g}, λ = {wd:g}" for lr, wd in cfg.range_cells),
                  ol_range_written=(pred or {}).get("written_utc", "not yet"),
                  ol_range_story="; ".join(f"at ηλ = {r.eta_lambda:.0e} the prediction {r.verdict} (predicted "
                                           f"{r.predicted:,.0f}, measured {r.delay:,.0f} steps, {r.grokked} of "
                                           f"{r.seeds} seeds grokked" + (f"; the other {r.seeds - r.grokked} ended "
                                           f"their {cfg.range_budget:,} steps at a train accuracy of at most "
                                           f"{r.lost_max:.2f}" if r.seeds > r.grokked else "") + ")"
                                           for r in tab.itertuples()) or "no cell has run yet")
    return dict(tab=tab, values=values)


def new_mlp_figure(cfg: OneLaw, n: dict):
    grid, new, mp = n["grid"], n["new"], n["mp"]
    fig, (ax, ax_s) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw=dict(width_ratios=[1.6, 1]))
    ax.scatter(1 / (grid.lr * grid.wd), grid.delay, s=14, alpha=0.5, color=plots.OURS, label="chapter 1's grid (the fit)")
    if len(new):
        ax.scatter(1 / (new.lr * new.wd), new.delay, s=22, color=TEAL, label=f"new runs, λ = {cfg.mlp_wd:g} (measured after)")
    x_new = 1 / (cfg.mlp_lr * cfg.mlp_wd)
    ax.errorbar([x_new * 1.08], [mp["delay"]], yerr=[[mp["delay"] - mp["band"][0]], [mp["band"][1] - mp["delay"]]],
                fmt="D", color=plots.PAPER, capsize=4,
                label="prediction written before the runs: K/(ηλ), band = the grid's range of K")
    ax.set(xscale="log", yscale="log", xlabel="1/(ηλ) (steps)", ylabel="$T_\\mathrm{grok} - T_\\mathrm{mem}$ (steps)",
           title="Paper 2's clock at a new weight decay")
    ax.legend(fontsize=9, loc="upper left")
    if len(new):
        ax_s.scatter(new.delay, new.norm_grok, s=22, color=TEAL)
        ax_s.axvline(mp["delay"], color=plots.PAPER, lw=1, ls="--", label="predicted delay")
        ax_s.legend(fontsize=9)
    ax_s.set(xlabel="$T_\\mathrm{grok} - T_\\mathrm{mem}$ (steps)", ylabel="‖W‖ at $T_\\mathrm{grok}$",
             title="The new runs, one point per seed")
    fig.tight_layout()
    return fig


def score(cfg: OneLaw, h: dict, n: dict, rg: dict | None = None, bp: dict | None = None) -> list[dict]:
    """The prediction rows, judged by the rules written with the predictions."""
    P = claims.PAPER
    fit, v = h["fit"], h["verdict"]
    extra = [dict(claim=f"MLP at η = {r.lr:g}, λ = {r.wd:g} (ηλ = {r.eta_lambda:.0e}, outside the grid): median "
                        "T_grok − T_mem (paper 2's 1/(ηλ) clock, K from chapter 1)", key=None,
                  paper=f"{r.predicted:,.0f}", ours=f"{r.delay:,.0f}", **r.judged)
             for r in (rg["tab"].itertuples() if rg is not None else [])]
    rows = [
        dict(claim="transformer held at ρ·W_c: slope of ln T_grok on ρ (paper 1's exponential law)", key="alpha_shared",
             paper=f"α = {P['alpha_shared']['value']}", ours=f"{fit['alpha']:.2f} [{fit['lo']:.2f}, {fit['hi']:.2f}]",
             verdict=v["paper 1's exponential law"]),
        dict(claim="transformer held at ρ ≥ 1.00·W_c: slope by censored (log-normal) regression, the runs past the "
                   "budget kept in (post hoc, not registered)", key=None,
             paper=f"α = {P['alpha_shared']['value']}",
             ours=f"{h['cen']['alpha']:.2f} ({h['cen'].get('censored', 0)} of {h['cen'].get('runs', 0)} runs censored)",
             **_as_prediction(claims.judged_exponent(h["cen"], P["alpha_shared"]["value"], _min_seeds(h), None))),
        dict(claim="transformer held at ρ·W_c: largest T_grok(held) / T_grok(free) (paper 1's LayerNorm result)",
             key="attn_ln_hold_max", paper=f"≤ {P['attn_ln_hold_max']['value']:g}×", ours=(f"{h['max_ratio']:.2f}×" if np.isfinite(h['max_ratio'])
                                                                           else "∞: a held cell's median did not grok"),
             verdict=v["paper 1's LayerNorm bound"]),
        dict(claim="transformer held above W_c: runs that grok within the budget (paper 2's contraction picture)",
             key=None, paper="none", ours=f"{h['n_above']} of {len(h['above'])}",
             verdict=v["paper 2's 'no grokking above W_c'"]),
        dict(claim="transformer held at or below W_c: median T_grok (paper 2's contraction picture)", key=None,
             paper=f"t_int = {h['ht']['t_int']}", ours=f"{h['t_below']:.0f}",
             verdict=v["paper 2's 'grokking at once at or below W_c'"]),
        dict(claim=f"MLP at λ = {cfg.mlp_wd:g}: median T_grok − T_mem (paper 2's 1/(ηλ) clock, K from chapter 1)",
             key=None, paper=f"{n['mp']['delay']:.0f}", ours=f"{n['delay']:.0f}",
             **claims.judged(ratio_verdict, n["delay"], *_delay_ci(n["new"]), len(n["new"]), None, n["mp"]["delay"],
                             fmt=",.0f")),
    ]
    return rows + extra + (path_rows(bp) if bp is not None else [])


AS_PREDICTION = {"replicated": "held", "not replicated": "failed"}    # a claim verdict read as a prediction's


def _as_prediction(j: dict) -> dict:
    return {**j, "verdict": AS_PREDICTION.get(j["verdict"], j["verdict"]),
            "registered": AS_PREDICTION.get(j["registered"], j["registered"])}


def _min_seeds(h: dict) -> int:
    return min((len(v) for rho, v in h["by_rho"].items() if rho >= 1.0), default=0)


def _delay_ci(new) -> tuple:
    """95 % CI of the median delay T_grok − T_mem over the new cell's seeds."""
    d = new.delay.to_numpy(float) if len(new) else np.array([])
    return fits.median_ci(d)[1:] if np.isfinite(d).any() else (np.nan, np.nan)


def arm_ids(arms: dict) -> list[str]:
    """The run ids of chapter 2's arms this page reads."""
    return [RunSpec.from_dict(r["spec"]).run_id for d in arms.values() for recs in d.values() for r in recs]


# ---- 7. which part carries the held norm (predicted in its own file)

def held_paths(cfg: OneLaw, pred: dict | None, specs: list, recs: list) -> dict:
    """The by-path holds: per (part, ρ) the cell, the two registered statistics with bootstrap CIs (seeds
    resampled within each cell; the free median is the prediction file's), their verdicts and the page's values."""
    pp = (pred or {}).get("paths")
    cells, by = {}, {}
    for s, r in zip(specs, recs):
        if r is not None:
            by.setdefault(s.clamp_group, {}).setdefault(s.rho, []).append(r)
    rows = []
    for g, d in sorted(by.items()):
        cells[g] = {}
        for rho, rs in sorted(d.items()):
            t = [r["summary"]["t_grok"] if r["summary"]["t_grok"] is not None else r["summary"]["steps_run"] for r in rs]
            e = [r["summary"]["t_grok"] is not None for r in rs]
            cells[g][rho] = (np.array(t, float), np.array(e, bool))
            t_cell = path_time(t, e, cfg.path_budget)
            rows.append({"part held": g, "ρ": rho, "seeds": len(rs), "grokked": int(sum(e)),
                         "T_grok (KM median)": fits.km_median(t, e),
                         "ratio to free": t_cell / pp["t_free"] if pp else np.nan})
    tab = pd.DataFrame(rows)
    out = dict(tab=tab, cells=cells, pp=pp, judged={}, stats={}, values={})
    if not pp or not cells:
        return out
    stats = path_stats(cells, pp["t_free"], cfg.path_budget)
    rules = {"body": (bound_verdict, pp["body"]["at_most"]), "readout": (at_least_verdict, pp["readout"]["at_least"])}
    for g, x in stats.items():
        keys = sorted(cells[g])

        def stat(draw, g=g, keys=keys):
            return path_stats({g: dict(zip(keys, draw))}, pp["t_free"], cfg.path_budget)[g]

        lo, hi = fits.cell_bootstrap([cells[g][k] for k in keys], stat)
        rule, line = rules[g]
        out["judged"][g] = claims.judged(rule, x, lo, hi, min(len(c[0]) for c in cells[g].values()), None, line,
                                         unit="×")
    out["stats"] = stats
    v = {f"olp_wc_{g}": w for g, w in pp["wc"].items()}
    v.update(olp_seeds=cfg.path_seeds, olp_more_seeds=cfg.path_more_seeds, olp_budget=cfg.path_budget, olp_cap=cfg.path_budget / pp["t_free"],
             olp_rhos=" and ".join(f"{r:.2f}" for r in cfg.path_rhos), olp_line=pp["body"]["at_most"],
             olp_written=pp_written(pred))
    for g in stats:
        v[f"olp_{g}"] = stats[g]
        v[f"olp_{g}_ci"] = out["judged"][g]["ci"]
        v[f"olp_{g}_verdict"] = WORDS.get(out["judged"][g]["verdict"], out["judged"][g]["verdict"])
    for g, d in cells.items():
        for rho, (t, e) in d.items():
            v[f"olp_{g}_{round(rho * 100)}_grok"] = f"{int(e.sum())} of {len(e)}"
    out["values"] = v
    return out


def pp_written(pred: dict | None) -> str:
    """When a prediction file was written, in words (UTC)."""
    w = (pred or {}).get("written_utc", "")
    return w.replace("T", " ").replace("+00:00", " UTC") if w else "not written"


def paths_figure(cfg: OneLaw, bp: dict, held: dict | None = None):
    """T_grok against ρ per part held, every seed (grey: censored at the budget), beside the total-norm hold."""
    fig, ax = plt.subplots(figsize=(9, 4.2))
    colours = {"body": plots.OURS, "readout": PURPLE}
    offs = {"body": -0.012, "readout": 0.012}
    for g, d in bp["cells"].items():
        xs, meds = [], []
        for rho, (t, e) in sorted(d.items()):
            ax.scatter([rho + offs[g]] * len(t), t, s=22, alpha=0.7,
                       color=[colours[g] if o else "#999999" for o in e])
            xs.append(rho + offs[g])
            meds.append(path_time(t, e, cfg.path_budget))
        ax.plot(xs, meds, "o-", ms=8, color=colours[g], label=f"{g} held (median; at the budget where past it)")
    if held is not None and len(held["tab"]):
        tab = held["tab"]
        ax.plot(tab.rho, np.minimum(tab.T_km, cfg.hold_budget), "s:", color="#777777", ms=5,
                label="every parameter held (section 3)")
    if bp["pp"]:
        tf = bp["pp"]["t_free"]
        ax.axhline(tf, color="k", lw=0.8, label="free runs (median)")
        ax.axhspan(tf / 2, tf * 2, color=plots.PAPER, alpha=0.08, label="within 2× of free")
    ax.axhline(cfg.path_budget, color="#999999", lw=0.8, ls="--", label="budget")
    ax.set(yscale="log", xlabel="held norm ρ = ‖part‖ / that part's $W_c$", ylabel="$T_\\mathrm{grok}$ (steps)",
           title="Holding the body or the readout of paper 2's transformer")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def path_rows(bp: dict) -> list[dict]:
    """The two by-path prediction rows."""
    if not bp["pp"]:
        return []
    pp, st = bp["pp"], bp["stats"]
    text = {"body": ("transformer, body held alone (everything before the final LayerNorm): largest fold change of "
                     "T_grok from free over ρ (paper 1 §7: a LayerNorm decouples scale from function)",
                     f"≤ {pp['body']['at_most']:g}×"),
            "readout": ("transformer, readout held alone (final LayerNorm's affine weights and head): "
                        f"{pp['readout']['statistic']} (paper 1's delay law on weights that scale the logits)",
                        f"≥ {pp['readout']['at_least']:g}×")}
    return [dict(claim=text[g][0], key=None, paper=text[g][1],
                 ours=f"{st[g]:.2f}×" + (" (a cell past the budget counted at it)" if _capped(bp, g) else ""),
                 **bp["judged"][g]) for g in ("body", "readout") if g in st]


def _capped(bp: dict, g: str) -> bool:
    return any(not np.isfinite(fits.km_median(t, e)) for t, e in bp["cells"][g].values())

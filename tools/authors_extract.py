"""Write the small extract of the authors' released per-seed data that the book compares against, as facts
with their source files, so that tests can recompute every paper figure that is a statistic of released data.

    python tools/authors_extract.py PAPER1_REPO PAPER2_REPO      # git checkouts (or bare repos) of
        ClevixLab/critical-norm-grokking and ClevixLab/grokking-norm-separation

Writes results/authors/paper1_grokfss.json (per seed: T_grok and ‖W‖ at T_grok of every data/grokfss/metrics
cell, -1 / null where a seed did not grok within the budget; the p-scan's free controls; the sparse-parity λ frontier
of data/parity_lambda/metrics, per seed) and results/authors/paper2_runs.json (per run of
data/summary3.json and data/summary5.json: seed, p, η, λ, T_mem, T_grok, V at T_mem, V at the end). Only numbers
are taken; no code.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "results" / "authors"


def _git(repo: str, *args) -> bytes:
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True).stdout


def _files(repo: str, prefix: str) -> list[str]:
    return [f for f in _git(repo, "ls-tree", "-r", "--name-only", "HEAD", prefix).decode().split() if f]


def paper1(repo: str) -> dict:
    cells = []
    for f in sorted(_files(repo, "data/grokfss/metrics/")):
        z = np.load(io.BytesIO(_git(repo, "show", f"HEAD:{f}")), allow_pickle=False)
        steps, wn, tg = z["steps"], z["weight_norm"], z["T_grok_per_seed"]
        norms = [float(round(float(wn[i, np.searchsorted(steps, t)]), 4)) if t >= 0 else None for i, t in enumerate(tg)]
        cells.append(dict(source=f, p=int(z["p"]), frac=round(float(z["alpha"]), 2), lr=float(f"{float(z['lr']):.1e}"),
                          wd=float(f"{float(z['lam']):.1e}"), max_steps=int(z["max_steps"]),
                          t_grok=[int(t) for t in tg], norm_at_grok=norms))
    parity = []
    for f in sorted(_files(repo, "data/parity_lambda/metrics/")):
        z = np.load(io.BytesIO(_git(repo, "show", f"HEAD:{f}")), allow_pickle=False)
        tg, wn = z["T_grok_per_seed"], z["wn_at_grok"]
        parity.append(dict(source=f, wd=round(float(z["lam"]), 3), lr=float(f"{float(z['lr']):.1e}"),
                           max_steps=int(z["max_steps"]), t_grok=[int(t) for t in tg],
                           norm_at_grok=[float(round(float(w), 4)) if t >= 0 and np.isfinite(w) else None
                                         for t, w in zip(tg, wn)]))
    pscan = [dict(p=r["p"], seeds=r["seeds"], budget=r["budget"], wn_at_grok=r["wn_at_grok"], wnE_at_grok=r["wnE_at_grok"],
                  T_grok_median=r["T_grok_median"])
             for r in json.loads(_git(repo, "show", "HEAD:data/pscan/results_summary.json")) if r["arm"] == "none"]
    summaries = {}
    for f in ("data/efflr/results_summary.json", "data/tfnoln_long/results_summary.json"):
        summaries[f] = [{k: r[k] for k in ("arm", "rho", "lr", "seeds", "T_grok_median") if k in r}
                        for r in json.loads(_git(repo, "show", f"HEAD:{f}"))]
    commit = _git(repo, "rev-parse", "HEAD").decode().strip()
    return dict(repository="ClevixLab/critical-norm-grokking", commit=commit, summaries=summaries,
                what="per seed: T_grok (first logged step with test accuracy >= 0.9; -1: not within max_steps) and "
                     "the weight_norm curve at that step, from data/grokfss/metrics/*.npz; and the p-scan's free "
                     "controls as released in data/pscan/results_summary.json (arm 'none')", cells=cells,
                pscan_controls=pscan, parity_lambda=parity)


def paper2(repo: str) -> dict:
    out = {}
    for f in ("data/summary3.json", "data/summary5.json"):
        doc = json.loads(_git(repo, "show", f"HEAD:{f}"))
        out[f] = [dict(seed=r["seed"], p=r["p"], eta=r["eta"], lam=r["lam"], T_mem=r["T_mem"], T_grok=r["T_grok"],
                       V_at_mem=r["V_at_mem"], V_final=r["V_final"]) for r in doc["results"]]
    commit = _git(repo, "rev-parse", "HEAD").decode().strip()
    return dict(repository="ClevixLab/grokking-norm-separation", commit=commit,
                what="per run of the modulus sweep (summary3) and the η sweep (summary5): the fields as released",
                files=out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, doc in (("paper1_grokfss.json", paper1(sys.argv[1])), ("paper2_runs.json", paper2(sys.argv[2]))):
        (OUT / name).write_text(json.dumps(doc, indent=0) + "\n")
        print(f"wrote {OUT / name}")

"""The papers' figures we set beside ours: one place, each with the paper's section, what exactly the number
measures (read from the authors' released code and data) and the file it comes from. Verdict rules live here
too, fixed before the runs were looked at.

Sources: paper 1 = arXiv 2606.13753, its authors' repository ClevixLab/critical-norm-grokking (`paper/main.tex`,
`src/`, `data/`); paper 2 = arXiv 2603.13331, its authors' repository ClevixLab/grokking-norm-separation
(`scripts/`, `data/`, `README.md`).
"""
from __future__ import annotations

import math

import numpy as np

P1 = "arXiv 2606.13753"   # The Weight Norm Sets the Grokking Timescale: A Causal Delay Law
P2 = "arXiv 2603.13331"   # Why Grokking Takes So Long
PAPERS = {1: (P1, "ClevixLab/critical-norm-grokking"), 2: (P2, "ClevixLab/grokking-norm-separation")}


def _c(paper, section, definition, source, value, **extra):
    return dict(paper=paper, section=section, definition=definition, source=source, value=value, **extra)


PAPER = {
    # ---- paper 1 §4: the critical norm under free training
    "wc_by_frac_p59": _c(1, "§4", "median ‖W‖ at T_grok (test acc ≥ 0.9) over grokked seeds, p = 59, per training "
                         "fraction", "paper/main.tex §4; data/grokfss",
                         {0.30: 56.4, 0.35: 55.9, 0.40: 54.8, 0.50: 55.1, 0.65: 55.7}, seeds=20,
                         # the same medians recomputed from data/grokfss/metrics (tests/test_authors_data.py)
                         released={0.30: 56.52, 0.35: 55.63, 0.40: 54.94, 0.50: 55.08, 0.65: 55.66}),
    "wc_by_p": _c(1, "§4", "Wc(p): median ‖W‖ at T_grok pooled over all training fractions of each p (0.15–0.65; "
                  "0.30–0.65 at p = 29, 41)", "paper/main.tex §4; data/grokfss/metrics",
                  {29: 42, 41: 48, 59: 55, 79: 61, 97: 67}, seeds=20,
                  released={29: 42.83, 41: 48.47, 59: 55.38, 79: 61.68, 97: 67.06}),
    "wc_exponent": _c(1, "§4", "k of Wc ∝ p^k fitted to the pooled medians", "paper/main.tex §4", 0.38),
    "wc_by_p_frac040": _c(1, "§4", "median ‖W‖ at T_grok over grokked seeds at training fraction 0.40 alone "
                          "(20 seeds, 60k-step budget)", "data/grokfss/metrics/adamw_p*_a0.40_*.npz",
                          {29: 36.56, 41: 50.28, 59: 54.94, 79: 61.12, 97: 66.73}, seeds=20),
    "p29_frac040": _c(1, "§4", "p = 29, fraction 0.40: seeds that grokked within the 60k budget, and their median "
                      "T_grok", "data/grokfss/metrics/adamw_p29_a0.40_d128_H256_wd1e00_lr1e-03.npz",
                      dict(grokked=12, seeds=20, t_grok=27492.5, budget=60000)),
    "wc_threshold": _c(1, "§4 ('an internal threshold')", "Wc recomputed at test-accuracy thresholds 0.8 and 0.95 "
                       "against 0.9: 'changes Wc by less than 2 %' (p = 59: 55.0 / 54.6 / 54.2; p = 97: 68.0 / 67.1 / "
                       "66.4), read here as the largest change from the 0.9 value", "paper/main.tex §4", 2.0, seeds=20,
                       at_p59=(55.0, 54.6, 54.2)),
    "wc_cv": _c(1, "§4", "coefficient of variation of ‖W‖ at T_grok across seeds and learning rates (main MLP, "
                "λ = 1): '1–2 %'", "paper/main.tex §4 (and the abstract)", (1.0, 2.0)),
    "wc_by_wd": _c(1, "§4", "Wc (median ‖W‖ at T_grok) at λ = 0.3, 1, 3, fraction 0.5, pooled over lr "
                   "3e-4..3e-3; CV < 1 % across lr at λ = 3 (the CV of the three per-lr values 48.9 / 48.7 / 49.1; "
                   "at λ = 0.3 and 1 the text gives the level only)", "paper/main.tex §4; data/grokfss",
                   {0.3: 63, 1.0: 55, 3.0: 49}, seeds=20, cv_bound=1.0, text_lr3=(48.9, 48.7, 49.1),
                   # from data/grokfss/metrics (20 seeds per lr): pooled medians, the CV pooled over seeds and lr,
                   # and at λ = 3 the per-lr medians and their CV
                   released={0.3: 62.75, 1.0: 55.08, 3.0: 48.96}, released_pooled_cv={0.3: 5.27, 1.0: 3.19, 3.0: 0.93},
                   released_lr3=(49.10, 49.08, 48.76), released_lr3_cv=0.39),
    # ---- paper 1 §5: the causal clamp (Table 1, the dense sweep, one-shot vs sustained)
    "table1_lr1e-3": _c(1, "§5, Table 1", "median T_grok over grokked seeds, p = 59, ‖W‖ held at ρ·Wc from step 500, "
                        "η = 1e-3", "data/efflr/results_summary.json", {0.85: 1492, 1.00: 4077, 1.15: 13426, 1.30: 27925}),
    "table1_lr8e-3": _c(1, "§5, Table 1", "as table1_lr1e-3 at η = 8e-3", "data/efflr/results_summary.json",
                        {0.85: 587, 1.00: 1256, 1.15: 8007, 1.30: 16893}),
    "alpha_per_lr": _c(1, "§5, eq. (delaylaw)", "slope α of ln(median T_grok) on ρ over ρ 0.85–1.15, 'fit "
                       "independently at each learning rate': the text gives α ≈ 7.4; the Table 1 cells of its data "
                       "give these per η", "paper/main.tex §5; data/efflr/results_summary.json", 7.4,
                       released={1e-3: 7.32, 2e-3: 8.66, 4e-3: 8.95, 8e-3: 8.71}, seeds=16),
    "attn_noln_tfree": _c(1, "§7", "median T_grok of the free control of the attention model without LayerNorm "
                          "(16 seeds)", "data/tfnoln_long/results_summary.json", 4371.0, seeds=16),
    "free_lr1e-3": _c(1, "§5", "median T_grok of the free control of the Table-1 runs, p = 59, η = 1e-3",
                      "data/efflr/results_summary.json (…_none_rho1.00_lr1e-03)", 5131.0),
    "alpha_dense_p59": _c(1, "§5", "slope of ln(median T_grok) on ρ, OLS over the nine cells ρ 0.85–1.25 of the "
                          "dense sweep, bootstrap 95 % CI", "paper/main.tex §5; data/denserho",
                          7.64, ci=(7.47, 7.81), r2=0.994),
    "norm_vs_lr": _c(1, "§5", "spread of median T_grok across the four ρ at fixed η, and across the four η at fixed ρ "
                     "(Table 1)", "paper/main.tex §5", (19.0, 2.0)),
    "oneshot_arm": _c(1, "§5", "median T_grok of the one-shot arm (‖W‖ rescaled once to ρ·Wc at step 500, then "
                      "free) at ρ 0.70 … 1.30, and of its free control", "data/normint/results_summary.json",
                      {0.70: 4575.5, 0.85: 4898.0, 1.00: 5321.0, 1.15: 5469.0, 1.30: 5622.0}, control=5395.0),
    "hold_arm": _c(1, "§5", "median T_grok of the sustained hold in the same experiment (at ρ = 1.30 none of its "
                   "seeds grokked within that experiment's budget)", "data/normint/results_summary.json",
                   {0.90: 1817.0, 1.00: 3928.0, 1.15: 13223.0}),
    "oneshot_spread": _c(1, "§5", "one-shot arm: median T_grok at ρ = 1.30 over that at ρ = 0.70",
                         "paper/main.tex §5 ('moves only 1.2×'); data/normint", 1.2),
    "hold_spread": _c(1, "§5", "sustained hold: median T_grok at ρ = 1.15 over that at ρ = 0.90",
                      "paper/main.tex §5 ('spans 7.3×'); data/normint", 7.3),
    # ---- paper 1 §5: "is it the norm, or just stronger regularisation?" (src/run_normint_control.py; its
    # results are not in the authors' repository, so the text is the claim), and data/normint's layer arms
    "frontier_below": _c(1, "§5, Fig. normctl_frontier (left)", "holds below Wc (ρ 0.90, 0.82, 0.73 at λ = 1) set "
                         "on the (‖W‖ at T_grok, median T_grok) plane beside the frontier that free runs at λ ∈ {1, 2, 3, "
                         "5, 8} trace: 'the below-clamp points lie on this frontier'",
                         "paper/main.tex §5; src/run_normint_control.py", "on the frontier", seeds=16),
    "frontier_above": _c(1, "§5, Fig. normctl_frontier (left)", "the norms the clamp holds above Wc (‖W‖ = 63–71) "
                         "against every free run's ‖W‖ at T_grok on that frontier: 'no free-λ run sits at the slow, "
                         "high-norm states'", "paper/main.tex §5; src/run_normint_control.py", "above every free run",
                         seeds=16),
    "init_rescale": _c(1, "§5, Fig. normctl_frontier (right)", "the initial weights rescaled to ρ·Wc (ρ 0.90, 0.73), "
                       "then free: median T_grok over the free control's ('grokking occurs on the free timescale')",
                       "paper/main.tex §5; src/run_normint_control.py", 1.0, seeds=16),
    "group_oneshot": _c(1, "§5", "one group multiplied once by 0.8 at step 500, then free (embedding E, hidden W1, "
                        "output W2, or all three): median T_grok over the free control's (text: a single group "
                        "'within ~3 % of the control')", "data/normint/results_summary.json (layer_*_f0.80 over ctrl)",
                        {"E": 5321.0 / 5395.0, "W1": 5248.5 / 5395.0, "W2": 5321.0 / 5395.0, "norm": 4898.0 / 5395.0},
                        seeds=16, cells={"E": 5321.0, "W1": 5248.5, "W2": 5321.0, "norm": 4898.0, "control": 5395.0}),
    # ---- paper 1 §6: the p-scan
    "alpha_shared": _c(1, "§6", "one slope of ln(median T_grok) on ρ with one intercept per p, p = 41, 53, 59, 71, "
                       "ρ 0.85–1.15 (and 1.30 at p = 41, 59), bootstrap 95 % CI", "paper/main.tex §6; data/pscan",
                       7.49, ci=(7.16, 7.69), r2=0.996),
    "wc_pscan_exponent": _c(1, "§6", "k of Wc ∝ p^k over the p-scan's free controls (p 31–71): 'Wc(p) ∝ p^0.44'",
                            "paper/main.tex §6; data/pscan/results_summary.json", 0.44, released=0.436, seeds=12),
    "emb_pscan_exponent": _c(1, "§6", "k of ‖E‖_c ∝ p^k, ‖E‖_c the embedding's norm at T_grok of the p-scan's free "
                             "controls (p 31–71; medians over grokked seeds, as released), least squares on log–log: "
                             "'‖E‖_c ∝ p^0.47'", "paper/main.tex §6; data/pscan/results_summary.json (wnE_at_grok)",
                             0.47, released=0.471, released_without={31: 0.710}, budget={31: 25_000, 41: 25_000, 53: 25_000,
                             59: 25_000, 71: 30_000}, seeds=12),
    "layer_share_drift": _c(1, "§5", "per-layer norm fractions (embedding, hidden, output) 'still drift over training "
                            "by as much (maximum shift ≈ 0.06)' under the held clamp 'as in free training (≈ 0.06)': "
                            "the ratio held / free of the largest shift (we read a fraction as ‖layer‖² / ‖W‖² and the "
                            "shift as its range from step 0 to T_grok; the paper defines neither)",
                            "paper/main.tex §5 (no released analysis computes it)", 1.0, held=0.06, free=0.06),
    "alpha_per_p": _c(1, "§6", "the same slope fitted at each p alone", "paper/main.tex §6; data/pscan",
                      {41: 7.92, 53: 7.56, 59: 7.42, 71: 7.07}),
    # ---- paper 1 §7: LayerNorm and attention
    "alpha_attn_noln": _c(1, "§7", "slope of ln(median T_grok) on ρ for the attention model without LayerNorm, ρ "
                          "0.85–1.15 (16 seeds, extended budgets, every cell uncensored)",
                          "paper/main.tex §7; data/tfnoln_long", 15.45, ci=(14.84, 15.98), r2=0.999),
    "attn_noln_t": _c(1, "§7", "median T_grok of the attention model without LayerNorm held at ρ·Wc (Wc ≈ 37)",
                      "paper/main.tex §7; data/tfnoln_long", {0.85: 718, 1.00: 6608, 1.15: 73966, 1.20: 99920}),
    "attn_noln_wc": _c(1, "§7", "Wc of the attention model without LayerNorm: median ‖W‖ at T_grok of the free "
                       "control (16 seeds)", "data/tfnoln_long/wc_measured.json", 36.88),
    "attn_noln_budget": _c(1, "§7", "the step budget of each held cell of the attention model without LayerNorm "
                           "(a protocol input, not a result)", "data/tfnoln_long/grid_spec.json",
                           {0.85: 30_000, 1.00: 40_000, 1.15: 120_000, 1.20: 180_000}),
    "attn_noln_sat": _c(1, "§7", "saturation: median T_grok at ρ = 1.20 over the exponential fitted on ρ 0.85–1.15, "
                        "extrapolated to 1.20", "paper/main.tex §7; data/tfnoln_long/tfnoln_long_analysis.json", 0.64, rho=1.20),
    "attn_ln_total_cv": _c(1, "§7", "CV across training fractions of the total ‖W‖ at T_grok, attention model with "
                           "LayerNorm, at p = 53 / 71 / 97 (the text: 'not concentrated', CV 0.15–0.17)",
                           "paper/main.tex §7; data/tfgrok/metrics", {53: 14.3, 71: 21.0, 97: 16.8},
                           text=(0.15, 0.17)),
    "attn_ln_unembed_cv": _c(1, "§7", "CV across training fractions of the unembedding norm ‖U‖ at T_grok",
                             "paper/main.tex §7", (3.0, 5.0)),
    "attn_ln_groups": _c(1, "§7", "median T_grok with one tensor group held at ρ times its own Wc from step 600 "
                         "(p = 71, fraction 0.40, η = 1e-3, λ = 1, 16 seeds, 25k steps)",
                         "data/tfnormint/results_summary.json; src/run_tfnormint.py",
                         {("unembed", 0.85): 1974.0, ("unembed", 1.00): 2439.5, ("unembed", 1.15): 3280.0,
                          ("unembed", 1.30): 3727.5, ("mlp", 0.85): 1408.0, ("mlp", 1.30): 2405.0,
                          ("embed", 1.30): 1715.0}, control=1919.0,
                          wc_used={"unembed": 12.1, "mlp": 11.2, "embed": 3.4}),   # WC_GROUP in that script
    "attn_ln_hold_max": _c(1, "§7", "largest ratio T_grok(held group) / T_grok(free control): 'weak, up to ~2×'",
                           "paper/main.tex §7", 2.0),
    # ---- paper 1 §8: sparse parity
    "parity_wc": _c(1, "§8", "median ‖W‖ = sqrt(‖W1‖² + ‖W2‖²) at T_grok of free runs, n = 30, k = 3, m = 1000",
                    "data/parity/wc_measured.json", 20.6),
    "parity_t": _c(1, "§8", "median T_grok held at ρ·Wc from step 1000", "data/parity/results_summary.json",
                   {0.90: 2687, 1.30: 6538.5}),
    # the slope of ln T_grok on ρ through the paper's two held parity cells (ρ 0.90, 1.30 of data/parity): our
    # reading of its §8 ("the delay above Wc exists but is weaker"); the paper states no exponent for parity
    "parity_alpha": _c(1, "§8", "slope of ln(median T_grok) on ρ between the held parity cells ρ = 0.90 and 1.30, "
                       "(ln 6538.5 − ln 2687) / 0.40", "data/parity/results_summary.json", 2.223, seeds=16),
    "parity_lambda": _c(1, "§8, Fig. parity (left)", "the λ frontier of sparse parity: free runs at lr 1e-3, 50k steps, "
                        "16 seeds per λ; per λ the median ‖W‖ at T_grok and median T_grok over grokked seeds, and "
                        "how many grokked (the text: 'weight decay sets the grokking norm along a clean monotone "
                        "frontier')", "src/run_parity_lambda.py; data/parity_lambda/metrics",
                        {0.3: 26.97, 0.5: 23.17, 1.0: 20.83, 2.0: 17.52, 3.0: 15.63},
                        t_grok={0.3: 7377.0, 0.5: 4354.5, 1.0: 3220.0, 2.0: 2050.0, 3.0: 2049.0},
                        grokked={0.3: 16, 0.5: 16, 1.0: 16, 2.0: 16, 3.0: 16, 5.0: 0}, seeds=16, budget=50_000),
    "parity_transfer": _c(1, "§8, Table 2", "which properties of modular addition transfer to sparse parity "
                          "(the paper's Table 2, its rows as it words them)", "paper/main.tex Table 2",
                          {"grokking occurs": "yes", "norm at grok set by weight decay": "yes",
                           "norm at grok invariant to learning rate": "yes",
                           "norm at grok invariant to data amount": "no",
                           "reg.-unreachable above-norm delay": "no"}),
    # ---- paper 2
    "p2_contraction": _c(2, "§3.2–3.3", "per-step rate r of V_t = A·r^t + C fitted after T_mem, p = 97, η = 1e-3, "
                         "λ = 1, against the theory's 1 − 2ηλ", "scripts/s1_lyapunov_v2.py; README.md",
                         0.99860, theory=0.998),
    "p2_lambda_fit": _c(2, "§4.2–4.3", "T_grok = a/λ + b, OLS over λ 0.1–1 (10 seeds per λ)",
                        "scripts/s2_lambda_sweep_v2.py; data/summary2.json", (1182, 884), r2=0.971),
    "p2_lambda_never": _c(2, "§4.2–4.3", "λ at which no seed groks", "data/summary2.json", (0.001, 0.01, 5.0)),
    "p2_norm_ratio_r": _c(2, "§4.4", "Pearson r over runs of T_grok − T_mem against ln(V_mem/V_post)/(2ηλ), "
                          "moduli 53–127", "scripts/s3_modulus_sweep_v2.py; data/summary3.json", 0.91, released=0.836,
                          # statistics of the same released runs that the paper does not state (post hoc rows):
                          # r of deviations from each modulus's mean, and r over the seven per-modulus means
                          released_within=0.158, released_means=0.957),
    "p2_eta_r2": _c(2, "§4.5", "R² of per-run T_grok on 1/η over every grokked run, η 1e-4…2e-3, λ = 1, budget "
                    "min(1e5·1e-3/η, 2e5), 5 seeds", "scripts/s5_eta_sweep_v2.py; data/summary5.json", 0.92),
    "p2_eta_slowest": _c(2, "§4.5", "η = 1e-4: seeds that grokked and the range of their T_grok",
                         "data/summary5.json", dict(grokked=4, seeds=5, t_min=88200, t_max=128800)),
    "p2_joint_grid": _c(2, "§4.5", "joint η × λ grid (η 2e-3, 1e-3, 5e-4 × λ 0.5, 1, 2, 5 seeds, budget min(1e5·1e-3/η, "
                        "2e5)): mean and CV over grokked runs of T_grok·η·λ; the README quotes 9.58, the released "
                        "summary 13.12 with CV 2.47; at λ = 2 and η ≤ 1e-3, 4 of 10 runs never grokked and the rest took "
                        "17 400–181 200 steps", "scripts/s5_eta_sweep_v2.py; data/summary5.json; data/full_results5.json",
                        9.58, released=13.12, released_cv=2.47, lam2_never=(4, 10), lam2_t=(17400, 181200)),
    "p2_sgd": _c(2, "Remark 3.3; supplementary S6", "SGD (no momentum) vs AdamW at η = 1e-3, λ = 1: runs that "
                 "memorise or grok", "scripts/s6_sgd_vs_adamw.py; data/full_results8.json", (0, 5), adamw=(5, 5)),
    # paper 2 proves its law for SGD (γ_eff = ηλ) and reads AdamW as contracting at least as fast (γ_eff ≥ ηλ):
    # then no AdamW run's delay exceeds the plain-decay prediction ln(V_mem/V_post)/(2ηλ). The paper states no share;
    # the row reads its statement as 'every run' (post hoc, with its rule: replicated ≥ 90 %, partly ≥ 50 %)
    "p2_gamma_eff": _c(2, "Remark 3.3", "AdamW's effective contraction rate γ_eff ≥ ηλ: the share of grokked AdamW "
                       "runs whose T_grok − T_mem is at or below ln(V_mem/V_post)/(2ηλ)",
                       "README.md (S6: AdamW's contraction rate against 1 − 2ηλ)", 100.0, post_hoc=True),
    "p2_parity": _c(2, "supplementary S10", "sparse parity n ∈ {20, 30, 40}, k = 3, 25 000 training examples, "
                    "batch 256, '2-layer, d = 128' model: T_mem and T_grok (99 %, evaluated every 200 steps)",
                    "data/summary10_parity.json", dict(t_mem=200, t_grok=200, runs=15)),
    "p2_runs": _c(2, "§4", "runs over modular addition, multiplication and sparse parity", "paper", 293),
}


# Seeds per cell of the paper's figure, read from the authors' results files (the `seeds` field of
# data/efflr, denserho, normint, tfnoln_long, tfnormint, parity results_summary.json: 16; data/pscan: 12;
# data/grokfss/metrics: 20 per cell; paper 2's summary2/5/8: 10 / 5 / 5 per cell; summary3: 7 per modulus).
for _k, _n in {"table1_lr1e-3": 16, "table1_lr8e-3": 16, "free_lr1e-3": 16, "alpha_dense_p59": 16, "norm_vs_lr": 16,
               "oneshot_arm": 16, "hold_arm": 16, "oneshot_spread": 16, "hold_spread": 16, "alpha_shared": 12, "emb_pscan_exponent": 12,
               "alpha_per_p": 12, "alpha_attn_noln": 16, "attn_noln_t": 16, "attn_noln_wc": 16, "attn_noln_sat": 16,
               "attn_ln_groups": 16, "attn_ln_hold_max": 16, "parity_wc": 16, "parity_t": 16, "p2_lambda_fit": 10,
               "p2_norm_ratio_r": 7, "p2_eta_r2": 5, "p2_eta_slowest": 5, "p2_joint_grid": 5, "p2_sgd": 5}.items():
    PAPER[_k].setdefault("seeds", _n)


def seeds(ours, key: str | None) -> str:
    """'ours / the paper's' seeds per cell for a scorecard row (ours alone where the paper's count is unknown)."""
    theirs = PAPER.get(key, {}).get("seeds") if key else None
    return f"{ours} / {theirs}" if theirs else f"{ours}"


def ci_text(lo, hi, fmt: str = ".2f", unit: str = "") -> str:
    """A CI as a scorecard shows it, or '—' where there is none."""
    ok = lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi)
    return f"[{lo:{fmt}}, {hi:{fmt}}]{unit}" if ok else "—"


def cite(key: str) -> str:
    """'paper 1 §5 — data/normint/results_summary.json': where a figure comes from, for a table's source column."""
    c = PAPER[key]
    return f"paper {c['paper']} {c['section']} — {c['source']}"


def ols_slope(xs, ys) -> float:
    """Slope of ln(y) on x by ordinary least squares: the paper's delay-law estimator, applied to its own cells
    where the paper reports cells but not the fit over the same grid we ran."""
    lx = list(xs)
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((x - mx) * (y - my) for x, y in zip(lx, ly)) / sum((x - mx) ** 2 for x in lx)


# Verdict rule for a scalar compared with the paper's value, fixed before any run: within `tight` relative
# difference -> replicated; within `loose` -> partly; else not.
TIGHT, LOOSE = 0.10, 0.25
VERDICTS = ("replicated", "partly", "not replicated", "not resolved", "not measured")
# 'not resolved' was added after the runs (the rules above were fixed before them): a row whose 95 % CI, seeds
# resampled within cells, reaches both sides of its rule's line says so instead of a verdict our seeds cannot
# carry; the row keeps the verdict its registered rule gives at our point value beside it.


def resolve(rule, ours, lo, hi, *args, **kw) -> str:
    """`rule(ours, …)`, or 'not resolved' where the rule gives another verdict at either end of our CI [lo, hi]
    (the CI reaches across the rule's line). A row without a CI keeps its rule's verdict."""
    v = rule(ours, *args, **kw)
    if v == "not measured" or lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return v
    return v if {rule(lo, *args, **kw), rule(hi, *args, **kw)} == {v} else "not resolved"


def resolve_exponent(fit: dict, paper: float) -> str:
    """An exponent row (replicated if the paper's value lies in our CI): 'not resolved' where our CI also reaches
    past the paper's value ± 25 % (LOOSE), i.e. holds exponents that the scalar rule would call not replicated:
    so wide a CI contains the paper's value without testing it."""
    v = exponent_verdict(fit, paper)
    if v == "not measured" or not (math.isfinite(fit.get("lo", math.nan)) and math.isfinite(fit.get("hi", math.nan))):
        return v
    band = (paper - LOOSE * abs(paper), paper + LOOSE * abs(paper))
    return "not resolved" if fit["lo"] < band[0] or fit["hi"] > band[1] else v


def _line(rule, ours, end, *args, **kw) -> float | None:
    """Where between our value and a CI end the rule's verdict first changes (bisection on the rule)."""
    v = rule(ours, *args, **kw)
    if rule(end, *args, **kw) == v:
        return None
    a, b = ours, end
    for _ in range(60):
        mid = (a + b) / 2
        a, b = (mid, b) if rule(mid, *args, **kw) == v else (a, mid)
    return (a + b) / 2


def seeds_needed(ours, lo, hi, n: int, lines) -> int | None:
    """Seeds per cell that would bring the CI inside the nearest rule line it crosses, if its half-width shrinks
    as 1/√n: a planning figure, not a promise."""
    need = []
    for line in lines:
        if line is None or line == ours:
            continue
        half = (hi - ours) if line > ours else (ours - lo)
        need.append(math.ceil(n * (half / abs(line - ours)) ** 2))
    return max(need) if need and n else None


def judged(rule, ours, lo, hi, n: int, key: str | None, *args, fmt: str = ".2f", unit: str = "", **kw) -> dict:
    """A scorecard row's verdict fields: the registered rule's verdict at our value, 'not resolved' where our CI
    reaches across its line, the CI, and the seeds (ours / the paper's; where not resolved, about how many
    would resolve it)."""
    reg = rule(ours, *args, **kw)
    v = resolve(rule, ours, lo, hi, *args, **kw)
    text = seeds(n, key)
    if v == "not resolved":
        k = seeds_needed(ours, lo, hi, n, [_line(rule, ours, e, *args, **kw) for e in (lo, hi)])
        text += _needed_text(k)
    return dict(verdict=v, registered=reg, ci=ci_text(lo, hi, fmt, unit), seeds=text)


MAX_NEEDED = 100   # past this a seed count says little: the CI is wide or our value sits on the line


def _needed_text(k: int | None) -> str:
    if not k:
        return ""
    return f" (≈ {k} would resolve it)" if k <= MAX_NEEDED else f" (more than {MAX_NEEDED} would be needed)"


def judged_exponent(fit: dict, paper: float, n: int, key: str | None, fmt: str = ".2f") -> dict:
    """`judged` for an exponent row (its rule: the paper's value in our CI; resolved where that CI stays
    within the paper's value ± 25 %)."""
    reg = exponent_verdict(fit, paper)
    v = resolve_exponent(fit, paper)
    text = seeds(n, key)
    if v == "not resolved":
        band = (paper - LOOSE * abs(paper), paper + LOOSE * abs(paper))
        lines = [band[0] if fit["lo"] < band[0] else None, band[1] if fit["hi"] > band[1] else None]
        k = seeds_needed(fit["alpha"], fit["lo"], fit["hi"], n, lines)
        text += _needed_text(k)
    return dict(verdict=v, registered=reg, ci=ci_text(fit.get("lo"), fit.get("hi"), fmt), seeds=text)


def verdict(ours: float, paper: float, tight: float = TIGHT, loose: float = LOOSE) -> str:
    if ours is None or paper is None or ours != ours:
        return "not measured"
    rel = abs(ours - paper) / abs(paper)
    return "replicated" if rel <= tight else ("partly" if rel <= loose else "not replicated")


def exponent_verdict(fit: dict, paper: float) -> str:
    """An exponent is replicated if the paper's value lies in our 95 % CI, partly if within 25 % of ours."""
    a = fit.get("alpha", float("nan"))
    if a != a:
        return "not measured"
    if fit["lo"] <= paper <= fit["hi"]:
        return "replicated"
    return "partly" if abs(a - paper) <= 0.25 * abs(a) else "not replicated"


def r2_verdict(r2: float, tight: float = 0.95, loose: float = 0.85) -> str:
    """An R² claim (a law fits): replicated at ≥ 0.95, partly at ≥ 0.85. Fixed before the runs."""
    if r2 is None or r2 != r2:
        return "not measured"
    return "replicated" if r2 >= tight else ("partly" if r2 >= loose else "not replicated")


def below_verdict(ours: float, bound: float, loose: float = 2.0) -> str:
    """A one-sided claim 'at most `bound`' (e.g. a weak effect, ≤ ~2×): replicated if ours ≤ bound, partly if
    within `loose` times it. Fixed before the group-hold runs."""
    if ours is None or ours != ours:
        return "not measured"
    return "replicated" if ours <= bound else ("partly" if ours <= loose * bound else "not replicated")


def above_verdict(ours: float, bound: float, loose: float = 0.5) -> str:
    """A one-sided claim 'at least `bound`' (e.g. a norm that is *not* concentrated: CV ≥ bound): replicated if
    ours ≥ bound, partly if ≥ `loose` times it."""
    if ours is None or ours != ours:
        return "not measured"
    return "replicated" if ours >= bound else ("partly" if ours >= loose * bound else "not replicated")


# Rules of the regularisation-frontier rows (paper 1 §5), fixed before their runs:
# - below Wc: F = the largest factor between a hold's median T_grok and the frontier's at the hold's norm
#   (fits.frontier_time); on the frontier (replicated) at F ≤ FRONTIER_ON, partly at F ≤ FRONTIER_ON·FRONTIER_LOOSE;
# - above Wc: R = the smallest norm held above Wc over the largest ‖W‖ at T_grok of any free run at λ ≥ the
#   control's: replicated at R > 1 (no free run reaches it), partly at R ≥ 0.95;
# - our addition, λ below the control's: F for each hold above Wc whose norm the extended frontier reaches; off
#   the frontier (the paper's reading, replicated) at F ≥ 2, partly at F ≥ FRONTIER_ON;
# - the rescaled initialisation: its T_grok over the free control's against 1 (`verdict`, TIGHT / LOOSE);
# - one group scaled once: its T_grok over the control's against the paper's ratio, within GROUP_TIGHT
#   (replicated) or GROUP_LOOSE (partly).
FRONTIER_ON, FRONTIER_LOOSE = 1.25, 1.6
GROUP_TIGHT, GROUP_LOOSE = 0.03, 0.10


def on_frontier_verdict(factor: float) -> str:
    return below_verdict(factor, FRONTIER_ON, FRONTIER_LOOSE)


def above_frontier_verdict(ratio: float) -> str:
    return above_verdict(ratio, 1.0, 0.95)


def off_frontier_verdict(factor: float) -> str:
    return above_verdict(factor, 2.0, FRONTIER_ON / 2.0)


def group_verdict(ours: float, paper: float) -> str:
    return verdict(ours, paper, GROUP_TIGHT, GROUP_LOOSE)


# ---- the chapters' own rules (each chapter's scorecard names the one it uses; chapter 5's judge its predictions)


def r_verdict(ours: float, paper: float) -> str:
    """An R² or r: replicated within 0.05 of the paper's value or above it, partly within 0.15 (fixed before the runs)."""
    if not np.isfinite(ours):
        return "not measured"
    return "replicated" if ours >= paper - 0.05 else ("partly" if ours >= paper - 0.15 else "not replicated")


def contraction_verdict(ours: float, paper: float, tol: float = 2e-4) -> str:
    """The fitted contraction factor: replicated within 2e-4 of the paper's (fixed before the runs)."""
    if not np.isfinite(ours):
        return "not measured"
    return "replicated" if abs(ours - paper) <= tol else "not replicated"


def share_verdict(percent: float) -> str:
    """A statement about every run, scored by the share that meets it: replicated at ≥ 90 %, partly at ≥ 50 %
    (written after the runs, for the γ_eff row)."""
    if percent is None or not np.isfinite(percent):
        return "not measured"
    return "replicated" if percent >= 90 else ("partly" if percent >= 50 else "not replicated")


def concentration_verdict(cv_pct: float) -> str:
    """A concentration claim: replicated at a CV of at most 3 %, partly at most 6 % (fixed before the runs)."""
    return ("not measured" if not np.isfinite(cv_pct) else
            "replicated" if cv_pct <= 3 else "partly" if cv_pct <= 6 else "not replicated")


def cv_verdict(cv: float, lo: float, hi: float) -> str:
    """A concentrated norm: replicated inside or below the paper's range, partly within a factor 2."""
    if cv != cv:
        return "not measured"
    return "replicated" if cv <= hi else ("partly" if cv <= 2 * hi else "not replicated")


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


def at_least_verdict(measured: float, line: float) -> str:
    """'At least `line`' (a ratio): held if measured ≥ line, partly if ≥ 1.3 (the right direction, below the line),
    else failed."""
    if measured is None or math.isnan(measured):
        return "not measured"
    return "held" if measured >= line else ("partly" if measured >= 1.3 else "failed")


def error_verdict(err_pct: float, tol: float = 5.0) -> str:
    """A prediction of our own (chapter 1's W_c at a modulus it did not fit): replicated within ±5 %."""
    if err_pct is None or not math.isfinite(err_pct):
        return "not measured"
    return "replicated" if abs(err_pct) <= tol else "not replicated"


def contrast_verdict(fail_grokked: int, fail_n: int, ok_grokked: int, ok_n: int) -> str:
    """'One optimiser fails where the other groks': replicated when no run of the first grokked and at least one
    of the second did; not measured without runs of both."""
    if not fail_n or not ok_n:
        return "not measured"
    return "replicated" if fail_grokked == 0 and ok_grokked > 0 else "not replicated"


def every_run_verdict(k: int, n: int) -> str:
    """A statement about every run, scored by count: replicated when all n meet it, partly when at least half do."""
    if not n:
        return "not measured"
    return "replicated" if k == n else ("partly" if k >= n / 2 else "not replicated")


def rises_verdict(medians_by_rho) -> str:
    """'T_grok rises with ρ': each cell's median strictly above the one at the next smaller ρ (a cell with no
    median, beyond its budget, counts as infinite). 'not measured' with fewer than two cells."""
    km = [np.inf if m is None or m != m else float(m) for m in medians_by_rho]
    if len(km) < 2:
        return "not measured"
    return "replicated" if all(b > a for a, b in zip(km, km[1:])) else "not replicated"


def drift_verdict(pairs: int, t_ratio: float, t_lo: float, t_hi: float, seed_cv_pct: float,
                  norm_ratio: float) -> str:
    """bf16 against fp32 on paired seeds (fixed before the bf16 runs): within seed noise when the T_grok ratio's
    95 % CI holds 1 or its distance from 1 is below the fp32 cell's seed-to-seed CV over √pairs, and ‖W‖ at T_grok
    moves by less than 1 % over √pairs."""
    if not pairs:
        return "not measured"
    t_ok = t_lo <= 1 <= t_hi or abs(t_ratio - 1) < seed_cv_pct / 100 / math.sqrt(pairs)
    w_ok = abs(norm_ratio - 1) < 0.01 / math.sqrt(pairs)
    return "within seed noise" if t_ok and w_ok else "outside seed noise"


# ---- sparse parity's λ frontier (paper 1, Table 2), fixed before its runs (committed before the first was trained)
FRONTIER_MIN_RATIO = 1.2      # 'set by weight decay': the largest over the smallest cell median, at least this
ON_FRONTIER = 1.5             # a held cell lies on the frontier if its median T_grok is within this factor of it


def set_by_weight_decay(wc_by_lam: dict, min_ratio: float = FRONTIER_MIN_RATIO) -> str:
    """Table 2's 'norm at grok set by weight decay' from the frontier's cells {λ: median ‖W‖ at T_grok} (cells
    where at least half the seeds grokked): 'yes' if the medians fall strictly with λ and the largest is at
    least `min_ratio` times the smallest; 'partly' if they fall overall by that much with one adjacent pair out
    of order; 'no' otherwise; 'not measured' with fewer than three such cells."""
    lams = sorted(lam for lam, w in wc_by_lam.items() if np.isfinite(w))
    if len(lams) < 3:
        return "not measured"
    w = [wc_by_lam[lam] for lam in lams]
    falls = sum(b < a for a, b in zip(w, w[1:]))
    big = w[0] / w[-1] >= min_ratio
    return "yes" if big and falls == len(w) - 1 else ("partly" if big and falls == len(w) - 2 else "no")


def on_frontier(frontier: list[tuple], held: list[tuple], factor: float = ON_FRONTIER) -> tuple[str, list]:
    """Table 2's 'reg.-unreachable above-norm delay' from the frontier's cells [(median ‖W‖ at T_grok, median
    T_grok)] and the held cells [(held norm ρ·W_c, median T_grok)]: each held cell whose norm lies within the
    frontier's norm range is compared with the frontier's T_grok at that norm (interpolated linearly in
    (‖W‖, ln T) between neighbouring cells). 'no' (no unreachable delay: the clamp lies on the frontier) if every
    such held cell is within `factor` of it; 'yes' if a held cell above W_c is slower than `factor` times it;
    'partly' otherwise (a cell off the frontier, but not a slow one above W_c); 'not measured' without at
    least two frontier cells and one held cell in range. Returns (answer, [(norm, T held, T frontier)])."""
    pts = sorted((w, t) for w, t in frontier if np.isfinite(w) and np.isfinite(t))
    if len(pts) < 2:
        return "not measured", []
    ws, lts = np.array([p[0] for p in pts]), np.log([p[1] for p in pts])
    cmp = [(w, t, float(np.exp(np.interp(w, ws, lts)))) for w, t in held
           if np.isfinite(t) and ws[0] <= w <= ws[-1]]
    if not cmp:
        return "not measured", []
    off = [(w, t, f) for w, t, f in cmp if not 1 / factor <= t / f <= factor]
    if not off:
        return "no", cmp
    return ("yes" if any(t > factor * f for w, t, f in off) else "partly"), cmp


def invariant(cv_pct: float) -> str:
    """A Table 2 invariance, by chapter 1's concentration rule (CV ≤ 3 %: 'yes', ≤ 6 %: 'partly')."""
    return {"replicated": "yes", "partly": "partly", "not replicated": "no"}.get(concentration_verdict(cv_pct),
                                                                               "not measured")


def answer_verdict(ours: str, theirs: str) -> str:
    """A Table 2 answer ('yes' / 'partly' / 'no') against the paper's: replicated when the same, partly when ours is
    'partly', not measured when ours is."""
    return ("not measured" if ours == "not measured" else "replicated" if ours == theirs else
            "partly" if ours == "partly" else "not replicated")

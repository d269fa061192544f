"""Study plans and their cost: what a chapter asks the store for before it trains anything."""
import math

import numpy as np
import pytest

from grok_core import RunSpec, sweep
from grok_core.store import Store
from grok_core.studies import ln_groups, parity_p2


def _record(spec, t_grok, norms):
    steps = np.array([0, t_grok], dtype=np.int32)
    curves = {"step": steps, **{f"norm_{k}": np.array([1.0, v], dtype=np.float32) for k, v in norms.items()}}
    return {"spec": spec.to_dict(), "summary": {"status": "grokked", "t_grok": t_grok}, "curves": curves}


def test_group_wc_is_the_median_group_norm_at_grok():
    cfg = ln_groups.PRESETS["quick"]
    ctl = ln_groups.control(cfg)
    tensors = ["W_E", "W_pos", "W_Q", "W_K", "W_V", "W_O", "W_in", "W_out", "W_U"]
    recs = [_record(s, 100, {**{k: 1.0 for k in tensors}, "W_in": 3.0, "W_out": 4.0, "W_U": u})
            for s, u in zip(ctl, [2.0, 6.0])]
    assert ln_groups.group_wc(recs, "mlp") == pytest.approx(5.0)          # sqrt(3² + 4²), both seeds
    assert ln_groups.group_wc(recs, "unembed") == pytest.approx(4.0)      # median of 2 and 6
    held = ln_groups.held(cfg, {"unembed": 4.0, "mlp": 5.0})
    assert {(s.clamp_group, s.rho, s.clamp_target) for s in held} == {("unembed", 0.85, 3.4), ("mlp", 1.3, 6.5)}
    # every arm shares its control's initial weights and split
    assert {s.init_seed() for s in held} == {s.init_seed() for s in ctl}
    assert ln_groups.held(cfg, {"unembed": math.nan, "mlp": 5.0}) == [s for s in held if s.clamp_group == "mlp"]


def test_paper2_parity_plan_is_the_papers_grid():
    runs = parity_p2.plan(parity_p2.PRESETS["book"])["paper 2 parity"]
    assert sorted({s.n_bits for s in runs}) == [20, 30, 40] and len(runs) == 15
    assert {(s.n_train, s.batch_size, s.hidden, s.depth, s.max_steps) for s in runs} == {(25000, 256, 128, 2, 100000)}


def test_cost_counts_only_what_the_store_lacks(tmp_path):
    store = Store(tmp_path)
    specs = [RunSpec(p=7, frac=0.6, d_embed=8, hidden=8, max_steps=50, seed=s) for s in range(3)]
    before = sweep.cost(specs, store, workers=1)
    assert before["runs"] == 3 and before["member_steps"] == 150 and before["cpu_hours"] > 0
    sweep.run(specs[:1], store=store, workers=1, progress=False)
    after = sweep.cost(specs, store, workers=1)
    assert after["runs"] == 2 and after["member_steps"] == 100
    assert after["cpu_hours"] == pytest.approx(before["cpu_hours"] * 2 / 3)


# ---- chapter 4 (paper 2's studies) and chapter 5 (one law or two)

def test_log_law_book_plan_is_the_stored_chapter_4():
    """The typed preset asks for exactly the runs chapter 4's page was made from: every λ-sweep and moduli run of
    the book preset is in the committed store (a drifted default would change their ids)."""
    from grok_core.studies import log_law
    studies = log_law.plan(log_law.PRESETS["book"])
    store = Store("results")
    for name in ("λ sweep", "moduli", "η×λ grid"):
        assert all(store.get(s) is not None for s in studies[name]), name
    eta = studies["η sweep"]
    assert {s.lr: s.max_steps for s in eta} == {1e-4: 200000, 2e-4: 200000, 5e-4: 200000, 1e-3: 100000, 2e-3: 50000}


def test_one_law_control_is_chapter_4s_free_runs_and_holds_share_their_init():
    from grok_core.studies import log_law, one_law
    cfg = one_law.PRESETS["book"]
    free = one_law.free(cfg)
    assert {s.run_id for s in free} <= {s.run_id for s in log_law.plan(log_law.PRESETS["book"])["moduli"]}
    held = one_law.held(cfg, 20.0)
    assert {s.init_seed() for s in held} <= {s.init_seed() for s in free}
    assert {(s.rho, s.clamp_target) for s in held} == {(r, round(20.0 * r, 4)) for r in cfg.rhos}
    assert {(s.clamp_mode, s.clamp_group, s.t_int) for s in held} == {("hold", "norm", cfg.t_int)}


def test_one_law_predictions_were_written_for_exactly_its_new_runs():
    """The committed prediction file names the runs it predicts; the plan's new runs are exactly those, so no run
    was added (or dropped) after the predictions were fixed."""
    import json
    from grok_core.studies import one_law
    store = Store("results")
    pred = json.loads(one_law.prediction_path(store, "book").read_text())
    studies = one_law.plan(one_law.PRESETS["book"], store)
    assert sorted(s.run_id for s in studies["held transformer"] + studies["MLP at a new λ"]) == pred["new_run_ids"]
    assert pred["held_transformer"]["wc"] == pytest.approx(one_law.wc([store.get(s) for s in studies["free transformer"]]))


def test_log_law_terms_follow_paper_2s_formula():
    from grok_core.studies import one_law
    spec = RunSpec(lr=1e-3, wd=0.5)
    steps = np.array([0, 100, 200, 300, 400, 900], dtype=np.int32)
    norm = np.array([10, 20, 30, 28, 25, 24], dtype=np.float32)
    rec = {"spec": spec.to_dict(), "curves": {"step": steps, "weight_norm": norm},
           "summary": {"status": "grokked", "t_mem": 100, "t_grok": 400, "norm_at_mem": 20.0, "norm_at_grok": 25.0}}
    t = one_law.log_law_terms(rec)
    el = 1e-3 * 0.5
    assert t["delay"] == 300 and t["after_grok"] == 500
    assert t["pred_end"] == pytest.approx(math.log(20 ** 2 / 24 ** 2) / (2 * el))
    assert t["pred_wc"] == pytest.approx(math.log(20 ** 2 / 25 ** 2) / (2 * el))
    assert t["norm_peak"] == 30 and t["pred_peak"] == pytest.approx(math.log(30 ** 2 / 25 ** 2) / (2 * el))


def test_prediction_verdicts():
    from grok_core.studies.one_law import bound_verdict, never_verdict, ratio_verdict
    assert [ratio_verdict(m, 1000) for m in (1250, 800, 1900, 520, 2100, math.nan)] == \
        ["held", "held", "partly", "partly", "failed", "not measured"]
    assert [bound_verdict(m, 2.0) for m in (1.9, 3.9, 4.1, math.inf)] == ["held", "partly", "failed", "failed"]
    assert [never_verdict(g, 8) for g in (0, 2, 3)] == ["held", "partly", "failed"]


def test_sparse_parity_book_plan_is_the_stored_chapter_3b():
    """The typed preset and its staged plan ask for exactly the stored runs: the held study's W_c, T_free and
    budgets are derived from the stored free runs again, so a drift in any of them changes ids and fails here."""
    from grok_core.studies import sparse_parity
    store = Store("results")
    studies = sparse_parity.plan(sparse_parity.PRESETS["book"], store)
    assert set(studies) == {"free", "training-set size", "λ frontier", "held"}
    assert len(studies["held"]) == 8 * 5 and len(studies["λ frontier"]) == 8 * 6
    for name, specs in studies.items():
        if name != "λ frontier":              # its λ = 1 cell is the free runs' reference cell; the rest may train
            assert all(store.get(s) is not None for s in specs), name
    cfg = sparse_parity.PRESETS["book"]
    ref = {s.run_id for s in studies["free"] if s.lr == 1e-3 and s.seed < cfg.seeds}
    assert ref == {s.run_id for s in studies["λ frontier"] if s.wd == 1.0}
    assert len([s for s in studies["free"] if s.lr == 1e-3]) == cfg.lr_seeds == 16     # the lr cells' 16 seeds
    # without the free runs the plan cannot list the held study yet
    assert set(sparse_parity.plan(sparse_parity.PRESETS["book"])) == {"free", "training-set size", "λ frontier"}


def test_parity_frontier_rules():
    """The λ frontier's two Table 2 rules, fixed before its runs."""
    from grok_core.claims import on_frontier, set_by_weight_decay
    authors = {0.3: 26.97, 0.5: 23.17, 1.0: 20.83, 2.0: 17.52, 3.0: 15.63}   # their data/parity_lambda medians
    assert set_by_weight_decay(authors) == "yes"
    assert set_by_weight_decay({**authors, 2.0: 21.0}) == "partly"               # one pair out of order
    assert set_by_weight_decay({0.3: 21.0, 1.0: 20.5, 3.0: 20.0}) == "no"           # falls, but by < 1.2x
    assert set_by_weight_decay({1.0: 20.0, 3.0: 15.0}) == "not measured"
    front = [(26.97, 7377), (20.83, 3220), (15.63, 2049)]
    assert on_frontier(front, [(22.0, 3800), (18.7, 2800)])[0] == "no"
    assert on_frontier(front, [(24.0, 20000)])[0] == "yes"                         # slow, high-norm: off it
    assert on_frontier(front, [(18.0, 600)])[0] == "partly"                        # off it, but fast
    assert on_frontier(front, [(40.0, 3000)])[0] == "not measured"                 # outside the frontier's range


def test_pinned_norm_book_plan_is_the_stored_chapter_2():
    """Every cell chapter 2's page rests on, planned again from the stored controls' W_c and T_free: same ids,
    same budgets, all stored (the clamped, rescaled and free runs of every study, and 40 controls)."""
    from grok_core.studies import pinned_norm
    store = Store("results")
    studies = pinned_norm.plan(pinned_norm.PRESETS["book"], store)
    assert {k: len(v) for k, v in studies.items()} == {"controls": 40, "ρ × η matrix": 128, "dense ρ": 80,
                                                       "one-shot": 40, "p-scan": 136, "weight-decay frontier": 48,
                                                       "frontier holds": 24, "rescaled init": 16,
                                                       "one group scaled": 32}
    assert {(s.clamp_mode, s.t_int) for s in studies["rescaled init"]} == {("once", 0)}
    assert {(s.clamp_group, s.clamp_factor, s.clamp_target) for s in studies["one group scaled"]} == {
        (g, 0.8, 0.0) for g in ("E", "W1", "W2", "norm")}
    for name, specs in studies.items():
        assert all(store.get(s) is not None for s in specs), name
    once = studies["one-shot"]
    assert {s.clamp_mode for s in once} == {"once"} and {s.t_int for s in once} == {500}
    # without a store only the free runs can be listed: every clamped cell needs its control's W_c
    assert list(pinned_norm.plan(pinned_norm.PRESETS["book"])) == ["controls", "weight-decay frontier"]


def test_attention_cells_run_to_the_authors_budgets_and_alpha2_is_fitted_over_their_range():
    """Paper 1's attention model without LayerNorm: the book and paper presets give each held cell the authors'
    budget (data/tfnoln_long/grid_spec.json) and fit α₂ over the ρ range paper 1 fits."""
    from grok_core import claims
    from grok_core.studies import ln_ablation

    for name in ("book", "paper"):
        cfg = ln_ablation.PRESETS[name]
        assert cfg.attn_long == claims.PAPER["attn_noln_budget"]["value"]
        assert all(ln_ablation.long_seeds(cfg, r) >= min(2, cfg.attn_seeds) for r in cfg.attn_long)
        assert cfg.attn_fit_rhos == (0.85, 1.00, 1.15) and set(cfg.attn_rhos) >= {0.85, 1.00, 1.15, 1.20}
    assert ln_ablation.long_seeds(ln_ablation.PRESETS["paper"], 1.20) == 16
    # a held spec whose first budget is shorter than the authors' runs to theirs; a longer one keeps its own
    cfg = ln_ablation.PRESETS["book"]
    ctl = dict(wc=36.0, t_free=7644.0)
    first = {(s.rho, s.seed): s for s in ln_ablation.attn_held(cfg, ctl)}
    for s in ln_ablation.attn_measured(cfg, ctl):
        f = first[(s.rho, s.seed)]
        authors = cfg.attn_long[s.rho] if s.seed < ln_ablation.long_seeds(cfg, s.rho) else 0
        assert s.run_id == f.run_id and s.max_steps == max(f.max_steps, authors)
    assert ln_ablation.long_seeds(cfg, 1.20) == 4       # the book: every seed of every cell at the authors' budget


def test_ln_ablation_book_plan_is_the_stored_chapter_3():
    """Chapter 3's four studies planned again from the stored controls (W_c of the whole norm, of W2 alone and of
    the unembedding alone): every run is stored, so the ids and budgets are the page's."""
    from grok_core.studies import ln_ablation
    store = Store("results")
    studies = ln_ablation.plan(ln_ablation.PRESETS["book"], store)
    auth = all(store.get(s) is not None for s in studies["the authors' attention model: control"])
    assert {k: len(v) for k, v in studies.items()} == {
        "MLP controls": 16, "attention controls": 4, "attention with LN across fractions": 16, "MLP W2 held": 32,
        "MLP held": 64, "attention held": 16, "attention held, the authors' budgets": 16,
        "attention held, past the authors' budget": 1, "the authors' attention model: control": 4,
        "attention with LN, group held": 8, "group holds: control": 8,
        "group holds: held": 72, **({"the authors' attention model: held": 16} if auth else {})}
    growing = {"attention held, past the authors' budget", "the authors' attention model: control",
               "the authors' attention model: held"}   # planned with their cost; trained as CPU time allows
    for name, specs in studies.items():
        if name not in growing:
            assert all(store.get(s) is not None for s in specs), name
    assert {s.clamp_group for s in studies["MLP W2 held"]} == {"W2"}
    assert {s.clamp_group for s in studies["attention with LN, group held"]} == {"W_U"}
    # the authors' model: their positional init and readout, their budgets per ρ, t_int 600
    ctl = studies["the authors' attention model: control"]
    assert {(s.pos_init, s.readout_eq, s.max_steps) for s in ctl} == {(0.1, True, 40_000)}
    for s in studies.get("the authors' attention model: held", []):
        assert (s.pos_init, s.readout_eq, s.t_int, s.max_steps) == (0.1, True, 600, ln_ablation.PRESETS["book"].attn_long[s.rho])
    past = studies["attention held, past the authors' budget"]
    assert [(s.rho, s.seed, s.max_steps) for s in past] == [(1.00, 1, 120_000)]
    assert past[0].run_id in {s.run_id for s in studies["attention held"]}     # the same run, trained on


def test_out_of_range_cells_are_planned_only_after_their_own_prediction(tmp_path):
    """Chapter 5's cells outside the grid's ηλ: not planned on a store without their prediction file; no file is
    written while chapter 1's grid is missing; the committed file names exactly the planned runs, whose ηλ lie
    outside the grid's span it records."""
    import json
    from grok_core.studies import one_law
    cfg = one_law.PRESETS["book"]
    empty = Store(tmp_path / "s")
    assert one_law.RANGE not in one_law.plan(cfg, empty)
    assert one_law.write_range_predictions(cfg, "book", empty) is None
    assert not one_law.range_prediction_path(empty, "book", cfg).exists()
    store = Store("results")
    pred = json.loads(one_law.range_prediction_path(store, "book", cfg).read_text())
    planned = one_law.plan(cfg, store)[one_law.RANGE]
    assert sorted(s.run_id for s in planned) == pred["new_run_ids"]
    lo, hi = pred["mlp_out_of_range"]["grid_eta_lambda"]
    assert all(not lo <= c["eta_lambda"] <= hi for c in pred["mlp_out_of_range"]["cells"])


def test_by_path_holds_are_planned_only_after_their_own_prediction(tmp_path):
    """Chapter 5's holds of one part of the transformer: the parts split its tensors in two with the final
    LayerNorm's affine weights and the head as the readout; the cells are not planned before their prediction
    file exists, the file is not written while the free runs are missing, and the committed file names exactly
    the planned runs, each held at ρ times its own part's W_c."""
    import json
    from grok_core.models import READOUT, build, clamp_names
    from grok_core.studies import one_law
    cfg = one_law.PRESETS["book"]
    model = build(cfg.transformer())
    body, readout = clamp_names(model, "body"), clamp_names(model, "readout")
    assert set(readout) == set(READOUT) and set(body) | set(readout) == set(model.names)
    assert not set(body) & set(readout)
    empty = Store(tmp_path / "s")
    assert one_law.PATHS not in one_law.plan(cfg, empty)
    assert one_law.write_path_predictions(cfg, "book", empty, 2.0) is None
    assert not one_law.path_prediction_path(empty, "book", cfg).exists()
    store = Store("results")
    pred = json.loads(one_law.path_prediction_path(store, "book", cfg).read_text())
    planned = one_law.plan(cfg, store)[one_law.PATHS]
    assert sorted(s.run_id for s in planned) == pred["new_run_ids"]
    wc = pred["paths"]["wc"]
    assert all(s.clamp_target == round(s.rho * wc[s.clamp_group], 4) for s in planned)
    assert {(s.clamp_group, s.rho) for s in planned} == {(g, r) for g in cfg.path_groups for r in cfg.path_rhos}


def test_path_statistics_count_a_censored_median_at_its_budget():
    """The registered statistics: a cell whose Kaplan–Meier median lies past the budget counts at the budget, so a
    readout that never groks at its top ρ gives at least budget / T(ρ_min), and the body's fold change is
    symmetric (twice as fast and twice as slow are both 2)."""
    from grok_core.studies import one_law
    cells = {"body": {0.85: ([1000, 1000], [True, True]), 1.3: ([4000, 4000], [True, True])},
             "readout": {0.85: ([2000, 2000], [True, True]), 1.3: ([20000, 20000], [False, False])}}
    st = one_law.path_stats(cells, t_free=2000.0, budget=20000)
    assert st["body"] == 2.0 and st["readout"] == 10.0
    assert one_law.at_least_verdict(st["readout"], 2.0) == "held"
    assert one_law.at_least_verdict(1.5, 2.0) == "partly" and one_law.at_least_verdict(0.9, 2.0) == "failed"


def test_quickstart_is_a_study_whose_book_plan_is_the_stored_page(tmp_path):
    """The quickstart's presets and arms live in its study module: the book plan, staged (free, then held at
    ρ·W_c from the stored free runs), names exactly the runs the page reads, all stored."""
    import numpy as np
    from grok_core.studies import load, quickstart
    store = Store("results")
    cfg = quickstart.PRESETS["book"]
    studies = load("quickstart").plan(cfg, store)
    assert {k: len(v) for k, v in studies.items()} == {"free": cfg.seeds, "held": cfg.seeds}
    assert all(store.get(s) is not None for v in studies.values() for s in v)
    norms = [store.get(s)["summary"]["norm_at_grok"] for s in studies["free"]]
    w_c = float(np.median([n for n in norms if n is not None]))
    assert {s.clamp_target for s in studies["held"]} == {cfg.rho * w_c}
    assert "held" not in quickstart.plan(cfg, Store(str(tmp_path)))        # no free runs stored: no W_c yet

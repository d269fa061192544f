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

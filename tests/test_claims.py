"""The papers' figures: each says where it comes from and what it measures; fits computed from the paper's own
cells give the values the papers' data give."""
import math

import pytest

from grok_core import claims


@pytest.mark.parametrize("key", sorted(claims.PAPER))
def test_every_figure_names_its_paper_section_definition_and_source(key):
    c = claims.PAPER[key]
    assert c["paper"] in (1, 2)
    assert c["section"].startswith(("§", "Remark", "supplementary")) or "Table" in c["section"]
    assert len(c["definition"]) > 20 and c["source"] and c["value"] is not None
    assert claims.cite(key).startswith(f"paper {c['paper']} ")


def test_like_for_like_fits_of_the_papers_own_cells():
    t1 = claims.PAPER["table1_lr1e-3"]["value"]
    assert claims.ols_slope(list(t1), list(t1.values())) == pytest.approx(6.65, abs=0.01)      # not the dense 7.64
    w = claims.PAPER["wc_by_p_frac040"]["value"]
    k = claims.ols_slope([math.log(p) for p in w], [w[p] for p in w])
    assert k == pytest.approx(0.46, abs=0.01)                                                   # not the pooled 0.38
    once, hold = claims.PAPER["oneshot_arm"]["value"], claims.PAPER["hold_arm"]["value"]
    assert once[1.30] / once[0.70] == pytest.approx(1.23, abs=0.01)
    assert hold[1.15] / hold[0.90] == pytest.approx(7.28, abs=0.01)


def test_attention_alpha2_is_fitted_over_rho_085_to_115_and_saturates_at_120():
    t = claims.PAPER["attn_noln_t"]["value"]
    fit = [0.85, 1.00, 1.15]
    a2 = claims.ols_slope(fit, [t[r] for r in fit])
    assert a2 == pytest.approx(claims.PAPER["alpha_attn_noln"]["value"], abs=0.01)
    assert claims.ols_slope(list(t), list(t.values())) == pytest.approx(14.57, abs=0.01)        # with 1.20: not α₂
    icpt = sum(math.log(t[r]) for r in fit) / 3 - a2 * sum(fit) / 3
    assert t[1.20] / math.exp(icpt + a2 * 1.20) == pytest.approx(claims.PAPER["attn_noln_sat"]["value"], abs=0.01)
    assert set(claims.PAPER["attn_noln_budget"]["value"]) == set(t)


@pytest.mark.parametrize("ours, bound, want", [(1.5, 2.0, "replicated"), (3.0, 2.0, "partly"), (5.0, 2.0, "not replicated"),
                                               (float("nan"), 2.0, "not measured")])
def test_a_weak_effect_is_judged_one_sided(ours, bound, want):
    assert claims.below_verdict(ours, bound) == want


@pytest.mark.parametrize("ours, bound, want", [(23.1, 14.3, "replicated"), (10.0, 14.3, "partly"), (3.0, 14.3, "not replicated")])
def test_a_spread_out_norm_is_judged_one_sided(ours, bound, want):
    assert claims.above_verdict(ours, bound) == want


def test_r2_rule_thresholds():
    from grok_core.claims import r2_verdict

    assert [r2_verdict(x) for x in (0.95, 0.949, 0.85, 0.849, float("nan"))] == [
        "replicated", "partly", "partly", "not replicated", "not measured"]

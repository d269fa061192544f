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


def test_the_rules_that_once_lived_beside_the_tables():
    """Chapter 4's SGD/AdamW contrast and parity count, chapter 2's left-out moduli and the bf16 drift: the same
    lines as when they were written inline (a rule moved into claims must not move its line)."""
    assert [claims.contrast_verdict(*a) for a in ((0, 5, 3, 5), (1, 5, 3, 5), (0, 5, 0, 5), (0, 0, 3, 5))] == [
        "replicated", "not replicated", "not replicated", "not measured"]
    assert [claims.every_run_verdict(k, 15) for k in (15, 14, 8, 7)] + [claims.every_run_verdict(0, 0)] == [
        "replicated", "partly", "partly", "not replicated", "not measured"]
    nan = float("nan")
    assert [claims.rises_verdict(m) for m in ([100, 200, nan], [100, 100], [nan, 300], [100])] == [
        "replicated", "not replicated", "not replicated", "not measured"]
    ok = dict(pairs=9, t_ratio=1.02, t_lo=0.99, t_hi=1.05, seed_cv_pct=10.0, norm_ratio=1.002)
    assert claims.drift_verdict(**ok) == "within seed noise"
    assert claims.drift_verdict(**{**ok, "t_lo": 1.01, "t_ratio": 1.04}) == "outside seed noise"   # 4 % > 10 %/3
    assert claims.drift_verdict(**{**ok, "t_lo": 1.01}) == "within seed noise"                     # 2 % < 10 %/3
    assert claims.drift_verdict(**{**ok, "norm_ratio": 1.004}) == "outside seed noise"             # 0.4 % > 1 %/3
    assert claims.drift_verdict(**{**ok, "pairs": 0}) == "not measured"

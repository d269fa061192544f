import numpy as np

from grok_core import fits
from grok_core.analysis import at_grok, at_threshold
from grok_core.protocol import cell_table
from grok_core.claims import verdict


def test_power_law_recovers_a_known_exponent_with_a_ci_that_covers_it():
    rng = np.random.default_rng(1)
    p = np.repeat([29, 41, 59, 79, 97], 8)
    w = 7.0 * p ** 0.44 * np.exp(rng.normal(0, 0.01, len(p)))
    law = fits.power_law(p, w, n_boot=500)
    assert abs(law["k"] - 0.44) < 0.01 and law["lo"] < 0.44 < law["hi"] and law["r2"] > 0.99


def test_median_ci_brackets_the_median_and_is_seeded():
    x = np.arange(1.0, 21.0)
    m, lo, hi = fits.median_ci(x)
    assert m == 10.5 and lo < m < hi
    assert fits.median_ci(x, seed=3) == fits.median_ci(x, seed=3)
    assert np.isnan(fits.median_ci([])[0])


def test_ols_exact_line():
    b, a, r2 = fits.ols([0, 1, 2, 3], [1, 3, 5, 7])
    assert np.isclose(b, 2) and np.isclose(a, 1) and np.isclose(r2, 1)


def test_kaplan_meier_median_counts_censored_runs_as_still_at_risk():
    # 4 events and 2 runs censored at the budget 100: naive median of events = 25, KM median is later
    t = [10, 20, 30, 40, 100, 100]
    e = [True, True, True, True, False, False]
    assert fits.km_median(t, e) == 30.0
    assert fits.km_median([5, 100, 100], [True, False, False]) == float("inf")


def test_cv_and_verdict_rules():
    assert np.isclose(fits.cv([1.0, 1.0, 1.0]), 0.0)
    assert verdict(55.0, 55.0) == "replicated" and verdict(65.0, 55.0) == "partly"
    assert verdict(80.0, 55.0) == "not replicated" and verdict(float("nan"), 1.0) == "not measured"


def test_threshold_reread_and_norm_cell_table():
    import pandas as pd
    rec = {"curves": {"step": np.array([0, 10, 20, 30]), "test_acc": np.array([0.0, 0.85, 0.92, 0.97], np.float32),
                      "weight_norm": np.array([20, 50, 45, 44], np.float32)}}
    assert at_threshold(rec, 0.9) == (20.0, 45.0)
    assert at_threshold(rec, 0.8) == (10.0, 50.0)
    assert np.isnan(at_threshold(rec, 0.99)[0])
    assert at_grok({**rec, "summary": {"t_grok": 20}}, "weight_norm") == 45.0      # the value at T_grok, not after it
    assert np.isnan(at_grok({**rec, "summary": {"t_grok": None}}, "weight_norm"))
    df = pd.DataFrame(dict(p=[59, 59, 59], status=["grokked", "grokked", "censored"], norm_at_grok=[50.0, 52.0, None],
                           t_grok=[100, 300, None]))
    s = cell_table(df, ["p"], "norm_at_grok").iloc[0]
    assert s.seeds == 3 and s.grokked == 2 and s.norm_at_grok == 51.0 and s.t_grok == 200


def test_shared_exp_fit_recovers_one_slope_across_groups():
    rng = np.random.default_rng(0)
    cells = []
    for p, a in ((41, 7.0), (59, 8.0)):
        for rho in (0.85, 1.0, 1.15, 1.3):
            t = np.exp(a + 7.5 * rho + rng.normal(0, 0.05, 8))
            cells.append((p, rho, t, np.ones(8, bool)))
    fit = fits.shared_exp_fit(cells, n_boot=300)
    assert abs(fit["alpha"] - 7.5) < 0.2 and fit["lo"] < 7.5 < fit["hi"] and fit["r2"] > 0.99
    assert abs(fit["intercepts"][59] - fit["intercepts"][41] - 1.0) < 0.1


def test_censoring_changes_the_km_cell_time_not_the_naive_median():
    t = np.array([100, 120, 140, 500, 500, 500, 500])      # four of seven seeds censored at the budget 500
    e = np.array([True, True, True, False, False, False, False])
    assert fits.cell_time(t, e, "median") == 120
    assert fits.cell_time(t, e, "km") == float("inf")      # most never grokked in budget: median unknown
    e2 = np.array([True, True, True, True, False, False, False])
    assert fits.cell_time(t, e2, "km") == 500


def test_censored_fit_recovers_alpha_where_the_median_of_grokked_is_biased():
    """Simulated delay law with a budget that censors the slow high-ρ seeds: the censored MLE recovers α,
    the median over grokked seeds (which drops the slow ones) underestimates it."""
    rng = np.random.default_rng(3)
    alpha, a, sigma, budget = 7.5, 2.0, 0.35, 25_000.0
    cells = []
    for rho in (0.85, 1.0, 1.15, 1.3):
        t = np.exp(a + alpha * rho + sigma * rng.standard_normal(40))
        obs = t <= budget
        cells.append(("p59", rho, np.where(obs, t, budget), obs))
    assert sum((~c[3]).sum() for c in cells) > 20          # the top cell is mostly censored
    cen = fits.censored_exp_fit(cells, n_boot=200)
    naive = fits.shared_exp_fit(cells, method="median", n_boot=50)
    assert abs(cen["alpha"] - alpha) < 0.6 and cen["lo"] < alpha < cen["hi"]
    assert abs(cen["sigma"] - sigma) < 0.1
    assert naive["alpha"] < alpha - 0.6
    assert cen["censored"] == sum((~c[3]).sum() for c in cells)


def test_censored_fit_equals_least_squares_without_censoring():
    rng = np.random.default_rng(4)
    cells = [(g, rho, np.exp(1.0 + g + 5.0 * rho + 0.2 * rng.standard_normal(10)), np.ones(10, bool))
             for g in (0, 1) for rho in (0.9, 1.0, 1.1)]
    cen = fits.censored_exp_fit(cells, n_boot=0)
    X = np.array([[g == 0, g == 1, rho] for g, rho, t, _ in cells for _ in t], float)
    y = np.concatenate([np.log(t) for *_, t, _ in [(c[0], c[1], c[2], c[3]) for c in cells]])
    coef = np.linalg.lstsq(X, y, rcond=None)[0]
    assert abs(cen["alpha"] - coef[-1]) < 1e-3


def test_exponent_verdict_rules():
    from grok_core.claims import exponent_verdict

    assert exponent_verdict(dict(alpha=7.7, lo=7.4, hi=8.1), 7.64) == "replicated"
    assert exponent_verdict(dict(alpha=6.6, lo=6.4, hi=6.9), 7.49) == "partly"          # within 25 % of ours
    assert exponent_verdict(dict(alpha=2.2, lo=2.0, hi=2.4), 7.5) == "not replicated"
    assert exponent_verdict(dict(alpha=float("nan"), lo=float("nan"), hi=float("nan")), 7.5) == "not measured"


def test_time_cell_table_keeps_censored_seeds_in_the_km_median():
    import pandas as pd

    from grok_core.protocol import cell_table

    df = pd.DataFrame(dict(rho=[1.0] * 4, status=["grokked", "grokked", "censored", "censored"],
                           t_grok=[100.0, 200.0, None, None], steps_run=[100, 200, 1000, 1000], max_steps=[1000] * 4))
    row = cell_table(df, ["rho"]).iloc[0]
    assert (row.seeds, row.grokked, row.censored) == (4, 2, 2)
    assert row.T_median == 150.0                 # paper 1's median over grokked seeds
    assert row.T_km == 200.0                     # KM: survival reaches 0.5 at the second event
    df.loc[1, ["status", "t_grok", "steps_run"]] = ["censored", None, 1000]
    row = cell_table(df, ["rho"]).iloc[0]
    assert row.T_median == 100.0 and row.T_km == float("inf")   # 3 of 4 never grokked: no KM median in the data


def test_the_bootstrap_fits_each_distinct_draw_once_with_the_same_ci():
    """A draw equal to an earlier one reuses that fit: with a one-seed and a two-seed cell only four draws are
    distinct, and the CI equals the one from fitting every draw."""
    cells = [(0, 0.9, [100.0], [True]), (0, 1.1, [300.0, 500.0], [True, True])]
    calls = []

    def fit(cs):
        calls.append(1)
        return (float(sum(np.sum(c[2] * (1 + k)) for k, c in enumerate(cs))),)

    lo, hi = fits._slope_ci(fit, cells, 500, 3)
    rng, every = np.random.default_rng(3), []
    for _ in range(500):
        every.append(fit([(g, r, np.asarray(t, float)[rng.integers(0, len(t), len(t))], e) for g, r, t, e in cells])[0])
    assert len(calls) == 4 + 500
    assert (lo, hi) == tuple(float(q) for q in np.quantile(every, [0.025, 0.975]))

"""The book's table helper and scorecards: what a reader sees in a table."""
import numpy as np
import pandas as pd
import pytest

from grok_core.analysis import scorecard, table


def test_table_reads_as_a_reader_expects():
    df = pd.DataFrame(dict(rho=[0.85, 1.3], T_median=[1494.0, np.nan], cv_pct=[1.234, np.inf], wd=[0.001, 3.0]))
    html = table(df).to_html()
    for shown in ("1,494", "—", "∞", "1.23", "0.001", "median T_grok", "CV (%)", "λ"):
        assert shown in html, shown
    assert "1494.0" not in html and "nan" not in html.lower() and ">inf<" not in html
    assert table(df).to_html() == html                        # stable ids: nbval compares the HTML


def test_scorecard_refuses_an_unknown_verdict():
    with pytest.raises(ValueError, match="verdict"):
        scorecard([dict(claim="x", key=None, paper="1", ours="1", verdict="kind of")], glue_as=None)
    card = scorecard([dict(claim="x", key="alpha_shared", paper="7.49", ours="7.50", verdict="replicated")], glue_as=None)
    assert "paper 1 §6" in card.to_html()


def test_table_id_and_html_do_not_move_with_the_last_bit_of_a_value():
    """nbval compares a page's HTML on every CPU: a fit's last bit differs between machines (AMD EPYC vs Intel),
    so nothing in a table's HTML may depend on more than the printed cells."""
    df = pd.DataFrame(dict(rho=[0.85, 1.15], T_median=[1494.25, 2800.0], alpha=[7.5712345678, 0.99612345]))
    nudged = df.assign(T_median=np.nextafter(df.T_median, np.inf), alpha=np.nextafter(df.alpha, -np.inf))
    assert not nudged.equals(df)
    assert table(nudged).to_html() == table(df).to_html()


def test_parameter_columns_keep_grid_values_distinct():
    html = table(pd.DataFrame(dict(rho=[0.70, 0.85, 1.0, 1.15, 1.30], lr=[1e-4, 5e-4, 1e-3, 2e-3, 8e-3]))).to_html()
    for shown in ("0.70", "0.85", "1.00", "1.15", "1.30", "0.0001", "0.0005", "0.0010", "0.0080"):
        assert f">{shown}<" in html, shown


def test_step_counts_are_whole_ratios_keep_their_figures_and_infinite_times_read_did_not_grok():
    html = table(pd.DataFrame(dict(t_grok=[6930.5, 650.28, np.inf], ratio=[1.4, 0.9, 9.7]))).to_html()
    for shown in (">6,930<", ">650<", ">did not grok<", ">1.40<", ">0.900<", ">9.70<"):
        assert shown in html, shown
    assert "6,930.5" not in html and "650.28" not in html


def test_multiindex_headers_are_flat():
    df = pd.DataFrame([[1.0, 2.0]], columns=pd.MultiIndex.from_tuples([("median", "0.8"), ("median", "0.9")]))
    html = table(df).to_html()
    assert ">median 0.8<" in html and "('median'" not in html


def test_glance_counts_each_claim_once_and_names_the_ones_that_came_out_otherwise():
    import pandas as pd
    from grok_core.analysis import glance
    df = pd.DataFrame([dict(claim="a", claim_id="a", verdict="replicated"),
                       dict(claim="a, second row", claim_id="a", verdict="not replicated"),   # same claim: once
                       dict(claim="b", claim_id="b", verdict="not resolved"),
                       dict(claim="c", claim_id="c", verdict="not replicated")])
    text = glance(df)
    assert text.startswith("3 claims scored on this page: 1 replicated, 1 not replicated, 1 not resolved.")
    assert "c (not replicated)" in text and "second row" not in text and "b (" not in text
    assert glance(df.assign(verdict=["held", "failed", "held", "held"]), ("held", "partly", "failed")).startswith(
        "3 predictions scored on this page: 3 held.")
    # a row testing our own design is counted apart, whatever its verdict, and never named as a paper's claim
    own = pd.concat([df.assign(own=False), pd.DataFrame([dict(claim="ours", claim_id="o", verdict="not replicated",
                                                               own=True)])])
    text = glance(own)
    assert text.startswith("3 claims scored on this page") and "ours (" not in text
    assert text.endswith("1 more row tests a design of our own, not counted.")

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

"""Figures are a function of the store: the same data draw the same pixels on every execution."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from grok_core import plots  # noqa: E402


def _strip_offsets(df):
    fig, ax = plt.subplots()
    plots.strip(data=df, x="g", y="v", ax=ax)
    out = np.concatenate([c.get_offsets() for c in ax.collections])
    plt.close(fig)
    return out


def test_a_strip_plot_jitters_the_same_way_every_time_and_leaves_numpy_alone():
    df = pd.DataFrame({"g": ["a"] * 20 + ["b"] * 20, "v": np.arange(40.0)})
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    first, second = _strip_offsets(df), _strip_offsets(df)
    assert np.array_equal(first, second)
    assert len(np.unique(first[:, 0])) > 2                      # jittered, not drawn on one line
    assert np.array_equal(np.random.get_state()[1], before)    # the caller's generator is where it was

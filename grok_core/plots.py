"""One house style for every figure: seaborn, labelled axes with units, the paper's value drawn beside ours."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

OURS, PAPER = "#1f6fb4", "#d1495b"
VERDICT_COLORS = {"replicated": "#2e7d32", "partly": "#f2a900", "not replicated": "#c62828", "not resolved": "#6a8caf",
                  "not measured": "#9e9e9e"}


def style():
    """The house style; each notebook calls it once (importing this module changes nothing)."""
    # The book shows a figure at most ~680 px wide, so an 11-inch figure at 110 dpi is shown at ~0.55 of its
    # size: fonts are set for that (labels ~11 px, legends ~10 px on screen), once, here.
    sns.set_theme(context="notebook", style="whitegrid", palette="deep")
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "axes.titleweight": "bold",
                         "font.size": 13, "axes.titlesize": 12, "axes.labelsize": 13, "xtick.labelsize": 12,
                         "ytick.labelsize": 12, "legend.fontsize": 11, "legend.title_fontsize": 11,
                         "lines.markersize": 7})


def strip(**kw):
    """seaborn's stripplot with its jitter drawn from a fixed seed (seaborn draws it from numpy's global generator),
    so that a page's figure is the same on every execution; the global generator is left as it was."""
    state = np.random.get_state()
    np.random.seed(0)
    try:
        return sns.stripplot(**kw)
    finally:
        np.random.set_state(state)


def training_curves(record: dict, ax_acc, ax_norm, label: str = "", color=None):
    """Accuracy (train dashed, test solid) and ‖W‖ against step, log x, with T_mem and T_grok marked."""
    c, s = record["curves"], record["summary"]
    step = c["step"].clip(min=1)
    ax_acc.plot(step, c["train_acc"], "--", color=color, label=f"{label} train")
    ax_acc.plot(step, c["test_acc"], "-", color=color, label=f"{label} test")
    ax_norm.plot(step, c["weight_norm"], color=color, label=label)
    for t, ls in ((s["t_mem"], ":"), (s["t_grok"], "-.")):
        if t:
            for ax in (ax_acc, ax_norm):
                ax.axvline(t, color=color, ls=ls, lw=0.8)
    for ax in (ax_acc, ax_norm):
        ax.set_xscale("log")
        ax.set_xlabel("step")
    ax_acc.set_ylabel("accuracy")
    ax_norm.set_ylabel("weight norm ‖W‖")


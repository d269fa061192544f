"""The replication report: every chapter's scorecard, read back from its executed page (where the chapter glued
it), so that the report holds no number of its own."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd

from .claims import VERDICTS


def page_title(nb: dict) -> str:
    first = "".join(nb["cells"][0]["source"]).splitlines()[0]
    return first.lstrip("# ").strip()


def glued(nb: dict, name: str):
    """The value a page glued under `name` (as stored in its outputs), or None."""
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out.get("metadata", {}).get("scrapbook", {}).get("name") == name:
                data = out["data"]
                text = data.get("text/plain", data.get("application/papermill.record/text/plain"))
                return ast.literal_eval("".join(text))
    return None


def scorecards(book: str | Path) -> pd.DataFrame:
    """One row per scorecard row of every executed chapter page in `book` (pages named NN_*.ipynb, in order)."""
    rows = []
    for page in sorted(Path(book).glob("[0-9]*.ipynb")):
        nb = json.loads(page.read_text())
        card = glued(nb, "scorecard")
        if card is None:
            continue
        for r in json.loads(card):
            rows.append(dict(page=page.stem, chapter=page_title(nb), **r))
    return _frame(rows)


COLUMNS = ["page", "chapter", "claim", "paper", "ours", "ci", "seeds", "verdict", "registered", "source",
           "claim_id", "own"]


def _frame(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["ci"] = df.ci.fillna("—")
    df["seeds"] = df.seeds.fillna("—")
    df["registered"] = df.registered.fillna(df.verdict)
    df["claim_id"] = df.claim_id.fillna(df.claim)
    df["own"] = df.own.fillna(False).astype(bool)
    return df


def claims_of(df: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct claim of the papers: the first row of each (page, claim id), our own tests left
    out. Several rows can score one claim (an exponent and the R² of the same fit; two estimators)."""
    papers = df[~df.own]
    return papers.drop_duplicates(["page", "claim_id"])


def counts(df: pd.DataFrame) -> dict:
    return {v: int((df.verdict == v).sum()) for v in VERDICTS}


def predictions(book: str | Path, name: str = "predictions") -> pd.DataFrame:
    """The rows of every chapter's own prediction scorecard (glued under `name`): tests of predictions made
    before their runs, kept apart from the replication verdicts."""
    rows = []
    for page in sorted(Path(book).glob("[0-9]*.ipynb")):
        nb = json.loads(page.read_text())
        card = glued(nb, name)
        for r in json.loads(card) if card else []:
            rows.append(dict(page=page.stem, chapter=page_title(nb), **r))
    return _frame(rows)


# The landing page's headline claims, per paper: (page, claim id) of a scorecard row, in the order shown. An
# editorial choice of the claims each paper leads with; their figures and verdicts are the chapters' own.
HEADLINES = {
    "Paper 1: the weight norm sets the grokking timescale": [
        ("01_critical_norm", "wc_by_frac_p59"), ("02_pinned_norm", "alpha_dense_p59"),
        ("02_pinned_norm", "table1_lr1e-3"), ("02_pinned_norm", "table1_lr8e-3"),
        ("03_layernorm_ablation", "attn_ln_hold_max"), ("03_layernorm_ablation", "alpha_attn_noln")],
    "Paper 2: why grokking takes so long": [
        ("04_log_law", "p2_contraction"), ("04_log_law", "p2_lambda_fit"), ("04_log_law", "p2_norm_ratio_r"),
        ("04_log_law", "p2_sgd")],
}


def headlines(distinct: pd.DataFrame) -> pd.DataFrame:
    """The HEADLINES rows of `distinct` (claims_of), with their paper and a link to the chapter's scorecard; a
    headline whose chapter has not scored it yet is left out."""
    rows = []
    for paper, picks in HEADLINES.items():
        for page, cid in picks:
            hit = distinct[(distinct.page == page) & (distinct.claim_id == cid)]
            if len(hit):
                r = hit.iloc[0]
                rows.append(dict(paper=paper, claim=f'<a href="{page}.html#scorecard">{r.claim}</a>',
                                 figure=r.paper, ours=r.ours, ci=r.ci, verdict=r.verdict))
    return pd.DataFrame(rows, columns=["paper", "claim", "figure", "ours", "ci", "verdict"])

"""Every template runs under papermill with its quick preset; every executed page in book/ has a title and
holds its figures (an environment with MPLBACKEND=Agg would silently drop them)."""
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
DRAFTS = sorted((ROOT / "notebooks" / "drafts").glob("[0-9]*.ipynb"))   # templates whose runs are not in yet
PAGES = sorted((ROOT / "book").glob("[0-9]*.ipynb"))


@pytest.mark.parametrize("template", TEMPLATES + DRAFTS, ids=lambda p: p.name)
def test_template_runs_with_quick_preset(template, tmp_path, monkeypatch):
    papermill = pytest.importorskip("papermill")
    monkeypatch.setenv("GROK_STORE", str(tmp_path / "store"))
    out = tmp_path / template.name
    papermill.execute_notebook(str(template), str(out), parameters={"preset": "quick"}, kernel_name="python3",
                               cwd=str(tmp_path), progress_bar=False)
    assert list((tmp_path / "store" / "runs").rglob("*.npz")), "the template stored no runs"


def test_every_template_has_a_page():
    assert {p.name for p in TEMPLATES} == {p.name for p in PAGES}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_has_title_parameters_and_figures(page):
    nb = json.loads(page.read_text())
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and "".join(first["source"]).startswith("# ")
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb["cells"])
    pngs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
            if "image/png" in o.get("data", {})]
    assert pngs, f"{page.name} holds no figure"
    errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.parametrize("template", TEMPLATES + DRAFTS, ids=lambda p: p.name)
def test_template_round_trips_through_text(template):
    """tools/nbpy.py (how templates are edited) must give back every cell's kind, source and tags unchanged."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("nbpy", ROOT / "tools" / "nbpy.py")
    nbpy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nbpy)
    nb = json.loads(template.read_text())
    back = nbpy.to_nb(nbpy.to_py(nb))
    assert [(c["cell_type"], "".join(c["source"]), c.get("metadata", {}).get("tags", [])) for c in nb["cells"]] == \
           [(c["cell_type"], "".join(c["source"]), c.get("metadata", {}).get("tags", [])) for c in back["cells"]]


def test_report_counts_match_the_chapters_scorecards():
    """The replication report's glued counts are the verdicts of the chapters' own scorecards, row for row."""
    from grok_core.report import counts, glued, scorecards

    report = json.loads((ROOT / "book" / "report.ipynb").read_text())
    cards = scorecards(ROOT / "book")
    assert set(cards.page) >= {"01_critical_norm", "02_pinned_norm", "03_layernorm_ablation", "03b_sparse_parity",
                               "04_log_law"}
    for verdict, n in counts(cards).items():
        assert glued(report, "rp_" + verdict.replace(" ", "_")) == n
    assert glued(report, "rp_total") == len(cards)


def code_lines(nb: dict) -> int:
    """Non-blank, non-comment lines of a notebook's code cells."""
    return sum(1 for c in nb["cells"] if c["cell_type"] == "code" for line in "".join(c["source"]).splitlines()
               if line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("template", TEMPLATES + DRAFTS, ids=lambda p: p.name)
def test_template_is_narrative_with_its_experiments_in_grok_core(template):
    """A chapter's tables, figures and verdicts live in grok_core.studies; its template plans, runs, shows and
    glues (a template that grows past ~120 lines of code has taken experiment code back into cells)."""
    assert code_lines(json.loads(template.read_text())) <= 120
    assert code_lines({"cells": [{"cell_type": "code", "source": ["# a\n", "\n", "x = 1\n"]}]}) == 1

"""Every template runs under papermill with its quick preset; every executed page in book/ has a title and
holds its figures (an environment with MPLBACKEND=Agg would silently drop them)."""
import json
import re
import shutil
from pathlib import Path

import pytest
import torch

from conftest import load_tool

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
DRAFTS = sorted((ROOT / "notebooks" / "drafts").glob("[0-9]*.ipynb"))   # templates whose runs are not in yet
PAGES = sorted((ROOT / "book").glob("[0-9]*.ipynb"))


def test_every_chapter_template_is_tested_at_a_non_default_grid():
    """Each template (and draft) is run at a grid of its own: by one of tests/test_templates_*.py (its grid in
    GRIDS), or by a README command that sets one (tests/test_readme.py checks what it trains)."""
    import template_runs
    import test_readme
    from grok_core.studies import PAGE
    by_files = set()
    for f in sorted(ROOT.glob("tests/test_templates_*.py")):
        by_files |= set(re.findall(r"\"(\d\w*\.ipynb)\"", f.read_text()))
    assert by_files <= set(template_runs.GRIDS)

    def sets_a_field(args):                 # `-p NAME value` with NAME a preset field (not preset, workers, ...)
        return any(a == "-p" and b not in PAGE for a, b in zip(args, args[1:]))
    by_readme = {Path(a).name for c in test_readme.readme_commands() if "papermill" in c and sets_a_field(c.split())
                 for a in c.split() if a.startswith("notebooks/")}
    assert {p.name for p in TEMPLATES + DRAFTS} <= by_files | by_readme


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
    nbpy = load_tool("nbpy")
    nb = json.loads(template.read_text())
    back = nbpy.to_nb(nbpy.to_py(nb))
    assert [(c["cell_type"], "".join(c["source"]), c.get("metadata", {}).get("tags", [])) for c in nb["cells"]] == \
           [(c["cell_type"], "".join(c["source"]), c.get("metadata", {}).get("tags", [])) for c in back["cells"]]


def test_inserting_or_editing_a_cell_in_text_changes_only_that_cell_of_the_template():
    """Written over the template it came from, the text gives back every other cell unchanged, id included (ids
    renumbered from the insertion on would put every later cell into the diff)."""
    nbpy = load_tool("nbpy")
    nb = json.loads(TEMPLATES[0].read_text())
    assert nbpy.to_nb(nbpy.to_py(nb), nb) == nb
    parts = nbpy.to_py(nb).split("\n# %%")
    k = len(parts) // 2
    edited = parts[:k] + [" [markdown]\nA new paragraph.\n"] + parts[k:]
    edited[1] = edited[1].replace("\n", "\n# an edited line\n", 1) if edited[1].startswith("\n") else edited[1] + "\n# an edited line\n"
    new = nbpy.to_nb("\n# %%".join(edited), nb)["cells"]
    assert len(new) == len(nb["cells"]) + 1
    assert new[:1] + new[2:k] + new[k + 1:] == nb["cells"][:1] + nb["cells"][2:]      # every other cell, as it was
    assert new[1]["id"] == nb["cells"][1]["id"] and new[1]["source"] != nb["cells"][1]["source"]
    assert new[k]["id"] not in {c["id"] for c in nb["cells"]} and "".join(new[k]["source"]) == "A new paragraph."


def test_report_counts_match_the_chapters_scorecards():
    """The replication report's glued counts are the verdicts of the chapters' own scorecards: one per distinct
    claim of the papers, our own tests left out."""
    from grok_core.report import claims_of, counts, glued, scorecards

    report = json.loads((ROOT / "book" / "report.ipynb").read_text())
    cards = scorecards(ROOT / "book")
    assert set(cards.page) >= {"01_critical_norm", "02_pinned_norm", "03_layernorm_ablation", "03b_sparse_parity",
                               "04_log_law"}
    distinct = claims_of(cards)
    assert len(distinct) < len(cards) and not distinct.own.any()
    for verdict, n in counts(distinct).items():
        assert glued(report, "rp_" + verdict.replace(" ", "_")) == n
    assert glued(report, "rp_total") == len(distinct) and glued(report, "rp_rows") == len(cards)


def test_every_scorecard_row_shows_its_seeds_and_a_resolved_verdict_has_no_ci_across_its_line():
    """Every row of a paper's claim says how many seeds it rests on; 'not resolved' is only ever set where a CI
    exists, and a row keeps the registered rule's verdict beside it."""
    from grok_core.report import scorecards

    cards = scorecards(ROOT / "book")
    papers = cards[~cards.own & (cards.verdict != "not measured")]
    assert (papers.seeds != "—").all(), papers[papers.seeds == "—"].claim.tolist()
    unresolved = cards[cards.verdict == "not resolved"]
    assert (unresolved.ci != "—").all() and (unresolved.registered != "not resolved").all()


def code_lines(nb: dict) -> int:
    """Non-blank, non-comment lines of a notebook's code cells, the parameters cell left out (it is generated from
    the preset dataclass by tools/params.py, one line per field, and checked by its --check)."""
    return sum(1 for c in nb["cells"] if c["cell_type"] == "code"
               and "parameters" not in c.get("metadata", {}).get("tags", [])
               for line in "".join(c["source"]).splitlines() if line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("template", TEMPLATES + DRAFTS, ids=lambda p: p.name)
def test_template_is_narrative_with_its_experiments_in_grok_core(template):
    """A chapter's tables, figures and verdicts live in grok_core.studies; its template plans, runs, shows and
    glues (a template that grows past ~100 lines of code has taken experiment code back into cells)."""
    assert code_lines(json.loads(template.read_text())) <= 100
    assert code_lines({"cells": [{"cell_type": "code", "source": ["# a\n", "\n", "x = 1\n"]},
                                 {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": ["y = 2\n"]}]}) == 1


def _html_outputs(page):
    """The HTML of every code cell's outputs on an executed page."""
    for c in json.loads(page.read_text())["cells"]:
        for o in c.get("outputs", []) if c["cell_type"] == "code" else []:
            yield "".join(o.get("data", {}).get("text/html", ""))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_table_cell_reads_nan_or_inf(page):
    """A reader never sees a raw float: missing is '—', a time that never came 'did not grok'."""
    for html in _html_outputs(page):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)
        bad = [x for x in cells if re.search(r"\b(nan|NaN|inf|None)\b|inf×", x)]
        assert not bad, f"{page.name}: table cells {bad[:3]}"


STEP_HEADER = re.compile(r"T_grok|T_mem|T_free|Kaplan|steps|budget|delay", re.I)
NOT_STEPS = re.compile(r"ratio|/|×|·|share|slope|α|r²|rate|per|log|ln|‖|norm|at T_|CV|%|^k\b", re.I)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_step_counts_in_tables_are_whole_numbers(page):
    """A column of step counts (T_grok, T_mem, budgets, delays) shows whole steps: never '6,930.50'."""
    for html in _html_outputs(page):
        for tab in re.findall(r"<table.*?</table>", html, flags=re.S):
            heads = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", tab, flags=re.S)]
            rows = [re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S) for r in re.findall(r"<tr.*?</tr>", tab, flags=re.S)]
            for j, h in enumerate(heads):
                if not STEP_HEADER.search(h) or NOT_STEPS.search(h):
                    continue
                bad = [r[j] for r in rows if len(r) == len(heads) and re.fullmatch(r"-?[\d,]+\.\d+", r[j].strip())]
                assert not bad, f"{page.name}: column {h!r} shows {bad[:3]}"


PROSE_EXEMPT = {"00_quickstart.ipynb"}   # the engine's own walkthrough: it names the modules it walks through


@pytest.mark.parametrize("template", [t for t in TEMPLATES if t.name not in PROSE_EXEMPT], ids=lambda p: p.name)
def test_chapter_prose_names_no_module_store_or_script_path(template):
    """A chapter speaks of the papers and the runs; module paths, store paths and our scripts belong on the
    methods and reproducibility pages."""
    nb = json.loads(template.read_text())
    prose = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    found = re.findall(r"grok_core[\w.]*|results/[\w./]*|tools/\w+\.py|notebooks/\w+", prose)
    assert not found, found


@pytest.mark.parametrize("name", ["00_quickstart.ipynb", "01_critical_norm.ipynb", "02_pinned_norm.ipynb",
                                  "03b_sparse_parity.ipynb"])
@pytest.mark.slow
def test_a_page_on_an_empty_store_reports_instead_of_failing(name, tmp_path, monkeypatch):
    """`-p train_missing False` trains nothing: on an empty store the page still runs and shows what it has."""
    papermill = pytest.importorskip("papermill")
    monkeypatch.setenv("GROK_STORE", str(tmp_path / "store"))
    papermill.execute_notebook(str(ROOT / "notebooks" / name), str(tmp_path / name),
                               parameters={"preset": "quick", "train_missing": False}, kernel_name="python3",
                               cwd=str(tmp_path), progress_bar=False)
    assert not (tmp_path / "store" / "runs").exists() or not list((tmp_path / "store" / "runs").glob("*/*.npz"))

"""Each chapter template run with its quick preset at a grid other than its own, as the tests of
tests/test_templates_*.py do: the runs land in a scratch store, which then holds exactly the chapter's staged
plan. (The templates are spread over three test files so that pytest-xdist can run them side by side.)"""
import json
import shutil
from pathlib import Path

import pytest
import torch

from grok_core import studies

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
DRAFTS = sorted((ROOT / "notebooks" / "drafts").glob("[0-9]*.ipynb"))   # templates whose runs are not in yet


def _held(specs, model=None):
    return {s["rho"] for s in specs if s["clamp_mode"] == "hold" and (model is None or s["model"] == model)}


# each chapter's quick preset at a grid other than its own, and what the stored runs must then show
GRIDS = {
    "03_layernorm_ablation.ipynb": (dict(rhos=[0.95]), lambda specs: _held(specs, "mlp") == {0.95} and any(
        s["model"] == "attn" and s["rho"] == 1.1 and s["max_steps"] == 4000 for s in specs)),   # the longer budget
    "03b_sparse_parity.ipynb": (dict(rhos=[0.95]), lambda specs: _held(specs) == {0.95}),
    "04_log_law.ipynb": (dict(wds=[0.5, 1.0], moduli=[29]),
                         lambda specs: 0.5 in {s["wd"] for s in specs} and 29 in {s["p"] for s in specs}),
    # `rhos` is the total-norm hold's grid; the holds of one part (clamp_group body / readout) keep their own
    "05_one_law.ipynb": (dict(rhos=[0.9, 1.2]), lambda specs: _held(
        [s for s in specs if s["clamp_group"] == "norm"], "transformer") == {0.9, 1.2} and _held(
        [s for s in specs if s["clamp_group"] != "norm"], "transformer") == {0.85, 1.30}),
}


def named(*names) -> list[Path]:
    """The templates (or drafts) of these file names, each of which must exist."""
    found = [t for t in TEMPLATES + DRAFTS if t.name in names]
    assert len(found) == len(names), f"no template named {sorted(set(names) - {t.name for t in found})}"
    return found


def runs_its_quick_preset_at_a_non_default_grid(template, tmp_path, monkeypatch, request):
    """Every chapter's grid is a parameter: the quick preset, run through papermill's -p at another grid, trains
    that grid (one run per chapter in CI; the CLI takes the same grids, tests/test_cli.py). Lists go in as the
    text a shell gives papermill (`-p moduli '[23, 31]'` arrives as a string)."""
    papermill = pytest.importorskip("papermill")
    monkeypatch.setenv("GROK_STORE", str(tmp_path / "store"))
    # one process trains (no worker pool to spawn per stage) on this test process's share of the cores
    monkeypatch.setenv("OMP_NUM_THREADS", str(torch.get_num_threads()))
    if template.name == "05_one_law.ipynb":      # the runs it reads from chapters 1 and 4, trained once a session
        shutil.copytree(request.getfixturevalue("chapter5_reads"), tmp_path / "store")
    grid, check = GRIDS.get(template.name, ({}, lambda specs: True))
    if template.name == "05_one_law.ipynb":
        _nothing_predicted_is_planned_yet(grid, tmp_path / "store")
    papermill.execute_notebook(str(template), str(tmp_path / template.name), parameters={"preset": "quick", "workers": 1, **{k: str(v) if isinstance(v, list) else v for k, v in grid.items()}},
                               kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    from grok_core.store import Store
    store = Store(tmp_path / "store")
    specs = [r["spec"] for r in store.all()]
    assert specs, "the template stored no runs"
    assert check(specs), f"{template.name} did not train the grid {grid}"
    if template.name in studies.PAGES:           # after it, `python -m grok_core run` would train nothing more
        trained_its_plan(studies.load(studies.PAGES[template.name]), {"preset": "quick", **grid},
                         before=set(), store=store)
    if template.name == "05_one_law.ipynb":
        _chapter_5s_predictions_came_before_their_runs(grid, store)


def trained_its_plan(module, params: dict, before: set, store) -> None:
    """A chapter's page trained exactly what its staged plan lists at the page's parameters (`params`, read by the
    same typed check as papermill's -p): every planned run is stored, and every run it added to the store (the
    ids beyond `before`) is planned. So a page given another grid trains that grid, and `python -m grok_core run`
    with the same --set would have trained the same runs."""
    sets = {k: v for k, v in params.items() if k not in studies.PAGE}
    planned = studies.run(module, studies.configure(module, params.get("preset", "book"), sets), store,
                          train=False, progress=False)
    after = set(store.ids())
    assert planned <= after, f"{len(planned - after)} planned runs are not stored"
    assert after - before <= planned, f"{len(after - before - planned)} runs trained that the plan does not list"


def _nothing_predicted_is_planned_yet(grid, root):
    from grok_core import studies
    from grok_core.store import Store
    from grok_core.studies import one_law as ol
    cfg = studies.configure(ol, "quick", grid)
    assert not set(ol.PREDICTED) & set(ol.plan(cfg, Store(root)))


def _chapter_5s_predictions_came_before_their_runs(grid, store):
    """Chapter 5's page runs the chapter through `studies.run`, as `python -m grok_core run one_law` does: each
    prediction file lists exactly the runs it predicts, and every one of them started after the file was written
    and names it in its record."""
    import datetime
    from grok_core import studies
    from grok_core.studies import one_law as ol
    cfg = studies.configure(ol, "quick", grid)
    plan = ol.plan(cfg, store)
    first = ol.prediction_path(store, ol.nearest_preset(cfg), cfg)
    for path, parts in ((first, ol.PREDICTED), (ol.path_prediction_path(store, ol.nearest_preset(cfg), cfg), (ol.PATHS,))):
        doc = json.loads(path.read_text())
        predicted = [s for k in parts for s in plan[k]]
        assert predicted and sorted(s.run_id for s in predicted) == sorted(doc["new_run_ids"]), path.name
        written = datetime.datetime.fromisoformat(doc["written_utc"])
        for s in predicted:
            r = store.get(s)["summary"]
            assert datetime.datetime.fromisoformat(r["started_utc"]) >= written and path.name in r["predictions"]

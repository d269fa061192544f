"""Paper 2's chapter 4 and chapter 5 (which reads chapters 1 and 4), each template run with its quick preset at
a grid of its own (tests/template_runs.py). Chapter 4's grid keeps the runs chapter 5 reads, so chapter 5 starts
from chapter 4's store (adding chapter 1's runs, its prediction first) instead of training them again."""
import datetime
import json
import shutil

import pytest

from grok_core import studies, sweep
from grok_core.store import Store
from grok_core.studies import critical_norm, one_law as ol
from template_runs import GRIDS, named, run_page, trained_its_grid

pytestmark = pytest.mark.slow         # `pytest -m 'not slow'` leaves it out

CH4, CH5 = named("04_log_law.ipynb", "05_one_law.ipynb")


@pytest.fixture(scope="module")
def chapter4_page(tmp_path_factory):
    return run_page(CH4, tmp_path_factory.mktemp("chapter4"))      # (its store, the ids held before)


@pytest.mark.parametrize("template", [CH4], ids=lambda p: p.name)
def test_template_runs_its_quick_preset_at_a_non_default_grid(template, chapter4_page):
    trained_its_grid(template, *chapter4_page)


@pytest.mark.parametrize("template", [CH5], ids=lambda p: p.name)
def test_chapter_5_runs_its_quick_preset_at_a_non_default_grid(template, chapter4_page, tmp_path):
    """Chapter 5 from chapter 4's store plus chapter 1's runs: its page trains exactly its plan at its grid, its
    predicted cells were not planned before their prediction was written, and each ran after it."""
    grid = GRIDS[template.name][0]
    cfg = studies.configure(ol, "quick", grid)
    shutil.copytree(chapter4_page[0].root, tmp_path / "reads")
    reads = Store(tmp_path / "reads")
    critical_norm.preregister(critical_norm.PRESETS[cfg.chapter1], reads)     # as `studies.run` writes it
    sweep.run([s for v in ol.chapter1_runs(cfg, reads).values() for s in v], store=reads, progress=False)
    assert all(reads.get(s) is not None for v in ol.chapter4_runs(cfg).values() for s in v), \
        "chapter 4's test grid left out runs that chapter 5 reads"
    assert not set(ol.PREDICTED) & set(ol.plan(cfg, reads)), "a predicted cell is planned before its prediction"
    store, before = run_page(template, tmp_path, start=tmp_path / "reads")
    trained_its_grid(template, store, before)
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

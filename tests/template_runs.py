"""Each chapter template run with its quick preset at a grid other than its own, as the tests of
tests/test_templates_*.py do: the runs land in a scratch store, which then holds exactly the chapter's staged
plan. (The templates are spread over two test files so that pytest-xdist can run them side by side.)"""
import shutil
from pathlib import Path

import pytest
import torch

from grok_core import studies
from grok_core.store import Store

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
DRAFTS = sorted((ROOT / "notebooks" / "drafts").glob("[0-9]*.ipynb"))   # templates whose runs are not in yet


def _held(specs, model=None):
    return {s["rho"] for s in specs if s["clamp_mode"] == "hold" and (model is None or s["model"] == model)}


# each chapter's quick preset at a grid other than its own, and what the stored runs must then show
GRIDS = {
    "03_layernorm_ablation.ipynb": (dict(rhos=[0.95]), lambda specs: _held(specs, "mlp") == {0.95} and any(
        s["model"] == "attn" and s["rho"] == 1.1 and s["max_steps"] == 1800 for s in specs)),   # the longer budget
    "03b_sparse_parity.ipynb": (dict(rhos=[0.95]), lambda specs: _held(specs) == {0.95}),
    # a grid that keeps the runs chapter 5 reads (tests/test_templates_paper2.py starts chapter 5 from this store)
    "04_log_law.ipynb": (dict(mul_moduli=[29], seeds_sgd=1), lambda specs: {
        s["p"] for s in specs if s["task"] == "mul"} == {29} and {s["seed"] for s in specs if s["optimizer"] == "sgd"} == {0}),
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


def run_page(template, root: Path, start: Path | None = None):
    """Run `template` through papermill's -p with its quick preset at its grid of GRIDS, in the scratch folder
    `root` (store: root/store, first a copy of the store `start` where given). Returns (store, the run ids it held
    before the page ran). Lists go in as the text a shell gives papermill (`-p moduli '[23, 31]'` arrives as a
    string)."""
    papermill = pytest.importorskip("papermill")
    if start is not None:
        shutil.copytree(start, root / "store")
    store = Store(root / "store")
    before = set(store.ids())
    grid = GRIDS.get(template.name, ({}, None))[0]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GROK_STORE", str(root / "store"))
        # one process trains (no worker pool to spawn per stage) on this test process's share of the cores
        mp.setenv("OMP_NUM_THREADS", str(torch.get_num_threads()))
        papermill.execute_notebook(str(template), str(root / template.name), kernel_name="python3", cwd=str(root),
                                   parameters={"preset": "quick", "workers": 1,
                                               **{k: str(v) if isinstance(v, list) else v for k, v in grid.items()}},
                                   progress_bar=False)
    return store, before


def trained_its_grid(template, store, before: set) -> None:
    """What a page run by `run_page` must have stored: the runs of its grid (GRIDS' check) and, for a chapter
    page, exactly its staged plan (after it, `python -m grok_core run` would train nothing more)."""
    grid, check = GRIDS.get(template.name, ({}, lambda specs: True))
    specs = [r["spec"] for r in store.all()]
    assert specs, "the template stored no runs"
    assert check(specs), f"{template.name} did not train the grid {grid}"
    if template.name in studies.PAGES:
        trained_its_plan(studies.load(studies.PAGES[template.name]), {"preset": "quick", **grid}, before, store)


def runs_its_quick_preset_at_a_non_default_grid(template, tmp_path):
    """Every chapter's grid is a parameter: the quick preset, run through papermill's -p at another grid, trains
    that grid (one run per chapter in CI; the CLI takes the same grids, tests/test_cli.py)."""
    trained_its_grid(template, *run_page(template, tmp_path))


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

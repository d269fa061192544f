"""tools/train_elsewhere.py: a chapter's specs read from its template, only the missing runs trained, and
exactly the new records exported (what brings a GPU's runs home)."""
import json
import subprocess
import sys
from pathlib import Path

from grok_core.store import Store

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "train_elsewhere.py"


def template(path):
    cells = [dict(cell_type="markdown", metadata={}, source="# a chapter"),
             dict(cell_type="code", metadata={"tags": ["parameters"]}, source='preset = "a"\n'),
             dict(cell_type="code", metadata={}, source=(
                 "from grok_core import RunSpec\nfrom grok_core.analysis import glue\nglue('x', 1)\n"
                 "P = {'a': 13, 'b': 17}[preset]\n"
                 "STUDIES = {'s': [RunSpec(p=P, frac=0.5, d_embed=16, hidden=32, lr=3e-3, max_steps=30, seed=s)"
                 " for s in (0, 1)],\n"
                 "           's again, shorter': [RunSpec(p=P, frac=0.5, d_embed=16, hidden=32, lr=3e-3, max_steps=10)]}\n")),
             dict(cell_type="code", metadata={}, source="raise RuntimeError('the tool must stop before this cell')")]
    path.write_text(json.dumps(dict(cells=cells, metadata={}, nbformat=4, nbformat_minor=5)))
    return path


def tool(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})


def test_trains_missing_runs_and_exports_only_the_new_ones(tmp_path):
    nb, store, home = template(tmp_path / "ch.ipynb"), tmp_path / "away", tmp_path / "home"
    r = tool(nb, "--store", store, "--archive", tmp_path / "a.tar.gz", "--device", "cpu", "--workers", "1",
             "--preset", "b")
    assert r.returncode == 0, r.stderr
    assert "3 runs in the chapter, 2 missing" in r.stdout and "exported 2 new records" in r.stdout
    assert Store(home).import_(tmp_path / "a.tar.gz") == 2
    assert {Store(home).load(i)["spec"]["p"] for i in Store(home).ids()} == {17}      # --preset reached the specs
    # a run asked for at two budgets is trained once, at the larger one
    assert {Store(home).load(i)["summary"]["steps_run"] for i in Store(home).ids()} == {30}
    # a second call finds nothing missing and exports nothing: the archive holds only what that call made
    r = tool(nb, "--store", store, "--archive", tmp_path / "b.tar.gz", "--device", "cpu", "--preset", "b")
    assert "2 missing" not in r.stdout and "exported 0 new records" in r.stdout
    # the template's own preset gives other runs, which this store lacks
    assert "2 missing" in tool(nb, "--store", store, "--dry-run").stdout

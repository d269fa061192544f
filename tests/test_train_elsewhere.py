"""tools/train_elsewhere.py: a chapter's runs from its study plan (the same plan as the page and the command
line), only the missing ones trained, and exactly the new records exported (what brings a GPU's runs home)."""
import subprocess
import sys
from pathlib import Path

import pytest

from grok_core.store import Store
from grok_core.studies import MODULES

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "train_elsewhere.py"
# chapter 1's quick preset cut to two seeds of 30 steps at p = 23 (three studies share that cell) and the held-out
# modulus
SMALL = ["critical_norm", "--preset", "quick", "--set", "seeds=2", "--set", "budget=30", "--set", "fractions=[0.6]",
         "--set", "moduli=[23]", "--set", "lrs=[0.006]", "--set", "wds=[2.0]", "--set", "heldout_p=29"]


def tool(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})


@pytest.mark.slow
def test_trains_missing_runs_and_exports_only_the_new_ones(tmp_path):
    store, home = tmp_path / "away", tmp_path / "home"
    r = tool(*SMALL, "--store", store, "--archive", tmp_path / "a.tar.gz", "--device", "cpu", "--workers", "1")
    assert r.returncode == 0, r.stderr
    # one modulus fits no power law, so the held-out modulus (p = 29) has no prediction and is never planned
    assert "2 runs in the chapter, 2 missing" in r.stdout and "exported 2 new records" in r.stdout
    assert Store(home).import_(tmp_path / "a.tar.gz") == 2
    recs = [Store(home).load(i) for i in Store(home).ids()]
    assert sorted(r["spec"]["p"] for r in recs) == [23, 23]                           # --set reached the plan
    assert {r["spec"]["max_steps"] for r in recs} == {30}
    # a second call finds nothing missing and exports nothing: the archive holds only what that call made
    r = tool(*SMALL, "--store", store, "--archive", tmp_path / "b.tar.gz", "--device", "cpu")
    assert "0 missing" in r.stdout and "exported 0 new records" in r.stdout
    # another grid of the same chapter asks for the runs this store lacks, and --dry-run trains none of them
    other = [a if a != "moduli=[23]" else "moduli=[23, 31]" for a in SMALL]       # a field is given once
    r = tool(*other, "--store", store, "--dry-run")
    assert "4 runs in the chapter, 2 missing" in r.stdout, r.stdout + r.stderr
    assert len(list(Path(store).rglob("*.npz"))) == 2


def test_unknown_chapter_is_one_clear_line(tmp_path):
    r = tool("chapter_nine", "--store", tmp_path, "--dry-run")
    assert r.returncode != 0 and r.stderr.strip().splitlines() == [
        "error: chapter='chapter_nine' is not allowed: one of " + str(sorted(MODULES))]

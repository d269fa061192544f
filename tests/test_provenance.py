"""Registration that the records can check: every new record carries when its batch started (UTC), the code's
commit and the hash of each prediction file that names it; a predicted run never starts before its prediction
was written, and a prediction file is never edited after a run that it names was trained."""
import datetime
import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest

from grok_core import RunSpec, sweep
from grok_core.store import Store

ROOT = Path(__file__).resolve().parent.parent
TINY = dict(p=7, frac=0.6, d_embed=8, hidden=16, lr=1e-2, max_steps=60)


def _when(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def test_a_new_record_carries_its_start_commit_and_the_prediction_that_named_it(tmp_path):
    spec, other = RunSpec(**TINY), RunSpec(**TINY, seed=1)
    (tmp_path / "predictions").mkdir()
    text = json.dumps({"written_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                       "new_run_ids": [spec.run_id]})
    (tmp_path / "predictions" / "mine.json").write_text(text)
    named, unnamed = sweep.run([spec, other], store=tmp_path, workers=1, progress=False)
    s = named["summary"]
    assert s["predictions"] == {"mine.json": hashlib.sha256(text.encode()).hexdigest()[:16]}
    assert unnamed["summary"]["predictions"] is None
    assert _when(s["started_utc"]) >= _when(json.loads(text)["written_utc"])
    assert s["commit"] is None or re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", s["commit"])
    assert Store(tmp_path).load(spec.run_id)["summary"]["predictions"] == s["predictions"]     # it is stored


def _written(path: Path) -> datetime.datetime | None:
    """When a prediction file was written: its own field, else the commit that added it to git."""
    doc = json.loads(path.read_text())
    if doc.get("written_utc"):
        return _when(doc["written_utc"])
    out = subprocess.run(["git", "-C", str(ROOT), "log", "--diff-filter=A", "--format=%cI", "--", str(path)],
                         capture_output=True, text=True).stdout.split()
    return _when(out[-1]) if out else None


@pytest.mark.parametrize("path", sorted((ROOT / "results" / "predictions").glob("*.json")), ids=lambda p: p.name)
def test_no_predicted_run_in_the_store_started_before_its_prediction(path):
    store = Store(ROOT / "results")
    written = _written(path)
    text = path.read_text()
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    for run_id in set(re.findall(r'"([0-9a-f]{16})"', text)):
        rec = store.load(run_id)
        if rec is None or not rec["summary"].get("started_utc"):
            continue                       # records written before 2026-12 carry no start time
        if run_id in json.loads(text).get("new_run_ids", []):       # the runs it predicts, not those it was fitted on
            assert written is not None and _when(rec["summary"]["started_utc"]) >= written, run_id
        if rec["summary"].get("predictions"):
            assert rec["summary"]["predictions"].get(path.name) == digest, f"{path.name} changed after {run_id} ran"


def test_the_command_line_writes_a_prediction_before_training_its_runs(tmp_path):
    """`python -m grok_core run critical_norm` (one runner for page, CLI and GPU helper): the held-out
    modulus is trained only after its prediction file exists, and its records name that file."""
    from grok_core.cli import main as cli
    from grok_core.studies import critical_norm as cn

    assert cli(["--store", str(tmp_path), "run", "critical_norm", "--preset", "quick", "--workers", "1"]) == 0
    store = Store(tmp_path)
    cfg = cn.PRESETS["quick"]
    path = cn.prediction_path(cfg, store)
    doc = json.loads(path.read_text())
    held = [store.get(s) for s in cn.plan(cfg, store)["held-out modulus"]]
    assert held and all(r is not None for r in held)
    assert sorted(doc["new_run_ids"]) == sorted(RunSpec.from_dict(r["spec"]).run_id for r in held)
    for r in held:
        assert _when(r["summary"]["started_utc"]) >= _when(doc["written_utc"])
        assert path.name in r["summary"]["predictions"]
    assert "held-out modulus" not in cn.plan(cfg, Store(tmp_path / "empty"))    # no prediction: not planned

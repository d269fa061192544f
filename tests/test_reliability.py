"""Fault injection: the store and the sweep under hostile use. Tiny runs (p = 7), a few seconds each."""
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from grok_core import RunSpec, sweep
from grok_core.cli import main as cli
from grok_core.store import Store, encode, frame

ROOT = Path(__file__).resolve().parent.parent
TINY = dict(p=7, frac=0.6, d_embed=8, hidden=16, lr=1e-2, max_steps=60)


def tiny(**kw):
    return RunSpec(**{**TINY, **kw})


@pytest.fixture
def stored(tmp_path):
    store = Store(tmp_path / "store")
    specs = [tiny(seed=s) for s in range(2)]
    sweep.run(specs, store=store, workers=1, progress=False)
    return store, specs


# ---- one id per run, whatever the input types
def test_int_where_float_is_declared_is_the_same_run(stored):
    store, specs = stored
    again = RunSpec(**{**TINY, "wd": 1, "lr": "0.01", "seed": 0.0})
    assert again.run_id == specs[0].run_id
    assert sweep.run([again], store=store, workers=1, progress=False, train=False)[0] is not None


# ---- a zoo of damaged records: every command keeps working, each damaged run is retrained
def _damage(kind, rec):
    meta = {"spec": rec["spec"], "summary": dict(rec["summary"])}
    curves = dict(rec["curves"])
    if kind == "npy":
        buf = io.BytesIO(); np.save(buf, np.arange(3)); return buf.getvalue()
    if kind == "meta_list":
        meta = [1, 2]
    elif kind == "spec_int":
        meta["spec"] = 7
    elif kind == "summary_null":
        meta["summary"] = None
    elif kind == "no_status":
        del meta["summary"]["status"]
    elif kind == "no_step":
        del curves["step"]
    elif kind == "no_t_grok":
        del meta["summary"]["t_grok"]
    elif kind == "nan_curve":
        curves["test_acc"] = np.full_like(curves["test_acc"], np.nan)
    elif kind == "forged_grok":
        meta["summary"].update(status="grokked", t_grok=7, norm_at_grok=1.0)
    elif kind == "garbage":
        return b"\x00garbage" * 10
    buf = io.BytesIO()
    np.savez_compressed(buf, __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **curves)
    return buf.getvalue()


KINDS = ["npy", "meta_list", "spec_int", "summary_null", "no_status", "no_step", "no_t_grok", "nan_curve",
         "forged_grok", "garbage"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_record_is_reported_and_retrained(stored, kind, capsys):
    store, specs = stored
    victim = specs[0].run_id
    good = store.load(victim)
    store.path(victim).write_bytes(_damage(kind, good))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert store.load(victim) is None
        assert len(frame(store.all())) == 1                       # the rest of the store still reads
        assert cli(["--store", str(store.root), "list"]) == 0
        assert cli(["--store", str(store.root), "summary"]) == 0
    assert any("unreadable record" in str(x.message) for x in w)
    recs = sweep.run(specs, store=store, workers=1, progress=False)
    assert recs[0] is not None and store.load(victim) is not None
    np.testing.assert_array_equal(store.load(victim)["curves"]["test_acc"], good["curves"]["test_acc"])


# ---- imports: forged, smaller-budget or damaged archives are refused with a message
def _archive(path, records):
    with tarfile.open(path, "w:gz") as tar:
        for rec in records:
            blob = encode(rec)
            rid = RunSpec.from_dict(rec["spec"]).run_id
            info = tarfile.TarInfo(f"runs/{rid[:2]}/{rid}.npz")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))


def test_import_refuses_forged_and_equal_budget_records(stored, tmp_path):
    store, specs = stored
    rec = store.load(specs[0].run_id)
    forged = dict(rec, summary=dict(rec["summary"], status="grokked", t_grok=7, norm_at_grok=1.0))
    _archive(tmp_path / "forged.tar.gz", [forged])
    _archive(tmp_path / "same.tar.gz", [rec])
    before = store.path(specs[0].run_id).read_bytes()
    with pytest.warns(UserWarning, match="T_grok"):
        assert store.import_(tmp_path / "forged.tar.gz") == 0
    with pytest.warns(UserWarning, match="holds this record already"):
        assert store.import_(tmp_path / "same.tar.gz") == 0
    assert store.path(specs[0].run_id).read_bytes() == before


@pytest.mark.parametrize("content", [b"not a gzip file", None])
def test_a_bad_archive_is_one_line_from_the_cli(stored, tmp_path, content, capsys):
    store, _ = stored
    bad = tmp_path / "bad.tar.gz"
    if content is None:                                        # a real archive, truncated
        store.export(tmp_path / "good.tar.gz")
        content = (tmp_path / "good.tar.gz").read_bytes()[:60]
    bad.write_bytes(content)
    assert cli(["--store", str(store.root), "import", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")


# ---- the bad-input table: one line naming the parameter, from the CLI and from Python
@pytest.mark.parametrize("grid_text, name", [
    ("", "empty"), ("# only a comment\n", "empty"), ("grid: {seed: []}\n", "seed"),
    ("base: {p: 7}\nbase: {p: 11}\n", "twice"), ("base: [1, 2]\n", "base"), ("grid: [1, 2]\n", "grid"),
    ("base: {p: 7, frac: 0.6, max_steps: 100, t_int: 500, clamp_mode: hold, clamp_target: 1.0, rho: 1.0}\n", "t_int"),
    ("base: {p: 7, frac: 0.6, max_steps: 100, log: every, log_every: 500}\n", "log_every"),
    ("base: {p: 7, frac: 0.6, clamp_target: 3.0}\n", "clamp_target"),
    ("base: {p: 1000000}\n", "p="),
    ("zip: {clamp_target: [1.0, 2.0], rho: [1.0]}\n", "one length"),
])
def test_bad_grid_files_are_one_line_errors(tmp_path, grid_text, name, capsys):
    path = tmp_path / "grid.yaml"
    path.write_text(grid_text)
    assert cli(["--store", str(tmp_path / "s"), "sweep", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and name in err[0], err


@pytest.mark.parametrize("args, name", [(["--device", "banana"], "device"), (["--device", "cuda:0"], "device"),
                                        (["--workers", "-2"], "workers")])
def test_bad_sweep_options_are_one_line_errors(tmp_path, args, name, capsys):
    if "cuda" in args[-1]:
        import torch
        if torch.cuda.is_available():
            pytest.skip("this machine has a GPU")
    path = tmp_path / "grid.yaml"
    path.write_text("base: {p: 7, frac: 0.6, d_embed: 8, hidden: 16, max_steps: 20}\n")
    assert cli(["--store", str(tmp_path / "s"), "sweep", str(path), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and name in err[0]


def test_bad_workers_from_python_name_the_parameter(tmp_path):
    with pytest.raises(ValueError, match="workers=-2"):
        sweep.run([tiny()], store=tmp_path, workers=-2, progress=False)


def test_zip_block_pairs_fields(tmp_path):
    from grok_core.cli import load_grid
    path = tmp_path / "grid.yaml"
    path.write_text("base: {p: 7, frac: 0.6, clamp_mode: hold, max_steps: 100, t_int: 10}\n"
                    "grid: {seed: [0, 1]}\nzip: {clamp_target: [2.0, 3.0], rho: [0.9, 1.1]}\n")
    specs = load_grid(path)
    assert len(specs) == 4 and {(s.clamp_target, s.rho) for s in specs} == {(2.0, 0.9), (3.0, 1.1)}


# ---- processes: a killed sweep leaves no worker behind; two sweeps on one store train each run once
SCRIPT = textwrap.dedent("""
    import sys, os
    sys.path.insert(0, {root!r})
    from grok_core import RunSpec, sweep
    real = sweep.train_batch
    def logged(specs, device, emit):
        with open({log!r}, "a") as f:
            f.write("".join(s.run_id + "\\n" for s in specs))
        real(specs, device, emit)
    sweep.train_batch = logged
    if __name__ == "__main__":
        specs = [RunSpec(p=7, frac=0.6, d_embed=8, hidden=16, lr=1e-2, max_steps={steps}, seed=s) for s in range({n})]
        sweep.run(specs, store={store!r}, workers={workers}, max_members=1, progress=False)
""")


def _script(tmp_path, steps, n, workers, name):
    path = tmp_path / f"{name}.py"
    path.write_text(SCRIPT.format(root=str(ROOT), log=str(tmp_path / "trained.log"), store=str(tmp_path / "store"),
                                  steps=steps, n=n, workers=workers))
    return path


def _children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def test_killing_the_sweep_leaves_no_worker_alive(tmp_path):
    script = _script(tmp_path, steps=100000, n=2, workers=2, name="long")
    proc = subprocess.Popen([sys.executable, str(script)])
    deadline = time.time() + 60
    kids = []
    while time.time() < deadline and not (tmp_path / "trained.log").exists():
        kids = _children(proc.pid) or kids
        time.sleep(0.1)
    kids = _children(proc.pid) or kids
    assert kids, "the sweep should have started its workers"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    alive = kids
    while alive and time.time() < deadline:
        time.sleep(0.2)
        alive = [k for k in kids if Path(f"/proc/{k}").exists() and "Z" not in Path(f"/proc/{k}/stat").read_text().split()[2]]
    assert not alive, f"workers {alive} outlived the killed sweep"


def test_two_sweeps_on_one_store_train_each_run_once(tmp_path):
    script = _script(tmp_path, steps=200, n=6, workers=1, name="twin")
    procs = [subprocess.Popen([sys.executable, str(script)]) for _ in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    trained = (tmp_path / "trained.log").read_text().split()
    assert len(trained) == 6 and len(set(trained)) == 6
    assert len(Store(tmp_path / "store").ids()) == 6


def test_records_are_world_readable_and_no_temp_or_claim_is_left(stored):
    store, specs = stored
    for s in specs:
        assert oct(store.path(s.run_id).stat().st_mode & 0o777) == "0o644"
    assert not list(store.runs.rglob("*.tmp")) and not list(store.runs.rglob("*.claim"))


def test_a_diverged_run_says_what_went_non_finite(tmp_path):
    rec = sweep.run([tiny(lr=1e6, wd=0.0, max_steps=40)], store=tmp_path, workers=1, progress=False)[0]
    assert rec["summary"]["status"] == "failed"
    assert rec["summary"]["failure"].startswith("non-finite") and "at step" in rec["summary"]["failure"]

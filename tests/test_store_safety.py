"""Nothing destroyed, nothing served that its curves do not vouch for, sweeps that end (fault injection on
tiny runs, p = 7)."""
import io
import json
import os
import subprocess
import sys
import tarfile
import time
import warnings

import numpy as np
import pytest

from grok_core import RunSpec, sweep
from grok_core.cli import main as cli
from grok_core.store import Store, encode, frame

# the tiny runs, their stored fixture and the archive writer of the first fault-injection suite
from test_reliability import TINY, _archive, stored, tiny  # noqa: E402,F401


# ---- export never overwrites a record or an existing file
def test_export_into_the_store_or_over_a_file_is_refused(stored, tmp_path, capsys):
    store, specs = stored
    victim = store.path(specs[0].run_id)
    before = victim.read_bytes()
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    for target in (victim, store.root / "runs.tar.gz", notes, tmp_path):
        assert cli(["--store", str(store.root), "export", str(target)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "refused" in err[0]
    assert victim.read_bytes() == before and notes.read_text() == "mine"
    assert len(store.ids()) == 2
    assert cli(["--store", str(store.root), "export", str(notes), "--overwrite"]) == 0
    assert tarfile.is_tarfile(notes)


# ---- import: only an extension replaces a record, and what it replaces is kept
def test_a_failed_record_never_replaces_a_good_one(stored, tmp_path):
    store, specs = stored
    good = store.load(specs[0].run_id)
    longer = sweep.run([specs[0].replace(max_steps=120)], store=Store(tmp_path / "other"), workers=1,
                       progress=False)[0]
    nan = {k: (np.full_like(v, np.nan) if k != "step" else v) for k, v in longer["curves"].items()}
    failed = dict(longer, curves=nan, summary=dict(longer["summary"], status="failed", stop_reason="failed",
                                                  t_mem=None, t_grok=None, norm_at_mem=None, norm_at_grok=None,
                                                  final_train_acc=float("nan"), final_test_acc=float("nan"),
                                                  final_norm=float("nan"), failure="non-finite everything"))
    _archive(tmp_path / "failed.tar.gz", [failed])
    with pytest.warns(UserWarning, match="failed run"):
        assert store.import_(tmp_path / "failed.tar.gz") == 0
    assert store.load(specs[0].run_id)["summary"] == good["summary"]


def test_a_longer_record_replaces_and_the_old_one_is_kept_aside(stored, tmp_path):
    store, specs = stored
    before = store.path(specs[0].run_id).read_bytes()
    longer = sweep.run([specs[0].replace(max_steps=120)], store=Store(tmp_path / "other"), workers=1,
                       progress=False)[0]
    _archive(tmp_path / "longer.tar.gz", [longer])
    with pytest.warns(UserWarning, match="kept as"):
        assert store.import_(tmp_path / "longer.tar.gz") == 1
    assert store.load(specs[0].run_id)["summary"]["steps_run"] == longer["summary"]["steps_run"]
    kept = list((store.root / "replaced").glob(f"{specs[0].run_id}.*.npz"))
    assert len(kept) == 1 and kept[0].read_bytes() == before


def test_a_different_record_of_equal_budget_is_refused_with_a_message(stored, tmp_path):
    store, specs = stored
    rec = store.load(specs[0].run_id)
    other = dict(rec, summary=dict(rec["summary"], wall_s=rec["summary"]["wall_s"] + 1.0))
    _archive(tmp_path / "other.tar.gz", [other])
    with pytest.warns(UserWarning, match="different record"):
        assert store.import_(tmp_path / "other.tar.gz") == 0
    assert store.load(specs[0].run_id)["summary"]["wall_s"] == rec["summary"]["wall_s"]




# ---- summaries the curves vouch for: each forgery is reported, treated as missing, and stops no command
def _forge(kind, rec):
    spec, s = dict(rec["spec"]), dict(rec["summary"])
    if kind == "norm_at_mem_x100":
        s["norm_at_mem"] = (s["norm_at_mem"] or 1.0) * 100
    elif kind == "final_norm_x100":
        s["final_norm"] *= 100
    elif kind == "final_test_acc_5":
        s["final_test_acc"] = 5.0
    elif kind == "final_test_acc_inf":
        s["final_test_acc"] = float("inf")
    elif kind == "stop_reason":
        s["stop_reason"] = "tail" if s["status"] != "grokked" else "chance"
    elif kind == "relabelled_failed":
        s.update(status="failed", t_grok=7)
    elif kind == "no_max_steps":
        del spec["max_steps"]
    elif kind == "norm_as_text":
        s["norm_at_mem"] = "49.49"
    return dict(rec, spec=spec, summary=s)


@pytest.mark.parametrize("kind", ["norm_at_mem_x100", "final_norm_x100", "final_test_acc_5", "final_test_acc_inf",
                                  "stop_reason", "relabelled_failed", "no_max_steps", "norm_as_text"])
def test_a_summary_its_curves_do_not_give_is_not_served(stored, kind, capsys):
    store, specs = stored
    victim = specs[0].run_id
    rec = _forge(kind, store.load(victim))
    buf = io.BytesIO()
    meta = json.dumps({"spec": rec["spec"], "summary": rec["summary"]})
    np.savez_compressed(buf, __meta__=np.frombuffer(meta.encode(), dtype=np.uint8), **rec["curves"])
    store.path(victim).write_bytes(buf.getvalue())
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert store.load(victim) is None
        assert cli(["--store", str(store.root), "list"]) == 0
        assert cli(["--store", str(store.root), "summary"]) == 0
    assert any("unreadable record" in str(x.message) for x in w)
    assert "1 runs in" in capsys.readouterr().out


def test_a_spec_field_given_as_text_is_read_as_its_type(stored, capsys):
    store, specs = stored
    rec = store.load(specs[0].run_id)
    rec = dict(rec, spec=dict(rec["spec"], p="7"))
    store.path(specs[0].run_id).write_bytes(encode(rec))
    assert cli(["--store", str(store.root), "summary", "--by", "p"]) == 0
    assert frame(store.all()).p.tolist() == [7, 7]


def test_a_record_outside_its_folder_is_reported_not_counted(stored):
    store, specs = stored
    rid = specs[0].run_id
    wrong = store.runs / "zz"
    wrong.mkdir()
    (wrong / f"{rid}.npz").write_bytes(store.path(rid).read_bytes())
    with pytest.warns(UserWarning, match="not in its run's folder"):
        assert store.ids() == sorted(s.run_id for s in specs)
    assert len(frame(store.all())) == 2


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_fifo_or_a_link_to_dev_zero_as_a_record_does_not_hang(stored, kind, tmp_path):
    store, specs = stored
    victim = store.path(specs[0].run_id)
    victim.unlink()
    os.mkfifo(victim) if kind == "fifo" else os.symlink("/dev/zero", victim)
    code = ("import sys, warnings; warnings.simplefilter('ignore'); from grok_core.cli import main; "
            f"sys.exit(main(['--store', {str(store.root)!r}, 'list']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "1 runs in" in out.stdout


# ---- sweeps that end
def test_a_collapsed_run_is_stored_once_and_answers_its_spec(tmp_path):
    spec = tiny(lr=1e-7, max_steps=2000, stop_chance_steps=100)
    rec = sweep.run([spec], store=tmp_path, workers=1, progress=False)[0]
    assert rec["summary"]["stop_reason"] == "chance" and rec["summary"]["steps_run"] < 2000
    assert sweep.to_train([spec, spec.replace(seed=0, max_steps=4000)], Store(tmp_path)) == []


def test_a_claim_file_with_a_live_unrelated_pid_does_not_block(stored):
    store, specs = stored
    new = tiny(seed=5)
    folder = store.path(new.run_id).parent
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{new.run_id}.claim").write_text("1")           # pid 1 is alive (init) but trains nothing
    t0 = time.time()
    assert sweep.run([new], store=store, workers=1, progress=False)[0] is not None
    assert time.time() - t0 < 60


def test_a_run_claimed_by_a_live_sweep_is_waited_for_not_trained(stored):
    """The claim is an OS lock: held by a live process, the run is not this sweep's to train."""
    store, specs = stored
    new = tiny(seed=6)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from grok_core.store import Store; from grok_core import RunSpec\n"
        f"s = Store({str(store.root)!r}); spec = RunSpec(**{TINY!r}, seed=6)\n"
        "with s.claim([spec]) as mine:\n    print(len(mine), flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "1"
        with store.claim([new]) as mine:
            assert mine == []
        holder.kill()
        holder.wait()
        with store.claim([new]) as mine:                        # its owner died: the OS released it
            assert mine == [new]
    finally:
        holder.kill()


def test_every_finished_record_reaches_the_store_with_two_workers(tmp_path):
    """Counted over several sweeps: each run is trained exactly once (the queue is read until every record
    a finished batch sent has arrived)."""
    trained = 0
    for k in range(4):
        store = Store(tmp_path / f"s{k}")
        specs = [tiny(seed=s, lr=1e-2 * (1 + k)) for s in range(4)]
        done = []
        orig = store.put
        store.put = lambda rec, *a, **kw: (done.append(rec["spec"]["seed"]), orig(rec, *a, **kw))[1]
        sweep.run(specs, store=store, workers=2, progress=False)
        assert sorted(done) == [0, 1, 2, 3], done
        trained += len(done)
    assert trained == 16


def test_one_and_two_workers_give_bit_identical_records(tmp_path):
    """A run's batch is composed independently of the worker count, so its curves do not depend on it."""
    specs = [tiny(seed=s, lr=3e-2) for s in range(6)]
    one = sweep.run(specs, store=tmp_path / "one", workers=1, progress=False)
    two = sweep.run(specs, store=tmp_path / "two", workers=2, progress=False)
    for a, b in zip(one, two):
        for k in a["curves"]:
            np.testing.assert_array_equal(a["curves"][k], b["curves"][k], err_msg=k)


def test_minus_zero_is_zero():
    assert RunSpec(wd=-0.0).run_id == RunSpec(wd=0.0).run_id
    assert RunSpec(wd=-0.0, rho=-0.0).to_dict()["rho"] == 0.0


@pytest.mark.parametrize("kind", ["empty", "file", "tilde"])
def test_odd_store_paths_are_one_line_or_expanded(kind, tmp_path, capsys, monkeypatch):
    if kind == "tilde":
        monkeypatch.setenv("HOME", str(tmp_path))
        assert Store("~/s").root == tmp_path / "s"
        return
    where = "" if kind == "empty" else str(tmp_path / "f")
    if kind == "file":
        (tmp_path / "f").write_text("x")
    assert cli(["--store", where, "list"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: store=")


def test_a_stale_tmp_goes_at_once_and_a_bad_device_is_one_line_with_a_cluster(stored, tmp_path, capsys):
    store, specs = stored
    folder = store.path(specs[0].run_id).parent
    (folder / "x.tmp").write_bytes(b"half a record")
    assert store.clean_tmp() == 1 and not list(folder.glob("*.tmp"))
    (tmp_path / "g.yaml").write_text("base: {p: 7, frac: 0.6, max_steps: 10}\n")
    assert cli(["--store", str(store.root), "sweep", str(tmp_path / "g.yaml"), "--cluster", "local:1",
                "--device", "banana"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "device=" in err[0]


def test_an_archive_of_many_odd_members_is_read_as_a_stream_with_few_warnings(stored, tmp_path):
    store, _ = stored
    with tarfile.open(tmp_path / "odd.tar.gz", "w:gz") as tar:
        for i in range(3000):
            info = tarfile.TarInfo(f"runs/zz/{i:016x}.npz")
            tar.addfile(info, io.BytesIO(b""))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert store.import_(tmp_path / "odd.tar.gz") == 0
    assert 1 < len(w) <= 25 and "3,000 members" in str(w[-1].message)

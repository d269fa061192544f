import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from grok_core import RunSpec, sweep, train
from grok_core.store import Store, answer, decode, encode

ROOT = Path(__file__).resolve().parent.parent


def test_decode_reads_arrays_as_numpys_reader_does():
    """decode parses the .npy headers np.savez writes itself (numpy's reader spends most of a store read in
    ast.literal_eval): on committed records and on 0-d, bool, big-endian and empty arrays it gives numpy's arrays
    exactly (values, dtype, shape, writable, owning their memory or not), and an object array is still refused."""
    import io
    import json
    blobs = [p.read_bytes() for p in sorted((ROOT / "results" / "runs").glob("*/*.npz"))[:40]]
    buf = io.BytesIO()
    np.savez_compressed(buf, __meta__=np.frombuffer(b'{"spec": {}, "summary": {}}', np.uint8), zero_d=np.float32(3),
                        flags=np.array([True, False]), big=np.arange(3, dtype=">f8"), empty=np.zeros(0, np.int32))
    for blob in blobs + [buf.getvalue()]:
        rec = decode(blob)
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            assert {"spec": rec["spec"], "summary": rec["summary"]} == json.loads(bytes(z["__meta__"]).decode())
            assert list(rec["curves"]) == [k for k in z.files if k != "__meta__"]
            for k, a in rec["curves"].items():
                b = z[k]
                assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), k
                assert (a.flags.writeable, a.flags.owndata) == (b.flags.writeable, b.flags.owndata), k
    buf = io.BytesIO()
    np.savez_compressed(buf, __meta__=np.frombuffer(b"{}", np.uint8), o=np.array([{}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        decode(buf.getvalue())


def test_record_roundtrip_keeps_spec_summary_and_float32_curves(tiny):
    rec = train(tiny.replace(max_steps=50))[0]
    back = decode(encode(rec))
    assert back["spec"] == rec["spec"] and back["summary"] == rec["summary"]
    assert back["curves"]["test_acc"].dtype == np.float32
    np.testing.assert_array_equal(back["curves"]["weight_norm"], rec["curves"]["weight_norm"])


def test_sweep_asked_twice_trains_nothing_the_second_time(tiny, tmp_path, monkeypatch):
    specs = [tiny.replace(seed=s, max_steps=40) for s in range(3)]
    first = sweep.run(specs, store=tmp_path, progress=False)
    monkeypatch.setattr(sweep, "train_batch", lambda *a: pytest.fail("retrained a stored run"))
    second = sweep.run(specs, store=tmp_path, progress=False)
    assert [r["summary"] for r in first] == [r["summary"] for r in second]


def test_truncated_record_is_reported_and_retrained(tiny, tmp_path):
    spec = tiny.replace(max_steps=40)
    store = Store(tmp_path)
    sweep.run([spec], store=store, progress=False)
    path = store.path(spec.run_id)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.warns(UserWarning, match="unreadable record"):
        assert store.get(spec) is None
    with pytest.warns(UserWarning):
        rec = sweep.run([spec], store=store, progress=False)[0]
    assert rec["summary"]["steps_run"] > 0 and store.get(spec) is not None


def test_killed_sweep_resumes_without_losing_or_retraining(tmp_path, monkeypatch):
    specs = [RunSpec(p=23, frac=0.5, d_embed=32, hidden=64, lr=3e-3, max_steps=800, seed=s) for s in range(8)]
    script = textwrap.dedent(f"""
        import torch; torch.set_num_threads(1)
        from grok_core import RunSpec, sweep
        specs = [RunSpec(p=23, frac=0.5, d_embed=32, hidden=64, lr=3e-3, max_steps=800, seed=s) for s in range(8)]
        sweep.run(specs, store={str(tmp_path)!r}, workers=1, max_members=1, progress=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    store = Store(tmp_path)
    deadline = time.time() + 120
    while len(store.ids()) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = {i: store.path(i).read_bytes() for i in store.ids()}
    assert 2 <= len(before) < 8, "the kill should land mid-sweep"
    trained = []
    real = sweep.train_batch
    monkeypatch.setattr(sweep, "train_batch", lambda b, *a: (trained.extend(b), real(b, *a)))
    recs = sweep.run(specs, store=store, workers=1, progress=False)
    assert len(recs) == 8 and all(r is not None for r in recs)
    assert {s.run_id for s in trained} == {s.run_id for s in specs} - set(before)
    assert all(store.path(i).read_bytes() == blob for i, blob in before.items())
    assert not list(tmp_path.rglob("*.tmp"))


def test_two_worker_processes_give_the_same_records_as_in_process(tiny, tmp_path):
    specs = [tiny.replace(seed=s, max_steps=60) for s in range(4)]
    a = sweep.run(specs, store=tmp_path / "a", workers=2, max_members=1, progress=False)
    b = sweep.run(specs, store=tmp_path / "b", workers=1, progress=False)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x["curves"]["train_loss"], y["curves"]["train_loss"], rtol=1e-4)


def test_export_import_roundtrip(tiny, tmp_path):
    specs = [tiny.replace(seed=s, max_steps=30) for s in range(2)]
    src, dst = Store(tmp_path / "gpu"), Store(tmp_path / "home")
    sweep.run(specs, store=src, progress=False)
    assert src.export(tmp_path / "runs.tar.gz") == 2
    assert dst.import_(tmp_path / "runs.tar.gz") == 2
    assert dst.get(specs[1])["summary"] == src.get(specs[1])["summary"]


def test_budget_rules(tiny):
    long = train(tiny.replace(p=59, d_embed=64, hidden=128, frac=0.5, lr=3e-3, max_steps=3000))[0]
    assert long["summary"]["status"] == "grokked"
    t = long["summary"]["t_grok"]
    short = RunSpec.from_dict({**long["spec"], "max_steps": t // 2})
    cut = answer(long, short)
    assert cut["summary"]["status"] == "censored" and cut["curves"]["step"][-1] <= t // 2
    bigger = RunSpec.from_dict({**long["spec"], "max_steps": 10 * t})
    assert answer(long, bigger)["summary"]["t_grok"] == t                    # a grok answers any budget
    censored = answer(long, short)
    assert answer(censored, bigger) is None                                   # a censored run of less budget cannot


def test_train_false_reports_missing_runs_without_training(tiny, tmp_path, monkeypatch):
    specs = [tiny.replace(seed=s, max_steps=30) for s in range(2)]
    sweep.run(specs[:1], store=tmp_path, progress=False)
    monkeypatch.setattr(sweep, "train_batch", lambda *a: pytest.fail("trained with train=False"))
    recs = sweep.run(specs, store=tmp_path, progress=False, train=False)
    assert recs[0] is not None and recs[1] is None
    assert len(sweep.run_frame(specs, store=tmp_path, progress=False, train=False)) == 1


def test_empty_frame_has_numeric_columns_so_a_concat_stays_numeric(tiny):
    # a study with no runs yet gave object columns, and a concat with it turned every number into an object
    from grok_core.store import frame
    empty, full = frame([]), frame(train(tiny))
    both = pd.concat([empty, full])
    for col in ("lr", "wd", "p", "t_mem", "final_norm", "steps_run"):
        assert pd.api.types.is_numeric_dtype(empty[col]), col
        assert pd.api.types.is_numeric_dtype(both[col]), col
    assert list(empty.columns) == list(full.columns)

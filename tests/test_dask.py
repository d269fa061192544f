"""Sweeps on a Dask cluster: a LocalCluster of two worker processes gives the records the local pool gives, and a
worker killed mid-batch loses no finished run and stores none twice."""
import os
import signal
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from grok_core import RunSpec, fused, sweep  # noqa: E402
from grok_core.store import Store  # noqa: E402

pytestmark = pytest.mark.slow         # `pytest -m 'not slow'` leaves it out


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def specs(n, steps):
    return [RunSpec(p=7, frac=0.6, d_embed=8, hidden=16, lr=1e-2, max_steps=steps, seed=s) for s in range(n)]


def test_cluster_records_equal_the_local_pools(client, tmp_path):
    plan = specs(4, 120)
    local = sweep.run(plan, store=tmp_path / "local", workers=1, progress=False)
    remote = sweep.run(plan, store=tmp_path / "dask", client=client, max_members=2, progress=False)
    for a, b in zip(local, remote):
        assert a["summary"]["t_mem"] == b["summary"]["t_mem"] and a["summary"]["t_grok"] == b["summary"]["t_grok"]
        for k in a["curves"]:
            np.testing.assert_allclose(a["curves"][k], b["curves"][k], rtol=1e-5, atol=1e-6)


def test_a_killed_worker_loses_no_run_and_stores_none_twice(client, tmp_path):
    """Each batch holds a short and a long run: the worker is killed once both short runs are stored, while its
    long run trains; the scheduler reruns its batch elsewhere, and the store refuses the short run's second record."""
    store = Store(tmp_path / "store")
    short, long = (1000, 10_000) if fused.unavailable() is None else (100, 1000)   # ~0.3 s and ~3 s on either step
    plan = [s.replace(max_steps=n) for s, n in zip(specs(4, short), (short, long, short, long))]   # 2 batches
    writes = []
    real_put = store.put

    def put(rec, **kw):
        ok = real_put(rec, **kw)
        writes.append((RunSpec.from_dict(rec["spec"]).run_id, ok))
        return ok

    store.put = put
    addr_pid = client.run(os.getpid)                 # {worker address: pid}
    pids = list(addr_pid.values())
    victim, victim_pid = next(iter(addr_pid.items()))
    at_kill = {}

    def kill_one():
        deadline = time.time() + 120
        while len(writes) < 2 and time.time() < deadline:     # both short runs stored: the long ones train on
            time.sleep(0.02)
        at_kill.update(tasks=len(client.processing().get(victim, ())), written=len(writes))
        os.kill(victim_pid, signal.SIGKILL)

    threading.Thread(target=kill_one, daemon=True).start()
    recs = sweep.run(plan, store=store, client=client, max_members=2, progress=False)
    assert all(r is not None for r in recs)
    assert sorted(store.ids()) == sorted(s.run_id for s in plan)
    written = [rid for rid, ok in writes if ok]
    assert sorted(written) == sorted(s.run_id for s in plan)          # each run stored exactly once
    assert set(client.run(os.getpid).values()) != set(pids), "the kill should have landed (the nanny restarts it)"
    assert at_kill["tasks"] >= 1, "the killed worker held no batch: the test would not test a loss"
    assert at_kill["written"] < len(plan), "every run was stored before the kill"
    refused = [rid for rid, ok in writes if not ok]
    assert len(refused) == 1 and refused[0] in {s.run_id for s in plan[::2]}, \
        "the rerun batch's short run, stored before the kill, should have been offered again and refused"


def test_the_command_lines_local_cluster_ends_with_the_command(tmp_path):
    """`--cluster local:N` called through main() (as from a script or a notebook) leaves no worker process behind:
    a Client does not close a cluster it was handed, so the command must."""
    from grok_core.cli import main
    psutil = pytest.importorskip("psutil")
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    (tmp_path / "grid.yaml").write_text("base: {p: 7, frac: 0.6, d_embed: 8, hidden: 16, lr: 0.01, max_steps: 30}\n"
                                        "grid: {seed: [0]}\n")
    assert main(["--store", str(tmp_path / "store"), "sweep", str(tmp_path / "grid.yaml"), "--cluster", "local:1"]) == 0
    assert len(Store(tmp_path / "store").ids()) == 1
    deadline = time.time() + 10
    while (left := [p for p in me.children(recursive=True) if p.pid not in before and p.is_running()
                    and p.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(p.cmdline())]):
        assert time.time() < deadline, f"worker processes left running: {[' '.join(p.cmdline())[:80] for p in left]}"
        time.sleep(0.2)

"""Run a list of specs: take what the store has, train only what is missing, in batches of one shape,
in worker processes, writing each record as its member finishes (so a killed sweep resumes)."""
from __future__ import annotations

import functools
import hashlib
import multiprocessing as mp
import os
import queue
import re
import subprocess
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import torch
from tqdm.std import tqdm

from . import fused, models
from .specs import RunSpec
from .store import Store, decode, encode, frame
from .train import BatchTrainer

# glibc: keep freed activation buffers instead of returning them to the OS each step (~1.6x measured on the
# p = 59 MLP, benchmarks/bench_trainer.py). Read at process start, so set while the workers are spawned.
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "1073741824", "MALLOC_TRIM_THRESHOLD_": "4294967296",
              "MALLOC_TOP_PAD_": "268435456"}

# Activation budget per batch: members whose [N, hidden] activations fit in the 32 MB L3 run ~2x faster.
CACHE_BYTES = 24 * 2 ** 20
CPU_MEMBERS = 4                # MLP members per batch on CPU: 2-4 were fastest per model-step here


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def members_per_batch(spec: RunSpec, device: str) -> int:
    if device != "cpu":
        return 1024
    n = spec.batch_size or (int(round(spec.frac * spec.p ** 2)) if spec.task != "parity" else spec.n_train)
    width = max(spec.hidden, spec.p if spec.task != "parity" else 2)
    per_member = 4 * n * width * 4                                        # ~4 live [N, width] float32 buffers
    # at most CPU_MEMBERS: small enough that a cell of 8 seeds feeds 2 workers, and fixed, so that a run's
    # batch (and so its last bits) does not depend on how many workers a sweep had
    return max(1, min(CPU_MEMBERS, CACHE_BYTES // per_member))


def groups(specs: list[RunSpec], device: str = "cpu", max_members: int | None = None,
           split: int = 1) -> list[list[RunSpec]]:
    """Batches of one shape key, at most `max_members` each (else sized to the cache, and each shape split
    into at least `split` batches so that every worker has one), largest expected cost first."""
    by_key = defaultdict(list)
    for s in specs:
        by_key[s.shape_key() + (s.beta1, s.beta2, s.eps)].append(s)
    out = []
    for members in by_key.values():
        cap = max_members or min(members_per_batch(members[0], device), -(-len(members) // split))
        members.sort(key=expected_cost)
        out += [members[i:i + cap] for i in range(0, len(members), cap)]
    return sorted(out, key=lambda b: -sum(expected_cost(s) for s in b))


def expected_cost(spec: RunSpec) -> float:
    """Rough cost for ordering only (longest first balances the workers): steps ~ 1/(lr·λ), capped by the
    budget, times the step's size."""
    n = spec.n_train if spec.task == "parity" else spec.frac * spec.p ** 2
    steps = min(spec.max_steps, 1.0 / max(spec.lr * spec.wd, 1e-12))
    return steps * n * max(spec.hidden, spec.p)


FUSED_RATE = 357.0   # the fused MLP step end to end, per 1-thread worker (make bench, 2026-12-02: 714 on 2 workers)
# Model-steps per second of one 1-thread CPU worker, measured on this project's 2-core machine (benchmarks/
# bench_trainer.py and the sweeps' own rates, 2026-11/12) at a reference size: (examples per step, width).
# A spec's rate is scaled by the work of a step, examples × width, against its model's reference.
CPU_RATE = {"mlp": (202.0, 1392 * 256), "transformer": (88.0, 512 * 512), "attn": (44.0, 1392 * 512),
            # the MLP on the fused step (grok_core.fused), where it builds: end to end, evaluation included
            "mlp_fused": (FUSED_RATE, 1392 * 256)}


def step_rate(spec: RunSpec) -> float:
    """Estimated model-steps/s of one 1-thread CPU worker for this spec (an estimate for planning, not a
    measurement: see CPU_RATE)."""
    fast = fused.eligible(spec, "cpu") and fused.unavailable() is None
    rate, ref_work = CPU_RATE["mlp_fused" if fast else spec.model]
    n = spec.batch_size or (spec.n_train if spec.task == "parity" else round(spec.frac * spec.p ** 2))
    width = max(spec.hidden, spec.p if spec.task != "parity" else 2)
    return rate * ref_work / max(n * width, 1)


def cost(specs: list[RunSpec], store: Store, workers: int | None = None) -> dict:
    """What training the runs the store lacks would cost, at most: each missing run to its full budget (runs
    that grok stop sooner). Hours are wall-clock on `workers` CPU workers at the rates of CPU_RATE."""
    missing = to_train(specs, store)
    workers = workers or os.cpu_count() or 1
    member_steps = sum(s.max_steps for s in missing)
    hours = sum(s.max_steps / step_rate(s) for s in missing) / 3600 / workers
    return dict(runs=len(missing), member_steps=member_steps, cpu_hours=hours, workers=workers)


def describe_cost(c: dict) -> str:
    return (f"{c['runs']} runs to train: at most {c['member_steps']:,} member-steps, about {c['cpu_hours']:.1f} h "
            f"on {c['workers']} CPU workers of this project's reference machine (runs that grok stop sooner)")


def _watch_parent(parent_pid: int):
    """A worker whose parent is gone (killed, even with SIGKILL) exits instead of training for nobody."""
    def watch():
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _worker_init(q, threads, parent_pid):
    global _QUEUE
    _QUEUE = q
    _watch_parent(parent_pid)
    if threads:
        torch.set_num_threads(threads)


def train_batch(specs: list[RunSpec], device: str, emit) -> None:
    """Train one batch of one shape; `emit(kind, payload)` receives ("done", record) as each member finishes
    and ("steps", n) as member-steps accumulate. The unit of work of every executor: it writes nothing."""
    BatchTrainer(specs, device=device, on_done=lambda rec: emit("done", rec),
                 on_steps=lambda n: emit("steps", n)).run()


def _train_batch_in_worker(specs, device) -> int:
    """Train a batch in a pool worker; returns how many records it sent, so the caller reads until it has
    them all (a future can complete before the queue's feeder thread has written its last records)."""
    sent = 0

    def emit(kind, payload):
        nonlocal sent
        _QUEUE.put((kind, payload))
        sent += kind == "done"
    train_batch(specs, device, emit)
    return sent


def to_train(specs: list[RunSpec], store: Store) -> list[RunSpec]:
    """The runs `store` cannot answer, one spec per run id: the largest budget asked for, which answers the
    smaller ones too."""
    unique = {}
    for s in specs:
        if s.run_id not in unique or s.max_steps > unique[s.run_id].max_steps:
            unique[s.run_id] = s
    return [s for s in unique.values() if store.get(s) is None]


def check_device_name(device) -> str:
    """'cpu', 'cuda' or 'cuda:N' (wherever it will run: a cluster's workers check that they have it)."""
    if not isinstance(device, str) or not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise ValueError(f"device={str(device)[:40]!r} is not allowed: 'cpu', 'cuda' or 'cuda:N'")
    return device


def check_device(device: str) -> str:
    """'cpu', 'cuda' or 'cuda:N', and only where torch can use it."""
    check_device_name(device)
    if device != "cpu" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} is not allowed here: torch sees no CUDA device on this machine (use 'cpu')")
    return device


def _local_pool(batches, device, workers, threads, handle):
    """Train `batches` in `workers` spawned processes; records come back through a queue and `handle` (in this
    process) stores them, so the caller stays the store's single writer. A worker that dies loses only its
    unfinished runs, which the caller's next round trains again."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    saved = {k: os.environ.get(k) for k in MALLOC_ENV}
    os.environ.update(MALLOC_ENV)            # read by each worker at its start; restored once they are spawned
    try:
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init,
                                   initargs=(q, threads, os.getpid()))
        pending = {pool.submit(_train_batch_in_worker, b, device) for b in batches}
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    lost, sent = None, 0
    got = [0]

    def counted(kind, payload):
        got[0] += kind == "done"
        handle(kind, payload)
    with pool:
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            _drain(q, counted)
            for f in finished:
                try:
                    sent += f.result()
                except BrokenProcessPool as e:      # a worker died: the rest of its batch is trained again
                    lost = e
        deadline = time.monotonic() + 60.0          # every record a finished batch sent reaches the store
        while got[0] < sent and time.monotonic() < deadline:
            try:
                counted(*q.get(timeout=0.5))
            except queue.Empty:
                pass
        _drain(q, counted)
    return lost


def _dask_task(specs, device, queue_name, threads):
    """One batch on a Dask worker: each finished member's record goes back at once, as bytes, through a
    distributed queue (the caller stores it); nothing is written on the worker."""
    from distributed import Queue

    if threads:
        torch.set_num_threads(threads)
    q = Queue(queue_name)
    train_batch(specs, device, lambda kind, payload: q.put(encode(payload)) if kind == "done" else None)
    return [s.run_id for s in specs]


def _dask_pool(client, batches, device, handle):
    """Train `batches` as Dask tasks. A worker that dies has its task rerun elsewhere by the scheduler; the
    records of a rerun batch that are already stored are not stored again (the store refuses equal budgets)."""
    from distributed import Queue, wait as dwait

    name = f"grok-{uuid.uuid4().hex}"
    q = Queue(name, client=client)
    pending = [client.submit(_dask_task, b, device, name, 1 if device == "cpu" else 0, pure=False) for b in batches]

    def drain():
        while q.qsize():
            for blob in q.get(batch=True):
                handle("stored", decode(blob))

    while pending:
        try:
            done = dwait(pending, timeout=0.5, return_when="FIRST_COMPLETED")
        except TimeoutError:
            drain()
            continue
        drain()
        for f in done.done:
            f.result()                       # a task that failed for a reason of its own raises here
        pending = list(done.not_done)
    drain()


def _drain(q, handle):
    while True:
        try:
            handle(*q.get_nowait())
        except queue.Empty:
            return


@functools.lru_cache(maxsize=1)
def code_commit() -> str | None:
    """The git commit of the code that trains ('…+dirty' where grok_core has uncommitted changes), or None
    outside a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--", "."], capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("+dirty" if dirty else "") if rev else None


def provenance(store: Store):
    """A function that stamps a finished record with its provenance before it is stored: the code's commit and
    the sha256 (first 16 hex digits) of every prediction file in <store>/predictions/ that names the run, so
    that the order 'prediction, then run' can be checked from the records alone (tests/test_provenance.py)."""
    files = {}
    for p in sorted((store.root / "predictions").glob("*.json")):
        try:
            text = p.read_text()
        except OSError:
            continue
        files[p.name] = (text, hashlib.sha256(text.encode()).hexdigest()[:16])
    commit = code_commit()

    def stamp(record: dict) -> dict:
        run_id = RunSpec.from_dict(record["spec"]).run_id
        named = {name: h for name, (text, h) in files.items() if run_id in text}
        s = record["summary"]
        return dict(record, summary={**s, "commit": s.get("commit") or commit,
                                     "predictions": s.get("predictions") or named or None})
    return stamp


_ASKED: set = set()          # run ids asked for in this process (a page lists the runs it rests on)


def asked_ids() -> list[str]:
    """Every run id `run` was asked for in this process, sorted: what a chapter page rests on."""
    return sorted(_ASKED)


def run(specs: list[RunSpec], store: Store | str | None = None, workers: int | None = None,
        device: str | None = None, max_members: int | None = None, progress: bool = True,
        train: bool = True, client=None) -> list[dict | None]:
    """Return one record per spec (in order), training the missing ones. `workers=None` picks one 1-thread
    process per core on CPU (measured best on this project's machine) and one in-process trainer on a GPU;
    `workers=1` trains in this process. `train=False` trains nothing and returns None for missing runs
    (a chapter can then report a sweep that is still under way).

    Runs that another sweep on the same store is training (it holds their claims) are waited for, not trained
    twice; a worker that dies costs only its unfinished runs, which are trained again.

    `client`, a dask.distributed Client, sends the batches to its cluster's workers instead (each on the device
    `device` names there); records stream back as members finish and this process stores them, so the
    workers need no shared filesystem."""
    store = store if isinstance(store, Store) else Store(store)
    _ASKED.update(s.run_id for s in specs)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers={workers!r} is not allowed: a positive number of worker processes (or None)")
    device = check_device_name(device or default_device())
    if client is None:                           # the workers of a cluster check their own devices
        device = check_device(device)
        cores = os.cpu_count() or 1
        if workers and device == "cpu" and workers > cores:
            print(f"workers={workers} is more than the {cores} cores here: using {cores}", flush=True)
            workers = cores
    for spec in {s.shape_key() + (s.clamp_group,): s for s in specs}.values():
        models.check(spec)
    missing = to_train(specs, store)
    if missing and train:
        store.clean_tmp()
        if progress:
            print(describe_cost(cost(missing, store, workers)), flush=True)
        bar = tqdm(total=len(missing), desc=f"training {len(missing)} runs", unit="run", disable=not progress,
                   mininterval=1.0)
        steps, t0 = 0, time.perf_counter()

        stamp = provenance(store)

        def handle(kind, payload):
            nonlocal steps
            if kind == "done":
                store.put(stamp(payload))
                bar.update(1)
            elif kind == "stored":                   # from another machine: never stored twice
                if store.put(stamp(payload), refuse_equal=True):
                    bar.update(1)
            else:
                steps += payload
                bar.set_postfix_str(f"{steps / (time.perf_counter() - t0):.0f} member-steps/s", refresh=False)

        attempt, waited = 0, False
        while attempt < 4:
            missing = to_train(specs, store)
            if not missing:
                break
            with store.claim(missing) as mine:
                if not mine:                         # all of them are another live sweep's: wait for its records
                    if not waited:
                        print(f"waiting for {len(missing)} runs that another sweep on {store.root} is training "
                              "(its claims end when it stops or dies)", flush=True)
                        waited = True
                    time.sleep(1.0)
                    continue
                attempt += 1
                cores = os.cpu_count() or 1
                n = workers or (len(client.scheduler_info()["workers"]) if client is not None else
                                1 if device != "cpu" else cores)
                batches = groups(mine, device, max_members)   # the same batches whatever the worker count
                n = min(n, len(batches))
                if client is not None:
                    _dask_pool(client, batches, device, handle)
                elif n == 1:
                    for b in batches:
                        train_batch(b, device, handle)      # this process keeps its threads
                else:
                    threads = max(1, cores // n) if device == "cpu" else 1
                    lost = _local_pool(batches, device, n, threads, handle)
                    if lost is not None and attempt == 4:
                        raise RuntimeError(f"a worker process died in every attempt ({lost}); runs are still missing")
        bar.close()
    out = []
    for s in specs:
        rec = store.get(s)
        if rec is None and train:
            raise RuntimeError(f"run {s.run_id} was trained but its record is not in {store.root}")
        out.append(rec)
    return out


def run_frame(specs, **kw):
    """`run` and return the records as a DataFrame (one row per stored spec)."""
    return frame(run(specs, **kw))

"""Train a chapter's missing runs on another machine (a GPU) and bring them home as one archive.

    python tools/train_elsewhere.py log_law --preset book --device cuda --minutes 7 --archive $OUT/runs.tar.gz
    python -m grok_core import runs.tar.gz            # at home: the records join results/

The chapter is one of grok_core.studies (`python -m grok_core plan <chapter>` lists the same runs); `--set
key=value` changes a field of its preset, as on the command line. It trains the runs the store lacks, stage after
stage where a later study needs an earlier one's W_c, and exports the records this call wrote, at the end or when
`--minutes` are up (a run still training then is lost; the rest resume later). `--dry-run` lists the first
stage's batches and trains nothing.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("chapter", help="a chapter's study module: python -m grok_core plan --help lists them")
    ap.add_argument("--device", default=None)
    ap.add_argument("--workers", type=int, default=None, help="trainer processes (default: the sweep's)")
    ap.add_argument("--max-members", type=int, default=None, help="members per batch (default: the sweep's)")
    ap.add_argument("--minutes", type=float, default=0, help="export and stop after this long (0: no limit)")
    ap.add_argument("--archive", default="runs.tar.gz")
    ap.add_argument("--store", default=None, help="run store folder (default: $GROK_STORE, else results/)")
    ap.add_argument("--preset", default="book")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="change a preset field")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args(argv)

    from grok_core import studies, sweep
    from grok_core.cli import _sets
    from grok_core.store import Store

    store = Store(args.store)
    try:
        module = studies.load(args.chapter)
        cfg = studies.configure(module, args.preset, _sets(args.set))
    except ValueError as e:                      # one line, not a traceback: a wrong name or --set
        raise SystemExit(f"error: {e}")
    specs = [s for specs in module.plan(cfg, store).values() for s in specs]
    missing = sweep.to_train(specs, store)
    print(f"{len({s.run_id for s in specs})} runs in the chapter, {len({s.run_id for s in missing})} missing from "
          f"{store.root}", flush=True)
    if args.dry_run:
        device = args.device or "cpu"
        for b in sweep.groups(missing, device, args.max_members, split=args.workers or 1):
            print(len(b), b[0].task, b[0].p, b[0].optimizer, max(s.max_steps for s in b),
                  f"{sum(sweep.expected_cost(s) for s in b):.3g}")
        return 0
    before = set(store.ids())
    t0 = time.perf_counter()
    lock = threading.Lock()

    def finish(why, stop=False):
        with lock:
            new = sorted(set(store.ids()) - before)
            n = store.export(args.archive, new, overwrite=True)   # its own output: a rerun replaces it
            print(f"\n{why} after {time.perf_counter() - t0:.0f} s: exported {n} new records to {args.archive}",
                  flush=True)
            if stop:                            # the timer's thread: end the process, trainers and all
                import multiprocessing
                for child in multiprocessing.active_children():
                    child.kill()                # else a worker keeps the caller's pipe open
                os._exit(0)
            return n

    if args.minutes:
        timer = threading.Timer(args.minutes * 60, finish, args=("time is up", True))
        timer.daemon = True
        timer.start()
    studies.run(module, cfg, store, workers=args.workers, device=args.device, max_members=args.max_members)
    if args.minutes:
        timer.cancel()
    return finish("sweep complete")


if __name__ == "__main__":
    main()

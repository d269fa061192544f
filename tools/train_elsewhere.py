"""Train a chapter's missing runs on another machine (a GPU) and bring them home as one archive.

    python tools/train_elsewhere.py notebooks/04_log_law.ipynb --device cuda --minutes 7 \
        --archive $OUT/runs.tar.gz
    python -m grok_core import runs.tar.gz            # at home: the records join results/

It runs the notebook's code cells up to the one that defines STUDIES (myst-nb's glue is stubbed, so it runs
where myst-nb is not installed), trains the runs the store lacks with grok_core.sweep, and exports the records
this call wrote, at the end or when `--minutes` are up (a run still training then is lost; the rest resume
later). `--dry-run` lists the batches and trains nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def chapter_specs(notebook: Path, overrides: dict) -> list:
    sys.modules.setdefault("myst_nb", types.SimpleNamespace(glue=lambda *a, **k: None))
    ns: dict = {}
    cwd = os.getcwd()
    os.chdir(ROOT / "book")                     # where the chapters run (papermill --cwd book)
    try:
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            exec(compile("".join(cell["source"]), str(notebook), "exec"), ns)
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                ns.update(overrides)
            if "STUDIES" in ns:
                break
    finally:
        os.chdir(cwd)
    if "STUDIES" not in ns:
        raise SystemExit(f"{notebook} defines no STUDIES")
    return [s for specs in ns["STUDIES"].values() for s in specs]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebook", type=Path)
    ap.add_argument("--device", default=None)
    ap.add_argument("--workers", type=int, default=None, help="trainer processes (default: the sweep's)")
    ap.add_argument("--max-members", type=int, default=None, help="members per batch (default: the sweep's)")
    ap.add_argument("--minutes", type=float, default=0, help="export and stop after this long (0: no limit)")
    ap.add_argument("--archive", default="runs.tar.gz")
    ap.add_argument("--store", default=str(ROOT / "results"), help="run store folder (default: results/)")
    ap.add_argument("--preset", default=None)
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args(argv)

    from grok_core import sweep
    from grok_core.store import Store

    specs = chapter_specs(args.notebook.resolve(), {"preset": args.preset} if args.preset else {})
    store = Store(args.store)
    missing = sweep.to_train(specs, store)
    print(f"{len(specs)} runs in the chapter, {len(missing)} missing from {store.root}", flush=True)
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
            n = store.export(args.archive, new)
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
    sweep.run(missing, store=store, workers=args.workers, device=args.device,
              max_members=args.max_members)
    if args.minutes:
        timer.cancel()
    return finish("sweep complete")


if __name__ == "__main__":
    main()

"""python -m grok_core: run a sweep from a YAML grid, list and summarise stored runs, move archives.

A grid file:
    base: {task: add, p: 59, frac: 0.4, max_steps: 20000}   # any RunSpec field
    grid: {seed: [0, 1, 2, 3], lr: [1.0e-3, 3.0e-3]}        # cartesian product over these
    zip:  {clamp_target: [46.6, 63.1], rho: [0.85, 1.15]}   # optional: paired element by element
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import sys

import yaml

from . import studies, sweep
from .specs import MAX_RUNS, RunSpec, grid
from .store import Store, frame


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice (plain YAML keeps the last one silently)."""


def _mapping(loader, node, deep=False):
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    dup = sorted({str(k) for k in keys if keys.count(k) > 1})
    if dup:
        raise ValueError(f"key(s) {dup} given twice (line {node.start_mark.line + 1})")
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_grid(path) -> list[RunSpec]:
    """The runs of a grid file: `base` (any RunSpec field), `grid` (lists, crossed) and `zip` (lists of one
    length, paired element by element, e.g. clamp_target with rho; the pairs are crossed with `grid`)."""
    with open(path) as f:
        try:
            doc = yaml.load(f, Loader=_UniqueKeyLoader)
        except ValueError as e:
            raise ValueError(f"grid file {path}: {e}") from e
    if doc is None:
        raise ValueError(f"grid file {path} is empty: give at least 'base' or 'grid'")
    if not isinstance(doc, dict) or set(doc) - {"base", "grid", "zip"}:
        raise ValueError(f"grid file {path}: top-level keys must be 'base', 'grid' and 'zip', got "
                         f"{list(doc) if isinstance(doc, dict) else type(doc).__name__}")
    for key in doc:
        if not isinstance(doc[key], dict):
            raise ValueError(f"grid file {path}: '{key}' must be a mapping of RunSpec fields, got {type(doc[key]).__name__}")
    axes = {**doc.get("grid", {}), **doc.get("zip", {})}
    for name, values in axes.items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"grid file {path}: axis '{name}' must be a non-empty list, got {values!r}")
    zipped = doc.get("zip", {})
    lengths = {len(v) for v in zipped.values()}
    if len(lengths) > 1:
        raise ValueError(f"grid file {path}: the 'zip' lists must have one length, got "
                         f"{ {k: len(v) for k, v in zipped.items()} }")
    both = set(zipped) & set(doc.get("grid", {}))
    if both:
        raise ValueError(f"grid file {path}: {sorted(both)} in both 'grid' and 'zip'")
    pairs = [dict(zip(zipped, row)) for row in zip(*zipped.values())] if zipped else [{}]
    n = len(pairs) * math.prod(len(v) for v in doc.get("grid", {}).values())
    if n > MAX_RUNS:
        raise ValueError(f"grid file {path}: {n:,} runs is not allowed: at most {MAX_RUNS:,} in one grid")
    return [s for pair in pairs for s in grid({**doc.get("base", {}), **pair}, **doc.get("grid", {}))]


@contextlib.contextmanager
def connected(scheduler: str | None, cluster: str | None):
    """A dask.distributed Client for --scheduler tcp://HOST:PORT or --cluster local:N (N worker processes of one
    thread here), closed on leaving, with the local cluster it started; None when neither is given."""
    if not scheduler and not cluster:
        yield None
        return
    if scheduler and cluster:
        raise ValueError("--scheduler and --cluster are not allowed together: give one")
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise ValueError("--scheduler/--cluster need Dask: pip install -e '.[dask]'") from e
    if cluster:
        m = re.fullmatch(r"local:([1-9][0-9]*)", cluster)
        if not m:
            raise ValueError(f"--cluster={cluster!r} is not allowed: local:N with N >= 1 worker processes")
        # a Client does not close a cluster it was handed: without this its worker processes outlive the
        # command wherever main() is called from Python
        with LocalCluster(n_workers=int(m.group(1)), threads_per_worker=1, processes=True,
                          dashboard_address=None) as local, Client(local) as client:
            yield client
        return
    # how long to wait for the scheduler: Dask's own connect timeout where it is set in the environment, else 10 s
    timeout = os.environ.get("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "10s")
    try:
        client = Client(scheduler, timeout=timeout)
    except OSError as e:
        raise ValueError(f"--scheduler={scheduler!r}: no Dask scheduler answered ({e})") from e
    with client:
        yield client


def _sets(items) -> dict:
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ValueError(f"--set {item!r} is not allowed: KEY=VALUE")
        if key.strip() in out:
            raise ValueError(f"--set {key.strip()} is given twice: give each field once")
        out[key.strip()] = value          # read as YAML and checked against the field's type by studies.coerce
    return out


def fields_text(name: str) -> str:
    """The preset fields of chapter `name`, as `run <chapter> --help` lists them: type, each preset's value, what
    it is. The same names are the page's papermill parameters."""
    rows = studies.fields(studies.load(name))
    if not rows:
        return ""
    lines = [f"preset fields of {name} (--set KEY=VALUE here, -p KEY VALUE on its page; values as YAML):"]
    for f in rows:
        vals = ", ".join(f"{k} {studies.shown(v, 36)}" for k, v in f["values"].items())
        lines.append(f"  {f['name']} ({f['type']}): {f['doc']}\n      {vals}")
    return "\n".join(lines)


class _Help(argparse.Action):
    """-h/--help after a chapter: the usual help, then that chapter's preset fields."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        parser.print_help()
        chapter = getattr(namespace, "chapter", None)
        if chapter in studies.MODULES:
            print("\n" + fields_text(chapter))
        parser.exit()


def _chapter(args, store) -> int:
    module = studies.load(args.chapter)
    cfg = studies.configure(module, args.preset, _sets(args.set))
    if args.cmd == "plan":
        plan = module.plan(cfg, store)
        for name, specs in plan.items():
            missing = sweep.to_train(specs, store)
            print(f"{name}: {len({s.run_id for s in specs})} runs, {len(missing)} missing")
        every = [s for specs in plan.values() for s in specs]
        print(sweep.describe_cost(sweep.cost(every, store)))
        return 0
    with connected(args.scheduler, args.cluster) as client:
        seen = studies.run(module, cfg, store, workers=args.workers, device=args.device, client=client)
    print(f"{len(seen)} runs of {args.chapter} ({args.preset}) in {store.root}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m grok_core", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", default=None, help="run store folder (default: results/)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sw = sub.add_parser("sweep", help="train every run of a YAML grid that the store lacks")
    sw.add_argument("grid")
    sw.add_argument("--workers", type=int, default=None)
    sw.add_argument("--device", default=None)
    sw.add_argument("--dry-run", action="store_true", help="only count stored and missing runs")
    sw.add_argument("--scheduler", default=None, help="a Dask scheduler's address, tcp://HOST:8786: train on its workers")
    sw.add_argument("--cluster", default=None, help="local:N: start a local Dask cluster of N worker processes")
    for name, what in (("plan", "list a chapter's runs by study, what the store lacks and what it costs"),
                       ("run", "train what a chapter's plan needs and the store lacks")):
        c = sub.add_parser(name, help=what, add_help=False)
        c.add_argument("-h", "--help", action=_Help, help="show this help and, after a chapter, its preset fields")
        c.add_argument("chapter", help="a chapter's study: " + ", ".join(sorted(studies.MODULES)))
        c.add_argument("--preset", default="book", help="quick | book | paper")
        c.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="change one preset field, e.g. --set seeds=4 --set 'moduli=[41, 59]'")
        if name == "run":
            c.add_argument("--workers", type=int, default=None)
            c.add_argument("--device", default=None)
            c.add_argument("--scheduler", default=None)
            c.add_argument("--cluster", default=None)
    sub.add_parser("list", help="one line per stored run")
    sm = sub.add_parser("summary", help="grokked/censored/failed counts and median T_grok per group")
    sm.add_argument("--by", default="task,model,p,frac,lr,wd,rho", help="comma-separated spec fields")
    ex = sub.add_parser("export", help="write stored records into one .tar.gz")
    ex.add_argument("archive")
    ex.add_argument("--overwrite", action="store_true", help="replace an existing archive file (never a store's record)")
    im = sub.add_parser("import", help="take the records of a .tar.gz made by export")
    im.add_argument("archive")
    args = ap.parse_args(argv)

    try:
        store = Store(args.store)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        if args.cmd in ("plan", "run"):
            return _chapter(args, store)
        if args.cmd == "sweep":
            specs = load_grid(args.grid)
            if args.workers is not None and args.workers < 1:
                raise ValueError(f"--workers={args.workers} is not allowed: a positive integer")
            if args.device is not None:
                sweep.check_device_name(args.device)           # also with a cluster, before any worker starts
                if not (args.scheduler or args.cluster):
                    sweep.check_device(args.device)
            if args.dry_run:
                have = sum(store.get(s) is not None for s in specs)
                print(f"{len(specs)} runs: {have} stored, {len(specs) - have} to train")
                return 0
            with connected(args.scheduler, args.cluster) as client:
                df = sweep.run_frame(specs, store=store, workers=args.workers, device=args.device, client=client)
            print(df["status"].value_counts().to_string())
        elif args.cmd == "list":
            df = frame(store.all())
            if len(df):
                cols = ["run_id", "task", "model", "p", "frac", "lr", "wd", "rho", "seed", "status", "t_mem",
                        "t_grok", "steps_run"]
                if (df.status == "failed").any():           # say why a run failed, where the record says
                    df["why"] = [(f or "") if st == "failed" else "" for st, f in zip(df.status, df.failure)]
                    cols.append("why")
                print(df[cols].to_string(index=False))
            print(f"{len(df)} runs in {store.root}")
        elif args.cmd == "summary":
            df = frame(store.all())
            if not len(df):
                print(f"no runs in {store.root}")
                return 0
            by = [c.strip() for c in args.by.split(",") if c.strip()]
            bad = [c for c in by if c not in df.columns]
            if bad:
                raise ValueError(f"--by={bad} is not allowed: spec fields, e.g. {list(RunSpec.__dataclass_fields__)}")
            df["t_grok"] = df["t_grok"].astype(float)
            g = df.groupby(by)
            out = g["status"].value_counts().unstack(fill_value=0)
            out["median_t_grok"] = g["t_grok"].median()
            out["median_norm_at_grok"] = g["norm_at_grok"].median()
            print(out.to_string())
        elif args.cmd == "export":
            print(f"exported {store.export(args.archive, overwrite=args.overwrite)} runs to {args.archive}")
        elif args.cmd == "import":
            print(f"imported {store.import_(args.archive)} runs into {store.root}")
    except (ValueError, FileNotFoundError, yaml.YAMLError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:             # full disk, read-only store, a file where a folder belongs: one line
        where = f" ({e.filename})" if e.filename else ""
        print(f"error: {e.strerror or e}{where}: check that the store {store.root} is a writable folder "
              "with free space", file=sys.stderr)
        return 2
    return 0

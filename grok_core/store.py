"""The run store: one compressed .npz per run under <root>/runs/<id[:2]>/<id>.npz, found by run id.

A record is {"spec": dict, "summary": dict, "curves": {name: float32/int32 array}}. Writes go to a temporary
file in the same folder and are renamed into place, so a sweep killed at any moment leaves either the whole
record or none. A record that cannot be read, or whose spec does not hash to its file name, is reported and
treated as missing (it will be retrained), never trusted.
"""
from __future__ import annotations

import dataclasses
import io
import json
import os
import tarfile
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .specs import RunSpec
from .train import SUMMARY, log_grid

DEFAULT_ROOT = Path(os.environ.get("GROK_STORE", Path(__file__).resolve().parent.parent / "results"))


def _budget_end(spec: RunSpec) -> int:
    return log_grid(spec.log, spec.log_density, spec.log_every, spec.max_steps)[-1]


def answer(record: dict, spec: RunSpec) -> dict | None:
    """The stored record as the run `spec` (same id, maybe another budget) would have ended, or None if the
    record cannot say: a censored record of a smaller budget. A record of a larger budget whose grok came
    after this budget is cut to a censored one."""
    s = record["summary"]
    end = _budget_end(spec)
    if s["status"] == "censored" and s["steps_run"] < end:
        return None
    if s["status"] == "grokked" and s["t_grok"] > end or s["status"] == "censored" and s["steps_run"] > end:
        keep = record["curves"]["step"] <= end
        curves = {k: v[keep] for k, v in record["curves"].items()}
        t_mem = s["t_mem"] if s["t_mem"] is not None and s["t_mem"] <= end else None
        summary = dict(s, status="censored", t_grok=None, norm_at_grok=None, t_mem=t_mem,
                       norm_at_mem=s["norm_at_mem"] if t_mem is not None else None, steps_run=int(curves["step"][-1]),
                       final_train_acc=float(curves["train_acc"][-1]), final_test_acc=float(curves["test_acc"][-1]),
                       final_norm=float(curves["weight_norm"][-1]))
        return {"spec": spec.to_dict(), "summary": summary, "curves": curves}
    return dict(record, spec=spec.to_dict())


def encode(record: dict) -> bytes:
    buf = io.BytesIO()
    meta = json.dumps({"spec": record["spec"], "summary": record["summary"]}, sort_keys=True)
    np.savez_compressed(buf, __meta__=np.frombuffer(meta.encode(), dtype=np.uint8), **record["curves"])
    return buf.getvalue()


def decode(blob: bytes) -> dict:
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        meta = json.loads(bytes(z["__meta__"]).decode())
        curves = {k: z[k] for k in z.files if k != "__meta__"}
    return {"spec": meta["spec"], "summary": meta["summary"], "curves": curves}


class Store:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else DEFAULT_ROOT
        self.runs = self.root / "runs"

    def path(self, run_id: str) -> Path:
        return self.runs / run_id[:2] / f"{run_id}.npz"

    # ------------------------------------------------------------------ read
    def load(self, run_id: str) -> dict | None:
        path = self.path(run_id)
        if not path.exists():
            return None
        try:
            rec = decode(path.read_bytes())
            found = RunSpec.from_dict(rec["spec"]).run_id
            if found != run_id:
                raise ValueError(f"its spec hashes to {found}")
            return rec
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as e:
            warnings.warn(f"unreadable record {path} ({type(e).__name__}: {e}); it will be retrained")
            return None

    def get(self, spec: RunSpec) -> dict | None:
        rec = self.load(spec.run_id)
        return answer(rec, spec) if rec is not None else None

    def ids(self) -> list[str]:
        return sorted(p.stem for p in self.runs.glob("*/*.npz"))

    def all(self):
        for run_id in self.ids():
            rec = self.load(run_id)
            if rec is not None:
                yield rec

    # ------------------------------------------------------------------ write
    def put(self, record: dict) -> Path:
        """Atomic write. A record with a larger budget than the stored one replaces it."""
        spec = RunSpec.from_dict(record["spec"])
        path = self.path(spec.run_id)
        old = self.load(spec.run_id) if path.exists() else None
        if old is not None and old["summary"]["steps_run"] > record["summary"]["steps_run"] \
                and old["summary"]["status"] != "failed":
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(encode(record))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path

    # ------------------------------------------------------------------ archives
    def export(self, archive: str | Path, run_ids=None) -> int:
        """Write the records (all, or `run_ids`) into one .tar.gz, e.g. to bring GPU runs home."""
        run_ids = self.ids() if run_ids is None else list(run_ids)
        with tarfile.open(archive, "w:gz") as tar:
            for run_id in run_ids:
                tar.add(self.path(run_id), arcname=f"runs/{run_id[:2]}/{run_id}.npz")
        return len(run_ids)

    def import_(self, archive: str | Path) -> int:
        """Read an archive made by `export`; each record is checked (readable, id matches) before it is
        stored. Returns the number of records taken."""
        n = 0
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                if not (member.isfile() and member.name.endswith(".npz")):
                    continue
                try:
                    rec = decode(tar.extractfile(member).read())
                    spec = RunSpec.from_dict(rec["spec"])
                    if Path(member.name).stem != spec.run_id:
                        raise ValueError("file name does not match the spec's id")
                except Exception as e:  # noqa: BLE001 - any unreadable member is reported and skipped
                    warnings.warn(f"skipped {member.name} in {archive}: {e}")
                    continue
                self.put(rec)
                n += 1
        return n


def frame(records) -> pd.DataFrame:
    """One row per record: run id, every spec field and the summary."""
    rows = []
    for r in records:
        if r is None:
            continue
        spec = RunSpec.from_dict(r["spec"])
        rows.append({"run_id": spec.run_id, **r["spec"], **r["summary"]})
    columns = ["run_id", *(f.name for f in dataclasses.fields(RunSpec)), *SUMMARY]
    df = pd.DataFrame(rows, columns=columns)
    if not rows:     # no rows to infer from: give numbers their types, so a concat with a full frame keeps them
        df = df.astype({c: _EMPTY_DTYPES.get(c, object) for c in columns})
    return df


# column types of an empty frame: a spec field's own type; summary numbers as float (they may be None)
_EMPTY_DTYPES = {**{f.name: {"int": "int64", "float": "float64", "bool": "bool"}.get(str(f.type), object)
                    for f in dataclasses.fields(RunSpec)},
                 **{k: "float64" for k in ("t_mem", "t_grok", "norm_at_mem", "norm_at_grok", "final_train_acc",
                                           "final_test_acc", "final_norm", "steps_run", "wall_s", "members")}}

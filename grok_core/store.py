"""The run store: one compressed .npz per run under <root>/runs/<id[:2]>/<id>.npz, found by run id.

A record is {"spec": dict, "summary": dict, "curves": {name: float32/int32 array}}. Writes go to a temporary
file in the same folder and are renamed into place, so a sweep killed at any moment leaves either the whole
record or none. A record that cannot be read, or whose spec does not hash to its file name, is reported and
treated as missing (it will be retrained), never trusted.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import io
import json
import os
import tarfile
import tempfile
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from .specs import RunSpec
from .record import SUMMARY, check, log_grid

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "results"   # GROK_STORE, read when a Store is made, overrides it


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


# A record on disk is ~10 kB; anything that would expand past this is refused before it is decompressed.
MAX_RECORD_BYTES = 64 * 2 ** 20


def decode(blob: bytes) -> dict:
    """Bytes of a stored record -> record; ValueError for anything that is not one (never a pickle, never an
    unbounded decompression)."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            size = sum(i.file_size for i in zf.infolist())
        if size > MAX_RECORD_BYTES:
            raise ValueError(f"it would expand to {size:,} bytes (at most {MAX_RECORD_BYTES:,})")
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            meta = json.loads(bytes(z["__meta__"]).decode())
            curves = {k: z[k] for k in z.files if k != "__meta__"}
        if not isinstance(meta, dict):
            raise ValueError("its metadata is not a mapping")
        return {"spec": meta.get("spec"), "summary": meta.get("summary"), "curves": curves}
    except ValueError:
        raise
    except Exception as e:  # noqa: BLE001 - whatever a damaged file raises, it is one thing: not a record
        raise ValueError(f"not a readable record ({type(e).__name__}: {e})") from e


def _fsync_dir(path: Path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """Records on disk, one file per run id. Reads verify every record (`record.check`) and treat a bad one as
    missing; writes are atomic, locked and never replace a record by one that ran fewer steps."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else Path(os.environ.get("GROK_STORE", DEFAULT_ROOT))
        self.runs = self.root / "runs"

    def path(self, run_id: str) -> Path:
        return self.runs / run_id[:2] / f"{run_id}.npz"

    # ------------------------------------------------------------------ read
    def load(self, run_id: str) -> dict | None:
        path = self.path(run_id)
        if not path.exists():
            return None
        try:
            if path.stat().st_size > MAX_RECORD_BYTES:
                raise ValueError(f"the file has {path.stat().st_size:,} bytes")
            rec = decode(path.read_bytes())
            found = check(rec).run_id
            if found != run_id:
                raise ValueError(f"its spec hashes to {found}")
            return rec
        except (OSError, ValueError) as e:
            warnings.warn(f"unreadable record {path} ({e}); it will be retrained")
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
    @contextlib.contextmanager
    def _lock(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def put(self, record: dict, refuse_equal: bool = False) -> bool:
        """Write `record` atomically unless the store holds a good record of the same run that ran more steps
        (or as many, with `refuse_equal`). Returns whether it was written. Raises ValueError for an invalid
        record: nothing that `load` would reject is ever written."""
        spec = check(record)
        path = self.path(spec.run_id)
        with self._lock(path.parent):                 # check and write as one step against other writers
            old = self.load(spec.run_id) if path.exists() else None
            if old is not None and old["summary"]["status"] != "failed":
                new_steps, old_steps = record["summary"]["steps_run"], old["summary"]["steps_run"]
                if old_steps > new_steps or (refuse_equal and old_steps == new_steps):
                    return False
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(encode(record))
                    f.flush()
                    os.fsync(f.fileno())
                os.chmod(tmp, 0o644)
                os.replace(tmp, path)
                _fsync_dir(path.parent)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        return True

    def clean_tmp(self, max_age_s: float = 3600.0) -> int:
        """Remove temporary files that a killed writer left behind (older than `max_age_s`, so that a write
        in progress elsewhere is never touched)."""
        n, now = 0, time.time()
        for tmp in self.runs.glob("*/*.tmp"):
            try:
                if now - tmp.stat().st_mtime > max_age_s:
                    tmp.unlink()
                    n += 1
            except OSError:
                pass
        return n

    @contextlib.contextmanager
    def claim(self, specs: list[RunSpec]):
        """Claim the runs this process will train: yields those no live process has claimed (a claim whose
        owner died is taken over); the claims are released on exit. Two sweeps on one store so train each run
        once: the second waits for the first one's records."""
        mine = []
        try:
            for s in specs:
                folder = self.path(s.run_id).parent
                folder.mkdir(parents=True, exist_ok=True)
                claim = folder / f"{s.run_id}.claim"
                with self._lock(folder):
                    if claim.exists():
                        try:
                            owner = int(claim.read_text().strip() or 0)
                        except (OSError, ValueError):
                            owner = 0
                        if owner and owner != os.getpid() and _alive(owner):
                            continue
                    claim.write_text(str(os.getpid()))
                mine.append(s)
            yield mine
        finally:
            for s in mine:
                try:
                    self.path(s.run_id).with_suffix(".claim").unlink()
                except OSError:
                    pass

    # ------------------------------------------------------------------ archives
    def export(self, archive: str | Path, run_ids=None) -> int:
        """Write the records (all, or `run_ids`) into one .tar.gz, e.g. to bring GPU runs home."""
        run_ids = self.ids() if run_ids is None else list(run_ids)
        with tarfile.open(archive, "w:gz") as tar:
            for run_id in run_ids:
                tar.add(self.path(run_id), arcname=f"runs/{run_id[:2]}/{run_id}.npz")
        return len(run_ids)

    def import_(self, archive: str | Path) -> int:
        """Read an archive made by `export`. Each record is checked (readable, consistent with its curves, its
        id matching its file name) and taken only where the store has no record of that run that ran as many
        steps; anything else is reported and skipped. Returns the number of records taken."""
        n = 0
        try:
            tar = tarfile.open(archive, "r:gz")
        except (OSError, tarfile.TarError, EOFError, zlib.error) as e:
            raise ValueError(f"archive {archive} is not a .tar.gz made by export ({e})") from e
        with tar:
            try:
                members = tar.getmembers()
            except (OSError, tarfile.TarError, EOFError, zlib.error) as e:
                raise ValueError(f"archive {archive} is damaged or truncated ({e})") from e
            for member in members:
                if not (member.isfile() and member.name.endswith(".npz")):
                    continue
                try:
                    if member.size > MAX_RECORD_BYTES:
                        raise ValueError(f"it claims {member.size:,} bytes")
                    rec = decode(tar.extractfile(member).read())
                    spec = check(rec)
                    if Path(member.name).stem != spec.run_id:
                        raise ValueError("file name does not match the spec's id")
                    if not self.put(rec, refuse_equal=True):
                        raise ValueError("the store holds this run already, with at least as many steps")
                except (OSError, ValueError, tarfile.TarError, EOFError, zlib.error) as e:
                    warnings.warn(f"skipped {member.name} in {archive}: {e}")
                    continue
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

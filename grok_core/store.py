"""The run store: one compressed .npz per run under <root>/runs/<id[:2]>/<id>.npz, found by run id.

A record is {"spec": dict, "summary": dict, "curves": {name: float32/int32 array}}. Writes go to a temporary
file in the same folder and are renamed into place, so a sweep killed at any moment leaves either the whole
record or none. A record that cannot be read, or whose spec does not hash to its file name, is reported and
treated as missing (it will be retrained), never trusted.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import fcntl
import hashlib
import io
import json
import os
import re
import stat
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

_CHECKOUT = Path(__file__).resolve().parent.parent
# The default store: the checkout's results/ (what the book's pages read, whatever folder a page runs in); for an
# installed package (no checkout around it) results/ in the working folder, never inside site-packages.
# GROK_STORE, read when a Store is made, overrides both.
DEFAULT_ROOT = _CHECKOUT / "results" if (_CHECKOUT / "pyproject.toml").exists() else Path("results")


def _budget_end(spec: RunSpec) -> int:
    return log_grid(spec.log, spec.log_density, spec.log_every, spec.max_steps)[-1]


def answer(record: dict, spec: RunSpec) -> dict | None:
    """The stored record as the run `spec` (same id, maybe another budget) would have ended, or None if the
    record cannot say: a censored record of a smaller budget. A record of a larger budget whose grok came
    after this budget is cut to a censored one."""
    s = record["summary"]
    end = _budget_end(spec)
    stopped_early = s.get("stop_reason") == "chance"      # a collapsed run stops there whatever its budget
    if s["status"] == "censored" and s["steps_run"] < end and not stopped_early:
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


MAX_WARNINGS = 20            # skipped archive members named one by one; the rest are counted

# A record on disk is ~10 kB; anything that would expand past this is refused before it is decompressed.
MAX_RECORD_BYTES = 64 * 2 ** 20


# the header numpy writes for a 1-D (or 0-d) numeric array in C order, as np.savez writes every record's arrays
_NPY_HEADER = re.compile(rb"\{'descr': '([<|][fiub][1248])', 'fortran_order': False, 'shape': \((\d*),?\), \} *\n")


def _npy(data: bytes) -> np.ndarray:
    """One .npy member's array, as np.load returns it. The header np.savez writes for a record's arrays is parsed
    by a pattern; any other goes to numpy's reader (which parses every header with ast.literal_eval: most of the
    time of reading a store). Never unpickles."""
    if data[:8] == b"\x93NUMPY\x01\x00":
        end = 10 + int.from_bytes(data[8:10], "little")
        m = _NPY_HEADER.fullmatch(data[10:end])
        if m:
            dtype = np.dtype(m.group(1).decode())
            shape = (int(m.group(2)),) if m.group(2) else ()
            count = shape[0] if shape else 1
            if len(data) - end == count * dtype.itemsize:
                # a copy (writable), then a view of it, as numpy's reader returns it
                return np.frombuffer(data, dtype=dtype, count=count, offset=end).copy().reshape(shape)
    return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)


def decode(blob: bytes) -> dict:
    """Bytes of a stored record -> record; ValueError for anything that is not one (never a pickle, never an
    unbounded decompression)."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            members = zf.infolist()
            size = sum(i.file_size for i in members)
            if size > MAX_RECORD_BYTES:
                raise ValueError(f"it would expand to {size:,} bytes (at most {MAX_RECORD_BYTES:,})")
            arrays = {i.filename.removesuffix(".npy"): _npy(zf.read(i)) for i in members}
        if "__meta__" not in arrays:
            raise KeyError("__meta__ is not a file in the archive")
        meta = json.loads(bytes(arrays.pop("__meta__")).decode())
        curves = arrays
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


class StoreWriteError(OSError):
    """The store cannot be written (read-only, full, not a folder): a command stops with one line."""


_REPORTED: set = set()       # records outside their folder, reported once per process


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _extends(new: dict, old: dict) -> bool:
    """May `new` replace the stored `old` record of the same run id (the same spec but for the budget)? Only a
    record that ran further, and never a failed one over a good one; a failed old record gives way to any good
    one. A record of as many steps never replaces another: the first one stays."""
    ns, os_ = new["summary"], old["summary"]
    if os_["status"] == "failed":
        return ns["status"] != "failed" or ns["steps_run"] > os_["steps_run"]
    return ns["status"] != "failed" and ns["steps_run"] > os_["steps_run"]


def _refusal(new: dict, old: dict | None) -> str:
    """Why `put` refused `new`, in words."""
    if old is None:
        return "the store could not take it"
    ns, os_ = new["summary"], old["summary"]
    if ns["status"] == "failed":
        return "it is a failed run and the store holds a good record of it"
    if ns["steps_run"] == os_["steps_run"]:
        differs = encode(new) != encode(old)
        return ("the store holds a different record of this run with as many steps (kept; the archive's is "
                "refused)" if differs else "the store holds this record already")
    return f"the store holds this run with more steps ({os_['steps_run']:,} against {ns['steps_run']:,})"


def _claim_offset(run_id: str) -> int:
    """Where a run's claim byte lies in the claims file: its id's first 15 hex digits (ids are 16 hex digits;
    a lock on a byte past the end of a file is allowed and takes no disk space)."""
    return int(run_id[:15], 16)


# Verified records already read in this process, by run id and a hash of the file's bytes: a page reads many
# records two or three times (its plan, its tables); reading the bytes costs little, decompressing and checking
# them most of a read. Other bytes under the same id (a rewritten or damaged file) are decoded afresh.
_READ: dict = {}
_READ_MAX = 8192


class Store:
    """Records on disk, one file per run id. Reads verify every record (`record.check`) and treat a bad one as
    missing; writes are atomic, locked and never replace a record by one that ran fewer steps."""

    def __init__(self, root: str | Path | None = None):
        root = root if root is not None else os.environ.get("GROK_STORE", DEFAULT_ROOT)
        if isinstance(root, str) and not root.strip():
            raise ValueError("store='' is not allowed: name a folder (an empty --store or GROK_STORE would mean "
                             "the current folder)")
        self.root = Path(root).expanduser()
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"store={str(self.root)!r} is not allowed: it is a file, not a folder")
        self.runs = self.root / "runs"

    def path(self, run_id: str) -> Path:
        return self.runs / run_id[:2] / f"{run_id}.npz"

    # ------------------------------------------------------------------ read
    def load(self, run_id: str) -> dict | None:
        path = self.path(run_id)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as e:
            warnings.warn(f"unreadable record {path} ({e.strerror}); it will be retrained")
            return None
        try:
            if not stat.S_ISREG(st.st_mode):    # a FIFO, a device or a link is never read (it could block or never end)
                raise ValueError("it is not a regular file")
            if st.st_size > MAX_RECORD_BYTES:
                raise ValueError(f"the file has {st.st_size:,} bytes")
            blob = path.read_bytes()
            key = (run_id, hashlib.blake2b(blob, digest_size=16).digest())
            if key in _READ:
                return copy.deepcopy(_READ[key])     # the caller may change its copy; the cached one stays
            rec = decode(blob)
            found = check(rec).run_id
            if found != run_id:
                raise ValueError(f"its spec hashes to {found}")
            if len(_READ) >= _READ_MAX:
                _READ.clear()
            _READ[key] = copy.deepcopy(rec)
            return rec
        except Exception as e:  # noqa: BLE001 - one bad record is reported and missing; it never stops a command
            warnings.warn(f"unreadable record {path} ({_short(str(e), 200)}); it will be retrained")
            return None

    def get(self, spec: RunSpec) -> dict | None:
        rec = self.load(spec.run_id)
        return answer(rec, spec) if rec is not None else None

    def ids(self) -> list[str]:
        """Run ids of the records in their own folders (runs/<id[:2]>/); a record elsewhere is reported, once
        per command, and not counted (the store never finds it by id)."""
        out = []
        for p in self.runs.glob("*/*.npz"):
            if p.parent.name == p.stem[:2]:
                out.append(p.stem)
            elif str(p) not in _REPORTED:
                _REPORTED.add(str(p))
                warnings.warn(f"{p} is not in its run's folder runs/{p.stem[:2]}/: not counted")
        return sorted(out)

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
        """Write `record` atomically unless the store holds a good record of the same run that ran as many
        steps or more (`_extends`); a record it replaces is moved to <root>/replaced/, never deleted. Returns
        whether it was written. Raises ValueError for an invalid record: nothing that `load` would reject is
        ever written. (`refuse_equal` is kept for callers; equal budgets are always refused.)"""
        spec = check(record)
        path = self.path(spec.run_id)
        with self._lock(path.parent):                 # check and write as one step against other writers
            old = self.load(spec.run_id) if os.path.lexists(path) else None
            if old is not None and not _extends(record, old):
                return False
            if old is not None:                       # what a record replaces is kept, never deleted
                aside = self.root / "replaced" / f"{spec.run_id}.{old['summary']['steps_run']}.npz"
                aside.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, aside)
                warnings.warn(f"run {spec.run_id}: its record of {old['summary']['steps_run']:,} steps is replaced "
                              f"by one of {record['summary']['steps_run']:,}; the old one is kept as {aside}")
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
        """Remove the temporary files a killed writer left behind: a writer holds its folder's lock while its
        temporary file exists, so a .tmp in a folder whose lock is free is stale and goes at once (a folder
        being written is skipped). Claim files of older versions go after `max_age_s`."""
        n, now = 0, time.time()
        for folder in (p for p in self.runs.glob("*") if p.is_dir()):
            tmps = list(folder.glob("*.tmp"))
            if tmps:
                try:
                    with open(folder / ".lock", "a") as f:
                        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        for tmp in tmps:
                            tmp.unlink(missing_ok=True)
                            n += 1
                        fcntl.flock(f, fcntl.LOCK_UN)
                except OSError:
                    pass                         # being written, or not ours to clean
            for claim in folder.glob("*.claim"):
                try:
                    if now - claim.stat().st_mtime > max_age_s:
                        claim.unlink()
                        n += 1
                except OSError:
                    pass
        return n

    @contextlib.contextmanager
    def claim(self, specs: list[RunSpec]):
        """Claim the runs this process will train: yields those no other live process has claimed; the claims
        are released on exit. A claim is a one-byte POSIX record lock, at an offset given by the run id, on the
        store's file `runs/.claims`: the operating system releases it the moment its owner dies, so a dead,
        zombie or unrelated process (a reused pid) never holds a run. Two sweeps on one store so train each
        run once: the second waits for the first one's records."""
        self.runs.mkdir(parents=True, exist_ok=True)
        f = open(self.runs / ".claims", "a+b")
        mine = []
        try:
            for s in specs:
                try:
                    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _claim_offset(s.run_id))
                except OSError:                    # EAGAIN / EACCES: another live process holds it
                    continue
                mine.append(s)
            yield mine
        finally:
            f.close()                              # releases every lock this process holds on the file

    # ------------------------------------------------------------------ archives
    def export(self, archive: str | Path, run_ids=None, overwrite: bool = False) -> int:
        """Write the records (all, or `run_ids`) into one .tar.gz, e.g. to bring GPU runs home. The archive is
        never written inside the store, over an existing file unless `overwrite`, or over a directory; it is
        written to a temporary file and renamed into place, so a failed export leaves nothing half-written."""
        archive = Path(archive)
        here = archive.expanduser().resolve()
        if here == self.root.resolve() or self.root.resolve() in here.parents:
            raise ValueError(f"export to {archive} refused: it is inside the store {self.root}; name a file outside it")
        if here.is_dir():
            raise ValueError(f"export to {archive} refused: it is a directory; name the archive file, e.g. runs.tar.gz")
        if here.exists() and not overwrite:
            raise ValueError(f"export to {archive} refused: the file exists (pass --overwrite to replace it)")
        run_ids = self.ids() if run_ids is None else list(run_ids)
        fd, tmp = tempfile.mkstemp(dir=here.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f, tarfile.open(fileobj=f, mode="w:gz") as tar:
                for run_id in run_ids:
                    tar.add(self.path(run_id), arcname=f"runs/{run_id[:2]}/{run_id}.npz")
            os.replace(tmp, here)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
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
        skipped = 0

        def skip(why: str):
            nonlocal skipped
            skipped += 1
            if skipped <= MAX_WARNINGS:
                warnings.warn(why)

        with tar:
            members = iter(tar)
            while True:
                try:
                    member = next(members)
                except StopIteration:
                    break
                except (OSError, tarfile.TarError, EOFError, zlib.error) as e:
                    raise ValueError(f"archive {archive} is damaged or truncated ({e})") from e
                tar.members = []                    # stream: hold no list of every member (500 000 cost 655 MB)
                if not member.name.endswith(".npz"):
                    skip(f"skipped {member.name[:120]} in {archive}: not a run record (.npz)")
                    continue
                if not member.isfile():
                    skip(f"skipped {member.name[:120]} in {archive}: not a regular file (a link, device or FIFO)")
                    continue
                try:
                    if member.size > MAX_RECORD_BYTES:
                        raise ValueError(f"it claims {member.size:,} bytes")
                    rec = decode(tar.extractfile(member).read())
                    spec = check(rec)
                    if Path(member.name).stem != spec.run_id:
                        raise ValueError("file name does not match the spec's id")
                    try:
                        taken = self.put(rec, refuse_equal=True)
                    except OSError as e:       # the store cannot be written: stop, do not skip every member
                        raise StoreWriteError(e.errno, f"cannot write into the store: {e.strerror}", e.filename) from e
                    if not taken:
                        old = self.load(spec.run_id)
                        raise ValueError(_refusal(rec, old))
                except StoreWriteError:
                    raise
                except (OSError, ValueError, tarfile.TarError, EOFError, zlib.error) as e:
                    skip(f"skipped {member.name[:120]} in {archive}: {e}")
                    continue
                n += 1
        if skipped > MAX_WARNINGS:
            warnings.warn(f"skipped {skipped:,} members of {archive} in all ({skipped - MAX_WARNINGS:,} not listed)")
        return n


def frame(records) -> pd.DataFrame:
    """One row per record: run id, every spec field and the summary."""
    rows = []
    for r in records:
        if r is None:
            continue
        spec = RunSpec.from_dict(r["spec"])
        rows.append({"run_id": spec.run_id, **spec.to_dict(), **r["summary"]})
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

"""Sphinx extension: the book's own provenance as MyST substitutions, read when the book is built (not when a
page was executed): {{ book_commit }}, {{ book_date }} and {{ book_versions }}."""
from __future__ import annotations

import datetime
import platform
import subprocess
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPOSITORY = "grokking-norm"


def _git(*args) -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def provenance() -> dict:
    rev = _git("rev-parse", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--", "grok_core", "book", "notebooks"))
    commit = (rev[:12] + (" with uncommitted changes" if dirty else "")) if rev else "not built from a git checkout"
    when = _git("log", "-1", "--format=%cI") or "unknown"
    versions = ", ".join(f"{n} {_version(n)}" for n in ("torch", "numpy", "pandas", "jupyter-book", "myst-nb"))
    return dict(book_commit=commit, book_date=when,
                book_built=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
                book_versions=f"Python {platform.python_version()}, {versions}")


def _config_inited(app, config):
    config.myst_substitutions = {**(config.myst_substitutions or {}), **provenance()}


def setup(app):
    app.connect("config-inited", _config_inited, priority=100)   # before myst reads its configuration
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Every command block of README.md runs, as a reader would type it, translated only to the quick preset, one
seed, one worker process, a scratch store and this machine (no GPU, no remote scheduler); `python -m grok_core` commands run their
`__main__` in the test's process. A command added to the README without a rule here fails the first test, so the
README cannot promise a command nobody ran."""
import contextlib
import dataclasses
import io
import os
import re
import runpy
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from grok_core import studies
from template_runs import trained_its_plan

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for cmd in block.replace("\\\n", " ").splitlines():
            cmd = cmd.split("  #")[0].split(" # ")[0].strip()
            if cmd and not cmd.startswith("#"):
                out.append(re.sub(r"\s+", " ", cmd))
    return out


def quick(cmd: str) -> list[str] | None:
    """The command as run here: quick preset, one seed, no GPU. None: a command run elsewhere (make)."""
    if cmd.startswith("make "):
        return None
    args = shlex.split(cmd)
    args = ["cpu" if a == "cuda" else a for a in args]
    if args[0].startswith(".venv/bin/"):
        args[0] = str(VENV / Path(args[0]).name)
    elif args[0] == "python":
        args[0] = sys.executable
    if "papermill" in args[0]:
        if "preset" in args:
            args[args.index("preset") + 1] = "quick"
        else:
            args += ["-p", "preset", "quick"]
        if "workers" not in args:
            args += ["-p", "workers", "1"]   # one process trains, as --workers below (no pool to start per stage)
    if "grok_core" in args and ("run" in args or "plan" in args) or "train_elsewhere.py" in " ".join(args):
        if "--preset" in args:
            args[args.index("--preset") + 1] = "quick"
        else:
            args += ["--preset", "quick"]
    args = ["seeds=1" if a.startswith("seeds=") else a for a in args]
    chapter = chapter_named(args)
    if chapter is not None and "seeds" in {f.name for f in dataclasses.fields(studies.preset_class(chapter))}:
        if "papermill" in args[0]:
            if "seeds" not in args:
                args += ["-p", "seeds", "1"]
        elif not any(a.startswith("seeds=") for a in args):
            args += ["--set", "seeds=1"]
    for i, a in enumerate(args[:-1]):
        if a in ("-p",) and args[i + 1] == "seeds":
            args[i + 2] = "1"
        if a == "--workers":
            args[i + 1] = "1"
        if a == "--minutes":
            args[i + 1] = "0.1"      # the time limit's own path: what trained is exported, the command exits 0
        if a == "--cwd":
            args[i + 1] = "."
    return args


GRID = "base: {p: 7, frac: 0.6, d_embed: 8, hidden: 16, lr: 0.01, max_steps: 60}\ngrid: {seed: [0, 1]}\n"


def test_every_readme_command_has_a_rule():
    cmds = readme_commands()
    assert len(cmds) >= 15
    for c in cmds:
        assert c.startswith(("make ", ".venv/bin/", "python ")), c


def test_make_targets_of_the_readme_exist():
    for cmd in (c for c in readme_commands() if c.startswith("make ")):
        target = cmd.split()[1]
        out = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr


def page_of(args: list[str]) -> str | None:
    """The file name of the template a command runs under papermill, or None."""
    return next((Path(a).name for a in args if a.endswith(".ipynb") and "notebooks/" in a), None)


def chapter_named(args: list[str]):
    """The chapter module a command runs (a page under papermill, or `run` / `plan` / train_elsewhere.py), or None."""
    page = page_of(args)
    if page in studies.PAGES:
        return studies.load(studies.PAGES[page])
    for verb in ("run", "plan", "tools/train_elsewhere.py"):
        if verb in args and args.index(verb) + 1 < len(args) and args[args.index(verb) + 1] in studies.MODULES:
            return studies.load(args[args.index(verb) + 1])
    return None


def chapter_of(args: list[str]):
    """(chapter module, its -p parameters) where `args` run a chapter's template under papermill, else None."""
    page = page_of(args)
    if page not in studies.PAGES:
        return None
    params = {args[i + 1]: args[i + 2] for i, a in enumerate(args[:-2]) if a == "-p"}
    return studies.load(studies.PAGES[page]), params


def run_command(args: list[str], cwd: Path, env: dict) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `args` run in `cwd` with `env`. `python -m grok_core …` runs its
    `__main__` in this process (saving a Python start and a torch import, ~2.5 s a command), except with
    --scheduler, whose one-line error is checked on the stderr of a process of its own."""
    if args[1:3] != ["-m", "grok_core"] or "--scheduler" in args:
        out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
        return out.returncode, out.stdout, out.stderr
    stdout, stderr = io.StringIO(), io.StringIO()
    with (pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr),
          warnings.catch_warnings()):
        warnings.simplefilter("default")           # warnings go to the command's stderr, as in a process of its own
        mp.setattr(warnings, "showwarning", lambda msg, cat, file, line, *_: stderr.write(
            warnings.formatwarning(msg, cat, file, line)))
        mp.chdir(cwd)
        for k, v in env.items():
            mp.setenv(k, v)
        mp.setattr(sys, "argv", ["grok_core", *args[3:]])
        try:
            runpy.run_module("grok_core", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.mark.slow
def test_every_readme_command_runs(tmp_path):
    """In README order, on one scratch store: each command exits 0, except the one naming a remote Dask
    scheduler, which must fail in one line (there is none here); a command that runs a chapter's page at its
    own grid trains exactly that grid's plan."""
    from grok_core.store import Store
    env = {**os.environ, "GROK_STORE": str(tmp_path / "store"), "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT),
           "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}   # the absent scheduler is given up on sooner
    committed = sorted((ROOT / "results" / "runs").glob("*/*.npz"))
    (tmp_path / "book").mkdir()
    (tmp_path / "grid.yaml").write_text(GRID)
    for cmd in readme_commands():
        args = quick(cmd)
        if args is None:
            continue
        if any("notebooks/" in a for a in args):
            args = [str(ROOT / a) if a.startswith("notebooks/") else a for a in args]
        if "tools/train_elsewhere.py" in args:
            args[args.index("tools/train_elsewhere.py")] = str(ROOT / "tools" / "train_elsewhere.py")
        store, chapter = Store(tmp_path / "store"), chapter_of(args)
        before = set(store.ids())
        code, stdout, stderr = run_command(args, tmp_path, env)
        if "--scheduler" in args:
            assert code == 2 and len(stderr.strip().splitlines()) == 1, (cmd, stderr[-500:])
            continue
        assert code == 0, (cmd, " ".join(args), stdout[-1000:], stderr[-2000:])
        if chapter is not None:
            trained_its_plan(*chapter, before, store)
    assert sorted((ROOT / "results" / "runs").glob("*/*.npz")) == committed, "a README command wrote into results/"

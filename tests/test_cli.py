import subprocess
import sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "grok_core", *args], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_bad_parameter_prints_one_error_line_and_exits_nonzero(tmp_path):
    grid = tmp_path / "g.yaml"
    grid.write_text("base: {p: 23, frac: 1.5}\ngrid: {seed: [0, 1]}\n")
    r = cli("--store", str(tmp_path / "s"), "sweep", str(grid))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: frac=1.5")
    assert not (tmp_path / "s").exists()                                     # nothing trained


def test_sweep_list_summary_from_yaml(tmp_path, capsys):
    """In this process (the exit codes and output are those of `python -m grok_core`, which calls `main`; the
    test above runs it as a process)."""
    from grok_core.cli import main
    grid = tmp_path / "g.yaml"
    grid.write_text("base: {p: 13, frac: 0.5, d_embed: 16, hidden: 32, lr: 3e-3, max_steps: 30}\n"
                    "grid: {seed: [0, 1], wd: [0.5, 1.0]}\n")
    store = str(tmp_path / "s")

    def out(*args):
        code = main(["--store", store, *args])
        o = capsys.readouterr()
        return code, o.out, o.err

    assert out("sweep", str(grid))[0] == 0
    assert "4 runs: 4 stored, 0 to train" in out("sweep", str(grid), "--dry-run")[1]
    assert "4 runs in" in out("list")[1]
    assert "censored" in out("summary", "--by", "wd")[1]
    code, _, err = out("summary", "--by", "colour")
    assert code == 2 and "--by" in err


def test_plan_and_run_a_chapter_with_a_non_default_grid(tmp_path, capsys):
    from grok_core.cli import main
    store = str(tmp_path / "store")
    args = ["--store", store, "plan", "critical_norm", "--preset", "quick", "--set", "moduli=[23, 31]", "--set", "seeds=1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "moduli: 2 runs, 2 missing" in out and "member-steps" in out
    assert main(["--store", store, "run", "critical_norm", "--preset", "quick", "--set", "moduli=[23, 31]",
                 "--set", "seeds=1", "--workers", "1"]) == 0
    assert main(args) == 0
    assert "moduli: 2 runs, 0 missing" in capsys.readouterr().out


def test_run_trains_a_staged_chapter_with_a_non_default_rho_grid(tmp_path, capsys):
    """`run` trains the free runs, then the holds their W_c makes possible, at the ρ grid given by --set."""
    from grok_core.cli import main
    from grok_core.store import Store
    store = str(tmp_path / "store")
    sets = ["--preset", "quick", "--set", "rhos=[0.95]", "--set", "seeds=1", "--set", "lrs=[0.003]",
            "--set", "n_trains=[300]"]
    assert main(["--store", store, "run", "sparse_parity", *sets, "--workers", "1"]) == 0
    held = [r["spec"] for r in Store(store).all() if r["spec"]["clamp_mode"] == "hold"]
    assert [s["rho"] for s in held] == [0.95]
    assert main(["--store", store, "plan", "sparse_parity", *sets]) == 0
    assert "held: 1 runs, 0 missing" in capsys.readouterr().out


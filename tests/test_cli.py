import subprocess
import sys
from pathlib import Path

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


def test_sweep_list_summary_from_yaml(tmp_path):
    grid = tmp_path / "g.yaml"
    grid.write_text("base: {p: 13, frac: 0.5, d_embed: 16, hidden: 32, lr: 3e-3, max_steps: 30}\n"
                    "grid: {seed: [0, 1], wd: [0.5, 1.0]}\n")
    store = str(tmp_path / "s")
    assert cli("--store", store, "sweep", str(grid)).returncode == 0
    assert "4 runs: 4 stored, 0 to train" in cli("--store", store, "sweep", str(grid), "--dry-run").stdout
    assert "4 runs in" in cli("--store", store, "list").stdout
    assert "censored" in cli("--store", store, "summary", "--by", "wd").stdout
    r = cli("--store", store, "summary", "--by", "colour")
    assert r.returncode == 2 and "--by" in r.stderr

"""A plain `pip install .` ships the whole package: built as a wheel and installed into a scratch folder, it
imports every module and runs a chapter's plan from another folder, storing nothing inside the package."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_a_wheel_holds_every_module_and_plans_a_chapter(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                          str(tmp_path / "w"), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = (tmp_path / "w").glob("grok_core-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "grok_core").rglob("*.py")}
    modules |= {str(p.relative_to(ROOT)) for p in (ROOT / "grok_core" / "kernels").glob("*.c")}   # the fused step
    assert any(m.endswith("mlp_step.c") for m in modules)
    assert modules <= names, sorted(modules - names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OMP_NUM_THREADS": "1"}
    work = tmp_path / "work"
    work.mkdir()
    code = ("import importlib, pkgutil, grok_core, grok_core.studies as s; "
            "[importlib.import_module(m.name) for m in pkgutil.walk_packages(grok_core.__path__, 'grok_core.') "
            "if not m.name.endswith('__main__')]; "
            "from grok_core import fused; print(fused.SOURCE.exists()); "
            "print(grok_core.__file__); "
            "from grok_core.store import Store; print(Store().root.resolve())")
    r = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    found, package, store = r.stdout.strip().splitlines()[-3:]
    assert found == "True" and package.startswith(str(site))
    assert store == str((work / "results").resolve())                     # not inside the installed package
    r = subprocess.run([sys.executable, "-m", "grok_core", "plan", "critical_norm", "--preset", "quick"], cwd=work,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "missing" in r.stdout, r.stderr[-2000:]

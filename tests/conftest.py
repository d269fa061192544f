import importlib.util
import os
from pathlib import Path

import pytest
import torch

# GROK_THREADS=1 keeps local test runs from oversubscribing the cores while a sweep runs beside them; under
# pytest-xdist (`make test` runs one test process per core) each process takes its share of the cores
_cores = max(1, (os.cpu_count() or 1) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
torch.set_num_threads(int(os.environ.get("GROK_THREADS", min(2, _cores))))

# The slowest test files, slowest first (pytest --durations on the 2-core machine): `make test` has pytest-xdist
# hand out whole files in collection order (--dist loadfile --no-loadscope-reorder), so these start at once
# instead of one of them being left to run alone at the end.
SLOWEST_FIRST = ("tests/test_readme.py", "tests/test_templates_paper2.py", "tests/test_templates_paper1.py",
                 "tests/test_browser.py", "tests/test_notebooks.py",
                 "tests/test_dask.py")


def pytest_collection_modifyitems(config, items):
    """The files of SLOWEST_FIRST first; every file keeps its own order (nbval runs a page's cells in order)."""
    rank = {f: i for i, f in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


def load_tool(name: str):
    """tools/<name>.py as a module (the tools are scripts, not a package), for a test to call its functions."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent.parent / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tiny():
    """A small modular-addition MLP spec that trains in well under a second per hundred steps."""
    from grok_core import RunSpec
    return RunSpec(p=23, frac=0.5, d_embed=32, hidden=64, lr=3e-3, wd=1.0, max_steps=300)

"""The package's import graph: no cycles, the bottom modules import nothing above them, no import-time side
effects in the modules that used to have them."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "grok_core"


def runtime_imports(path: Path) -> set:
    """grok_core modules a file imports at run time (imports under `if TYPE_CHECKING:` are for type hints only)."""
    tree = ast.parse(path.read_text())
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)}
    here = "studies." if path.parent.name == "studies" else ""
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.level and id(n) not in skip:
            if n.level == 1 and here and n.module is None:
                out |= {"studies." + a.name for a in n.names}
            elif n.level == 1 and here:
                out.add("studies." + n.module)
            elif n.module:
                out.add(n.module.split(".")[0] if not n.module.startswith("studies") else n.module)
            else:
                out |= {a.name for a in n.names}
    return out


def graph():
    g = {}
    for f in PKG.rglob("*.py"):
        name = ("studies." if f.parent.name == "studies" else "") + f.stem
        g[name] = runtime_imports(f) - {name}
    return g


def test_import_graph_has_no_cycle():
    g, state = graph(), {}

    def visit(n, path):
        if state.get(n) == 1:
            raise AssertionError(f"import cycle: {' -> '.join(path + [n])}")
        if state.get(n) == 2:
            return
        state[n] = 1
        for m in g.get(n, ()):
            visit(m, path + [n])
        state[n] = 2

    for n in g:
        visit(n, [])


def test_bottom_modules_import_nothing_above_them():
    g = graph()
    assert g["specs"] == set()
    assert "train" not in g["store"] and "train" not in g["record"] and "models" not in g["specs"]
    assert g["claims"] == set() and g["fits"] == set()


def test_importing_the_package_changes_no_global_state():
    code = ("import os, matplotlib; env = dict(os.environ); rc = dict(matplotlib.rcParams); "
            "import grok_core, grok_core.plots, grok_core.store, grok_core.sweep; "
            "assert dict(os.environ) == env; "
            "assert dict(matplotlib.rcParams) == rc, 'plots styled matplotlib on import'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_slowest_first_order_names_test_files_that_exist():
    """tests/conftest.py puts these files first for pytest-xdist; a renamed file would silently drop out."""
    from conftest import SLOWEST_FIRST
    assert all((ROOT / f).is_file() for f in SLOWEST_FIRST), [f for f in SLOWEST_FIRST if not (ROOT / f).is_file()]

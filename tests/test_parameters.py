"""One typed check for every chapter parameter, whichever surface it comes from (`--set`, papermill `-p`,
Python): each bad value is one line naming the field, and nothing trains."""
import pytest

from grok_core import studies
from grok_core.cli import main as cli


@pytest.mark.parametrize("key, value, read", [
    ("moduli", "[41, 59, 79]", (41, 59, 79)),          # papermill -p and --set hand lists over as text
    ("moduli", [41, 59], (41, 59)),
    ("fractions", "[0.3, 0.5]", (0.3, 0.5)),
    ("seeds", "12", 12),
    ("seeds", 12, 12),
])
def test_a_value_is_read_as_its_field_type(key, value, read):
    cfg = studies.configure(studies.load("critical_norm"), "book", {key: value})
    assert getattr(cfg, key) == read


@pytest.mark.parametrize("key, value", [
    ("moduli", "23"), ("moduli", 23), ("moduli", "2329"), ("moduli", "[41.5]"), ("moduli", "[]"),
    ("seeds", "abc"), ("seeds", "2.5"), ("seeds", ""), ("seeds", "true"), ("seeds", "-1"), ("seeds", 0),
    ("seeds", "100000000"), ("fractions", "0.5"), ("fractions", "[nan]"), ("lrs", "[a, b]"),
    ("moduli", "[" + "1, " * 5000 + "1]"),
])
def test_a_bad_value_is_one_line_naming_the_field(key, value):
    with pytest.raises(ValueError, match=f"^{key}=.* is not allowed: ") as e:
        studies.configure(studies.load("critical_norm"), "book", {key: value})
    assert "\n" not in str(e.value) and len(str(e.value)) < 300


def test_a_mapping_field_takes_yaml_text():
    m = studies.load("ln_ablation")
    assert studies.configure(m, "book", {"attn_long": "{1.15: 120000}"}).attn_long == {1.15: 120000}
    assert studies.configure(m, "book", {"attn_long_seeds": "4"}).attn_long_seeds == 4
    with pytest.raises(ValueError, match="attn_long="):
        studies.configure(m, "book", {"attn_long": "{1.15: abc}"})


@pytest.mark.parametrize("sets", [["seeds=abc"], ["seeds=2", "seeds=3"], ["dense_rhos=abc"], ["nosuch=1"]])
def test_the_command_line_refuses_before_any_run_trains(sets, tmp_path, capsys):
    chapter = "pinned_norm" if any("dense" in s for s in sets) else "critical_norm"
    args = [a for s in sets for a in ("--set", s)]
    assert cli(["--store", str(tmp_path), "run", chapter, "--preset", "quick", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").glob("*/*.npz"))


def test_a_huge_grid_is_refused_before_any_spec_is_built(tmp_path, capsys):
    import time

    from grok_core.specs import grid
    t0 = time.time()
    with pytest.raises(ValueError, match="grid of 100,000,000 runs is not allowed"):
        grid({}, seed=range(10_000), lr=[1e-3] * 100, wd=[1.0] * 100)
    (tmp_path / "g.yaml").write_text("grid: {seed: [" + ", ".join(map(str, range(1000))) + "], "
                                     "lr: [" + ", ".join(["0.001"] * 1000) + "]}\n")
    assert cli(["--store", str(tmp_path), "sweep", str(tmp_path / "g.yaml"), "--dry-run"]) == 2
    assert "1,000,000 runs is not allowed" in capsys.readouterr().err
    assert time.time() - t0 < 10


@pytest.mark.parametrize("fields, name", [(dict(log="every", log_every=1, max_steps=10 ** 9), "log_every"),
                                          (dict(hidden=10 ** 9), "hidden"), (dict(max_steps=10 ** 12), "max_steps")])
def test_specs_that_cannot_fit_are_refused(fields, name):
    from grok_core import RunSpec
    with pytest.raises(ValueError, match=f"^{name}="):
        RunSpec(**fields)


def test_more_workers_than_cores_are_capped_with_a_line(tmp_path, capsys):
    from grok_core import RunSpec, sweep
    spec = RunSpec(p=7, frac=0.6, d_embed=8, hidden=16, lr=1e-2, max_steps=30)
    assert sweep.run([spec], store=tmp_path, workers=10_000, device="cpu")[0] is not None
    assert "is more than the" in capsys.readouterr().out


def test_a_field_naming_a_preset_takes_only_a_preset_name():
    with pytest.raises(ValueError, match=r"^chapter1='nosuch' is not allowed: one of \['quick', 'book', 'paper'\]"):
        studies.configure(studies.load("one_law"), "book", {"chapter1": "nosuch"})


def test_every_page_parameter_is_a_preset_field_and_every_field_a_page_parameter():
    """The parameters cell of each chapter template is the one its chapter's preset fields generate (same names,
    in field order, each None), so `-p` and `--set` name the same things: `tools/params.py --check` passes."""
    import json
    from pathlib import Path

    from conftest import load_tool
    root = Path(__file__).resolve().parent.parent
    assert load_tool("params").main(["--check"]) == 0    # the tool's own check, in this process
    for page, chapter in studies.PAGES.items():
        nb = json.loads((root / "notebooks" / page).read_text())
        cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
        names = [line.split(" = ")[0] for line in cell["source"] if " = " in line and not line.startswith("#")]
        fields = [f["name"] for f in studies.fields(studies.load(chapter))]
        assert names == list(studies.PAGE) + fields, page


@pytest.mark.parametrize("chapter", sorted(set(studies.PAGES.values())))
def test_papermill_reads_every_line_of_a_parameters_cell(chapter):
    """papermill reads a parameters cell line by line and skips, with a warning ('Unable to parse line'), a line
    with a second '=' (a comment saying 'T = a/λ + b' was one): then that parameter has no help and no type in
    `papermill --help-notebook`. Every generated line assigns one name and has no other '='."""
    from papermill.translators import PythonTranslator
    cell = studies.parameters_cell(chapter)
    bad = [line for line in cell.splitlines() if not line.startswith("#") and line.count("=") != 1]
    assert not bad, bad
    names = [p.name for p in PythonTranslator.inspect({"source": cell})]
    assert names == list(studies.PAGE) + [f["name"] for f in studies.fields(studies.load(chapter))]


@pytest.mark.parametrize("chapter, key, value", [("critical_norm", "wd", 0), ("pinned_norm", "t_int", 0),
                                                 ("log_law", "seeds_sgd", 3), ("ln_ablation", "attn_seeds", 2)])
def test_a_page_parameter_means_what_the_same_set_key_means(chapter, key, value):
    """A page's parameter and `--set` reach the preset through one check: 0 is a value like any other (λ = 0,
    t_int = 0), None keeps the preset's, and the page's config is the command line's."""
    m = studies.load(chapter)
    page = studies.page_config(chapter, {"preset": "quick", key: value, "seeds": None})
    assert page == studies.configure(m, "quick", {key: str(value)})
    assert getattr(page, key) == value and page.seeds == m.PRESETS["quick"].seeds


def test_a_page_refuses_a_bad_parameter_in_one_line():
    for ns, key in (({"preset": "quick", "wd": -1}, "wd"), ({"preset": "quick", "workers": 0}, "workers"),
                    ({"preset": "nope"}, "preset")):
        with pytest.raises(ValueError, match=f"^{key}=.* is not allowed: "):
            studies.page_config("critical_norm", ns)


def test_run_help_after_a_chapter_lists_each_field_with_its_presets_values(capsys):
    with pytest.raises(SystemExit) as e:
        cli(["run", "pinned_norm", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for f in studies.fields(studies.load("pinned_norm")):
        assert f"  {f['name']} ({f['type']}): " in out
    assert "quick 2, book 8, paper 16" in out.split("  seeds (int)")[1].split("\n")[1]

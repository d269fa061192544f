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

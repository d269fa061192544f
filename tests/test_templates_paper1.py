"""The templates of paper 1's chapter 3, each run with its quick preset at a grid of its own
(tests/template_runs.py). The quickstart and chapters 1 and 2 are run at grids of their own by the README's
commands, with the same checks (tests/test_readme.py)."""
import pytest

from template_runs import named, runs_its_quick_preset_at_a_non_default_grid

pytestmark = pytest.mark.slow         # `pytest -m 'not slow'` leaves it out

TEMPLATES = named("03_layernorm_ablation.ipynb", "03b_sparse_parity.ipynb")


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_template_runs_its_quick_preset_at_a_non_default_grid(template, tmp_path):
    runs_its_quick_preset_at_a_non_default_grid(template, tmp_path)

"""The templates of paper 1's chapters and the quickstart, each run with its quick preset at a grid of its own
(tests/template_runs.py)."""
import pytest

from template_runs import named, runs_its_quick_preset_at_a_non_default_grid

TEMPLATES = named("00_quickstart.ipynb", "01_critical_norm.ipynb", "02_pinned_norm.ipynb",
                  "03_layernorm_ablation.ipynb", "03b_sparse_parity.ipynb")


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_template_runs_its_quick_preset_at_a_non_default_grid(template, tmp_path, monkeypatch, request):
    runs_its_quick_preset_at_a_non_default_grid(template, tmp_path, monkeypatch, request)

"""The template of chapter 4 (paper 2's log law), run with its quick preset at a grid of its own
(tests/template_runs.py)."""
import pytest

from template_runs import named, runs_its_quick_preset_at_a_non_default_grid


@pytest.mark.parametrize("template", named("04_log_law.ipynb"), ids=lambda p: p.name)
def test_template_runs_its_quick_preset_at_a_non_default_grid(template, tmp_path, monkeypatch, request):
    runs_its_quick_preset_at_a_non_default_grid(template, tmp_path, monkeypatch, request)

"""The template of chapter 5, which also reads chapters 1 and 4, run with its quick preset at a grid of its
own (tests/template_runs.py)."""
import pytest

from template_runs import named, runs_its_quick_preset_at_a_non_default_grid


@pytest.mark.parametrize("template", named("05_one_law.ipynb"), ids=lambda p: p.name)
def test_template_runs_its_quick_preset_at_a_non_default_grid(template, tmp_path, monkeypatch, request):
    runs_its_quick_preset_at_a_non_default_grid(template, tmp_path, monkeypatch, request)

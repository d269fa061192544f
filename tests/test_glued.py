"""The executed pages glue exactly the values recorded in tests/glued.json (to float noise).

A move of chapter code into grok_core, or a re-execution after new runs, that changes a number in the book's
text fails here until the change is recorded with `python tools/glued.py --write` (and so shows in the diff).
"""
import json

from conftest import load_tool

glued = load_tool("glued")


def test_pages_glue_the_recorded_values():
    record = json.loads(glued.RECORD.read_text())
    assert glued.differences(glued.book_values(), record) == []
    assert sum(map(len, record.values())) > 300          # every chapter glues; an empty record proves nothing


def test_comparison_tolerates_float_noise_only():
    assert glued.same("0.8461234567", "0.8461234568")
    assert glued.same("nan", "nan")
    assert not glued.same("0.846", "0.85")
    assert not glued.same("3 of 4", "3 of 5")
    assert not glued.same("'replicated'", "'partly'")


def test_a_changed_or_lost_value_is_reported(tmp_path):
    record = {"a.ipynb": {"x": "1.5", "y": "2"}}
    assert glued.differences({"a.ipynb": {"x": "1.5", "y": "2"}}, record) == []
    diff = glued.differences({"a.ipynb": {"x": "1.6", "z": "3"}}, record)
    assert len(diff) == 3 and any("no longer glued" in d for d in diff) and any("is new" in d for d in diff)

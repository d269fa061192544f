"""A chapter's parameters folded into one "rerun this chapter" box.

Each chapter page opens with two code cells that papermill needs: the template's parameters and the values
papermill injected when the page was executed. A reader wants the argument first, so both fold behind a click:
the parameters cell becomes a "Rerun this chapter" box, with the two commands that rerun it (papermill with
`-p`, or the command line with `--set`: the same names and meanings), and the injected cell says it holds the
values this page ran with. Only what is shown changes; the executed notebooks are untouched.
"""
from __future__ import annotations

import json
import re

STUDY = {"01_critical_norm": "critical_norm", "02_pinned_norm": "pinned_norm", "03_layernorm_ablation": "ln_ablation",
         "03b_sparse_parity": "sparse_parity", "04_log_law": "log_law", "05_one_law": "one_law"}


def _commands(page: str, first: str | None) -> list[str]:
    example = f" -p {first} VALUE" if first else ""
    lines = ["# Rerun this chapter with other values of the parameters below (runs already saved are reused):",
             f"#   papermill -k python3 --cwd book notebooks/{page}.ipynb book/{page}.ipynb -p preset book{example}"]
    if page in STUDY:
        s = STUDY[page]
        lines += [f"#   python -m grok_core run {s} --preset book" + (f" --set {first}=VALUE" if first else ""),
                  f"#   python -m grok_core plan {s} --preset book   # what it would train, and its cost"]
    return lines + [""]


def fold(app, docname: str, source: list) -> None:
    page = docname.rsplit("/", 1)[-1]
    if not re.match(r"\d", page) or not source[0].lstrip().startswith("{"):
        return
    nb = json.loads(source[0])
    for cell in nb.get("cells", []):
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if "parameters" in tags and cell["cell_type"] == "code":
            text = "".join(cell["source"])
            names = re.findall(r"^(\w+)\s*=", text, flags=re.M)
            first = next((n for n in names if n != "preset"), None)
            cell["source"] = "\n".join(_commands(page, first)) + text
            cell["metadata"]["mystnb"] = {"code_prompt_show": "Rerun this chapter: its parameters and commands",
                                          "code_prompt_hide": "Hide the parameters"}
            tags.append("hide-input")
        elif "injected-parameters" in tags:
            cell["metadata"]["mystnb"] = {"code_prompt_show": "The parameters this page was executed with",
                                          "code_prompt_hide": "Hide them"}
            tags.append("hide-input")
    source[0] = json.dumps(nb)


def setup(app):
    app.connect("source-read", fold)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

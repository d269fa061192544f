"""Edit notebook templates as plain text: `nbpy.py to-py NB.ipynb > NB.py`, `nbpy.py to-nb NB.py NB.ipynb`.

Cells are separated by `# %%` (code) or `# %% [markdown]` lines; a cell starting with `# %% parameters` gets
papermill's `parameters` tag. Every other code cell gets myst-nb's `hide-input` tag: the book shows a chapter's
argument, its figures and tables, with the code that made each one a click away (`# %% show` keeps a cell's
code visible; `# %% remove` or `# %% parameters remove` leaves a cell out of the book, code and output).
Markdown lines are written without a comment prefix. Cell ids are c00, c01, ...; writing over an existing
notebook keeps the ids of the cells it already has (matched by position among unchanged neighbours), so that
inserting or deleting a cell changes only that cell's lines in the notebook's diff.
"""
import difflib
import json
import os
import sys


def keep_ids(cells: list[dict], old: dict) -> None:
    """Give `cells` the ids their counterparts in the notebook `old` carry: a cell whose kind and source are
    unchanged keeps its id, so does an edited cell that stands where one old cell stood; every other cell gets
    a new id above the old ones."""
    before = old["cells"]
    key = lambda c: (c["cell_type"], "".join(c["source"]))
    ids = [None] * len(cells)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, [key(c) for c in before], [key(c) for c in cells],
                                                       autojunk=False).get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            ids[j1:j2] = [c.get("id") for c in before[i1:i2]]
    used = {c.get("id") for c in before} | set(ids)
    n = len(before)
    for j, c in enumerate(cells):
        if ids[j] is None:
            while f"c{n:02d}" in used:
                n += 1
            ids[j] = f"c{n:02d}"
            used.add(ids[j])
        c["id"] = ids[j]


def to_nb(src: str, old: dict | None = None) -> dict:
    cells, cur = [], None
    for line in src.splitlines():
        if line.startswith("# %%"):
            if cur:
                cells.append(cur)
            kind = "markdown" if "[markdown]" in line else "code"
            words = line.split()[2:]
            tags = ["parameters"] if "parameters" in words else []
            if kind == "code" and "remove" in words:
                tags.append("remove-cell")
            elif kind == "code" and not tags and "show" not in words:
                tags = ["hide-input"]
            cur = dict(cell_type=kind, tags=tags, lines=[])
        elif cur is not None:
            cur["lines"].append(line)
    if cur:
        cells.append(cur)
    out = []
    for i, c in enumerate(cells):
        lines = c["lines"]
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        text = "\n".join(lines)
        cell = dict(cell_type=c["cell_type"], id=f"c{i:02d}", metadata={"tags": c["tags"]} if c["tags"] else {},
                    source=[l + "\n" for l in text.split("\n")[:-1]] + [text.split("\n")[-1]])
        if c["cell_type"] == "code":
            cell.update(execution_count=None, outputs=[])
        out.append(cell)
    if old is not None:
        keep_ids(out, old)
    return dict(cells=out, nbformat=4, nbformat_minor=5,
                metadata=dict(kernelspec=dict(display_name="Python 3", language="python", name="python3"),
                              language_info=dict(name="python")))


def to_py(nb: dict) -> str:
    parts = []
    for c in nb["cells"]:
        head = "# %% [markdown]" if c["cell_type"] == "markdown" else "# %%"
        tags = c.get("metadata", {}).get("tags", [])
        if "parameters" in tags:
            head += " parameters"
        if "remove-cell" in tags:
            head += " remove"
        elif c["cell_type"] == "code" and "hide-input" not in tags and "parameters" not in tags:
            head += " show"
        parts.append(head + "\n" + "".join(c["source"]) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "to-py":
        sys.stdout.write(to_py(json.load(open(sys.argv[2]))))
    elif cmd == "to-nb":
        old = json.load(open(sys.argv[3])) if os.path.exists(sys.argv[3]) else None
        json.dump(to_nb(open(sys.argv[2]).read(), old), open(sys.argv[3], "w"), indent=1, ensure_ascii=False)
        open(sys.argv[3], "a").write("\n")
    else:
        sys.exit("usage: nbpy.py to-py NB.ipynb | to-nb NB.py NB.ipynb")

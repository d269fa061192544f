"""Edit notebook templates as plain text: `nbpy.py to-py NB.ipynb > NB.py`, `nbpy.py to-nb NB.py NB.ipynb`.

Cells are separated by `# %%` (code) or `# %% [markdown]` lines; a cell starting with `# %% parameters` gets
papermill's `parameters` tag. Every other code cell gets myst-nb's `hide-input` tag: the book shows a chapter's
argument, its figures and tables, with the code that made each one a click away (`# %% show` keeps a cell's
code visible; `# %% remove` or `# %% parameters remove` leaves a cell out of the book, code and output).
Markdown lines are written without a comment prefix. Cell ids are c00, c01, ...
so regenerated notebooks diff cleanly.
"""
import json
import sys


def to_nb(src: str) -> dict:
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
        json.dump(to_nb(open(sys.argv[2]).read()), open(sys.argv[3], "w"), indent=1, ensure_ascii=False)
        open(sys.argv[3], "a").write("\n")
    else:
        sys.exit("usage: nbpy.py to-py NB.ipynb | to-nb NB.py NB.ipynb")

"""Every value the book's pages glue into their text, as one JSON file, and a check against it.

    python tools/glued.py --write     # record what the executed pages in book/ glue now (tests/glued.json)
    python tools/glued.py             # compare the executed pages with the record; print what changed

A page moved into code (or re-executed after new runs) must glue the same numbers, to float noise; the
record makes every change of a glued number visible in a diff and `tests/test_glued.py` fails on one that
was not recorded. Figures and tables are recorded by their kind only (their pixels and HTML ids vary).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
RECORD = ROOT / "tests" / "glued.json"
PREFIX = "application/papermill.record/"


def page_values(path: Path) -> dict[str, str]:
    """{glue name: its text/plain form, or '<kind>' for a figure or table} of one executed page."""
    out = {}
    for cell in json.loads(path.read_text())["cells"]:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            data = {k.removeprefix(PREFIX): v for k, v in o["data"].items()}
            if "image/png" in data or "image/svg+xml" in data:
                out[meta["name"]] = "<figure>"
            elif "text/html" in data:
                out[meta["name"]] = "<table>"
            else:
                text = data.get("text/plain", "")
                out[meta["name"]] = text if isinstance(text, str) else "".join(text)
    return out


def book_values(book: Path = BOOK) -> dict[str, dict[str, str]]:
    return {p.name: v for p in sorted(book.glob("*.ipynb")) if (v := page_values(p))}


def _number(text: str):
    try:
        return float(text.strip().strip("'\""))
    except ValueError:
        return None


def same(a: str, b: str, rel: float = 1e-6) -> bool:
    """Equal texts, or two numbers equal to float noise (NaN equals NaN)."""
    if a == b:
        return True
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return False
    if math.isnan(x) and math.isnan(y):
        return True
    return math.isclose(x, y, rel_tol=rel, abs_tol=1e-12)


def _short(text: str, width: int = 70) -> str:
    text = repr(text)
    return text if len(text) <= width else text[:width - 1] + "…"


def differences(now: dict, record: dict) -> list[str]:
    lines = []
    for page in sorted(set(now) | set(record)):
        a, b = now.get(page, {}), record.get(page, {})
        for name in sorted(set(a) | set(b)):
            if name not in a:
                lines.append(f"{page}: {name} no longer glued (was {_short(b[name])})")
            elif name not in b:
                lines.append(f"{page}: {name} is new ({_short(a[name])})")
            elif not same(a[name], b[name]):
                lines.append(f"{page}: {name} {_short(b[name])} -> {_short(a[name])}")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="record the pages' glued values now")
    ap.add_argument("--book", default=str(BOOK), help="folder of executed pages (default: book/)")
    args = ap.parse_args(argv)
    now = book_values(Path(args.book))
    if args.write:
        RECORD.write_text(json.dumps(now, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        print(f"recorded {sum(map(len, now.values()))} glued values of {len(now)} pages in {RECORD.relative_to(ROOT)}")
        return 0
    diff = differences(now, json.loads(RECORD.read_text()))
    print("\n".join(diff) if diff else f"all {sum(map(len, now.values()))} glued values as recorded")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())

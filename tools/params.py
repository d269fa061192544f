"""Write each chapter template's parameters cell from its chapter's preset fields (`grok_core.studies.PAGES`):
`python tools/params.py` rewrites them; `--check` exits 1 where a template's cell differs (tests run it)."""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from grok_core import studies  # noqa: E402


def main(argv) -> int:
    check, stale = "--check" in argv, []
    for page, chapter in studies.PAGES.items():
        path = ROOT / "notebooks" / page
        nb = json.loads(path.read_text())
        cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
        text = studies.parameters_cell(chapter)
        lines = text.split("\n")
        want = [line + "\n" for line in lines[:-1]] + [lines[-1]]
        if cell["source"] != want:
            stale.append(page)
            if not check:
                cell["source"] = want
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    if stale:
        print(("stale: " if check else "wrote: ") + ", ".join(stale))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The built book (make test builds it before pytest): every internal link and anchor resolves, and the
reproducibility page names the commit and versions it was built with."""
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

HTML = Path(__file__).resolve().parent.parent / "_build" / "html"
PAGES = sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts and p.name not in ("genindex.html",
                                                                                              "search.html"))
pytestmark = pytest.mark.skipif(not PAGES, reason="the book is not built (make test builds it first)")


def _ids(path: Path) -> set:
    return set(re.findall(r'\sid="([^"]+)"', path.read_text(errors="replace")))


def test_every_internal_link_and_anchor_resolves():
    ids, broken = {}, []
    for page in PAGES:
        text = page.read_text(errors="replace")
        for href in re.findall(r'href="([^"]+)"', text):
            if re.match(r"[a-z]+:", href) or href.startswith("//") or re.search(r"[<{]", href):   # code shown on a page
                continue
            target, _, anchor = unquote(href).partition("#")
            target = target.split("?")[0]
            dest = (page.parent / target).resolve() if target else page
            if not dest.exists():
                broken.append(f"{page.relative_to(HTML)} -> {href}")
                continue
            if anchor and dest.suffix == ".html":
                if dest not in ids:
                    ids[dest] = _ids(dest)
                if anchor not in ids[dest]:
                    broken.append(f"{page.relative_to(HTML)} -> {href}")
    assert not broken, broken[:10]


def test_the_book_says_what_it_was_built_from():
    text = re.sub(r"<[^>]+>", "", (HTML / "book" / "reproducibility.html").read_text())
    assert re.search(r"built from commit ([0-9a-f]{12}|not built from a git checkout)", text)
    assert "torch " in text and "Python 3." in text and "{{" not in text


def test_search_finds_prose_not_the_folded_code():
    """The search index is fed each page without its code cells' input: identifiers that appear only in code
    (the pages' helper calls) find nothing, while the prose's words still find their pages."""
    import json

    text = (HTML / "searchindex.js").read_text()
    terms = json.loads(text[text.index("(") + 1:text.rindex(")")])["terms"]
    for code_only in ("short_error", "page_config", "glue_al"):    # stems of short_errors, page_config, glue_all
        assert not terms.get(code_only), f"{code_only!r} is indexed from a code cell"
    for prose in ("grokk", "weight", "replic"):
        assert terms.get(prose), f"{prose!r} is missing from the search index"


def test_every_figure_has_alt_text_that_is_not_its_file_name():
    missing = []
    for page in PAGES:
        for img in re.findall(r"<img[^>]*>", page.read_text(errors="replace")):
            alt = re.search(r'alt="([^"]*)"', img)
            if not alt or not alt.group(1).strip() or re.search(r"\.(png|jpe?g|svg)$", alt.group(1)):
                missing.append(f"{page.relative_to(HTML)}: {img[:80]}")
    assert not missing, missing[:5]


def test_pages_load_no_icon_script_and_the_build_ships_only_the_mathjax_it_uses():
    """The toolbar icons come from the theme's stylesheet and webfont (not the 1.5 MB fontawesome.js, which every
    page loaded before: a page cost 4.6 MB, now 3.1 MB, measured by tools/page_weight.py); MathJax ships its
    combined tex-svg.js with the extensions it autoloads (3.4 MB, not the package's 24 MB)."""
    for page in PAGES:
        assert "fontawesome.js" not in page.read_text(errors="replace"), page.name
    css = (HTML / "_static" / "styles" / "pydata-sphinx-theme.css").read_text(errors="replace")
    assert "fa-solid-900.woff2" in css and ".fa-magnifying-glass" in css     # the icons the toolbar draws
    mj = HTML / "_static" / "mathjax"
    assert (mj / "tex-svg.js").exists() and (mj / "input" / "tex" / "extensions").is_dir()
    assert sum(f.stat().st_size for f in mj.rglob("*") if f.is_file()) < 5 * 2 ** 20

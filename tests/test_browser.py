"""The built book as a reader's browser shows it: every page of _build/html opened in headless Chromium, failing
on an equation left as raw TeX, an image that does not load, a console error, a page over 6 MB or 50 requests,
or an internal link to a file that does not exist. Skips, with its reason, where Chromium, Playwright or the
built book is missing (`make test` builds the book first)."""
import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.slow         # `pytest -m 'not slow'` leaves it out

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MAX_BYTES, MAX_REQUESTS = 6 * 2 ** 20, 50
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts) \
    if HTML.exists() else []

if not CHROMIUM:
    pytest.skip("no chromium on this machine (Debian: apt-get install chromium); browser check skipped",
                allow_module_level=True)
if not PAGES:
    pytest.skip("no built book in _build/html (make html); browser check skipped", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture(scope="module")
def server():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('pre, code, script, style, mjx-container, .MathJax').forEach(e => e.remove());
  return body.innerText;
}"""
MATH_DONE = """() => (window.MathJax && MathJax.startup && MathJax.startup.promise)
                     ? MathJax.startup.promise.then(() => true) : true"""
BROKEN_IMAGES = """() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"""
LINKS = """() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"""
REFRESH = re.compile(r'http-equiv="refresh"', re.IGNORECASE)
RAW_TEX = re.compile(r"\\\(|\\\[|\$\$|(?<![\w$])\$[^$\s][^$\n]{0,80}?[^$\s]\$(?![\w$])")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(HTML)))
def test_page_reads_as_a_reader_sees_it(page, server, browser):
    rel = page.relative_to(HTML).as_posix()
    tab = browser.new_page()
    errors, requests, sizes = [], [], []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("request", lambda r: requests.append(r.url))
    tab.on("response", lambda r: sizes.append(len(r.body()) if r.ok else 0))
    if REFRESH.search(page.read_text(errors="replace")):      # a redirect page: wait for the page it opens
        with tab.expect_navigation(wait_until="networkidle", timeout=60000):
            tab.goto(f"{server}/{rel}")
    else:
        tab.goto(f"{server}/{rel}", wait_until="networkidle", timeout=60000)
    tab.evaluate(MATH_DONE)
    text = tab.evaluate(VISIBLE_TEXT)
    broken = tab.evaluate(BROKEN_IMAGES)
    links = tab.evaluate(LINKS)
    final = HTML / unquote(urlparse(tab.url).path).lstrip("/")        # after any redirect (index.html is one)
    tab.close()
    assert not errors, f"console errors: {errors[:3]}"
    raw = RAW_TEX.findall(text)
    assert not raw, f"untypeset math: {raw[:3]}"
    assert not broken, f"images that did not load: {broken[:3]}"
    assert len(requests) <= MAX_REQUESTS, f"{len(requests)} requests"
    assert sum(sizes) <= MAX_BYTES, f"{sum(sizes) / 2 ** 20:.1f} MB"
    missing = []
    for href in links:
        u = urlparse(href)
        if u.scheme or u.netloc or href.startswith("#") or not u.path:
            continue
        target = (final.parent / unquote(u.path)).resolve()
        if not target.exists():
            missing.append(href)
    assert not missing, f"internal links to missing files: {missing[:3]}"


FIT = """() => {
  const main = document.querySelector('article.bd-article') || document.querySelector('main');
  const mw = main ? main.getBoundingClientRect().width : 0, wide = [];
  for (const el of main ? main.querySelectorAll('table, img, mjx-container[display=true]') : []) {
    let boxed = false;          // a wide table may scroll inside its own box
    for (let p = el.parentElement; p && p !== main; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') { boxed = true; break; }
    }
    const w = el.getBoundingClientRect().width;
    if (w > mw + 1 && !boxed) wide.push(`${el.tagName} ${Math.round(w)} px in ${Math.round(mw)} px`);
  }
  const open = Array.from(document.querySelectorAll('.cell_input'))
    .filter(e => !(e.closest('details') && !e.closest('details').open) && e.checkVisibility()).length;
  const bare = Array.from(document.querySelectorAll('.cell_output img')).filter(i => !i.closest('a')).length;
  return {scroll: document.documentElement.scrollWidth, view: window.innerWidth, wide, open, bare};
}"""
LAYOUT_PAGES = [p for p in PAGES if not REFRESH.search(p.read_text(errors="replace"))]


@pytest.mark.parametrize("width", [1366, 390])
def test_pages_fit_a_laptop_and_a_phone(width, server, browser):
    """At 1366 px (a laptop) and 390 px (a phone) no page scrolls sideways and no table, figure or display
    equation is wider than the text column unless it scrolls inside its own box; the report and the chapters show
    no open code cell, every figure opens at full size on a click, and the landing page shows the tally and the
    headline claims."""
    tab = browser.new_page(viewport={"width": width, "height": 900})
    bad = []
    for page in LAYOUT_PAGES:
        rel = page.relative_to(HTML).as_posix()
        # the layout needs the page loaded (images included) and its math typeset, not the network idle for
        # 0.5 s as the weight check above does (that wait was half of this test's time)
        tab.goto(f"{server}/{rel}", wait_until="load", timeout=60000)
        tab.evaluate(MATH_DONE)
        r = tab.evaluate(FIT)
        if r["scroll"] > r["view"] + 1:
            bad.append(f"{rel}: the page scrolls sideways ({r['scroll']} px in {r['view']} px)")
        bad += [f"{rel}: {w}" for w in r["wide"]]
        if (rel == "book/report.html" or re.match(r"book/\d", rel)) and r["open"]:
            bad.append(f"{rel}: {r['open']} open code cells")       # a chapter's parameters fold into one box
        if r["bare"]:
            bad.append(f"{rel}: {r['bare']} figures that do not open at full size on a click")
        if rel == "book/intro.html":
            text = tab.evaluate(VISIBLE_TEXT)
            if not re.search(r"Of the \d+ claims of the two papers", text) or "The headline claims" not in text:
                bad.append(f"{rel}: no tally or headline claims")
    tab.close()
    assert not bad, bad[:5]

"""Bytes and requests each page of a built book costs a reader's browser (headless Chromium, as the browser check
opens it), so theme changes can be measured before and after.

    python tools/page_weight.py [_build/html]      # one line per page, then the median and the largest
"""
from __future__ import annotations

import functools
import http.server
import shutil
import statistics
import sys
import threading
from pathlib import Path


def _body(response) -> int:
    try:
        return len(response.body()) if response.ok else 0
    except Exception:          # a redirect page's response, navigated away from
        return 0


def main(html: Path) -> None:
    from playwright.sync_api import sync_playwright

    pages = sorted(p for p in html.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)
    handler = functools.partial(type("Quiet", (http.server.SimpleHTTPRequestHandler,),
                                     {"log_message": lambda *a: None}), directory=str(html))
    httpd = type("QuietServer", (http.server.ThreadingHTTPServer,), {"handle_error": lambda *a: None})(
        ("127.0.0.1", 0), handler)       # a client that hangs up early is no error here
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    out = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for page in pages:
            tab, sizes = b.new_page(), []
            tab.on("response", lambda r: sizes.append(_body(r)))
            tab.goto(f"{url}/{page.relative_to(html).as_posix()}", wait_until="networkidle", timeout=60000)
            tab.wait_for_timeout(300)
            out.append((page.relative_to(html).as_posix(), sum(sizes), len(sizes)))
            tab.close()
        b.close()
    httpd.shutdown()
    for name, n, k in out:
        print(f"{name:45s} {n / 1e6:7.2f} MB  {k:3d} requests")
    sizes = [n for _, n, _ in out]
    print(f"{'median':45s} {statistics.median(sizes) / 1e6:7.2f} MB;  largest {max(sizes) / 1e6:.2f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html"))

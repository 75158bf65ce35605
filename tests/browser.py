"""Headless Chromium for the browser tests: Debian's `chromium`, driven by Playwright for Python.

    from browser import chromium, serve
    with serve(ROOT/'_docs') as url, chromium() as b:
        page = b.new_page(); page.goto(url)

Playwright's own browser downloads are never used (`playwright install` needs the network): `chromium()` launches the
system's Chromium, and skips the test with the reason when it or Playwright is missing.
"""
import contextlib, functools, os, shutil, threading
from http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler
from pathlib import Path
import pytest

CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
# Flags that let Chromium run headless as root in a container, and keep it from calling home.
ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync']

def find_chromium():
    "Path of the Chromium to use (`$CHROMIUM`, else Debian's), or None"
    p = Path(CHROMIUM) if os.sep in CHROMIUM else shutil.which(CHROMIUM)
    return str(p) if p and Path(p).exists() else None

@contextlib.contextmanager
def chromium(headless=True, **kw):
    "A Playwright `Browser` on the system's Chromium, closed afterwards; skips the test if there is none"
    exe = find_chromium()
    if exe is None: pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; or set $CHROMIUM)")
    try: from playwright.sync_api import sync_playwright
    except ImportError: pytest.skip("Playwright for Python is not installed (pip install playwright)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=headless, args=ARGS, **kw)
        try: yield b
        finally: b.close()

class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args): pass

@contextlib.contextmanager
def serve(folder):
    "Serve `folder` over HTTP on 127.0.0.1 (a free port) in a thread; yields the base URL, ending in /"
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(folder)))
    t = threading.Thread(target=httpd.serve_forever, daemon=True); t.start()
    try: yield f'http://127.0.0.1:{httpd.server_address[1]}/'
    finally: httpd.shutdown(); httpd.server_close()

def record_requests(page):
    "Every URL `page` requests from now on, in a list that fills as it loads"
    urls = []
    page.on('request', lambda r: urls.append(r.url))
    return urls

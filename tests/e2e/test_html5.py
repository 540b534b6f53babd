"""End-to-end: spice-html5 (Debian's package) in headless Chromium (Debian's
chromium) connects straight to spice-wl's plain port over WebSocket and shows
the session; checked by reading pixels from the page's canvas.

Nothing of spice-html5 is copied: its files are served from
/usr/share/spice-html5 by a throwaway http.server. Chromium is driven over
the DevTools protocol by html5/cdp.py (pure Python, no pip packages).
"""

import base64
import functools
import http.server
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "html5"))

import cdp  # noqa: E402
from harness import PATTERNS, TEST_CLIENT, SessionTestCase  # noqa: E402

SPICE_HTML5_DIR = os.environ.get("SPICE_HTML5_DIR", "/usr/share/spice-html5")
CHROMIUM = os.environ.get("CHROMIUM", "chromium")
DEADLINE = 60.0

# Reads the primary surface's canvas (spice-html5 puts it in #spice-screen,
# sized to the SPICE surface) at its four quadrant centres.
READ_CANVAS = """(() => {
  const c = document.querySelector('#spice-screen canvas');
  if (!c || !c.width || !c.height) return null;
  const ctx = c.getContext('2d');
  const w = c.width, h = c.height;
  const pts = [[w >> 2, h >> 2], [(3 * w) >> 2, h >> 2],
               [w >> 2, (3 * h) >> 2], [(3 * w) >> 2, (3 * h) >> 2]];
  return {width: w, height: h, points: pts,
          pixels: pts.map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data))};
})()"""


def rgb_hex(rgba):
    return "%02x%02x%02x" % tuple(rgba[:3])


def close_to(rgba, hexcolor, tolerance=2):
    want = bytes.fromhex(hexcolor)
    return all(abs(a - b) <= tolerance for a, b in zip(rgba[:3], want))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    # ES modules need a JavaScript MIME type whatever /etc/mime.types says.
    extensions_map = dict(http.server.SimpleHTTPRequestHandler.extensions_map,
                          **{".js": "text/javascript", ".mjs": "text/javascript"})

    def log_message(self, fmt, *args):
        self.server.requests.append(fmt % args)


class StaticServer:
    """http.server on 127.0.0.1 (a free port) serving one directory, in a thread."""

    def __init__(self, directory):
        handler = functools.partial(QuietHandler, directory=directory)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.requests = []
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


class Html5Tests(SessionTestCase):

    def setUp(self):
        super().setUp()
        if not os.path.isfile(os.path.join(SPICE_HTML5_DIR, "spice_auto.html")):
            self.fail(f"spice-html5 is not installed ({SPICE_HTML5_DIR}/spice_auto.html); "
                      "run tools/install-deps.sh")
        if not shutil.which(CHROMIUM):
            self.fail(f"{CHROMIUM} not found; run tools/install-deps.sh")
        self.artifacts = tempfile.mkdtemp(prefix="swl-html5-")

    def open_page(self, spice_port):
        """Serves spice-html5, opens spice_auto.html pointed at spice_port."""
        web = StaticServer(SPICE_HTML5_DIR)
        self.addCleanup(web.close)
        browser = cdp.Chromium(CHROMIUM)
        self.addCleanup(browser.close)
        page = browser.page()
        self.addCleanup(page.close)
        for domain in ("Runtime", "Log", "Page"):
            page.call(f"{domain}.enable")
        # spice_auto.html connects to ws://HOST:PORT/PATH (PATH defaults to
        # "websockify"; spice-server ignores it).
        query = urllib.parse.urlencode({"host": "127.0.0.1", "port": spice_port})
        url = f"http://127.0.0.1:{web.port}/spice_auto.html?{query}"
        page.call("Page.navigate", url=url)
        return web, browser, page

    def screenshot(self, page, name):
        path = os.path.join(self.artifacts, name)
        try:
            data = page.call("Page.captureScreenshot", format="png")["data"]
            with open(path, "wb") as f:
                f.write(base64.b64decode(data))
        except (cdp.CdpError, OSError, KeyError) as e:
            return f"(no screenshot: {e})"
        return path

    def wait_canvas(self, page, colors, end, want_size=None):
        """Polls the canvas until its quadrant centres show colors (and, with
        want_size, a callable giving (w, h), until it has that size).
        Returns (matched, last reading)."""
        last = None
        while True:
            try:
                last = page.evaluate(READ_CANVAS)
            except cdp.CdpError as e:  # e.g. the page is navigating or busy
                page.errors.append(str(e))
                last = None
            if (last and all(close_to(px, c) for px, c in zip(last["pixels"], colors)) and
                    (want_size is None or want_size() == (last["width"], last["height"]))):
                return True, last
            if time.monotonic() > end:
                return False, last
            time.sleep(0.1)

    def describe(self, session, web, browser, page, last, shot):
        seen = None
        if last:
            seen = {f"{x},{y}": rgb_hex(px) for (x, y), px in zip(last["points"], last["pixels"])}
            seen = f"canvas {last['width']}x{last['height']}, pixels {seen}"
        parts = [
            f"canvas: {seen or 'none in #spice-screen'}",
            f"screenshot: {shot}",
            "browser console:\n  " + "\n  ".join(page.console_log()[-40:] or ["(empty)"]),
            f"devtools errors: {page.errors[-5:]}",
            "http requests:\n  " + "\n  ".join(web.httpd.requests[-40:]),
            f"spice-wl log tail:\n{session.stderr()[-2000:]}",
            f"chromium output tail:\n{browser.output()[-1500:]}",
        ]
        return "\n" + "\n".join(parts)

    def check_pattern(self, args):
        t0 = time.monotonic()
        end = t0 + DEADLINE
        s = self.start(args + ["--disable-ticketing", "--size", "640x480"], [TEST_CLIENT])
        s.expect("ready 640 480")
        web, browser, page = self.open_page(s.port)

        def failure(what, last):
            shot = self.screenshot(page, "spice-html5.png")
            return what + self.describe(s, web, browser, page, last, shot)

        # 1. The session shows up in the page, decoded by spice-html5.
        ok, last = self.wait_canvas(page, PATTERNS[0], end)
        if not ok:
            self.fail(failure(f"spice-html5 never showed the test pattern {PATTERNS[0]} "
                              f"in {DEADLINE:.0f} s", last))
        first = f"{last['width']}x{last['height']}"

        # 2. spice_auto.html asks (through spice-wl's built-in agent) for the size
        # of the browser window: the app is resized and the new, larger canvas
        # shows the pattern again.
        client_size = [640, 480]

        def session_size():
            while True:
                line = s.out.readline(0.01)
                if line is None:
                    break
                if line.startswith("ready "):
                    client_size[:] = [int(v) for v in line.split()[1:3]]
            return tuple(client_size) if client_size != [640, 480] else None

        ok, last = self.wait_canvas(page, PATTERNS[0], end, session_size)
        if not ok:
            self.fail(failure("the session never followed the browser window's size "
                              f"(app's last size {client_size[0]}x{client_size[1]})", last))
        shot = self.screenshot(page, "spice-html5.png")
        if any("FIXME" in line for line in page.console_log()):
            self.fail(failure("spice-html5 could not handle a message", last))
        print(f"\nspice-html5 {' '.join(args) or '(defaults)'}: pattern first read on a "
              f"{first} canvas, session followed the page to {last['width']}x{last['height']}; "
              f"{time.monotonic() - t0:.1f} s", file=sys.stderr)
        if os.environ.get("SWL_KEEP_SCREENSHOTS"):
            print(f"screenshot: {shot}", file=sys.stderr)
        else:
            shutil.rmtree(self.artifacts, ignore_errors=True)  # kept on failure

    def test_html5_option(self):
        self.check_pattern(["--html5"])

    def test_default_image_compression(self):
        # spice-html5 has no GLZ decoder, but it asks for a GLZ window of 0
        # pixels, so spice-server never picks GLZ for it: auto_glz falls back
        # to LZ and the defaults work too. This fails first if that changes.
        self.check_pattern([])


if __name__ == "__main__":
    unittest.main()

"""Drives a headless Chromium over the DevTools protocol, in pure Python.

A minimal WebSocket client (RFC 6455, client side: masked text frames out,
fragmented/ping/close frames in) and a thin CDP wrapper, so the browser test
needs no packages beyond python3 and Debian's chromium.
"""

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocket:
    def __init__(self, url, timeout=10.0):
        u = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + ("?" + u.query if u.query else "")
        # No Origin header: Chromium only checks --remote-allow-origins when one is sent.
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        self.buf = b""
        self.fragments = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"websocket handshake with {url}: connection closed")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in lines[0] + " ":
            raise ConnectionError(f"websocket handshake with {url}: {lines[0]}")
        accept = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.partition(":") for line in lines[1:])}
        if headers.get("sec-websocket-accept") != accept:
            raise ConnectionError(f"websocket handshake with {url}: bad accept key")

    def _frame(self):
        """(fin, opcode, payload) of the next whole frame, reading as needed.

        Nothing is consumed until a frame is complete, so a timeout mid-frame
        loses nothing."""
        while True:
            b = self.buf
            if len(b) >= 2:
                n, pos = b[1] & 0x7F, 2
                if n == 126 and len(b) >= 4:
                    n, pos = struct.unpack("!H", b[2:4])[0], 4
                elif n == 127 and len(b) >= 10:
                    n, pos = struct.unpack("!Q", b[2:10])[0], 10
                if n < 126 or pos > 2:
                    masked = b[1] & 0x80
                    end = pos + (4 if masked else 0) + n
                    if len(b) >= end:
                        payload = b[end - n:end]
                        if masked:
                            mask = b[pos:pos + 4]
                            payload = bytes(x ^ mask[i % 4] for i, x in enumerate(payload))
                        self.buf = b[end:]
                        return bool(b[0] & 0x80), b[0] & 0x0F, payload
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("websocket closed by peer")
            self.buf += chunk

    def _send_frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send_text(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self, timeout):
        """One whole message (str); socket.timeout when none arrives in time."""
        self.sock.settimeout(max(timeout, 0.001))
        while True:
            fin, opcode, payload = self._frame()
            if opcode == 0x8:
                raise ConnectionError("websocket closed by peer")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            self.fragments += payload
            if fin:
                message, self.fragments = self.fragments, b""
                return message.decode("utf-8", "replace")

    def close(self):
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


class CdpError(Exception):
    pass


class Cdp:
    """One DevTools session (a page target); keeps every event it sees."""

    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 1
        self.events = []
        self.errors = []  # for the caller's diagnostics

    def call(self, method, timeout=10.0, **params):
        msg_id = self.next_id
        self.next_id += 1
        self.ws.send_text(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CdpError(f"{method}: no reply in {timeout} s")
            try:
                msg = json.loads(self.ws.recv(remaining))
            except socket.timeout:
                continue
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise CdpError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression, timeout=10.0):
        r = self.call("Runtime.evaluate", timeout, expression=expression,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise CdpError(f"evaluate: {r['exceptionDetails']}")
        return r["result"].get("value")

    def console_log(self):
        """The page's console and log entries so far, one string per line."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled":
                args = [str(a.get("value", a.get("description", a.get("type"))))
                        for a in p.get("args", [])]
                out.append(f"console.{p.get('type')}: {' '.join(args)}")
            elif e["method"] == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                desc = d.get("exception", {}).get("description") or d.get("text")
                out.append(f"exception: {desc}")
            elif e["method"] == "Page.javascriptDialogOpening":
                out.append(f"dialog ({p.get('type')}): {p.get('message')}")
            elif e["method"] == "Log.entryAdded":
                entry = p.get("entry", {})
                out.append(f"log.{entry.get('level')}: {entry.get('text')} "
                           f"{entry.get('url', '')}".rstrip())
        return out

    def close(self):
        self.ws.close()


class Chromium:
    """Headless Chromium with a fresh profile and a DevTools port; kill with close()."""

    def __init__(self, executable="chromium", window_size=(1024, 768), timeout=30.0,
                 extra_args=()):
        self.profile = tempfile.mkdtemp(prefix="swl-chromium-")
        self.log = open(os.path.join(self.profile, "chromium.log"), "w+b")
        args = [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
                "--mute-audio", f"--window-size={window_size[0]},{window_size[1]}",
                "--remote-debugging-port=0", f"--user-data-dir={self.profile}"
                ] + list(extra_args) + ["about:blank"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.devtools_port = self._wait_devtools_port(timeout)

    def _wait_devtools_port(self, timeout):
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"chromium exited with {self.proc.returncode}:\n"
                                     f"{self.output()}")
            try:
                with open(path) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[0].strip().isdigit():
                    return int(lines[0])
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"chromium wrote no DevToolsActivePort in {timeout} s:\n"
                             f"{self.output()}")

    def page(self, timeout=10.0):
        """A CDP session on the first page target."""
        deadline = time.monotonic() + timeout
        while True:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.devtools_port}/json/list", timeout=timeout) as r:
                targets = json.load(r)
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return Cdp(pages[0]["webSocketDebuggerUrl"])
            if time.monotonic() > deadline:
                raise AssertionError(f"chromium has no page target: {targets}")
            time.sleep(0.05)

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]

    def close(self):
        # SIGTERM lets chromium end its helpers; SIGKILL the group for whatever is left.
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

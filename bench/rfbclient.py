#!/usr/bin/python3
"""A minimal headless VNC viewer for the benchmark (RFB 3.8, no auth).

It asks for exactly one pixel encoding, ZRLE (the default) or Tight (with
the compression and quality levels TigerVNC's vncviewer asks for by default:
CompressLevel 2, QualityLevel 8), plus Raw, which servers may always use, and
the Cursor and DesktopSize pseudo-encodings (so the pointer is drawn
client-side, as SPICE's cursor channel does). It decodes every update into a
framebuffer (numpy; Tight's JPEG rectangles with PIL), so it can tell which
updates changed pixels and save what it shows, and keeps one incremental
FramebufferUpdateRequest outstanding at all times, as real viewers do. It
counts the bytes it reads and the updates it receives.

Line commands on stdin, one result line each on stdout (like
spice-wl-probe's `session`):
  stats                 -> JSON {"total_bytes", "display_updates", "rects", ...}
  quiet MS TIMEOUT_MS   -> ok once no update came for MS | fail
  type TEXT             -> ok (key press+release per character; ASCII only)
  key KEYSYM_HEX        -> ok
  latency N TIMEOUT_MS  -> latency n=N median_ms=X p90_ms=X min_ms=X max_ms=X
                           (per sample: quiet 200 ms, press+release 'a', time
                           until the first update that changes pixels)
  screenshot FILE.ppm   -> ok
  quit                  -> ok
First line: 'connected WxH'.

  bench/rfbclient.py [--host 127.0.0.1] --port N [--encoding zrle|tight]
                     [--tight-quality N|none]
"""

import sys

# bench/typing.py must not shadow the standard library's typing (numpy and
# matplotlib import it) when this runs as a script.
if __name__ == "__main__":
    sys.path.pop(0)

import argparse
import json
import socket
import struct
import sys
import threading
import time
import zlib

import numpy as np

ENC_RAW = 0
ENC_COPYRECT = 1
ENC_TIGHT = 7
ENC_ZRLE = 16
ENC_COMPRESS_LEVEL_0 = -256   # Tight: -256 + level (0..9)
ENC_QUALITY_LEVEL_0 = -32     # Tight JPEG: -32 + level (0..9)
ENC_CURSOR = -239
ENC_DESKTOP_SIZE = -223


class Disconnected(Exception):
    pass


class RFBClient:
    def __init__(self, host, port, timeout=20, encoding="zrle", tight_quality=8,
                 tight_compress=2):
        self.encoding = encoding
        self.tight_quality = tight_quality
        self.tight_compress = tight_compress
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rbuf = bytearray()
        self.bytes_in = 0
        self.updates = 0          # FramebufferUpdate messages with >= 1 rect
        self.rects = 0
        self.changed_updates = 0  # updates that changed at least one pixel
        self.last_update = time.monotonic()
        self.last_change = 0.0
        self.cond = threading.Condition()
        self.closed = False
        self.error = None
        self.send_lock = threading.Lock()
        self.zlib = zlib.decompressobj()
        self.tight_zlib = [zlib.decompressobj() for _ in range(4)]
        self.tight_kinds = {"fill": 0, "basic": 0, "jpeg": 0}  # Tight rectangles by kind
        self._handshake()

    # --- socket -----------------------------------------------------------
    def _recv(self, n):
        while len(self.rbuf) < n:
            data = self.sock.recv(max(65536, n - len(self.rbuf)))
            if not data:
                raise Disconnected("server closed the connection")
            self.bytes_in += len(data)
            self.rbuf += data
        out = bytes(self.rbuf[:n])
        del self.rbuf[:n]
        return out

    def _send(self, data):
        with self.send_lock:
            self.sock.sendall(data)

    # --- handshake ----------------------------------------------------------
    def _handshake(self):
        version = self._recv(12)
        if not version.startswith(b"RFB 003."):
            raise Disconnected(f"not an RFB server: {version!r}")
        self._send(b"RFB 003.008\n")
        n = self._recv(1)[0]
        if n == 0:
            length = struct.unpack(">I", self._recv(4))[0]
            raise Disconnected(self._recv(length).decode("utf-8", "replace"))
        types = self._recv(n)
        if 1 not in types:
            raise Disconnected(f"no 'None' security type offered: {list(types)}")
        self._send(b"\x01")
        if struct.unpack(">I", self._recv(4))[0] != 0:
            raise Disconnected("security handshake failed")
        self._send(b"\x01")  # shared
        hdr = self._recv(24)
        self.width, self.height = struct.unpack(">HH", hdr[:4])
        self.name = self._recv(struct.unpack(">I", hdr[20:24])[0]).decode("utf-8", "replace")
        # 32 bpp, depth 24, little-endian, true colour, RGB 8/8/8 at 16/8/0.
        pf = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
        self._send(b"\x00\x00\x00\x00" + pf)
        if self.encoding == "tight":
            encs = [ENC_TIGHT, ENC_COMPRESS_LEVEL_0 + self.tight_compress]
            if self.tight_quality is not None:
                encs.append(ENC_QUALITY_LEVEL_0 + self.tight_quality)
        else:
            encs = [ENC_ZRLE]
        encs += [ENC_RAW, ENC_CURSOR, ENC_DESKTOP_SIZE]
        self._send(struct.pack(">BxH", 2, len(encs)) + b"".join(struct.pack(">i", e) for e in encs))
        self.fb = np.zeros((self.height, self.width, 3), np.uint8)  # B, G, R
        self.sock.settimeout(None)
        self._request(incremental=False)

    def _request(self, incremental=True):
        self._send(struct.pack(">BBHHHH", 3, 1 if incremental else 0, 0, 0,
                               self.width, self.height))

    # --- input --------------------------------------------------------------
    def key(self, keysym, down):
        self._send(struct.pack(">BBxxI", 4, 1 if down else 0, keysym))

    def tap(self, keysym):
        self.key(keysym, True)
        self.key(keysym, False)

    # --- receiving ----------------------------------------------------------
    def run(self):
        try:
            while True:
                t = self._recv(1)[0]
                if t == 0:
                    self._update()
                elif t == 1:  # SetColourMapEntries
                    _, _, n = struct.unpack(">xHH", self._recv(5))
                    self._recv(6 * n)
                elif t == 2:  # Bell
                    pass
                elif t == 3:  # ServerCutText
                    n = struct.unpack(">3xI", self._recv(7))[0]
                    self._recv(n)
                else:
                    raise Disconnected(f"unknown server message {t}")
        except (Disconnected, OSError) as e:
            self.error = str(e)
        finally:
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def _update(self):
        n = struct.unpack(">xH", self._recv(3))[0]
        changed = False
        pixel_rects = 0
        for _ in range(n):
            x, y, w, h, enc = struct.unpack(">HHHHi", self._recv(12))
            if enc == ENC_RAW:
                data = np.frombuffer(self._recv(w * h * 4), np.uint8).reshape(h, w, 4)[:, :, :3]
                changed |= self._blit(x, y, data)
                pixel_rects += 1
            elif enc == ENC_COPYRECT:
                sx, sy = struct.unpack(">HH", self._recv(4))
                src = self.fb[sy:sy + h, sx:sx + w].copy()
                changed |= self._blit(x, y, src)
                pixel_rects += 1
            elif enc == ENC_ZRLE:
                length = struct.unpack(">I", self._recv(4))[0]
                data = self.zlib.decompress(self._recv(length))
                changed |= self._zrle(x, y, w, h, data)
                pixel_rects += 1
            elif enc == ENC_TIGHT:
                changed |= self._tight(x, y, w, h)
                pixel_rects += 1
            elif enc == ENC_CURSOR:
                self._recv(w * h * 4 + ((w + 7) // 8) * h)
            elif enc == ENC_DESKTOP_SIZE:
                self.width, self.height = w, h
                self.fb = np.zeros((h, w, 3), np.uint8)
                changed = True
            else:
                raise Disconnected(f"unsupported encoding {enc}")
        now = time.monotonic()
        with self.cond:
            if pixel_rects:
                self.updates += 1
                self.rects += pixel_rects
            if changed:
                self.changed_updates += 1
                self.last_change = now
            self.last_update = now
            self.cond.notify_all()
        self._request(incremental=True)

    def _blit(self, x, y, block):
        h, w = block.shape[:2]
        dst = self.fb[y:y + h, x:x + w]
        if np.array_equal(dst, block):
            return False
        dst[...] = block
        return True

    def _zrle(self, x0, y0, w, h, data):
        mv = memoryview(data)
        pos = 0
        changed = False
        for ty in range(y0, y0 + h, 64):
            th = min(64, y0 + h - ty)
            for tx in range(x0, x0 + w, 64):
                tw = min(64, x0 + w - tx)
                sub = mv[pos]
                pos += 1
                npx = tw * th
                if sub == 0:  # raw CPIXELs
                    tile = np.frombuffer(mv[pos:pos + npx * 3], np.uint8).reshape(th, tw, 3)
                    pos += npx * 3
                elif sub == 1:  # solid
                    tile = np.empty((th, tw, 3), np.uint8)
                    tile[:, :] = np.frombuffer(mv[pos:pos + 3], np.uint8)
                    pos += 3
                elif 2 <= sub <= 16:  # packed palette
                    pal = np.frombuffer(mv[pos:pos + sub * 3], np.uint8).reshape(sub, 3)
                    pos += sub * 3
                    bits = 1 if sub == 2 else 2 if sub <= 4 else 4
                    rowbytes = (tw * bits + 7) // 8
                    packed = np.frombuffer(mv[pos:pos + rowbytes * th], np.uint8).reshape(th, rowbytes)
                    pos += rowbytes * th
                    unpacked = np.unpackbits(packed, axis=1)
                    if bits == 1:
                        idx = unpacked[:, :tw]
                    else:
                        groups = unpacked.reshape(th, rowbytes * 8 // bits, bits)
                        weights = (1 << np.arange(bits - 1, -1, -1)).astype(np.uint8)
                        idx = (groups * weights).sum(axis=2)[:, :tw]
                    tile = pal[idx]
                elif sub == 128:  # plain RLE
                    colors = []
                    counts = []
                    left = npx
                    while left > 0:
                        px = bytes(mv[pos:pos + 3])
                        pos += 3
                        run = 1
                        while True:
                            b = mv[pos]
                            pos += 1
                            run += b
                            if b != 255:
                                break
                        colors.append(px)
                        counts.append(run)
                        left -= run
                    cols = np.frombuffer(b"".join(colors), np.uint8).reshape(-1, 3)
                    tile = np.repeat(cols, counts, axis=0)[:npx].reshape(th, tw, 3)
                elif sub >= 130:  # palette RLE
                    psize = sub - 128
                    pal = np.frombuffer(mv[pos:pos + psize * 3], np.uint8).reshape(psize, 3)
                    pos += psize * 3
                    idxs = []
                    counts = []
                    left = npx
                    while left > 0:
                        b = mv[pos]
                        pos += 1
                        run = 1
                        if b & 128:
                            while True:
                                c = mv[pos]
                                pos += 1
                                run += c
                                if c != 255:
                                    break
                        idxs.append(b & 127)
                        counts.append(run)
                        left -= run
                    tile = np.repeat(pal[idxs], counts, axis=0)[:npx].reshape(th, tw, 3)
                else:
                    raise Disconnected(f"bad ZRLE subencoding {sub}")
                changed |= self._blit(tx, ty, tile)
        return changed

    def _compact_len(self):
        n = 0
        for i in range(3):
            b = self._recv(1)[0]
            n |= (b & (0x7f if i < 2 else 0xff)) << (7 * i)
            if i < 2 and not b & 0x80:
                break
        return n

    def _tight_data(self, stream, size):
        """size bytes of pixel data: raw below 12 bytes, else zlib on stream."""
        if size < 12:
            return self._recv(size)
        data = self.tight_zlib[stream].decompress(self._recv(self._compact_len()))
        if len(data) != size:
            raise Disconnected(f"Tight: {len(data)} bytes inflated, {size} expected")
        return data

    def _tight(self, x, y, w, h):
        """One Tight rectangle (RFB 7.7.6), TPIXELs of 3 bytes R, G, B."""
        ctl = self._recv(1)[0]
        for i in range(4):
            if ctl & (1 << i):
                self.tight_zlib[i] = zlib.decompressobj()
        kind = ctl >> 4
        if kind == 8:  # fill
            self.tight_kinds["fill"] += 1
            tile = np.empty((h, w, 3), np.uint8)
            tile[:, :] = np.frombuffer(self._recv(3), np.uint8)[::-1]
        elif kind == 9:  # JPEG
            self.tight_kinds["jpeg"] += 1
            data = self._recv(self._compact_len())
            try:
                import io
                from PIL import Image
            except ImportError:
                return True  # counted, not shown: treat as a change
            img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
            tile = np.ascontiguousarray(img[:h, :w, ::-1])
        elif kind < 8:  # basic
            self.tight_kinds["basic"] += 1
            stream = kind & 3
            filt = self._recv(1)[0] if kind & 4 else 0
            if filt == 0:  # copy
                data = self._tight_data(stream, w * h * 3)
                tile = np.frombuffer(data, np.uint8).reshape(h, w, 3)[:, :, ::-1]
            elif filt == 1:  # palette
                n = self._recv(1)[0] + 1
                pal = np.frombuffer(self._recv(3 * n), np.uint8).reshape(n, 3)[:, ::-1]
                if n == 2:
                    rowbytes = (w + 7) // 8
                    packed = np.frombuffer(self._tight_data(stream, rowbytes * h),
                                           np.uint8).reshape(h, rowbytes)
                    idx = np.unpackbits(packed, axis=1)[:, :w]
                else:
                    idx = np.frombuffer(self._tight_data(stream, w * h), np.uint8).reshape(h, w)
                tile = pal[idx]
            elif filt == 2:  # gradient: prediction from left, above, above-left
                d = np.frombuffer(self._tight_data(stream, w * h * 3), np.uint8).reshape(h, w, 3)
                out = np.zeros((h + 1, w + 1, 3), np.int32)
                for r in range(h):
                    for c in range(w):
                        pred = out[r, c + 1] + out[r + 1, c] - out[r, c]
                        out[r + 1, c + 1] = (np.clip(pred, 0, 255) + d[r, c]) & 0xff
                tile = out[1:, 1:, ::-1].astype(np.uint8)
            else:
                raise Disconnected(f"bad Tight filter {filt}")
        else:
            raise Disconnected(f"bad Tight compression control {ctl:#x}")
        return self._blit(x, y, tile)

    # --- waiting ------------------------------------------------------------
    def wait_quiet(self, quiet_s, timeout_s):
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while not self.closed:
                now = time.monotonic()
                if now - self.last_update >= quiet_s:
                    return True
                if now >= deadline:
                    return False
                self.cond.wait(min(deadline - now, quiet_s - (now - self.last_update)))
        return False

    def wait_change_after(self, t, timeout_s):
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while not self.closed:
                if self.last_change > t:
                    return self.last_change
                now = time.monotonic()
                if now >= deadline:
                    return None
                self.cond.wait(deadline - now)
        return None

    def stats(self):
        with self.cond:
            return {"total_bytes": self.bytes_in, "display_bytes": self.bytes_in,
                    "display_updates": self.updates, "changed_updates": self.changed_updates,
                    "rects": self.rects, "encoding": self.encoding,
                    "tight_rects": dict(self.tight_kinds), "width": self.width, "height": self.height}


KEYSYM_ENTER = 0xff0d
KEYSYM_TAB = 0xff09


def keysym_of(ch):
    if ch == "\n":
        return KEYSYM_ENTER
    if ch == "\t":
        return KEYSYM_TAB
    if 0x20 <= ord(ch) < 0x7f:
        return ord(ch)
    raise ValueError(f"unsupported character {ch!r}")


def latency(client, n, timeout_s):
    samples = []
    for _ in range(n):
        if not client.wait_quiet(0.2, 5 + timeout_s):
            return f"error not quiet after {len(samples)} samples"
        t = time.monotonic()
        client.tap(ord("a"))
        got = client.wait_change_after(t, timeout_s)
        if got is None:
            return f"error timeout after {len(samples)} samples"
        samples.append((got - t) * 1000)
    s = sorted(samples)

    def pct(p):
        # nearest-rank percentile
        k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
        return s[k]

    median = (s[(len(s) - 1) // 2] + s[len(s) // 2]) / 2
    return (f"latency n={len(s)} median_ms={median:.1f} p90_ms={pct(90):.1f} "
            f"min_ms={s[0]:.1f} max_ms={s[-1]:.1f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--encoding", choices=("zrle", "tight"), default="zrle")
    ap.add_argument("--tight-quality", default="8",
                    help="Tight JPEG quality level 0-9 asked for, or 'none' (default 8, as "
                         "TigerVNC)")
    args = ap.parse_args()
    quality = None if args.tight_quality == "none" else int(args.tight_quality)
    try:
        client = RFBClient(args.host, args.port, encoding=args.encoding,
                           tight_quality=quality)
    except (OSError, Disconnected) as e:
        print(f"disconnected {e}", flush=True)
        return 1
    reader = threading.Thread(target=client.run, daemon=True)
    reader.start()
    print(f"connected {client.width}x{client.height}", flush=True)
    for line in sys.stdin:
        line = line.rstrip("\n")
        cmd, _, rest = line.partition(" ")
        try:
            if client.closed:
                print(f"disconnected {client.error}", flush=True)
                return 1
            if cmd == "stats":
                out = json.dumps(client.stats())
            elif cmd == "quiet":
                ms, timeout = (int(v) for v in rest.split())
                out = "ok" if client.wait_quiet(ms / 1000, timeout / 1000) else "fail"
            elif cmd == "type":
                for ch in rest:
                    client.tap(keysym_of(ch))
                out = "ok"
            elif cmd == "key":
                client.tap(int(rest, 16))
                out = "ok"
            elif cmd == "latency":
                parts = rest.split()
                n = int(parts[0]) if parts else 10
                timeout = int(parts[1]) if len(parts) > 1 else 2000
                out = latency(client, n, timeout / 1000)
            elif cmd == "screenshot":
                with client.cond:
                    rgb = client.fb[:, :, ::-1].copy()
                with open(rest, "wb") as f:
                    f.write(f"P6 {client.width} {client.height} 255\n".encode())
                    f.write(rgb.tobytes())
                out = "ok"
            elif cmd == "quit":
                print("ok", flush=True)
                break
            else:
                out = f"error unknown command {cmd}"
        except (ValueError, OSError) as e:
            out = f"error {e}"
        print(out, flush=True)
    try:
        client.sock.close()
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

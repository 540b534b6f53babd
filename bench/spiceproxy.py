#!/usr/bin/python3
"""A TCP relay between a SPICE client and server that tells what the
server's display-channel bytes are made of: messages by type, and for
draw-copy messages the image type spice-server chose (GLZ, LZ, QUIC,
from-cache, ...) with the bytes of each part. Plain (non-TLS) channels only.

Used by bench/bytes.py; start(port) returns (proxy_port, stats).
"""

import socket
import struct
import threading

LINK_MAGIC = b"REDQ"
CHANNEL_DISPLAY = 2

MSG_NAMES = {
    1: "migrate", 2: "migrate_data", 3: "set_ack", 4: "ping", 5: "wait_for_channels",
    6: "disconnecting", 7: "notify", 8: "list", 101: "mode", 102: "mark", 103: "reset",
    104: "copy_bits", 105: "inval_list", 106: "inval_all_pixmaps", 107: "inval_palette",
    108: "inval_all_palettes", 122: "stream_create", 123: "stream_data", 124: "stream_clip",
    125: "stream_destroy", 126: "stream_destroy_all", 302: "draw_fill", 303: "draw_opaque",
    304: "draw_copy", 314: "surface_create", 315: "surface_destroy",
    316: "stream_data_sized", 317: "monitors_config", 318: "draw_composite",
    319: "stream_activate_report",
}
IMAGE_NAMES = {
    0: "bitmap", 1: "quic", 100: "lz_plt", 101: "lz_rgb", 102: "glz_rgb", 103: "from_cache",
    104: "surface", 105: "jpeg", 106: "from_cache_lossless", 107: "zlib_glz_rgb",
    108: "jpeg_alpha", 109: "lz4",
}
MINI_HEADER = 6


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.msgs = {}      # name -> [count, bytes incl. header]
            self.images = {}    # image type -> [count, bytes of image payload, pixels]
            self.total = 0

    def add_msg(self, name, size):
        with self.lock:
            m = self.msgs.setdefault(name, [0, 0])
            m[0] += 1
            m[1] += size
            self.total += size

    def add_image(self, name, size, pixels):
        with self.lock:
            m = self.images.setdefault(name, [0, 0, 0])
            m[0] += 1
            m[1] += size
            m[2] += pixels

    def snapshot(self):
        with self.lock:
            return {"total": self.total,
                    "msgs": {k: list(v) for k, v in self.msgs.items()},
                    "images": {k: list(v) for k, v in self.images.items()}}


def diff(a, b):
    """b - a for two snapshots."""
    out = {"total": b["total"] - a["total"], "msgs": {}, "images": {}}
    for key in ("msgs", "images"):
        for k, v in b[key].items():
            old = a[key].get(k, [0] * len(v))
            d = [x - y for x, y in zip(v, old)]
            if d[0]:
                out[key][k] = d
    return out


def read_exact(sock, n, sink):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        sink.sendall(chunk)
        buf += chunk
    return buf


def parse_draw_copy(body, stats):
    # base: surface_id u32, box 4*i32, clip type u8 (+ u32 count + rects)
    off = 4 + 16
    clip = body[off]
    off += 1
    if clip == 1:
        (n,) = struct.unpack_from("<I", body, off)
        off += 4 + 16 * n
    (image_off,) = struct.unpack_from("<I", body, off)
    if image_off == 0 or image_off + 18 > len(body):
        return
    _id, itype, _flags, w, h = struct.unpack_from("<QBBII", body, image_off)
    stats.add_image(IMAGE_NAMES.get(itype, str(itype)), len(body) - image_off, w * h)


def relay_server(server, client, stats, is_display):
    """Copies server -> client, parsing messages once the link is done."""
    try:
        hdr = read_exact(server, 16, client)
        (size,) = struct.unpack_from("<I", hdr, 12)
        read_exact(server, size, client)
        read_exact(server, 4, client)  # link result
        while True:
            mh = read_exact(server, MINI_HEADER, client)
            mtype, msize = struct.unpack("<HI", mh)
            body = read_exact(server, msize, client)
            if not is_display():
                continue
            stats.add_msg(MSG_NAMES.get(mtype, str(mtype)), MINI_HEADER + msize)
            if mtype == 304:
                parse_draw_copy(body, stats)
    except (EOFError, OSError, struct.error):
        pass
    finally:
        for s in (server, client):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay_client(client, server, channel):
    """Copies client -> server, noting the channel type from the link message."""
    try:
        hdr = read_exact(client, 16, server)
        body = read_exact(client, struct.unpack_from("<I", hdr, 12)[0], server)
        channel.append(body[4])
        while True:
            data = client.recv(65536)
            if not data:
                break
            server.sendall(data)
    except (EOFError, OSError):
        pass


def start(port):
    stats = Stats()
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)

    def accept_loop():
        while True:
            client, _ = lsock.accept()
            server = socket.create_connection(("127.0.0.1", port))
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            channel = []
            threading.Thread(target=relay_client, args=(client, server, channel),
                             daemon=True).start()
            threading.Thread(target=relay_server,
                             args=(server, client, stats,
                                   lambda c=channel: c[:1] == [CHANNEL_DISPLAY]),
                             daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    return lsock.getsockname()[1], stats

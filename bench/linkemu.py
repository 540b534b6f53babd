#!/usr/bin/python3
"""A link emulator: a userspace TCP relay on loopback between a SPICE client
and server that behaves like a slow WAN path. Each direction has one shared
bottleneck for all the connections through it (SPICE opens one per channel):
a rate limit, a bounded FIFO (64 KB by default; a relay that finds it full
stops reading, so the sender's socket fills, as behind a real bottleneck),
and a fixed one-way delay after it. The kernel RTT the server sees is the
loopback's: the delay is hidden from its TCP, as the issue notes.

  bench/linkemu.py LISTEN_PORT TARGET_PORT --mbit 2 --rtt-ms 100 [--queue 65536]

or from Python: start(target_port, mbit, rtt_ms) -> (port, stop, stats).
"""

import argparse
import asyncio
import collections
import socket
import threading

CHUNK = 4096
# The relay's receive buffer towards the server. A real bottleneck does not
# acknowledge what it cannot forward; the relay's kernel does, up to its
# receive buffer (autotuned to hundreds of KB on loopback). Kept small so that
# what the FIFO cannot take waits in the server's own socket, not acked.
RCVBUF = 8192
# asyncio's StreamReader buffers up to twice its limit (64 KB by default)
# before it stops reading the socket: 128 KB more of hidden queue beyond the
# FIFO, taken and released in 64 KB bursts. Kept to a chunk.
READER_LIMIT = CHUNK // 2


class Direction:
    """One way of the link: FIFO bottleneck, serialisation at rate, then delay."""

    def __init__(self, loop, mbit, delay_s, queue_bytes):
        self.loop = loop
        self.bytes_per_s = mbit * 1e6 / 8
        self.delay_s = delay_s
        self.queue_bytes = queue_bytes
        self.fifo = collections.deque()
        self.queued = 0
        self.space = asyncio.Event()
        self.space.set()
        self.ready = asyncio.Event()
        self.delivered = 0
        self.max_queued = 0

    async def put(self, writer, data):
        while self.queued >= self.queue_bytes:
            self.space.clear()
            await self.space.wait()
        self.fifo.append((writer, data))
        self.queued += len(data)
        self.max_queued = max(self.max_queued, self.queued)
        self.ready.set()

    async def run(self):
        next_free = self.loop.time()
        while True:
            if not self.fifo:
                while not self.fifo:
                    self.ready.clear()
                    await self.ready.wait()
                # The link was idle: serialisation starts now.
                next_free = self.loop.time()
            writer, data = self.fifo.popleft()
            now = self.loop.time()
            # While busy, each chunk starts when the previous one ended on the
            # wire, not when the sleep returned: sleep overshoot (about 1 ms a
            # chunk) would otherwise cut the rate by up to a fifth at 8 Mbit/s.
            start = next_free
            next_free = start + len(data) / self.bytes_per_s
            if next_free > now:
                await asyncio.sleep(next_free - now)
            self.queued -= len(data)
            self.space.set()
            self.delivered += len(data)
            self.loop.call_later(self.delay_s, self._deliver, writer, data)

    @staticmethod
    def _deliver(writer, data):
        if not writer.is_closing():
            writer.write(data)


async def pump(reader, writer, direction):
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            await direction.put(writer, data)
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        # Let what is in flight arrive before closing.
        await asyncio.sleep(direction.delay_s + direction.queued / direction.bytes_per_s)
        writer.close()


async def serve(target_port, mbit, rtt_ms, queue_bytes, port_box, started):
    loop = asyncio.get_running_loop()
    down = Direction(loop, mbit, rtt_ms / 2000, queue_bytes)
    up = Direction(loop, mbit, rtt_ms / 2000, queue_bytes)
    tasks = [asyncio.ensure_future(down.run()), asyncio.ensure_future(up.run())]

    async def handle(creader, cwriter):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", target_port))
        sreader, swriter = await asyncio.open_connection(sock=sock, limit=READER_LIMIT)
        try:
            await asyncio.gather(pump(creader, swriter, up), pump(sreader, cwriter, down))
        except asyncio.CancelledError:
            pass  # the emulator is stopping

    server = await asyncio.start_server(handle, "127.0.0.1", port_box.get("port", 0),
                                        limit=READER_LIMIT)
    port_box["port"] = server.sockets[0].getsockname()[1]
    port_box["stats"] = lambda: {"down_bytes": down.delivered, "up_bytes": up.delivered,
                                 "down_max_queued": down.max_queued}
    port_box["loop"] = loop
    port_box["stop"] = asyncio.Event()
    started.set()
    async with server:
        await port_box["stop"].wait()
    for t in tasks:
        t.cancel()


def start(target_port, mbit, rtt_ms, queue_bytes=65536):
    """Runs the emulator in a thread; returns (port, stop(), stats())."""
    box, started = {}, threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(
        serve(target_port, mbit, rtt_ms, queue_bytes, box, started)), daemon=True)
    thread.start()
    started.wait(10)

    def stop():
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(5)
    return box["port"], stop, box["stats"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen_port", type=int)
    ap.add_argument("target_port", type=int)
    ap.add_argument("--mbit", type=float, required=True)
    ap.add_argument("--rtt-ms", type=float, required=True)
    ap.add_argument("--queue", type=int, default=65536)
    a = ap.parse_args()
    box, started = {"port": a.listen_port}, threading.Event()
    asyncio.run(serve(a.target_port, a.mbit, a.rtt_ms, a.queue, box, started))


if __name__ == "__main__":
    main()

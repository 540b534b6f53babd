"""A SPICE link exchange in Python: connect, offer a password, read the
verdict. For tests and bench/guess.py, which need many logins quickly.
AgentClient goes on to the main channel and sends agent messages that
spice-glib has no call for (a volume sync with chosen values)."""

import socket
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

import swlproc

MAGIC = b"REDQ"
AUTH_SELECTION, AUTH_SPICE = 1 << 0, 1 << 1
OK, PERMISSION_DENIED = 0, 7


def recv_exact(sock, n):
    return swlproc.recv_exact(sock, n, "closed by spice-wl")


def login(host, port, password, source=None, timeout=10.0):
    """Opens a main channel and sends password. Returns the link result (0 OK,
    7 permission denied); raises ConnectionError if the connection is closed
    before a verdict (refused)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        return _link(sock, host, port, password, source, timeout)
    finally:
        sock.close()


def _link(sock, host, port, password, source, timeout):
    sock.settimeout(timeout)
    try:
        if source:
            sock.bind((source, 0))
        sock.connect((host, port))
        # SpiceLinkMess: connection id, channel type 1 (main), id 0, one
        # common caps word, no channel caps, caps after the 18-byte message.
        mess = struct.pack("<IBBIII", 0, 1, 0, 1, 0, 18) + struct.pack(
            "<I", AUTH_SELECTION | AUTH_SPICE)
        sock.sendall(MAGIC + struct.pack("<III", 2, 2, len(mess)) + mess)
        header = recv_exact(sock, 16)
        size = struct.unpack("<I", header[12:16])[0]
        reply = recv_exact(sock, size)
        error = struct.unpack("<I", reply[:4])[0]
        if error != 0:
            return error
        key = serialization.load_der_public_key(reply[4:4 + 162])
        sock.sendall(struct.pack("<I", 1))  # SPICE_COMMON_CAP_AUTH_SPICE
        ticket = key.encrypt(password.encode() + b"\0", padding.OAEP(
            mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
        sock.sendall(ticket)
        return struct.unpack("<I", recv_exact(sock, 4))[0]
    except (ConnectionResetError, BrokenPipeError) as e:
        raise ConnectionError(str(e)) from None


# Main channel messages (spice/enums.h) and agent message types (spice/vd_agent.h).
MSG_MAIN_INIT = 103
MSGC_MAIN_AGENT_START, MSGC_MAIN_AGENT_DATA = 106, 107
VD_AGENT_AUDIO_VOLUME_SYNC = 15


class AgentClient:
    """A SPICE client of the main channel alone that talks to the agent."""

    def __init__(self, host, port, password="", timeout=10.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        result = _link(self.sock, host, port, password, None, timeout)
        if result != OK:
            self.sock.close()
            raise ConnectionError(f"link refused: {result}")
        self.serial = 0
        # Without the mini-header capability messages carry the full header:
        # serial (u64), type (u16), size (u32), sub-list (u32).
        while True:
            header = recv_exact(self.sock, 18)
            _, kind, size, _ = struct.unpack("<QHII", header)
            body = recv_exact(self.sock, size)
            if kind == MSG_MAIN_INIT:
                break
        self._send(MSGC_MAIN_AGENT_START, struct.pack("<I", 10))

    def _send(self, kind, body):
        self.serial += 1
        self.sock.sendall(struct.pack("<QHII", self.serial, kind, len(body), 0) + body)

    def agent(self, kind, payload):
        """One agent message (small enough for one chunk)."""
        header = struct.pack("<IIQI", 1, kind, 0, len(payload))  # VD_AGENT_PROTOCOL 1
        self._send(MSGC_MAIN_AGENT_DATA, header + payload)

    def volume_sync(self, playback, mute, volumes):
        self.agent(VD_AGENT_AUDIO_VOLUME_SYNC, struct.pack(
            "<BBB", int(playback), int(mute), len(volumes)) +
            struct.pack(f"<{len(volumes)}H", *volumes))

    def close(self):
        self.sock.close()

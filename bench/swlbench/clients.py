"""The display client of a run, driven by line commands: spice-wl-probe's
session mode for SPICE targets, bench/rfbclient.py (which speaks the same
commands) for VNC."""

import json
import subprocess

from .processes import lines, spawn, stop


class Client:
    def __init__(self, args, name, env=None):
        self.name = name
        self.proc = spawn(args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.out = lines(self.proc, name)
        line = self.out.wait_for(lambda l: l.startswith(("connected", "disconnected")), 30)
        if not line.startswith("connected"):
            raise RuntimeError(f"{name} could not connect: {line}")

    def cmd(self, line, timeout=30):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        return self.out.wait_for(lambda l: not l.startswith(("primary ", "connected")), timeout)

    def stats(self):
        s = json.loads(self.cmd("stats"))
        if "channels" in s:  # spice-wl-probe
            return {"total_bytes": s["total_bytes"],
                    "display_bytes": s["channels"].get("display", 0),
                    "display_updates": s["display_updates"]}
        return {"total_bytes": s["total_bytes"], "display_bytes": s["display_bytes"],
                "display_updates": s["display_updates"]}

    def close(self):
        try:
            if self.proc.poll() is None:
                self.cmd("quit", 5)
                self.proc.wait(3)
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            pass
        stop(self.proc, 1)

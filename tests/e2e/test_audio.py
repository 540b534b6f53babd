"""End-to-end: audio. A tone written into the session (into spice-wl's
playback FIFO, and through a real PulseAudio server the test starts) arrives
at spice-wl-probe's playback channel with its frequency and level; a tone
the probe sends on the record channel arrives in the session (the record
FIFO, and PulseAudio's source, and the record FIFO still while PulseAudio's
source is attached). Playback latency, from the write to the arrival at the
probe, is measured and printed. A pactl that leaves a process holding its
output open holds up neither the attach nor spice-wl's exit."""

import array
import math
import os
import select
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from harness import SessionTestCase
from spice_link import AgentClient

RATE = 48000
AMPLITUDE = 0.5
# A sine of amplitude A has an RMS of A/sqrt(2): -9.03 dBFS at 0.5.
LEVEL_DBFS = 20 * math.log10(AMPLITUDE / math.sqrt(2))
LEVEL_TOLERANCE_DB = 1.5  # Opus is lossy
FREQ_TOLERANCE = 0.02
SOUND_LEVEL = 328  # 1 % of full scale, as the probe counts sound

HAVE_PULSE = shutil.which("pulseaudio") is not None and shutil.which("pactl") is not None


def tone(freq, seconds, amplitude=AMPLITUDE, lead=0.0, tail=0.0):
    """S16LE stereo: lead seconds of silence, the sine, tail of silence."""
    samples = array.array("h")
    samples.extend([0] * (2 * int(lead * RATE)))
    for i in range(int(seconds * RATE)):
        v = int(round(amplitude * 32767 * math.sin(2 * math.pi * freq * i / RATE)))
        samples.append(v)
        samples.append(v)
    samples.extend([0] * (2 * int(tail * RATE)))
    if sys.byteorder != "little":
        samples.byteswap()
    return samples.tobytes()


def left_channel(data):
    samples = array.array("h")
    samples.frombytes(data[:len(data) // 4 * 4])
    if sys.byteorder != "little":
        samples.byteswap()
    return samples[0::2]


def analyse(samples):
    """(seconds, frequency, dBFS) of the sound from its first to last loud sample,
    the frequency from interpolated positive-going zero crossings."""
    loud = [i for i, v in enumerate(samples) if abs(v) > SOUND_LEVEL]
    if not loud:
        return 0.0, 0.0, -999.0
    s = samples[loud[0]:loud[-1] + 1]
    rms = math.sqrt(sum(v * v for v in s) / len(s)) / 32768
    crossings, armed = [], False
    for i in range(1, len(s)):
        if s[i] < -SOUND_LEVEL:
            armed = True
        elif armed and s[i - 1] < 0 <= s[i]:
            crossings.append(i - 1 + -s[i - 1] / (s[i] - s[i - 1]))
            armed = False
    periods = [b - a for a, b in zip(crossings, crossings[1:])]
    freq = 0.0
    if len(periods) >= 2:
        median = statistics.median(periods)
        near = [p for p in periods if abs(p - median) <= 0.2 * median]
        freq = RATE * len(near) / sum(near)
    return len(s) / RATE, freq, 20 * math.log10(rms)


def parse_audio(line):
    if not line.startswith("audio "):
        raise AssertionError(f"not an audio line: {line}")
    return dict(kv.split("=", 1) for kv in line.split()[1:])


def now_us():
    return time.monotonic_ns() // 1000


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


class Reader(threading.Thread):
    """Collects what a file descriptor delivers until stopped, counting the
    loud samples of the left channel as they come."""

    def __init__(self, fd):
        super().__init__(daemon=True)
        self.fd = fd
        self.data = bytearray()
        self.counted = 0  # bytes of data whose samples are in self.loud
        self.loud = 0
        self.ended = False
        self.cond = threading.Condition()
        self.stop = threading.Event()

    def run(self):
        try:
            while not self.stop.is_set():
                r, _, _ = select.select([self.fd], [], [], 0.05)
                if not r:
                    continue
                try:
                    chunk = os.read(self.fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    break
                with self.cond:
                    self.data += chunk
                    end = len(self.data) // 4 * 4
                    new = left_channel(bytes(self.data[self.counted:end]))
                    self.loud += sum(1 for v in new if abs(v) > SOUND_LEVEL)
                    self.counted = end
                    self.cond.notify_all()
        finally:
            with self.cond:
                self.ended = True
                self.cond.notify_all()

    def wait_loud(self, samples, timeout=15.0):
        with self.cond:
            self.cond.wait_for(lambda: self.loud >= samples or self.ended, timeout)
            if self.loud < samples:
                raise AssertionError(f"only {self.loud} loud samples arrived")

    def finish(self):
        self.stop.set()
        self.join(5)
        with self.cond:
            return left_channel(bytes(self.data))


class AudioTests(SessionTestCase):

    def check_tone(self, stats, freq, seconds, where):
        self.assertEqual(stats["format"], "s16", where)
        self.assertEqual(stats["channels"], "2", where)
        self.assertEqual(stats["rate"], str(RATE), where)
        self.assertAlmostEqual(float(stats["freq_hz"]), freq, delta=freq * FREQ_TOLERANCE,
                               msg=f"{where}: {stats}")
        self.assertAlmostEqual(float(stats["rms_dbfs"]), LEVEL_DBFS, delta=LEVEL_TOLERANCE_DB,
                               msg=f"{where}: {stats}")
        self.assertAlmostEqual(float(stats["sound_s"]), seconds, delta=0.05,
                               msg=f"{where}: {stats}")

    def play_and_measure(self, p, write, freqs, seconds, where):
        """For each frequency: write a tone with write(bytes) -> start time, wait
        until the probe's playback stopped, check it; returns latencies (ms)."""
        latencies = []
        for freq in freqs:
            self.assertEqual(p.command("audio-start"), "ok")
            started = write(tone(freq, seconds))
            self.assertEqual(p.command("audio-wait 10000", 15), "ok", f"{where} {freq} Hz")
            stats = parse_audio(p.command("audio-stats"))
            self.check_tone(stats, freq, seconds, f"{where} {freq} Hz")
            self.assertEqual(stats["starts"], "1", stats)
            latencies.append((int(stats["first_sound_us"]) - started) / 1000)
        return latencies

    def report(self, what, latencies):
        print(f"{what} playback latency, write to arrival at the probe: "
              f"median {statistics.median(latencies):.1f} ms, "
              f"p90 {percentile(latencies, 0.9):.1f} ms, min {min(latencies):.1f} ms, "
              f"max {max(latencies):.1f} ms (n={len(latencies)})", flush=True)

    def test_fifo_playback(self):
        s = self.start([])
        fifo = os.path.join(s.runtime_dir, "spice-wl-playback")
        self.assertTrue(os.path.exists(fifo), s.stderr())
        p = self.connect(s)

        def write(data):
            fd = os.open(fifo, os.O_WRONLY)
            try:
                started = now_us()
                os.write(fd, data)
                return started
            finally:
                os.close(fd)

        latencies = self.play_and_measure(
            p, write, [1000, 440, 2500, 1000, 700, 3000, 523.25, 1500, 880, 1000], 0.3,
            "FIFO")
        self.report("FIFO", latencies)
        self.assertLess(statistics.median(latencies), 100)

        # Silence is not sent, and the FIFO is read in real time: 0.5 s of
        # silence, 1 s of tone and 0.2 s of silence take about 1.7 s to write
        # and arrive as one stream of the tone and the tail (plus at most the
        # 0.5 s of quiet after which the stream stops).
        self.assertEqual(p.command("audio-start"), "ok")
        began = time.monotonic()
        write(tone(1000, 1.0, lead=0.5, tail=0.2))
        took = time.monotonic() - began
        self.assertGreater(took, 1.7 - 0.2, "the FIFO was read faster than real time")
        self.assertEqual(p.command("audio-wait 10000", 15), "ok")
        stats = parse_audio(p.command("audio-stats"))
        self.check_tone(stats, 1000, 1.0, "lead and tail")
        self.assertEqual((stats["starts"], stats["stops"]), ("1", "1"), stats)
        frames = int(stats["frames"])
        self.assertGreaterEqual(frames, RATE * 1.0, stats)
        self.assertLessEqual(frames, RATE * (1.0 + 0.2 + 0.5 + 0.05), stats)

        # A writer that goes away mid-frame does not take the session with
        # it, and once the stream ended (0.2 s without data) the next
        # writer's frames are whole again: its tone arrives intact.
        fd = os.open(fifo, os.O_WRONLY)
        os.write(fd, b"\x01\x02\x03")
        os.close(fd)
        time.sleep(0.5)
        self.assertEqual(p.command("audio-start"), "ok")
        write(tone(440, 0.3))
        self.assertEqual(p.command("audio-wait 10000", 15), "ok")
        stats = parse_audio(p.command("audio-stats"))
        self.check_tone(stats, 440, 0.3, "after a partial frame")
        self.assertEqual(stats["starts"], "1", stats)
        self.assertIsNone(s.proc.poll())

    def test_fifo_record(self):
        s = self.start([])
        fifo = os.path.join(s.runtime_dir, "spice-wl-record")
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        reader = Reader(fd)
        reader.start()
        try:
            p = self.connect(s)
            self.assertEqual(p.command("tone 700 1.5 0.5"),
                             f"ok sent={int(1.5 * RATE)} rate={RATE}")
            reader.wait_loud(int(1.4 * RATE))
        finally:
            samples = reader.finish()
            os.close(fd)
        seconds, freq, dbfs = analyse(samples)
        print(f"FIFO record: {seconds:.3f} s of sound, {freq:.1f} Hz, {dbfs:.1f} dBFS", flush=True)
        self.assertAlmostEqual(freq, 700, delta=700 * FREQ_TOLERANCE)
        self.assertAlmostEqual(dbfs, LEVEL_DBFS, delta=LEVEL_TOLERANCE_DB)
        self.assertGreater(seconds, 1.4)

    def test_volume_sync_without_sound_server(self):
        """Without a sound server the client's volume stays its own: spice-wl
        logs it and tells no client a volume of its own."""
        s = self.start([])
        s.wait_stderr("no sound server in the session")
        a = AgentClient("127.0.0.1", s.port)
        try:
            a.volume_sync(True, False, [32768, 32768])
            s.wait_stderr("client playback volume 50% (applied by the client)")
        finally:
            a.close()
        p = self.connect(s)
        self.assertEqual(p.command("volume"), "volume playback -1 0 record -1 0")
        self.assertNotIn("set on", s.stderr())

    def test_no_audio(self):
        s = self.start(["--no-audio"])
        self.assertFalse(os.path.exists(os.path.join(s.runtime_dir, "spice-wl-playback")))
        self.assertFalse(os.path.exists(os.path.join(s.runtime_dir, "spice-wl-record")))
        r = s.probe("audio", "--seconds", "0.2")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no playback channel", r.stderr)
        r = s.probe("tone", "440", "0.2")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no record channel", r.stderr)


class FifoSafetyTests(SessionTestCase):
    """The FIFOs carry the microphone and what the client plays: spice-wl uses
    none that another user made or can open, in a runtime directory the test
    prepares (tests run as root, who passes every permission check, so
    ownership is what is compared)."""

    NOBODY = 65534

    def runtime(self):
        d = tempfile.mkdtemp(prefix="swl-fifo-")
        os.chmod(d, 0o700)
        self.addCleanup(shutil.rmtree, d, ignore_errors=True)
        return d

    def start_in(self, runtime):
        s = self.start([], ["sh", "-c", "echo paths $SPICE_WL_PLAYBACK $SPICE_WL_RECORD; "
                            "exec sleep 60"], env={"XDG_RUNTIME_DIR": runtime})
        return s, s.expect("paths ").split()[1:]

    def assert_private_fifo(self, path):
        st = os.lstat(path)
        self.assertTrue(stat.S_ISFIFO(st.st_mode), path)
        self.assertEqual(st.st_uid, os.geteuid(), path)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, path)
        return st

    @unittest.skipUnless(os.geteuid() == 0, "needs root to make another user's files")
    def test_names_with_foreign_files_are_skipped(self):
        runtime = self.runtime()
        # Another user's FIFO at the first name, another user's lock at the
        # second, a symlink as the lock of the third (O_CREAT would follow it).
        foreign = os.path.join(runtime, "spice-wl-playback")
        os.mkfifo(foreign, 0o600)
        os.chown(foreign, self.NOBODY, self.NOBODY)
        lock = os.path.join(runtime, "spice-wl-1-audio.lock")
        open(lock, "w").close()
        os.chown(lock, self.NOBODY, self.NOBODY)
        target = os.path.join(runtime, "created-through-a-symlink")
        os.symlink(target, os.path.join(runtime, "spice-wl-2-audio.lock"))

        s, paths = self.start_in(runtime)
        self.assertEqual(paths, [os.path.join(runtime, "spice-wl-3-playback"),
                                 os.path.join(runtime, "spice-wl-3-record")], s.stderr())
        for path in paths:
            self.assert_private_fifo(path)
        log = s.stderr()
        self.assertIn(f"audio: {foreign} belongs to uid {self.NOBODY}, not to us; "
                      "trying the next name", log)
        self.assertIn(f"audio: {lock} is not a file of ours; trying the next name", log)
        self.assertFalse(os.path.lexists(target))
        self.assertEqual(os.lstat(foreign).st_uid, self.NOBODY)

        # The FIFOs chosen work.
        self.tone_reaches(s, paths[1], 0.5)

    def tone_reaches(self, s, record_fifo, seconds):
        """A client's tone of that many seconds arrives in record_fifo."""
        fd = os.open(record_fifo, os.O_RDONLY | os.O_NONBLOCK)
        reader = Reader(fd)
        reader.start()
        try:
            p = self.connect(s)
            self.assertEqual(p.command(f"tone 700 {seconds} 0.5"),
                             f"ok sent={int(seconds * RATE)} rate={RATE}")
            reader.wait_loud(int((seconds - 0.1) * RATE))
        finally:
            reader.finish()
            os.close(fd)

    def test_leftover_fifos_are_replaced(self):
        runtime = self.runtime()
        # Our own names, but open to everyone, and held open by a listener
        # from before the session started.
        record = os.path.join(runtime, "spice-wl-record")
        playback = os.path.join(runtime, "spice-wl-playback")
        for path in (record, playback):
            os.mkfifo(path)
            os.chmod(path, 0o666)
        old = os.stat(record)
        eavesdropper_fd = os.open(record, os.O_RDWR | os.O_NONBLOCK)
        eavesdropper = Reader(eavesdropper_fd)
        eavesdropper.start()

        s, paths = self.start_in(runtime)
        self.assertEqual(paths, [playback, record])
        new = self.assert_private_fifo(record)
        self.assert_private_fifo(playback)
        self.assertNotEqual((new.st_dev, new.st_ino), (old.st_dev, old.st_ino))

        try:
            self.tone_reaches(s, record, 1.0)
        finally:
            eavesdropper.finish()
            os.close(eavesdropper_fd)
        self.assertEqual(eavesdropper.loud, 0, "the old FIFO still carried the microphone")


@unittest.skipUnless(HAVE_PULSE or os.environ.get("CI"), "pulseaudio and pactl not installed")
class PulseAudioTests(SessionTestCase):
    """spice-wl attaches to a real PulseAudio server, started by the test."""

    def setUp(self):
        super().setUp()
        self.pulse_dir = tempfile.mkdtemp(prefix="swl-pulse-")
        os.chmod(self.pulse_dir, 0o700)
        self.server = "unix:" + os.path.join(self.pulse_dir, "native")
        env = dict(os.environ, HOME=self.pulse_dir, XDG_RUNTIME_DIR=self.pulse_dir,
                   XDG_CONFIG_HOME=self.pulse_dir)
        env.pop("PULSE_SERVER", None)
        self.pulse_log = open(os.path.join(self.pulse_dir, "pulseaudio.log"), "w+b")
        # As root PulseAudio wants --system; these flags run a private server.
        self.pulse = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
             "--disable-shm", "--log-target=stderr", "-L",
             f"module-native-protocol-unix auth-anonymous=1 socket={self.server[5:]}",
             "-L", "module-null-sink"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.pulse_log, start_new_session=True)
        self.env = dict(os.environ, PULSE_SERVER=self.server, HOME=self.pulse_dir)
        deadline = time.monotonic() + 20
        while self.pactl("info").returncode != 0:
            if self.pulse.poll() is not None or time.monotonic() > deadline:
                self.pulse_log.seek(0)
                raise AssertionError("PulseAudio did not start:\n" +
                                     self.pulse_log.read().decode("utf-8", "replace"))
            time.sleep(0.05)

    def tearDown(self):
        super().tearDown()
        self.pulse.terminate()
        try:
            self.pulse.wait(10)
        except subprocess.TimeoutExpired:
            self.pulse.kill()
            self.pulse.wait()
        self.pulse_log.close()
        shutil.rmtree(self.pulse_dir, ignore_errors=True)

    def pactl(self, *args):
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True,
                              timeout=20)

    def modules(self):
        return self.pactl("list", "short", "modules").stdout

    def wait_pactl(self, args, want, timeout=10.0):
        """Asks the sound server until its answer to args contains want."""
        deadline = time.monotonic() + timeout
        out = ""
        while time.monotonic() < deadline:
            out = self.pactl(*args).stdout
            if want in out:
                return out
        self.fail(f"pactl {' '.join(args)}: {want!r} not in {out!r}")

    def test_volume_sync(self):
        """The sound server applies the volume once: the client's volume and
        mute go to the sink and source, every client is told full volume and
        the session's mute, and the session's mute goes to the client."""
        s = self.start([], env={"PULSE_SERVER": self.server})
        s.wait_stderr("sound server attached: sink spice-wl, source spice-wl-mic")
        p = self.connect(s)
        self.assertEqual(p.command("wait-volume playback 0 65535 10000"), "ok")
        self.assertEqual(p.command("wait-volume record 0 65535 10000"), "ok")
        self.pactl("set-sink-mute", "spice-wl", "1")
        self.assertEqual(p.command("wait-volume playback 1 65535 10000"), "ok")
        self.pactl("set-sink-mute", "spice-wl", "0")
        self.assertEqual(p.command("wait-volume playback 0 65535 10000"), "ok")
        self.pactl("set-source-mute", "spice-wl-mic", "1")
        self.assertEqual(p.command("wait-volume record 1 65535 10000"), "ok")
        # The session's volume is applied by the sound server alone.
        self.pactl("set-sink-volume", "spice-wl", "40%")
        self.wait_pactl(["get-sink-volume", "spice-wl"], "/  40% /")
        self.assertEqual(p.command("volume"), "volume playback 65535 0 record 65535 1")
        p.close()

        # A client reports its volume and mute, as spice-gtk does on connecting.
        a = AgentClient("127.0.0.1", s.port)
        try:
            a.volume_sync(True, True, [32768, 32768])  # half, linear
            a.volume_sync(False, False, [65535, 65535])
            # 0.5 linear is 79 % on PulseAudio's cubic scale.
            self.wait_pactl(["get-sink-volume", "spice-wl"], "/  79% /")
            self.wait_pactl(["get-sink-mute", "spice-wl"], "Mute: yes")
            self.wait_pactl(["get-source-volume", "spice-wl-mic"], "/ 100% /")
            self.wait_pactl(["get-source-mute", "spice-wl-mic"], "Mute: no")
        finally:
            a.close()
        # The next client is told full volume and the session's mute.
        p = self.connect(s)
        self.assertEqual(p.command("wait-volume playback 1 65535 10000"), "ok")
        self.assertEqual(p.command("wait-volume record 0 65535 10000"), "ok")

    def test_attach_play_record_detach(self):
        s = self.start([], env={"PULSE_SERVER": self.server})
        s.wait_stderr("sound server attached: sink spice-wl, source spice-wl-mic")
        info = self.pactl("info").stdout
        self.assertIn("Default Sink: spice-wl\n", info)
        self.assertIn("Default Source: spice-wl-mic\n", info)
        p = self.connect(s)

        # An application plays to the default sink.
        def write(data):
            started = now_us()
            r = subprocess.run(["pacat", "--raw", "--format=s16le", f"--rate={RATE}",
                                "--channels=2", "--latency-msec=20"], input=data, env=self.env,
                               capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            return started

        latencies = self.play_and_measure(p, write, [1000, 440, 2500, 700, 1500], 0.5,
                                          "PulseAudio")
        AudioTests.report(self, "PulseAudio (a new pacat each time, start-up included)",
                          latencies)

        # An application that keeps its stream open: between tones PulseAudio
        # writes silence into the FIFO, which is not sent; each tone starts
        # the SPICE stream and 0.5 s of silence after it stops it.
        player = subprocess.Popen(["pacat", "--raw", "--format=s16le", f"--rate={RATE}",
                                   "--channels=2", "--latency-msec=20"], env=self.env,
                                  stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            def write_open(data):
                started = now_us()
                player.stdin.write(data)
                player.stdin.flush()
                return started

            latencies = self.play_and_measure(p, write_open, [880, 1000, 3000, 440, 1200], 0.3,
                                              "PulseAudio stream")
        finally:
            player.stdin.close()
            player.wait(10)
        AudioTests.report(self, "PulseAudio (pacat stream open, --latency-msec=20)", latencies)

        # An application records from the default source; one reading
        # SPICE_WL_RECORD gets the microphone all the same.
        rec = subprocess.Popen(["parec", "--raw", "--format=s16le", f"--rate={RATE}",
                                "--channels=2", "--latency-msec=20"], env=self.env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        reader = Reader(rec.stdout.fileno())
        reader.start()
        fifo_fd = os.open(os.path.join(s.runtime_dir, "spice-wl-record"),
                          os.O_RDONLY | os.O_NONBLOCK)
        fifo_reader = Reader(fifo_fd)
        fifo_reader.start()
        try:
            self.assertEqual(p.command("tone 600 1.5 0.5"),
                             f"ok sent={int(1.5 * RATE)} rate={RATE}")
            reader.wait_loud(int(1.4 * RATE))
            fifo_reader.wait_loud(int(1.4 * RATE))
        finally:
            rec.terminate()
            samples = reader.finish()
            rec.wait(10)
            rec.stdout.close()
            fifo_samples = fifo_reader.finish()
            os.close(fifo_fd)
        for where, got in (("PulseAudio", samples), ("FIFO beside PulseAudio", fifo_samples)):
            seconds, freq, dbfs = analyse(got)
            print(f"{where} record: {seconds:.3f} s of sound, {freq:.1f} Hz, {dbfs:.1f} dBFS",
                  flush=True)
            self.assertAlmostEqual(freq, 600, delta=600 * FREQ_TOLERANCE, msg=where)
            self.assertAlmostEqual(dbfs, LEVEL_DBFS, delta=LEVEL_TOLERANCE_DB, msg=where)

        # At exit the sink and source go, and with them the defaults.
        self.assertIn("module-pipe-sink", self.modules())
        s.close()
        modules = self.modules()
        self.assertNotIn("module-pipe-sink", modules)
        self.assertNotIn("module-pipe-source", modules)
        self.assertNotIn("Default Sink: spice-wl\n", self.pactl("info").stdout)

    def check_tone(self, stats, freq, seconds, where):
        AudioTests.check_tone(self, stats, freq, seconds, where)

    def play_and_measure(self, *args):
        return AudioTests.play_and_measure(self, *args)


class HeldOutputTests(SessionTestCase):
    """A pactl that leaves a process holding its output open (as one that
    autospawns a sound server does) holds up neither the attach, which goes
    on when pactl exits, nor spice-wl's exit with COMMAND's status."""

    def setUp(self):
        super().setUp()
        self.bin_dir = tempfile.mkdtemp(prefix="swl-pactl-")
        self.calls = os.path.join(self.bin_dir, "calls")
        script = os.path.join(self.bin_dir, "pactl")
        with open(script, "w") as f:
            f.write("#!/bin/sh\n"
                    f"echo \"$*\" >> '{self.calls}'\n"
                    "sleep 60 &\n"
                    'if [ "$1" = load-module ]; then sleep "${PACTL_DELAY:-0}"; echo 42; fi\n')
        os.chmod(script, 0o755)
        # The sleeps are in spice-wl's process group, killed when it closes.
        self.env = {"PATH": self.bin_dir + os.pathsep + os.environ["PATH"],
                    "PULSE_SERVER": "unix:" + os.path.join(self.bin_dir, "none")}

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.bin_dir, ignore_errors=True)

    def pactl_calls(self):
        with open(self.calls) as f:
            return [line.split()[0:2] for line in f]

    def test_attach_then_exit(self):
        s = self.start([], command=["sh", "-c", "sleep 3; exit 3"], env=self.env)
        s.wait_stderr("sound server attached: sink spice-wl, source spice-wl-mic", timeout=10)
        self.assertEqual(s.wait_exit(15), 3, s.stderr())
        self.assertEqual(self.pactl_calls()[-2:], [["unload-module", "42"]] * 2)

    def test_exit_during_a_step(self):
        # COMMAND exits while the first pactl still runs: spice-wl waits for
        # it and unloads the sink it loaded.
        s = self.start([], command=["sh", "-c", "exit 3"], env=dict(self.env, PACTL_DELAY="1"))
        self.assertEqual(s.wait_exit(15), 3, s.stderr())
        calls = self.pactl_calls()
        self.assertEqual(calls[0], ["load-module", "module-pipe-sink"])
        self.assertEqual(calls[-1], ["unload-module", "42"])


if __name__ == "__main__":
    unittest.main(verbosity=2)

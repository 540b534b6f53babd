"""End-to-end: file transfer from the client into the session. spice-wl-probe
sends files with spice-gtk's own file copy (as remote-viewer does when a file
is dropped on it); they must land intact, under a unique and safe name, in the
session user's download directory, and nowhere else; what is refused, cancelled
or cut short leaves nothing behind."""

import hashlib
import os
import shutil
import stat
import tempfile
import unittest

from harness import SessionTestCase

MB = 1000 * 1000


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class FileTransferTests(SessionTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="swl-files-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.home = os.path.join(self.tmp, "home")
        self.config = os.path.join(self.tmp, "config")
        os.makedirs(self.home)
        os.makedirs(self.config)
        self.src = os.path.join(self.tmp, "src")
        os.makedirs(self.src)
        self.downloads = os.path.join(self.home, "Downloads")

    def start_files(self, args=()):
        return self.start(list(args), env={"HOME": self.home, "XDG_CONFIG_HOME": self.config})

    def make_file(self, name, size):
        path = os.path.join(self.src, name)
        with open(path, "wb") as f:
            f.write(os.urandom(size))
        return path

    def listing(self, directory=None):
        directory = directory or self.downloads
        return sorted(os.listdir(directory)) if os.path.isdir(directory) else []

    def test_file_arrives_intact_and_second_gets_new_name(self):
        src = self.make_file("report.bin", 5 * MB)
        s = self.start_files()
        p = self.connect(s)
        self.assertEqual(p.command(f"send-file {src} 60000", timeout=70), "ok")
        self.assertEqual(self.listing(), ["report.bin"])
        self.assertEqual(sha256(os.path.join(self.downloads, "report.bin")), sha256(src))
        # created for the user alone; the file is the user's
        self.assertEqual(stat.S_IMODE(os.stat(self.downloads).st_mode), 0o700)
        # the same name again: a new name, the first file untouched
        os.makedirs(os.path.join(self.src, "again"))
        second = self.make_file(os.path.join("again", "report.bin"), 1000)
        self.assertEqual(p.command(f"send-file {second} 60000", timeout=70), "ok")
        self.assertEqual(self.listing(), ["report (1).bin", "report.bin"])
        self.assertEqual(sha256(os.path.join(self.downloads, "report.bin")), sha256(src))
        self.assertEqual(sha256(os.path.join(self.downloads, "report (1).bin")), sha256(second))
        s.wait_stderr(f"as {self.downloads}/report (1).bin")

    def test_xdg_download_dir(self):
        with open(os.path.join(self.config, "user-dirs.dirs"), "w") as f:
            f.write('# written by xdg-user-dirs-update\nXDG_DESKTOP_DIR="$HOME/Desktop"\n'
                    'XDG_DOWNLOAD_DIR="$HOME/Incoming"\n')
        src = self.make_file("a.txt", 1234)
        s = self.start_files()
        r = s.probe("send-file", src)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.listing(os.path.join(self.home, "Incoming")), ["a.txt"])
        self.assertEqual(self.listing(), [])

    def test_untrusted_names_stay_inside(self):
        # spice-gtk sends a file's base name, so a real client cannot send a
        # '/' (the unit tests cover that); a Windows-style path and control
        # characters it can.
        traversal = self.make_file("..\\..\\etc\\x", 100)
        control = self.make_file("bad\x01name\x1b.txt", 200)
        s = self.start_files()
        for src in (traversal, control):
            r = s.probe("send-file", src)
            self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
        self.assertEqual(self.listing(), ["bad_name_.txt", "x"])
        self.assertEqual(sha256(os.path.join(self.downloads, "x")), sha256(traversal))
        self.assertFalse(os.path.exists(os.path.join(self.home, "etc")))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "etc")))

    def test_larger_than_free_space_refused(self):
        # A sparse file larger than the free space of the disk the download
        # directory is on: the agent refuses it from its size, before any data.
        os.makedirs(self.downloads)
        vfs = os.statvfs(self.downloads)
        huge = os.path.join(self.src, "huge.img")
        with open(huge, "wb") as f:
            f.truncate(vfs.f_bavail * vfs.f_frsize + 1024 * MB)
        s = self.start_files()
        p = self.connect(s)
        reply = p.command(f"send-file {huge} 30000", timeout=40)
        self.assertTrue(reply.startswith("fail"), reply)
        # spice-gtk words the detailed error itself: the client was told why
        self.assertIn("free space", reply.lower())
        s.wait_stderr("does not fit")
        self.assertEqual(self.listing(), [])
        # a file that fits still goes
        small = self.make_file("small.bin", 1000)
        self.assertEqual(p.command(f"send-file {small} 30000", timeout=40), "ok")
        self.assertEqual(self.listing(), ["small.bin"])

    def test_cancelled_transfer_leaves_nothing(self):
        src = self.make_file("cancel.bin", 5 * MB)
        s = self.start_files()
        p = self.connect(s)
        reply = p.command(f"send-file {src} 60000 --cancel-after {MB}", timeout=70)
        self.assertTrue(reply.startswith("fail"), reply)
        s.wait_stderr("the client cancelled 'cancel.bin'")
        self.assertEqual(self.listing(), [])

    def test_client_killed_midway_leaves_nothing(self):
        src = self.make_file("killed.bin", 5 * MB)
        s = self.start_files()
        r = s.probe("send-file", src, "--exit-after", str(MB))
        self.assertEqual(r.returncode, 1, r.stderr)
        s.wait_stderr("'killed.bin' ends unfinished")
        self.assertEqual(self.listing(), [])

    def test_no_file_transfer_refuses(self):
        src = self.make_file("nope.bin", 1000)
        s = self.start_files(["--no-file-transfer"])
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        reply = p.command(f"send-file {src} 20000", timeout=30)
        self.assertTrue(reply.startswith("fail"), reply)
        self.assertFalse(os.path.exists(self.downloads))
        self.assertNotIn("receiving", s.stderr())


if __name__ == "__main__":
    unittest.main(verbosity=2)

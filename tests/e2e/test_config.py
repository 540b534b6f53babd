"""End-to-end: config files as a user meets them — the system and user
files, the command line winning over both, --config replacing them, an error
naming the file and line — and the man page and example config listing every
option of --help."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import SPICE_WL, TEST_CLIENT, SessionTestCase

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data")


class ConfigTests(SessionTestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="swl-config-")
        self.etc = os.path.join(self.dir, "etc")
        self.home = os.path.join(self.dir, "config")
        for d in (self.etc, self.home):
            os.makedirs(os.path.join(d, "spice-wl"))
        # never the config files of the machine or the user running the tests
        self.env = {"SPICE_WL_SYSCONFDIR": self.etc, "XDG_CONFIG_HOME": self.home}

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, path, text):
        with open(path, "w") as f:
            f.write(text)
        return path

    def system_file(self, text):
        return self.write(os.path.join(self.etc, "spice-wl", "spice-wl.conf"), text)

    def user_file(self, text):
        return self.write(os.path.join(self.home, "spice-wl", "spice-wl.conf"), text)

    def start_from_config(self, args=()):
        # password="" keeps the harness from adding --disable-ticketing: it must
        # come from the config file, or spice-wl refuses to start. The probe's
        # empty password is ignored by a server without ticketing.
        return self.start(list(args), [TEST_CLIENT], env=self.env, password="")

    def run_spice_wl(self, args):
        env = dict(os.environ)
        env.pop("SPICE_WL_PASSWORD", None)
        env.update(self.env)
        runtime = os.path.join(self.dir, "runtime")
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = runtime
        return subprocess.run([SPICE_WL] + list(args), capture_output=True, text=True,
                              env=env, timeout=20, stdin=subprocess.DEVNULL)

    def test_system_file_sets_size_and_ticketing(self):
        self.system_file("# written by the test\n\nsize = 640x480\ndisable-ticketing = true\n")
        s = self.start_from_config()
        p = self.connect(s)
        self.assertEqual((p.width, p.height), (640, 480))

    def test_command_line_wins(self):
        self.system_file("size = 640x480\ndisable-ticketing = true\n")
        self.user_file("size = 1024x768\n")
        s = self.start_from_config(["--size", "800x600"])
        p = self.connect(s)
        self.assertEqual((p.width, p.height), (800, 600))

    def test_user_file_over_system_file_and_config_replacing_both(self):
        self.system_file("size = 640x480\ndisable-ticketing = true\n")
        self.user_file("size = 1024x768\n")
        s = self.start_from_config()
        p = self.connect(s)
        self.assertEqual((p.width, p.height), (1024, 768))

        other = self.write(os.path.join(self.dir, "other.conf"),
                           "size = 720x400\ndisable-ticketing = yes\n")
        self.system_file("frob = 1\n")  # not read with --config
        s = self.start_from_config(["--config", other])
        p = self.connect(s)
        self.assertEqual((p.width, p.height), (720, 400))

    def test_bad_key_exits_2_naming_file_and_line(self):
        path = self.user_file("# comment\n\nfrob = 1\n")
        r = self.run_spice_wl(["--disable-ticketing", "--", "true"])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, f"spice-wl: {path}:3: unknown option 'frob'\n")
        self.assertEqual(r.stdout, "")

        path = self.system_file("size = 640x480\nport = 70000\n")
        os.unlink(os.path.join(self.home, "spice-wl", "spice-wl.conf"))
        r = self.run_spice_wl(["--disable-ticketing", "--port", "5999", "--", "true"])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, f"spice-wl: {path}:2: invalid value '70000' for port: "
                                   "expected an integer in 1..65535\n")

        missing = os.path.join(self.dir, "missing.conf")
        r = self.run_spice_wl(["--config", missing, "--disable-ticketing", "--", "true"])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, f"spice-wl: cannot read config file '{missing}': "
                                   "No such file or directory\n")

    def test_docs_list_every_option(self):
        r = self.run_spice_wl(["--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        options = re.findall(r"^  (?:-\w, )?--([a-z0-9-]+)", r.stdout, re.M)
        self.assertGreater(len(options), 20)
        with open(os.path.join(DATA, "spice-wl.1")) as f:
            man = f.read()
        with open(os.path.join(DATA, "spice-wl.conf.example")) as f:
            example = f.read()
        for name in options:
            with self.subTest(option=name):
                # roff spells every dash \-
                roff = "\\-\\-" + name.replace("-", "\\-")
                self.assertTrue(roff in man, f"{roff} missing from data/spice-wl.1")
                if name not in ("help", "version", "config"):
                    self.assertTrue(re.search(rf"(?m)^# ?{re.escape(name)} =", example),
                                    f"{name} missing from data/spice-wl.conf.example")


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""End-to-end: TLS with certificates made by the test, --tls-only closing the
plain port, TLS counting as protection for remote listening, and SASL with a
sasldb user."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

import harness
from harness import (PATTERNS, SPICE_WL, TEST_CLIENT, ProbeSession, SessionTestCase,
                     free_port, quadrant_points)


def make_certs(directory):
    """A CA and a server certificate for 127.0.0.1, as qemu names the files."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True,
                       cwd=directory, timeout=60)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=spice-wl test CA", "-keyout", "ca-key.pem", "-out", "cacert.pem")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server-key.pem", "-out", "server.csr")
    with open(os.path.join(directory, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "cacert.pem", "-CAkey", "ca-key.pem",
        "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server-cert.pem")


class SecurityTests(SessionTestCase):

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="swl-certs-")
        make_certs(cls.certs)

    def tls_probe(self, s, tls_port, extra=()):
        p = ProbeSession([harness.PROBE, "--host", "127.0.0.1", "--tls-port", str(tls_port),
                          "--ca-file", os.path.join(self.certs, "cacert.pem")] + list(extra),
                         s.probe_env())
        self._swl_open.append(p)
        return p

    def test_tls_session(self):
        tls_port = free_port()
        s = self.start(["--tls-port", str(tls_port), "--x509-dir", self.certs,
                        "--size", "320x240"], [TEST_CLIENT], password="tlspw",
                       env={"SPICE_WL_PASSWORD": "tlspw"})
        s.expect("ready 320 240")
        self.assertIn(f"tls-port={tls_port}", s.uri)
        p = self.tls_probe(s, tls_port)
        p.assert_pixels(self, zip(quadrant_points(0, 0, 320, 240), PATTERNS[0]))

    def s_client(self, tls_port, cipher):
        return subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{tls_port}", "-tls1_2",
             "-cipher", cipher, "-CAfile", os.path.join(self.certs, "cacert.pem")],
            input=b"", capture_output=True, timeout=30)

    def test_tls_default_ciphers_forward_secret(self):
        tls_port = free_port()
        self.start(["--tls-port", str(tls_port), "--x509-dir", self.certs, "--size", "320x240"],
                   [TEST_CLIENT], password="tlspw", env={"SPICE_WL_PASSWORD": "tlspw"})
        plain_rsa = self.s_client(tls_port, "AES128-SHA:AES256-SHA256")
        self.assertNotEqual(plain_rsa.returncode, 0, "RSA key exchange was accepted")
        ecdhe = self.s_client(tls_port, "ECDHE-RSA-AES128-GCM-SHA256")
        self.assertEqual(ecdhe.returncode, 0, ecdhe.stdout.decode() + ecdhe.stderr.decode())
        self.assertIn(b"ECDHE-RSA-AES128-GCM-SHA256", ecdhe.stdout)

    def test_tls_ciphers_option_overrides(self):
        tls_port = free_port()
        self.start(["--tls-port", str(tls_port), "--x509-dir", self.certs, "--size", "320x240",
                    "--tls-ciphers", "AES128-SHA"],
                   [TEST_CLIENT], password="tlspw", env={"SPICE_WL_PASSWORD": "tlspw"})
        self.assertEqual(self.s_client(tls_port, "AES128-SHA").returncode, 0)

    def test_tls_only_closes_plain_port(self):
        tls_port = free_port()
        s = self.start(["--tls-port", str(tls_port), "--x509-dir", self.certs, "--tls-only",
                        "--size", "320x240"], [TEST_CLIENT], password="tlspw",
                       env={"SPICE_WL_PASSWORD": "tlspw"})
        s.expect("ready 320 240")
        p = self.tls_probe(s, tls_port)
        p.assert_pixels(self, zip(quadrant_points(0, 0, 320, 240), PATTERNS[0]))
        with socket.socket() as sock:
            sock.settimeout(5)
            self.assertNotEqual(sock.connect_ex(("127.0.0.1", s.port)), 0,
                                "the plain port still accepts connections")

    def test_wrong_ca_refused(self):
        other = tempfile.mkdtemp(prefix="swl-other-ca-")
        make_certs(other)
        tls_port = free_port()
        s = self.start(["--tls-port", str(tls_port), "--x509-dir", self.certs, "--tls-only"],
                       [TEST_CLIENT], password="tlspw",
                       env={"SPICE_WL_PASSWORD": "tlspw"})
        r = subprocess.run([harness.PROBE, "--host", "127.0.0.1", "--tls-port", str(tls_port),
                            "--ca-file", os.path.join(other, "cacert.pem"), "--timeout", "10",
                            "screenshot", "--out", os.path.join(other, "x.ppm")],
                           capture_output=True, text=True, timeout=30, env=s.probe_env())
        self.assertNotEqual(r.returncode, 0, r.stdout)

    def test_socket_activation(self):
        # systemd-socket-activate listens first and starts spice-wl on the
        # first connection, handing over the listening socket (LISTEN_FDS).
        port = free_port()
        runtime = tempfile.mkdtemp(prefix="swl-activate-")
        os.chmod(runtime, 0o700)
        env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
        activator = subprocess.Popen(
                ["systemd-socket-activate", "-l", f"127.0.0.1:{port}", "-E", "XDG_RUNTIME_DIR",
                 SPICE_WL, "--disable-ticketing", "--size", "320x240", "--",
                 harness.TEST_CLIENT, "--pattern", "5"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                start_new_session=True)
        try:
            line = activator.stderr.readline().decode()
            self.assertIn(f"Listening on 127.0.0.1:{port}", line)
            p = ProbeSession([harness.PROBE, "--host", "127.0.0.1", "--port", str(port)],
                             dict(os.environ))
            self._swl_open.append(p)
            p.assert_pixels(self, zip(quadrant_points(0, 0, 320, 240), PATTERNS[5]))
        finally:
            os.killpg(activator.pid, 15)
            activator.wait(20)
            activator.stdout.close()
            activator.stderr.close()

    def test_tls_errors_are_startup_errors(self):
        def run(args):
            return subprocess.run([SPICE_WL, "--disable-ticketing"] + args, capture_output=True,
                                  text=True, timeout=20, stdin=subprocess.DEVNULL)
        r = run(["--tls-port", "5999", "--x509-dir", "/nonexistent"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/cacert.pem", r.stderr)
        r = run(["--tls-only"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--tls-port", r.stderr)

    def test_tls_without_password_is_no_remote_login(self):
        # TLS encrypts but does not say who connects: without a password it
        # is unauthenticated remote access like the plain port.
        r = subprocess.run([SPICE_WL, "--disable-ticketing", "--listen", "0.0.0.0", "--help"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0)  # --help wins over the checks
        for extra in ([], ["--tls-only"]):
            r = subprocess.run([SPICE_WL, "--disable-ticketing", "--listen", "0.0.0.0",
                                "--tls-port", "5999", "--x509-dir", "/nonexistent"] + extra,
                               capture_output=True, text=True, timeout=20,
                               stdin=subprocess.DEVNULL)
            self.assertEqual(r.returncode, 2)
            self.assertIn("insecure-no-auth", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_sasl_sasldb_user(self):
        # A SASL configuration of the test's own: Cyrus SASL reads
        # $SASL_CONF_PATH/spice-wl.conf instead of /etc/sasl2/spice-wl.conf.
        # DIGEST-MD5, as spice-server wants a security layer on a plain port.
        sasl_dir = tempfile.mkdtemp(prefix="swl-sasl-")
        self.addCleanup(shutil.rmtree, sasl_dir, ignore_errors=True)
        db = os.path.join(sasl_dir, "sasldb")
        with open(os.path.join(sasl_dir, "spice-wl.conf"), "w") as f:
            f.write(f"mech_list: digest-md5\nsasldb_path: {db}\n")
        saslpasswd2 = shutil.which("saslpasswd2") or "/usr/sbin/saslpasswd2"
        subprocess.run([saslpasswd2, "-p", "-c", "-f", db, "-a", "spice-wl", "user"],
                       input="sasl-secret", text=True, check=True, capture_output=True,
                       timeout=30)

        # password="" keeps the harness from adding --disable-ticketing
        s = self.start(["--sasl", "--size", "320x240"], [TEST_CLIENT], password="",
                       env={"SASL_CONF_PATH": sasl_dir})
        s.expect("ready 320 240")

        def probe_env(password):
            return dict(s.probe_env(), SPICE_WL_PASSWORD=password)

        p = ProbeSession(s.probe_args() + ["--username", "user"], probe_env("sasl-secret"))
        self._swl_open.append(p)
        p.assert_pixels(self, zip(quadrant_points(0, 0, 320, 240), PATTERNS[0]))

        for user, password in (("user", "wrong"), ("nobody", "sasl-secret")):
            with self.subTest(user=user, password=password):
                r = subprocess.run(s.probe_args() + ["--username", user, "--timeout", "10",
                                                     "expect", "80,60=ff0000"],
                                   capture_output=True, text=True, timeout=30,
                                   env=probe_env(password))
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("authentication failed", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])

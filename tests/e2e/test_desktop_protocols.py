"""End-to-end: the desktop protocols (issue 17 items 2 and 3). wayland-info in
the session lists every protocol spice-wl offers; the output's physical size
(the client monitor's, else 96 dpi) and --scale reach wl_output; a
layer-shell panel stays above windows and takes its zone from them; the
clipboard works through data-control (wl-paste --watch)."""

import os
import re
import subprocess
import sys
import unittest

from harness import PATTERNS, TEST_CLIENT, LineReader, SessionTestCase

LAYER_CLIENT = os.environ.get("SWL_LAYER_CLIENT", "swl-layer-client")
X11_CLIENT = os.environ.get("SWL_X11_CLIENT", "swl-x11-client")
# The focused server-side title bar's colour (compositor/decoration.c).
FOCUSED_BAR = "285577"

# Item 2 of issue 17: the globals apps and desktop tools look for.
PROTOCOLS = [
    "zxdg_output_manager_v1", "wp_viewporter", "wp_presentation",
    "zxdg_decoration_manager_v1", "org_kde_kwin_server_decoration_manager",
    "xdg_activation_v1", "zwlr_layer_shell_v1", "zwlr_foreign_toplevel_manager_v1",
    "zwlr_data_control_manager_v1", "zwp_primary_selection_device_manager_v1",
    "zwp_idle_inhibit_manager_v1", "org_kde_kwin_idle",
    "zwp_pointer_constraints_v1", "zwp_relative_pointer_manager_v1",
    "zwp_text_input_manager_v3", "zwp_input_method_manager_v2",
    "zwp_virtual_keyboard_manager_v1", "zwlr_virtual_pointer_manager_v1",
    "zwlr_screencopy_manager_v1",
]


class DesktopProtocolTests(SessionTestCase):

    def client_env(self, s):
        env = dict(os.environ, XDG_RUNTIME_DIR=s.runtime_dir, WAYLAND_DISPLAY="wayland-0")
        env.pop("DISPLAY", None)
        return env

    def wayland_info(self, s):
        out = subprocess.run(["wayland-info"], env=self.client_env(s), capture_output=True,
                             text=True, timeout=20, check=True).stdout
        return out

    def outputs(self, info):
        """(physical_width, physical_height, scale) of each wl_output."""
        found = []
        for block in info.split("interface: 'wl_output'")[1:]:
            m = re.search(r"scale: (\d+).*?physical_width: (\d+) mm, physical_height: (\d+) mm",
                          block, re.S)
            self.assertIsNotNone(m, block[:400])
            found.append((int(m[2]), int(m[3]), int(m[1])))
        return found

    def test_wayland_info_lists_protocols(self):
        s = self.start(["--desktop", "--size", "1280x800"])
        info = self.wayland_info(s)
        interfaces = set(re.findall(r"interface: '([a-z_0-9]+)'", info))
        missing = [p for p in PROTOCOLS if p not in interfaces]
        self.assertEqual(missing, [], f"wayland-info lists:\n{sorted(interfaces)}")
        # No client monitor size yet: 96 dpi, so toolkits do not see 0x0 mm.
        self.assertEqual(self.outputs(info), [(339, 212, 1)])
        # wlroots' "make model (name)" form: waybar takes the name from it.
        self.assertIn("description: 'spice-wl QXL (SPICE-1)'", info)

    def test_scale_and_client_physical_size(self):
        s = self.start(["--desktop", "--size", "1280x800", "--scale", "2"])
        info = self.wayland_info(s)
        self.assertEqual(self.outputs(info), [(339, 212, 2)])
        # xdg-output gives the logical size: half the pixels at scale 2.
        self.assertIn("logical_width: 640, logical_height: 400", info)
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        self.assertEqual(p.command("display-mm 0 520 320"), "ok")
        self.assertEqual(p.command("resize 1600 1000 10000"), "ok 1600 1000")
        # A client already bound hears of the new size too.
        watcher = subprocess.Popen(["wayland-info"], env=self.client_env(s), text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out, _ = watcher.communicate(timeout=20)
        self.assertEqual(self.outputs(out), [(520, 320, 2)])
        # A later size without millimetres: back to 96 dpi of the new mode.
        self.assertEqual(p.command("display-mm 0 0 0"), "ok")
        self.assertEqual(p.command("resize 960 600 10000"), "ok 960 600")
        self.assertEqual(self.outputs(self.wayland_info(s)), [(254, 159, 2)])

    def start_test_client(self, s, args, ready):
        """swl-test-client with args, once it printed the ready line."""
        client = subprocess.Popen([TEST_CLIENT] + args, env=self.client_env(s),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        self.addCleanup(client.wait, 10)
        self.addCleanup(client.kill)
        LineReader(client.stdout, "swl-test-client").wait_for(lambda l: l == ready)
        return client

    def layer_client(self, s, *args):
        proc = subprocess.Popen([LAYER_CLIENT] + list(args), env=self.client_env(s),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        self.addCleanup(proc.wait, 10)
        self.addCleanup(proc.kill)
        return proc, LineReader(proc.stdout, "swl-layer-client")

    def test_panel_stays_on_top(self):
        # Kiosk: the window fills the screen; the panel must still show.
        s = self.start(["--size", "800x600"], [TEST_CLIENT])
        s.expect("ready 800 600")
        p = self.connect(s)
        # Top-left quadrant of the window's pattern.
        p.assert_pixels(self, [((200, 150), PATTERNS[0][0])])
        panel, out = self.layer_client(s, "top", "top", "30", "ff00ff", "30", "none")
        self.assertEqual(out.readline(), "configure 800 30")
        self.assertEqual(p.wait_pixel(200, 10, "ff00ff"), "ok")
        # A click on the window focuses and raises it: the panel stays above.
        self.assertEqual(p.command("move 200 300"), "ok")
        self.assertEqual(p.command("click"), "ok")
        s.expect("pointer button")
        self.assertEqual(p.wait_pixel(200, 10, "ff00ff"), "ok")
        self.assertEqual(p.wait_pixel(200, 29, "ff00ff"), "ok")
        # Right under the panel the window shows (pixels of the same frame).
        self.assertEqual(p.command("pixel 200 31"), PATTERNS[0][0])

    def test_panel_zone_and_bottom_layer(self):
        s = self.start(["--desktop", "--size", "800x600"])
        p = self.connect(s)
        # A bottom-layer bar is below windows, a top bar above them.
        top, top_out = self.layer_client(s, "top", "top", "40", "00ff00", "40", "none")
        self.assertEqual(top_out.readline(), "configure 800 40")
        bottom, bottom_out = self.layer_client(s, "bottom", "bottom", "50", "0000ff", "50",
                                               "none")
        self.assertEqual(bottom_out.readline(), "configure 800 50")
        # A second top bar stacks under the first: the first's zone is taken.
        second, second_out = self.layer_client(s, "top", "top", "20", "ffff00", "20", "none")
        self.assertEqual(second_out.readline(), "configure 800 20")
        p.assert_pixels(self, [((400, 20), "00ff00"), ((400, 50), "ffff00"),
                               ((400, 580), "0000ff")])
        # A launcher takes the keyboard exclusively when it maps.
        launcher, launcher_out = self.layer_client(s, "overlay", "none", "100", "ff0000", "0",
                                                   "exclusive")
        self.assertEqual(launcher_out.readline(), "configure 100 100")
        launcher_out.wait_for(lambda l: l == "keyboard enter")
        p.assert_pixels(self, [((400, 300), "ff0000")])
        # Its closing gives the space back; the others stay.
        launcher.kill()
        launcher.wait(10)
        top.kill()
        top.wait(10)
        # The second bar moves up to the edge (same size: no configure).
        p.assert_pixels(self, [((400, 10), "ffff00"), ((400, 580), "0000ff")])

    def test_maximized_window_leaves_the_panel_visible(self):
        # A maximized window fills the screen less the panel's exclusive zone.
        s = self.start(["--desktop", "--size", "800x600"])
        p = self.connect(s)
        panel, out = self.layer_client(s, "top", "top", "40", "ff00ff", "40", "none")
        self.assertEqual(out.readline(), "configure 800 40")
        self.start_test_client(s, ["--maximized"], "ready 800 560")
        # The client's pattern quadrants, drawn below the panel.
        self.assertEqual(p.wait_pixel(200, 45, PATTERNS[0][0]), "ok")
        self.assertEqual(p.wait_pixel(600, 590, PATTERNS[0][3]), "ok")
        self.assertEqual(p.command("pixel 200 20"), "ff00ff")

    def test_tall_windows_fit_below_the_panel(self):
        # A window too tall for the screen is asked to fit the area the panel
        # leaves, and its top (a client's header bar, a server-side title bar)
        # goes right below the panel, not under it.
        s = self.start(["--desktop", "--size", "800x600"],
                       ["sh", "-c", "echo display=$DISPLAY; exec cat"])
        display = s.expect("display=").split("=", 1)[1]
        p = self.connect(s)
        panel, out = self.layer_client(s, "top", "top", "40", "ff00ff", "40", "none")
        self.assertEqual(out.readline(), "configure 800 40")
        self.start_test_client(s, ["--size", "300x1000"], "ready 300 560")
        self.assertEqual(p.wait_pixel(250 + 75, 40 + 3, PATTERNS[0][0]), "ok")
        self.assertEqual(p.command("pixel 325 38"), "ff00ff")
        # An X11 window: its frame's title bar shows below the panel.
        xclient = subprocess.Popen(
            [X11_CLIENT, "--size", "200x1000", "--position", "20,300"],
            env=dict(self.client_env(s), DISPLAY=display), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.addCleanup(xclient.wait, 10)
        self.addCleanup(xclient.kill)
        LineReader(xclient.stdout, "swl-x11-client").wait_for(lambda l: l.startswith("ready"))
        # The bar's top rows (above the title text), then the window below it.
        self.assertEqual(p.wait_pixel(20 + 120, 40 + 2, FOCUSED_BAR), "ok")
        self.assertEqual(p.wait_pixel(20 + 50, 40 + 26 + 3, PATTERNS[0][0]), "ok")

    def test_clipboard_with_data_control(self):
        s = self.start(["--desktop"])
        env = self.client_env(s)
        # wl-paste --watch runs its command on every selection change, through
        # data-control (it needs no focused surface).
        watch = subprocess.Popen(["wl-paste", "--watch", "sh", "-c", "cat; echo"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(watch.wait, 10)
        self.addCleanup(watch.kill)
        lines = LineReader(watch.stdout, "wl-paste --watch")
        for text in ("first", "second"):
            subprocess.run(["wl-copy", text], env=env, check=True, timeout=20)
            lines.wait_for(lambda l, text=text: l == text)
            paste = subprocess.run(["wl-paste", "--no-newline"], env=env, capture_output=True,
                                   text=True, timeout=20, check=True)
            self.assertEqual(paste.stdout, text)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"] + sys.argv[1:])

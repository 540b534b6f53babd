#!/usr/bin/python3
"""A GTK3 application for the benchmark's GTK workloads (bench/run.py):
the same widgets on every target, driven the same way.

  bench/gtkbench.py text                      a 800x600 window with a text view
                                              that has the keyboard focus
  bench/gtkbench.py list TRIGGER SECONDS      a 800x600 window with a list of
                                              5000 rows (three columns); once
                                              the file TRIGGER exists it scrolls
                                              down 12 px 30 times a second, on a
                                              fixed clock, for SECONDS

Prints "ready" once the window has drawn its first frame. It runs under
Wayland or X11, whichever GDK picks (WAYLAND_DISPLAY first).
"""

import hashlib
import os
import sys
import time

# bench/typing.py would shadow the standard library's typing, which GTK's
# bindings import.
sys.path.pop(0)
import gi  # noqa: E402

gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk  # noqa: E402

STEP_PX = 12
RATE = 30


def ready_once(widget, _cr, state):
    if not state["done"]:
        state["done"] = True
        print("ready", flush=True)
    return False


def text_window(win):
    view = Gtk.TextView()
    view.set_wrap_mode(Gtk.WrapMode.WORD_CHAR)
    view.get_buffer().set_text("Type here: ")
    scroller = Gtk.ScrolledWindow()
    scroller.add(view)
    win.add(scroller)
    win.connect("map", lambda *_: view.grab_focus())


def list_window(win, trigger, seconds):
    store = Gtk.ListStore(int, str, str)
    for i in range(5000):
        h = hashlib.sha1(str(i).encode()).hexdigest()
        store.append([i, f"item {i:05d}", h[:24]])
    view = Gtk.TreeView(model=store)
    for n, title in enumerate(("#", "name", "hash")):
        view.append_column(Gtk.TreeViewColumn(title, Gtk.CellRendererText(), text=n))
    scroller = Gtk.ScrolledWindow()
    scroller.add(view)
    win.add(scroller)
    adj = scroller.get_vadjustment()
    state = {"start": None, "n": 0}

    def tick():
        if state["start"] is None:
            if not os.path.exists(trigger):
                return True
            state["start"] = time.monotonic()
        elapsed = time.monotonic() - state["start"]
        if elapsed > seconds:
            return False
        due = int(elapsed * RATE) + 1
        if due > state["n"]:
            state["n"] = due
            adj.set_value(min(adj.get_upper() - adj.get_page_size(), due * STEP_PX))
        return True
    GLib.timeout_add(1000 // (RATE * 2), tick)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("text", "list"):
        sys.exit(__doc__)
    win = Gtk.Window(title=f"bench-gtk-{sys.argv[1]}")
    win.set_default_size(800, 600)
    win.connect("destroy", Gtk.main_quit)
    if sys.argv[1] == "text":
        text_window(win)
    else:
        list_window(win, sys.argv[2], float(sys.argv[3]))
    win.connect_after("draw", ready_once, {"done": False})
    win.show_all()
    Gtk.main()


if __name__ == "__main__":
    main()

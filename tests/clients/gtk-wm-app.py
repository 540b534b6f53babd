"""A GTK3 app for the window-management e2e tests (run with the system
python3 that has python3-gi). Each window is one solid colour under a
GtkHeaderBar (client-side title bar, as gtk3-demo's windows); stdin takes
commands, stdout reports sizes, button presses and pointer leave events.

  window NAME RRGGBB W H [PARENT [modal]]   a new toplevel (a dialog of PARENT)
  maximize NAME | unmaximize NAME | iconify NAME | close NAME
  present NAME     gtk_window_present (on Wayland: an xdg-activation request)
"""

import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk  # noqa: E402

windows = {}


def say(line):
    print(line, flush=True)


def make_window(name, color, width, height, parent=None, modal=False):
    win = Gtk.Window(title=name)
    header = Gtk.HeaderBar(title=name, show_close_button=True)
    win.set_titlebar(header)
    # A box painted by CSS: no cairo bindings needed.
    area = Gtk.Box()
    area.set_name(f"area-{name}")
    css = Gtk.CssProvider()
    css.load_from_data(f"#area-{name} {{ background-color: #{color}; }}".encode())
    area.get_style_context().add_provider(css, Gtk.STYLE_PROVIDER_PRIORITY_APPLICATION)

    def allocated(widget, alloc):
        say(f"size {name} {alloc.width} {alloc.height} {header.get_allocated_height()}")

    area.connect("size-allocate", allocated)
    win.add(area)
    win.set_default_size(width, height)
    if parent is not None:
        win.set_transient_for(windows[parent])
        win.set_modal(modal)
    win.connect("button-press-event", lambda w, e: say(f"press {name}") or False)
    win.connect("leave-notify-event", lambda w, e: say(f"leave {name}") or False)
    win.connect("window-state-event", lambda w, e: say(
        f"state {name} {int(e.new_window_state)}") or False)
    win.connect("delete-event", lambda w, e: say(f"closed {name}") or False)
    win.show_all()
    windows[name] = win


def on_stdin(channel, condition):
    line = channel.readline()
    if not line:
        Gtk.main_quit()
        return False
    words = line.split()
    if not words:
        return True
    cmd, args = words[0], words[1:]
    if cmd == "window":
        make_window(args[0], args[1], int(args[2]), int(args[3]),
                    args[4] if len(args) > 4 else None, len(args) > 5 and args[5] == "modal")
    elif cmd == "maximize":
        windows[args[0]].maximize()
    elif cmd == "unmaximize":
        windows[args[0]].unmaximize()
    elif cmd == "present":
        windows[args[0]].present()
    elif cmd == "iconify":
        windows[args[0]].iconify()
    elif cmd == "close":
        windows.pop(args[0]).destroy()
    say(f"done {cmd}")
    return True


def main():
    channel = GLib.IOChannel.unix_new(sys.stdin.fileno())
    GLib.io_add_watch(channel, GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP,
                      on_stdin)
    say("ready")
    Gtk.main()


if __name__ == "__main__":
    main()

"""Record the first minute on the simulated host as an asciicast (docs/demo.cast).

    python scripts/democast.py [--out FILE] [--size 100x30]

A shell runs in a private tmux server (its own socket, so no other tmux session
is touched and none of their environment leaks in), on a fresh simulated host in
a temporary directory (the default host of a new user: ``XDG_CACHE_HOME`` points
there). A fixed script is typed into it: ``jailtui list``, then the console
(``jailtui``, the production entry point): select a jail, its detail, the
processes, stop and start, the action log, the help, quit. After each step, once
the pane has stopped changing, it is captured with its colours (``tmux
capture-pane -e -p``) and written as one frame of an asciicast v2 file
(https://docs.asciinema.org/manual/asciicast/v2/), so any asciicast player shows
it. Frames carry the script's own times (not the wall clock), so the file only
changes when what is shown does. Needs tmux (Debian package ``tmux``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (seconds the previous frame is shown, what to type, text to wait for, caption).
#: What to type is a tuple of tmux keys, or a str typed literally and then Enter.
#: The first minute of a new user: look at the jails, open the console, look around,
#: open a jail, see its processes, stop and start it, read the log and the keys, quit.
Step = tuple[float, "tuple[str, ...] | str", str, str]
SCRIPT: tuple[Step, ...] = (
    (0.0, (), "$", "a shell"),
    (1.5, "jailtui list", "PATH", "the jails of the (simulated) host"),
    (4.0, "jailtui", "All keys", "the console"),
    (4.0, ("Down",), "", "select the next jail"),
    (2.0, ("Enter",), "", "its detail: parameters, restrictions, rctl, daemons"),
    (5.0, ("Escape",), "", "back"),
    (1.5, ("a",), "", "the jail's processes"),
    (4.0, ("a",), "", "back to every jail"),
    (2.0, ("d",), "Cancel", "stop asks first, naming the jail and its jid"),
    (3.0, ("y",), "", "stopped (it may linger dying: its own row)"),
    (4.0, ("u",), "", "start it again"),
    (4.0, ("L",), "", "the action log"),
    (3.0, ("Escape", "?"), "", "every key"),
    (5.0, ("Escape",), "", ""),
    (1.5, ("q",), "$", "quit"),
)


class Pane:
    """A shell in a private tmux server."""

    def __init__(self, socket: Path, width: int, height: int, env: dict[str, str]) -> None:
        self.socket = socket
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", "cast", "-x", str(width),
                   "-y", str(height), "-c", str(ROOT),
                   "env", "-i", *(f"{k}={v}" for k, v in env.items()), "sh", "-i")

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", str(self.socket), *args], capture_output=True,
                              text=True, check=True, timeout=30).stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        self._tmux("send-keys", "-t", "cast", *(("-l",) if literal else ()), *keys)

    def text(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "cast")

    def frame(self) -> str:
        """The pane as one asciicast output event: home, clear, the coloured lines."""
        pane = self._tmux("capture-pane", "-e", "-p", "-t", "cast")
        return "\x1b[H\x1b[2J" + "\r\n".join(pane.rstrip("\n").split("\n"))

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text():
            if time.monotonic() > deadline:
                raise SystemExit(f"democast: {text!r} did not appear within {timeout:.0f} s:\n"
                                 + self.text())
            time.sleep(0.1)

    def settle(self, quiet: float = 0.8, timeout: float = 10.0) -> None:
        """Wait until the pane has not changed for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        last, since = self.text(), time.monotonic()
        while time.monotonic() - since < quiet and time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.text()
            if now != last:
                last, since = now, time.monotonic()

    def close(self) -> None:
        subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], capture_output=True,
                       timeout=30)


def record(out: Path, width: int, height: int) -> None:
    if shutil.which("tmux") is None:
        raise SystemExit("democast: needs tmux (Debian package tmux)")
    with tempfile.TemporaryDirectory(prefix="jailtui-cast-") as tmp:
        home = Path(tmp)
        cache = home / ".cache"
        subprocess.run([sys.executable, "-m", "jailtui", "sim", "init",
                        str(cache / "jailtui" / "sim")],
                       check=True, capture_output=True, timeout=120, cwd=ROOT)
        bindir = Path(sys.executable).parent
        env = {"TERM": "xterm-256color", "HOME": str(home), "LANG": "C.UTF-8",
               "XDG_CACHE_HOME": str(cache), "XDG_CONFIG_HOME": str(home / ".config"),
               "JAILTUI_SYSTEM_CONFIG": str(home / "etc" / "config.toml"),
               "PATH": f"{bindir}:/usr/bin:/bin", "PS1": "$ ", "COLUMNS": str(width)}
        pane = Pane(home / "tmux.sock", width, height, env)
        events: list[tuple[float, str, str]] = []
        try:
            t = 0.0
            for pause, typed, marker, _caption in SCRIPT:
                t += pause
                if isinstance(typed, str):
                    pane.keys(typed, literal=True)
                    pane.keys("Enter")
                else:
                    for key in typed:
                        pane.keys(key)
                        pane.settle(quiet=0.3)
                if marker:
                    pane.wait_for(marker)
                pane.settle()
                events.append((round(t, 2), "o", pane.frame()))
        finally:
            pane.close()
    header = {"version": 2, "width": width, "height": height,
              "title": "jailtui: the first minute on a simulated FreeBSD host",
              "env": {"TERM": "xterm-256color", "SHELL": "/bin/sh"}}
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(header) + "\n")
        for event in events:
            fh.write(json.dumps(list(event)) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "demo.cast")
    ap.add_argument("--size", default="100x30", help="COLSxROWS (default 100x30)")
    args = ap.parse_args()
    cols, rows = (int(v) for v in args.size.split("x"))
    record(args.out, cols, rows)
    print(f"wrote {args.out} ({os.path.getsize(args.out) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

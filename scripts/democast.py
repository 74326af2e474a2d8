"""Record the first minute on the simulated host as an asciicast (screenshots/first-minute.cast).

    python scripts/democast.py [--out FILE] [--size 100x30]

The console runs for real in tmux (the production entry point, ``python -m jailtui --sim
DIR``), a fixed script of keys is typed into it, and after each step the pane is captured
with its colours (``tmux capture-pane -e -p``) and written as one frame of an asciicast v2
file (https://docs.asciinema.org/manual/asciicast/v2/), so any asciicast player shows it.
Frames carry the script's own times (not the wall clock), so the file only changes when
the console does. Needs tmux (Debian package ``tmux``).
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

#: (seconds shown before the keys, keys for tmux send-keys, caption). The first minute of a
#: new user: look around, open a jail, see its processes host-wide, stop and start it.
SCRIPT: tuple[tuple[float, tuple[str, ...], str], ...] = (
    (0.0, (), "the console on a simulated host"),
    (3.0, ("Down",), "select the next jail"),
    (2.0, ("Enter",), "its detail: parameters, restrictions, rctl, daemons"),
    (4.0, ("Escape",), "back"),
    (1.5, ("Tab", "a"), "every process of the host, jailed ones marked J"),
    (4.0, ("a", "Tab"), "back to the jails"),
    (2.0, ("d",), "stop asks first, naming the jail and its jid"),
    (3.0, ("Tab", "Enter"), "stopped (it may linger dying: its own row)"),
    (4.0, ("u",), "start it again"),
    (4.0, ("L",), "the action log"),
    (3.0, ("Escape", "question"), "every key"),
    (4.0, ("Escape",), ""),
)


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True,
                          timeout=30).stdout


def _wait_for(session: str, text: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in _tmux("capture-pane", "-p", "-t", session):
            return
        time.sleep(0.2)
    raise SystemExit(f"democast: {text!r} did not appear within {timeout:.0f} s")


def _frame(session: str) -> str:
    pane = _tmux("capture-pane", "-e", "-p", "-t", session)
    lines = pane.rstrip("\n").split("\n")
    return "\x1b[H\x1b[2J" + "\r\n".join(lines)


def record(out: Path, width: int, height: int) -> None:
    if shutil.which("tmux") is None:
        raise SystemExit("democast: needs tmux (Debian package tmux)")
    with tempfile.TemporaryDirectory(prefix="jailtui-cast-") as tmp:
        sim = Path(tmp) / "host"
        subprocess.run([sys.executable, "-m", "jailtui", "sim", "init", str(sim)],
                       check=True, capture_output=True, timeout=120, cwd=ROOT)
        session = f"jailtui-cast-{os.getpid()}"
        env = {"TERM": "xterm-256color", "COLORTERM": "", "HOME": tmp, "LANG": "C.UTF-8"}
        command = " ".join([
            "env", *(f"{k}={v}" for k, v in env.items()),
            sys.executable, "-m", "jailtui", "--sim", str(sim), "--interval", "1"])
        _tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height),
              "-c", str(ROOT), command)
        try:
            _wait_for(session, "SIMULATED")
            time.sleep(2.5)  # two polls, so the panes show data and CPU figures
            events: list[tuple[float, str, str]] = []
            t = 0.0
            for pause, keys, _caption in SCRIPT:
                t += pause
                for key in keys:
                    _tmux("send-keys", "-t", session, key)
                    time.sleep(0.3)
                time.sleep(1.5)
                events.append((round(t, 2), "o", _frame(session)))
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True,
                           timeout=30)
    header = {"version": 2, "width": width, "height": height,
              "title": "jailtui: the first minute on a simulated FreeBSD host",
              "env": {"TERM": "xterm-256color"}}
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(header) + "\n")
        for event in events:
            fh.write(json.dumps(list(event)) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "screenshots" / "first-minute.cast")
    ap.add_argument("--size", default="100x30", help="COLSxROWS (default 100x30)")
    args = ap.parse_args()
    cols, rows = (int(v) for v in args.size.split("x"))
    record(args.out, cols, rows)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every figure of issue 18's table, as ratios measured side by side in one run.

    python benchmarks/figures.py                # 3 repetitions, 30 s CPU windows
    python benchmarks/figures.py --reps 5
    python benchmarks/figures.py --quick        # 1 repetition, 10 s windows (a look, not a figure)
    python benchmarks/figures.py --only list,tick
    python benchmarks/figures.py --only list --before /tmp/old   # list: old tree vs this one

Needs tmux and htop (the CPU row's yardstick). Hosts of 10 jails / 200
processes, 200 / 5,000 and 1,000 / 50,000 are built once with the simulator
and their jls/ps bytes recorded (benchmarks/recorded.py); executables on PATH
``cat`` them and the production path runs: ``jailtui --host local --root ...``.

The rows (ratios: this machine is shared, its absolute times do not hold):

list     ``jailtui --host local list --json``, the process's own CPU seconds
         (RUSAGE_SELF, benchmarks/selfcpu.py), over a Python process that only
         ``json.loads`` the same jls and ps bytes.
cpu      the console's own CPU (psutil: user + system of that process, not its
         children) at ``--interval 1`` over a window of ``--seconds``, after
         ``--warmup``, in a tmux pane; over ``htop -d 10`` (1 s) in another pane
         at the same time, with 5,000 processes on this machine (sleepers
         started for it). The shims alternate between two recorded samples
         every second, so the console sees data that moves.
rss      the same console's VmHWM (peak RSS) at the end of that run (warmup +
         window: 40 s by default).
start    launch (tmux new-session) to the first frame showing data (the status
         bar's "N/M jails up" and no "loading..." left), over the same for
         benchmarks/bare_app.py (one Static); one launch at a time.
tick     one tick's render (benchmarks/tick.py: the tables' render_line time,
         headless) at each size over the one at 200 processes: in each round
         every size's least of three ticks, the median of the rounds' ratios.

Every figure is the median of ``--reps`` repetitions; the sizes of one
repetition run interleaved (list, start, tick) or at the same time (cpu, rss), so
the load of the machine falls on both sides of a ratio. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import recorded  # noqa: E402
from bare_app import TEXT as BARE_TEXT  # noqa: E402

SIZES = ((10, 200), (200, 5_000), (1_000, 50_000))
#: The row each goal is read at (the issue's table).
GOALS = {"list": (50_000, 2.0), "cpu": (5_000, 0.5), "rss": (50_000, 150.0),
         "start": (200, 1.3), "tick": (50_000, 1.5)}
PY = str(Path(sys.executable))
COLS, ROWS = 120, 40


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=20,
                          check=False).stdout


def keep_tmux_server() -> None:
    """One session held open for this run: a tmux server exits with its last
    session (``exit-empty``, tmux(1)), and a ``new-session`` racing that exit
    makes no pane ("never ready"); tests/tmux_pane.py ``keep_server`` does the
    same for the tests. It ends itself when this process is gone."""
    name = f"perf-keep-{os.getpid()}"
    tmux("new-session", "-d", "-s", name,
         f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done")
    atexit.register(tmux, "kill-session", "-t", name)


class Pane:
    """One program in its own detached tmux session (a real terminal)."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], tag: str) -> None:
        self.session = f"perf-{tag}-{uuid.uuid4().hex[:6]}"
        envargs = [f"{k}={v}" for k, v in sorted(env.items())]
        cmd = " ".join(shlex.quote(a) for a in
                       ["env", "-i", "TERM=xterm-256color", f"COLUMNS={COLS}",
                        f"LINES={ROWS}", *envargs, *argv])
        self.started = time.monotonic()
        # Not exec'd: if the program dies, its exit status stays on the screen.
        tmux("new-session", "-d", "-s", self.session, "-x", str(COLS), "-y", str(ROWS),
             f"cd {shlex.quote(str(ROOT))} && {cmd}; echo exit status $?; sleep 60")
        self._pid: int | None = None

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.session)

    def wait(self, ready: Callable[[str], bool], timeout: float = 120.0) -> float:
        """Seconds from launch until ``ready(screen)``."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if ready(self.screen()):
                return time.monotonic() - self.started
            time.sleep(0.01)
        raise SystemExit(f"{self.session}: never ready; screen:\n{self.screen()}")

    def pid(self, marker: str) -> int:
        """The pane's process that runs ``marker``: htop itself, or the python
        running jailtui (not the pane's shell, whose ``-c`` line names both)."""
        if self._pid is not None:
            return self._pid
        end = time.monotonic() + 30
        while time.monotonic() < end:
            pane = tmux("display-message", "-p", "-t", self.session, "#{pane_pid}").strip()
            if pane.isdigit():
                try:
                    top = psutil.Process(int(pane))
                    for proc in [top, *top.children(recursive=True)]:
                        argv = proc.cmdline()
                        prog = Path(argv[0]).name if argv else ""
                        if prog == marker or (prog.startswith("python")
                                              and any(marker in a for a in argv[1:4])):
                            self._pid = proc.pid
                            return proc.pid
                except psutil.Error:
                    pass
            time.sleep(0.05)
        raise SystemExit(f"{self.session}: no {marker} process")

    def close(self) -> None:
        tmux("kill-session", "-t", self.session)


def console_argv(rec: recorded.Recorded, interval: float, tree: Path = ROOT) -> list[str]:
    """The console of source tree ``tree`` (this one by default) on ``rec``'s host.

    Through jailtui_from.py, not the installed ``jailtui``: that one runs
    ``python -I``, so neither a worktree's code nor ``--against``'s tree (once
    given as PYTHONPATH, which -I ignores) would have been what ran."""
    return [PY, "-I", str(HERE / "jailtui_from.py"), str(tree), "--host", "local",
            "--root", str(rec.root), "--interval", str(interval)]


def shows_data(screen: str) -> bool:
    return "jails up" in screen and "loading…" not in screen


# --- list ---------------------------------------------------------------------------


def self_cpu(argv: Sequence[str], env: dict[str, str], out: Path) -> tuple[float, int]:
    subprocess.run([PY, "-I", str(HERE / "selfcpu.py"), str(out), *argv], env=env,
                   stdout=subprocess.DEVNULL, check=True, timeout=600)
    user, system, maxrss = out.read_text().split()
    return float(user) + float(system), int(maxrss)


def measure_lists(recs: Sequence[recorded.Recorded], home: Path, reps: int,
                  srcs: Sequence[Path]) -> list[dict[int, dict[str, float]]]:
    """The list row of each source tree in ``srcs``, interleaved: every
    repetition runs each tree and the yardstick one after another on each
    host, so the machine's load falls on all of them alike."""
    runs: list[dict[int, list[tuple[float, float]]]] = [
        {r.processes: [] for r in recs} for _ in srcs]
    for _ in range(reps):
        for rec in recs:
            env = rec.env(home, sample=0)
            out = home / "rusage"
            for i, src in enumerate(srcs):
                ours, _ = self_cpu(["jailtui-from", str(src), "--host", "local", "--root",
                                    str(rec.root), "list", "--json"], env, out)
                base, _ = self_cpu(["json", str(rec.sample("jls")), str(rec.sample("ps"))],
                                   env, out)
                runs[i][rec.processes].append((ours, base))
    return [{n: {"ours": statistics.median(o for o, _ in v),
                 "base": statistics.median(b for _, b in v),
                 "ratio": statistics.median(o / b for o, b in v)} for n, v in run.items()}
            for run in runs]


# --- cpu and rss -----------------------------------------------------------------------


class Sleepers:
    """``count`` idle processes on this machine, for htop to show (ours: we end them)."""

    def __init__(self, count: int) -> None:
        self.procs = [subprocess.Popen(["sleep", "3600"], stdin=subprocess.DEVNULL)
                      for _ in range(count)]

    def close(self) -> None:
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()


def cpu_seconds(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return psutil.Process(pid).memory_info().rss // 1024


def measure_console(recs: Sequence[recorded.Recorded], home: Path, reps: int,
                    warmup: float, seconds: float, against: Path | None = None
                    ) -> dict[str, dict[int, float]]:
    """The cpu and rss rows; with ``against`` (another checkout), its console
    too, beside ours in every repetition: keys ``-n`` are its sizes."""
    sizes = [r.processes for r in recs] + ([-r.processes for r in recs] if against else [])
    cpu: dict[int, list[float]] = {n: [] for n in sizes}
    rss: dict[int, list[float]] = {n: [] for n in sizes}
    htop: list[float] = []
    have_htop = shutil.which("htop") is not None
    for rep in range(reps):
        print(f"  console rep {rep + 1}/{reps}: {warmup + seconds:.0f} s", file=sys.stderr)
        sleepers = Sleepers(max(0, 5_000 - len(psutil.pids()))) if have_htop else None
        panes: list[tuple[int, Pane]] = []
        try:
            for rec in recs:
                panes.append((rec.processes, Pane(console_argv(rec, 1.0), rec.env(home),
                                                  f"c{rec.processes}")))
                if against is not None:
                    panes.append((-rec.processes, Pane(
                        console_argv(rec, 1.0, against), rec.env(home), f"a{rec.processes}")))
            if have_htop:
                panes.append((0, Pane(["htop", "-d", "10"], {"PATH": "/usr/bin:/bin",
                                                              "HOME": str(home)}, "htop")))
            pids = {n: pane.pid("htop" if n == 0 else "jailtui") for n, pane in panes}
            time.sleep(max(0.0, warmup - (time.monotonic() - panes[0][1].started)))
            t0 = {n: cpu_seconds(pid) for n, pid in pids.items()}
            w0 = time.monotonic()
            time.sleep(seconds)
            wall = time.monotonic() - w0
            for n, pid in pids.items():
                used = (cpu_seconds(pid) - t0[n]) / wall * 30.0  # CPU s per 30 s
                if n == 0:
                    htop.append(used)
                else:
                    cpu[n].append(used)
                    rss[n].append(vm_hwm_kib(pid) / 1024)
            # Each repetition's VmHWM, not only the median: its spread between
            # runs (about 12 MiB at 50,000) is as large as many changes.
            print("    VmHWM (MiB): " + ", ".join(
                f"{'against ' if n < 0 else ''}{abs(n)} {rss[n][-1]:.0f}" for n in sizes),
                file=sys.stderr)
        finally:
            for _, pane in panes:
                pane.close()
            if sleepers is not None:
                sleepers.close()
    out: dict[str, dict[int, float]] = {
        "cpu": {n: statistics.median(v) for n, v in cpu.items()},
        "rss": {n: statistics.median(v) for n, v in rss.items()},
    }
    if htop:
        out["htop"] = {0: statistics.median(htop)}
    return out


# --- start ---------------------------------------------------------------------------


def measure_start(recs: Sequence[recorded.Recorded], home: Path, reps: int,
                  against: Path | None = None) -> dict[int, dict[str, float]]:
    """The start row; with ``against`` its console is launched beside ours in
    every repetition (negative keys, as in :func:`measure_console`).

    The order of the launches (the bare app, ours, ``against``'s) turns by one
    each repetition: launched always in the same order, the console started
    right after another came out ahead at 200 processes, two identical trees
    differing by 1.83x against 1.71x (benchmarks/README.md, round 9 (start9)).
    """
    sizes = [r.processes for r in recs] + ([-r.processes for r in recs] if against else [])
    ours: dict[int, list[float]] = {n: [] for n in sizes}
    bare: list[float] = []
    bare_argv = [PY, "-I", str(HERE / "bare_app.py")]
    for i in range(reps):
        for rec in recs:
            # (argv, when its first frame is there, where its time goes, pane tag)
            launches: list[tuple[list[str], Callable[[str], bool], list[float], str]] = [
                (bare_argv, lambda s: BARE_TEXT in s, bare, "bare")]
            trees = [(rec.processes, ROOT)] + ([(-rec.processes, against)] if against else [])
            launches += [(console_argv(rec, 2.0, tree), shows_data, ours[key], f"s{key}")
                         for key, tree in trees]
            turn = i % len(launches)
            for argv, ready, times, tag in launches[turn:] + launches[:turn]:
                pane = Pane(argv, rec.env(home), tag)
                try:
                    times.append(pane.wait(ready))
                finally:
                    pane.close()
    b = statistics.median(bare)
    return {n: {"ours": statistics.median(v), "base": b, "ratio": statistics.median(v) / b}
            for n, v in ours.items()}


# --- tick ----------------------------------------------------------------------------


def measure_tick(recs: Sequence[recorded.Recorded], reps: int
                 ) -> tuple[dict[int, dict[str, float]], dict[int, list[float]]]:
    """Each host's tick figures (medians over all rounds), and each round's
    ratio of its least render to the smallest host's.

    ``reps`` rounds, each measuring every host once (three ticks each, after
    tick.py's warm-up ticks, counting only ticks that drew) one after another: a render is 3 to 20 ms, so a load that comes and goes
    while one host is measured alone moved the ratio between 1.0 and 2.0
    from run to run (benchmarks/README.md "Round 7 (lead)"); interleaved,
    the load falls on every host of a round alike.
    """
    import tick

    per: dict[int, list[dict[str, float]]] = {r.processes: [] for r in recs}
    ratios: dict[int, list[float]] = {r.processes: [] for r in recs}
    for _ in range(reps):
        got = {r.processes: asyncio.run(tick.measure(r.simdir, 3)) for r in recs}
        low = got[recs[0].processes]["render min"]
        for n, v in got.items():
            per[n].append(v)
            if low > 0 and v["render min"] > 0:  # 0: every tick of the round idle
                ratios[n].append(v["render min"] / low)
    return ({n: {k: statistics.median(v[k] for v in vs) for k in vs[0]}
             for n, vs in per.items()}, ratios)


# --- report ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=30.0, help="CPU window (default 30)")
    ap.add_argument("--warmup", type=float, default=10.0,
                    help="seconds after launch before the CPU window (default 10)")
    ap.add_argument("--quick", action="store_true", help="1 rep, 10 s window, 5 s warmup")
    ap.add_argument("--only", default="list,cpu,start,tick",
                    help="comma-separated rows: list,cpu (with rss),start,tick")
    ap.add_argument("--keep", type=Path, help="directory to keep the recorded hosts in "
                    "(reused when it holds them)")
    ap.add_argument("--before", type=Path, metavar="DIR",
                    help="list row: also the jailtui package of source tree DIR (say, "
                         "`git archive OLD jailtui | tar -x -C DIR`), interleaved with this one")
    ap.add_argument("--against", type=Path, help="another checkout (e.g. `git archive` of "
                    "the commit before a change): its console runs beside ours in every "
                    "repetition of the cpu, rss and start rows (benchmarks/jailtui_from.py), "
                    "printed below "
                         "ours")
    args = ap.parse_args(argv)
    if args.quick:
        args.reps, args.seconds, args.warmup = 1, 10.0, 5.0
    only = set(args.only.split(","))
    if shutil.which("tmux") is None and only & {"cpu", "start"}:
        print("needs tmux (apt-get install tmux / pkg install tmux)", file=sys.stderr)
        return 2
    if shutil.which("htop") is None and "cpu" in only:
        print("htop not found: the cpu row has no yardstick (apt-get install htop / "
              "pkg install htop)", file=sys.stderr)
    if only & {"cpu", "start"}:
        keep_tmux_server()
    work = args.keep or Path(tempfile.mkdtemp(prefix="jailtui-figures-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    home.mkdir(exist_ok=True)
    print(f"recording hosts in {work} ...", file=sys.stderr)
    recs = [recorded.record(work, j, p) for j, p in SIZES]
    ps = [r.processes for r in recs]
    lines: list[str] = []

    def row(name: str, what: str, vals: dict[int, float], fmt: str) -> None:
        at, goal = GOALS[name]
        main_v = vals[at]
        ok = main_v <= goal
        growth = "  ".join(f"{vals[n] / vals[ps[0]]:5.2f}" for n in ps)
        cells = "  ".join(format(vals[n], fmt) for n in ps)
        lines.append(f"{what:<44} {format(main_v, fmt):>8} {'<=':>3}{goal:>6g}"
                     f" {'ok' if ok else 'NO':>3}   {cells}   growth {growth}")

    if "list" in only:
        print("list --json ...", file=sys.stderr)
        trees = [("", ROOT)] if args.before is None else [
            (" before", args.before.resolve()), (" after", ROOT)]
        for (label, _), lst in zip(trees, measure_lists(recs, home, args.reps,
                                                        [src for _, src in trees]),
                                   strict=True):
            row("list", f"list --json CPU / json.loads (x){label}",
                {n: v["ratio"] for n, v in lst.items()}, ".2f")
            lines.append(f"{'   (CPU s: ours / json.loads)':<44} " + "  ".join(
                f"{lst[n]['ours']:.2f}/{lst[n]['base']:.2f}" for n in ps))
    if "cpu" in only:
        print("console CPU and RSS (tmux) ...", file=sys.stderr)
        con = measure_console(recs, home, args.reps, args.warmup, args.seconds, args.against)
        sides = [("", 1)] + ([(f" [{args.against.name}]", -1)] if args.against else [])
        for tag, sign in sides:
            cpu = {n: con["cpu"][sign * n] for n in ps}
            if "htop" in con:
                h = con["htop"][0]
                row("cpu", "console CPU at 1 s / htop -d 10 (x)" + tag,
                    {n: v / h for n, v in cpu.items()}, ".2f")
                lines.append(f"{'   (CPU s per 30 s; htop ' + format(h, '.2f') + ')':<44} "
                             + "  ".join(f"{cpu[n]:.2f}" for n in ps))
            else:
                lines.append("console CPU s per 30 s (no htop)" + tag + ": "
                             + "  ".join(f"{cpu[n]:.2f}" for n in ps))
        for tag, sign in sides:
            row("rss", f"console VmHWM after {args.warmup + args.seconds:.0f} s (MiB)" + tag,
                {n: con["rss"][sign * n] for n in ps}, ".0f")
    if "start" in only:
        print("first frame (tmux) ...", file=sys.stderr)
        st = measure_start(recs, home, max(args.reps, 3), args.against)
        sides = [("", 1)] + ([(f" [{args.against.name}]", -1)] if args.against else [])
        for tag, sign in sides:
            row("start", "first frame with data / bare Textual (x)" + tag,
                {n: st[sign * n]["ratio"] for n in ps}, ".2f")
            lines.append(f"{'   (s: ours; bare ' + format(st[ps[0]]['base'], '.2f') + ')':<44} "
                         + "  ".join(f"{st[sign * n]['ours']:.2f}" for n in ps))
    if "tick" in only:
        print("tick render (headless) ...", file=sys.stderr)
        tk, rounds = measure_tick(recs, max(args.reps, 3))
        row("tick", "tick render / at 200 processes (x)",
            {n: statistics.median(r or [0.0]) for n, r in rounds.items()}, ".2f")
        lines.append(f"{'   (ratio of each round, least to most)':<44} " + "  ".join(
            f"{min(rounds[n] or [0.0]):.2f}-{max(rounds[n] or [0.0]):.2f}" for n in ps))
        lines.append(f"{'   (ms: parse / diff / render)':<44} " + "  ".join(
            f"{tk[n]['parse'] * 1e3:.0f}/{tk[n]['diff'] * 1e3:.0f}/{tk[n]['render'] * 1e3:.1f}"
            for n in ps))
        # The small host's process pane is not full (fewer lines drawn): the
        # render per line drawn says whether the drawing itself grows.
        per_line = {n: v["render"] / max(v["lines"], 1.0) for n, v in tk.items()}
        lines.append(f"{'   (lines drawn; ms per line)':<44} " + "  ".join(
            f"{tk[n]['lines']:.0f}; {per_line[n] * 1e3:.2f}" for n in ps))
    print()
    print(f"{'figure (median of ' + str(args.reps) + ')':<44} {'value':>8} {'goal':>9} {'':>3}"
          f"   {'   ':>2}" + "  ".join(f"{n:>5}" for n in ps) + "   (processes)")
    for ln in lines:
        print(ln)
    print("growth: each size over the 200-process host (linear in the data or flat)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

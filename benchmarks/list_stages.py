"""Where ``list --json`` spends its CPU at 1,000 jails / 50,000 processes, stage by stage.

    python -I benchmarks/list_stages.py [--keep /tmp/bench] [--reps 7] [--before DIR]

Each run is a fresh process (``python -I``, the tree first on sys.path, as
``selfcpu.py jailtui-from``) that wraps the poll's stages (the runner's batch,
the decodes, ``configured()``, the owners, the merge, the JSON output) and
prints, per stage, its CPU (RUSAGE_SELF: every thread, so a stage that runs in
a worker thread is counted too; the stages run one after another) and its
minor page faults (first touches of fresh memory: about 2.4 us each on the
shared development machine, so a 15 MB buffer costs some 9 ms). The runs of
this tree and of ``--before`` alternate; the table gives each stage's least
over the runs. The recorded host is figures.py's (``--keep``); jls, ps and
sysctl are copies of its shims pinned to sample 0 (the runner passes only its
ENV_ALLOWLIST to them, so JAILTUI_BENCH_SAMPLE would not reach them).
Benchmarks/README.md, Round 9 (list9), shows what it printed. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HOST = "1000-50000"

#: (module, attribute, label) of what is timed; a method is "Class.name". The
#: imports are those of jailtui/__main__.py (the collector held off, then frozen).
_STAGE_TABLE = """
jailtui.cli.main         build_parser        argparse
jailtui.core.hosts.host  run_all             jls, ps, sysctl (the runner)
jailtui.core.hosts.host  psdecode            ps bytes to text
jailtui.core.freebsd.jls parse_jls_verbose   jls parse
jailtui.core.freebsd.ps  parse_ps_totals     ps sums (parse_ps_totals)
jailtui.core.hosts.host  Host.configured     configured() (jail.conf)
jailtui.core.hosts.host  merge_jails         merge_jails
jailtui.core.hosts.host  Host._apply_owners  owners
jailtui.core.hosts.host  Host._physmem_kib   sysctl hw.physmem
jailtui.core.hosts.host  apply_totals        apply_totals
jailtui.cli.views        jail_json           jail_json (1,000 rows)
jailtui.cli.views        indented_json       JSON text
jailtui.cli.views        poll                the whole poll (asyncio.run)
"""
STAGES = [tuple(line.split(None, 2)) for line in _STAGE_TABLE.strip().splitlines()]

CHILD = r"""
import gc, json, os, resource, sys, time
tree, root = sys.argv[1], sys.argv[2]
sys.path.insert(0, tree)
stages = json.loads(sys.argv[3])

def now():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_minflt

out = {}
t0 = now()
gc.disable()
from jailtui.cli.main import main
import jailtui.cli.views
gc.freeze()
gc.enable()
t1 = now()
out["imports"] = [t1[0] - t0[0], t1[1] - t0[1]]
import asyncio, functools  # loaded by the imports above: not counted twice

def wrap(owner, name, label):
    f = getattr(owner, name)
    def add(s):
        e = now()
        v = out.setdefault(label, [0.0, 0])
        v[0] += e[0] - s[0]
        v[1] += e[1] - s[1]
    if asyncio.iscoroutinefunction(f):
        @functools.wraps(f)
        async def aw(*a, **k):
            s = now()
            try:
                return await f(*a, **k)
            finally:
                add(s)
        setattr(owner, name, aw)
    else:
        @functools.wraps(f)
        def w(*a, **k):
            s = now()
            try:
                return f(*a, **k)
            finally:
                add(s)
        setattr(owner, name, w)

for mod, attr, label in stages:
    owner = sys.modules[mod]
    if "." in attr:
        cls, attr = attr.split(".")
        owner = getattr(owner, cls)
    wrap(owner, attr, label)
gcs = [0.0, 0]
def on_gc(phase, info, _s=[0.0]):
    if phase == "start":
        _s[0] = time.thread_time()
    else:
        gcs[0] += time.thread_time() - _s[0]
        gcs[1] += 1
gc.callbacks.append(on_gc)
stdout = sys.stdout
sys.stdout = open(os.devnull, "w")
try:
    code = main(["--host", "local", "--root", root, "list", "--json"])
except SystemExit as exc:
    code = exc.code
sys.stdout.flush()
sys.stdout = stdout
t2 = now()
out["main()"] = [t2[0] - t1[0], t2[1] - t1[1]]
out["cyclic GC in main() (thread time)"] = [gcs[0], gcs[1]]
print(json.dumps(out))
sys.exit(code)
"""


def pinned_shims(rec: Path, into: Path) -> Path:
    """Copies of the recorded host's jls, ps and sysctl that always give sample 0."""
    bindir = into / "bin"
    bindir.mkdir()
    for tool in ("jls", "ps", "sysctl"):
        text = (rec / "bin" / tool).read_text()
        lines = ["s=0" if ln.startswith("s=") else ln for ln in text.splitlines()]
        shim = bindir / tool
        shim.write_text("\n".join(lines) + "\n")
        shim.chmod(0o755)
    return bindir


def one_run(tree: Path, root: Path, bindir: Path, home: Path) -> dict[str, list[float]]:
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(home), "TZ": "UTC",
           "LANG": "C.UTF-8", "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_CACHE_HOME": str(home / "cache")}
    spec = json.dumps(STAGES)
    got = subprocess.run([sys.executable, "-I", "-c", CHILD, str(tree), str(root), spec],
                         env=env, cwd=str(home), capture_output=True, text=True,
                         timeout=300, check=True)
    result: dict[str, list[float]] = json.loads(got.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", default="/tmp/bench", type=Path,
                    help="figures.py's recorded hosts (default /tmp/bench)")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--before", type=Path, help="an older tree, run alternately")
    args = ap.parse_args(argv)
    rec, root = args.keep / f"rec-{HOST}", args.keep / f"sim-{HOST}" / "root"
    if not (rec / "done").exists():
        raise SystemExit(f"list_stages: no recorded host in {rec} (run figures.py --keep first)")
    trees = [ROOT] + ([args.before.resolve()] if args.before else [])
    with tempfile.TemporaryDirectory(prefix="list-stages-") as tmp:
        tmpdir = Path(tmp)
        bindir = pinned_shims(rec, tmpdir)
        home = tmpdir / "home"
        home.mkdir()
        runs: list[list[dict[str, list[float]]]] = [[] for _ in trees]
        for _ in range(args.reps):
            for i, tree in enumerate(trees):
                runs[i].append(one_run(tree, root, bindir, home))
    labels = list(runs[0][0])
    head = "".join(f"{t.name or str(t):>22}" for t in trees)
    print(f"{'stage (least of ' + str(args.reps) + ': CPU ms, page faults)':44}{head}")
    for label in labels:
        cells = []
        for tree_runs in runs:
            vals = [r[label] for r in tree_runs if label in r]
            if not vals:
                cells.append(f"{'-':>22}")
                continue
            cpu = min(v[0] for v in vals) * 1000
            faults = int(min(v[1] for v in vals))
            cells.append(f"{cpu:13.1f} {faults:7d} ")
        print(f"{label:44}{''.join(cells)}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

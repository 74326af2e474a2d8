"""Run one thing and write this process's own CPU time and peak RSS to a file.

    python -I benchmarks/selfcpu.py OUT json FILE...      # only json.loads the files
    python -I benchmarks/selfcpu.py OUT jailtui ARGS...   # the jailtui entry point
    python -I benchmarks/selfcpu.py OUT jailtui-from DIR ARGS...  # jailtui of DIR's tree

OUT gets ``user system maxrss_kib`` of RUSAGE_SELF at exit: the process's
own CPU (its threads included), not its children's (the jls/ps it runs).
Both cases pay the same interpreter start, so their ratio is the cost of
jailtui's work over decoding the same bytes. ``jailtui-from DIR`` imports
the ``jailtui`` package of the source tree DIR (first on sys.path; under
``-I`` an editable install would otherwise give the tree it was installed
from): a worktree measures its own code, and ``figures.py --before`` an
older copy beside it. Used by benchmarks/figures.py;
stdlib only (it runs under ``-I``, like the installed ``jailtui``).
"""

from __future__ import annotations

import resource
import runpy
import sys


def main() -> int:
    out, what, *rest = sys.argv[1:]
    code = 0
    try:
        if what == "json":
            import json

            for path in rest:
                with open(path, "rb") as f:
                    json.loads(f.read())
        elif what in ("jailtui", "jailtui-from"):
            if what == "jailtui-from":
                src, *rest = rest
                sys.path.insert(0, src)
            sys.argv = ["jailtui", *rest]
            try:
                runpy.run_module("jailtui", run_name="__main__", alter_sys=True)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        else:
            raise SystemExit(f"selfcpu: unknown {what!r}")
    finally:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        with open(out, "w") as f:
            f.write(f"{ru.ru_utime} {ru.ru_stime} {ru.ru_maxrss}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())

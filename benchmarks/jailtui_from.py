"""Run the ``jailtui`` package of one source tree, as the installed command would.

    python -I benchmarks/jailtui_from.py TREE ARGS...

The installed ``jailtui`` runs Python with ``-I`` (bin/jailtui), which ignores
PYTHONPATH, so a console launched through it always imports the tree the
editable install points at, whatever tree the benchmark sits in or was asked
to compare. figures.py launches every console through this file instead:
TREE first on sys.path, then ``-m jailtui``'s own entry point with ARGS.
Stdlib only (it runs under ``-I``).
"""

from __future__ import annotations

import runpy
import sys


def main() -> None:
    tree, *rest = sys.argv[1:]
    sys.path.insert(0, tree)
    sys.argv = ["jailtui", *rest]
    runpy.run_module("jailtui", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

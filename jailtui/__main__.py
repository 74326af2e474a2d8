"""``python -m jailtui``: the same entry point as the ``jailtui`` script.

The cyclic garbage collector is off while the command line's modules are
imported, and what they made is then frozen (gc.freeze: moved to the
permanent generation, never traversed again) before it is turned back on.
Those imports make some 40,000 tracked objects (modules, classes, functions)
that live as long as the process; the collector's 40-odd passes over them
while they are made, and the first one after, find next to nothing (594
objects of import-time cycles, kept for good this way), and cost ``list``
about 10 ms of CPU (benchmarks/README.md, Round 8 (list8)). This is the
pattern the gc documentation gives for objects that live for the whole
process: https://docs.python.org/3/library/gc.html#gc.freeze.
"""

import gc
import sys

gc.disable()
try:
    from jailtui.cli.main import main
finally:
    gc.freeze()
    gc.enable()

sys.exit(main())

"""The jail.conf texts the fast lexer and the fast merge are compared with
their reference algorithms on (tests/test_jailconf_lex_fast.py,
tests/test_jailconf_merge_fast.py): the tests' string constants, the examples
of docs/freebsd.md chapter 4, the simulator's demo host and a 1,000-jail
benchmark file."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from jailtui.sim import builder

TESTS = Path(__file__).resolve().parent


def _test_strings() -> list[str]:
    """Every string constant of the tests that read jail.conf text."""
    out: set[str] = set()
    for f in sorted(TESTS.glob("test_*.py")):
        src = f.read_text(encoding="utf-8")
        if "jailconf" not in src and "jail.conf" not in src:
            continue
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and any(c in node.value for c in ";{}"):
                out.add(node.value)
    return sorted(out)


def _doc_examples() -> list[str]:
    """The fenced examples of docs/freebsd.md's jail.conf(5) chapter."""
    doc = (TESTS.parent / "docs" / "freebsd.md").read_text(encoding="utf-8")
    chapter = doc[doc.index("## 4. jail.conf(5) grammar"):doc.index("## 5. ")]
    return re.findall(r"```[a-z]*\n(.*?)```", chapter, re.S)


def _sim_files(tmp: Path) -> list[str]:
    """The jail.conf files of a simulated demo host, and a benchmark host's."""
    sim = builder.init_host(tmp / "demo")
    root = sim / "root"
    files = {*root.rglob("*jail.conf"), *root.rglob("jail.conf.d/*.conf")}
    texts = [p.read_text(encoding="utf-8") for p in sorted(files) if p.is_file()]
    texts.append(builder._HEADER_GLOBALS
                 + "".join(builder.jail_block(d) for d in builder.bench_jails(1000)))
    return texts

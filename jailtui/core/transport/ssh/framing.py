"""The batch protocol: several argvs as ONE remote POSIX sh script, their
outputs framed by a random marker with byte lengths.

The script runs each command with its stdout, stderr and exit status
captured separately and prints them framed, so the output of one command
can never be mistaken for another's, nor for the login shell's noise (motd,
rc files) or ssh's own diagnostics. Every argv is quoted with
:func:`shlex.join` and run through ``env`` so a shell builtin of the same
name (``kill``!) is never used instead of the tool.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from jailtui.core.errors import (
    ParseError,
)
from jailtui.core.transport.runner import FREEBSD_PATH

__all__ = ["Header", "IncompleteOutput", "build_script", "env_not_found", "parse_header",
           "parse_output"]

# -- the batch protocol -----------------------------------------------------------


#: Bytes copied as they are into a printf format; everything else is written
#: as a \\ooo octal escape (printf(1): "\\ddd ... octal"), so input bytes of any
#: value reach the remote file exactly, with no quoting by hand.
_PRINTF_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:/=+@")
_PRINTF_CHUNK = 2048


def _printf_input(data: bytes) -> list[str]:
    """Script lines that write ``data`` to ``$t/in`` byte for byte."""
    lines = [': >"$t/in"']
    for start in range(0, len(data), _PRINTF_CHUNK):
        chunk = data[start:start + _PRINTF_CHUNK]
        fmt = "".join(chr(b) if b in _PRINTF_PLAIN else f"\\{b:03o}" for b in chunk)
        lines.append(f"printf '{fmt}' >>\"$t/in\"")
    return lines


def build_script(argvs: Sequence[Sequence[str]], marker: str,
                 input: bytes | None = None) -> bytes:
    """The POSIX sh script that runs ``argvs`` on the host and frames their output.

    Every command runs concurrently (like ``asyncio.gather`` locally), with
    stdin from /dev/null (the first one from ``input`` when given), and its
    stdout, stderr and exit status in files of a private temporary
    directory, removed on exit (also on HUP/PIPE/TERM: the EXIT trap runs
    after a trapped signal's ``exit``). Then the statuses, the byte sizes
    and the outputs are printed in the frame :func:`parse_output` reads.
    The marker is random per batch. PATH gets the FreeBSD
    tool directories appended (never prepended: an admin's or a test's own
    directories stay first), since a non-login session may lack /usr/sbin.
    """
    if not re.fullmatch(r"[A-Za-z0-9-]+", marker):
        raise ValueError("marker must be alphanumeric")
    lines = [
        "umask 077",
        f'PATH="${{PATH:+$PATH:}}{FREEBSD_PATH}"; export PATH',
        't=$(mktemp -d "${TMPDIR:-/tmp}/jailtui.XXXXXXXXXX") || exit 125',
        "trap 'rm -rf -- \"$t\"' EXIT",
        "trap 'exit 129' HUP",
        "trap 'exit 130' INT",
        "trap 'exit 141' PIPE",
        "trap 'exit 143' TERM",
    ]
    if input is not None:
        lines.extend(_printf_input(input))
    for i, argv in enumerate(argvs):
        if not argv:
            raise ValueError("empty argv")
        if "=" in argv[0]:
            # env(1) would take it for a NAME=VALUE assignment.
            raise ValueError(f"not a command name: {argv[0]!r}")
        cmd = shlex.join(["env", "--", *argv])
        stdin = '"$t/in"' if input is not None and i == 0 else "/dev/null"
        lines.append(f'{{ {cmd}; echo $? >"$t/{i}.s"; }} <{stdin} >"$t/{i}.o" 2>"$t/{i}.e" &')
    lines.append("wait")
    # Statuses with the read builtin, every size in one wc(1), every output
    # in one cat(1): the framing costs two processes, whatever the count.
    lines.append("S=")
    files = " ".join(f'"$t/{i}.o" "$t/{i}.e"' for i in range(len(argvs)))
    for i in range(len(argvs)):
        lines.append(f'if read s 2>/dev/null <"$t/{i}.s"; then S="$S $s"; else S="$S x"; fi')
    lines.append(f"printf '%s\\n' '{marker} begin'")
    lines.append(f"printf '%s\\n' \"{marker} status$S\"")
    lines.append(f"wc -c {files}")
    lines.append(f"printf '%s\\n' '{marker} data'")
    lines.append(f"cat {files}")
    lines.append(f"printf '%s\\n' '{marker} end'")
    # surrogateescape: an argv may carry a file name's undecodable bytes as
    # surrogates (a jail's /var/log, read with os.fsdecode's rule); they go out
    # as those bytes, as the local runner's os.fsencode sends them to execve.
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True)
class _Part:
    status: int | None
    stdout: bytes
    stderr: bytes


class IncompleteOutput(ParseError):
    """The framed output stops early (connection lost, or the script was killed)."""


@dataclass(frozen=True, slots=True)
class Header:
    """The frame's head: every command's status and its output sizes, which
    come before any output (so they are known even when the data is cut)."""

    statuses: list[int | None]
    #: stdout and stderr size of each command: [o0, e0, o1, e1, ...].
    sizes: list[int]
    #: Where the data starts in the output.
    data_at: int


def parse_header(out: bytes, marker: str, count: int, host: str) -> Header:
    """The statuses and sizes of :func:`build_script`'s frame (see
    :func:`parse_output`); raises ParseError (IncompleteOutput when the
    output stops before the data marker)."""
    command = f"ssh {host}"
    mark = marker.encode()
    begin = mark + b" begin\n"
    start = out.find(begin)
    if start < 0:
        raise IncompleteOutput(command, "no answer from the remote shell (begin marker missing)")
    pos = start + len(begin)
    data = out.find(b"\n" + mark + b" data\n", pos)
    if data < 0:
        raise IncompleteOutput(command, "output cut off before the data marker")
    head = out[pos:data].split(b"\n")
    status_line = head[0].split()
    if status_line[:2] != [mark, b"status"] or len(status_line) != 2 + count:
        raise ParseError(command, "bad status line")
    try:
        statuses = [None if s == b"x" else int(s) for s in status_line[2:]]
        sizes = [int(line.split()[0]) for line in head[1:1 + 2 * count]]
    except (ValueError, IndexError):
        raise ParseError(command, "bad size line") from None
    if len(sizes) != 2 * count:
        raise ParseError(command, f"{len(sizes)} sizes for {count} commands")
    return Header(statuses, sizes, data + len(mark) + 7)


def parse_output(out: bytes, marker: str, count: int, host: str) -> list[_Part]:
    """Split the framed output of :func:`build_script` into ``count`` parts::

        MARKER begin
        MARKER status S0 S1 ...        (x: no status, the command was killed)
        <wc -c: "SIZE path" per stdout/stderr file, then a total line>
        MARKER data
        <stdout 0><stderr 0><stdout 1>...   (exactly the sizes above)
        MARKER end

    Anything before ``MARKER begin`` (login banners, rc-file chatter) is
    skipped. The sizes, not a search for the marker, delimit the outputs,
    so no output can fake a frame. Raises ParseError naming the host when
    a marker is missing or a line does not match.
    """
    command = f"ssh {host}"
    mark = marker.encode()
    header = parse_header(out, marker, count, host)
    sizes, pos = header.sizes, header.data_at
    if len(out) < pos + sum(sizes):
        raise IncompleteOutput(command, "output cut off")
    parts: list[_Part] = []
    for i in range(count):
        olen, elen = sizes[2 * i], sizes[2 * i + 1]
        parts.append(_Part(header.statuses[i], out[pos:pos + olen],
                           out[pos + olen:pos + olen + elen]))
        pos += olen + elen
    if not out.startswith(mark + b" end\n", pos):
        raise IncompleteOutput(command, "end marker missing")
    return parts


def env_not_found(argv0: str, stderr: bytes) -> bool:
    """env(1) exits 127 and says "env: NAME: No such file or directory" when
    NAME is not on PATH. The wording is localised and GNU quotes NAME
    (‘NAME’ in a UTF-8 locale), so only the prefix and the name are compared;
    a tool of its own exiting 127 with such a first line is not credible.
    """
    first = stderr.decode("utf-8", "replace").split("\n", 1)[0]
    return first.startswith("env: ") and argv0 in first

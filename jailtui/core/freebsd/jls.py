"""jls(8): argv builders and parsers of its libxo JSON output.

Only the JSON forms are read: text output truncates the hostname to 29 and
the path to 74 characters (docs/freebsd.md 0.1, 1.2), JSON does not (1.5).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jailtui.core.errors import ParseError
from jailtui.core.freebsd.errors import libxo_rows, load_json, type_name
from jailtui.core.model import Jail, JailState, ParamValue

#: The one jls run per poll: every jail, dying ones too (``-d``, reference
#: 1.1), with name, state, cpuset and all addresses (``-v``, docs/freebsd.md 1.5).
JLS_POLL_ARGV: tuple[str, ...] = ("jls", "--libxo", "json", "-v", "-d")

_CMD_VERBOSE = "jls --libxo json -v"
_CMD_DEFAULT = "jls --libxo json"
_CMD_PARAMS = "jls --libxo json -n"

# docs/freebsd.md 1.5: the IP-list keys are `ipv4_addrs` in __version "2" (14.x) and
# `ipv4-addrs` in "3" (newest tree). Which release ships "3" is [unverified],
# so with an unknown or missing version both spellings are accepted.
_V2_KEYS = ("ipv4_addrs", "ipv6_addrs")
_V3_KEYS = ("ipv4-addrs", "ipv6-addrs")

#: Parameters whose parameter-mode JSON value is an array (docs/freebsd.md 1.5).
_LIST_PARAMS = frozenset({"ip4.addr", "ip6.addr"})

# Bounded so int() never meets a 5000-digit string (it raises ValueError).
_DIGITS = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True, slots=True)
class JlsResult:
    """One ``jls --libxo json -v`` run: the libxo ``__version`` and the jails."""

    version: str
    jails: tuple[Jail, ...]


def parse_jls_verbose(data: bytes) -> JlsResult:
    """Parse ``jls --libxo json -v [-d]`` into running and dying jails."""
    doc = load_json(data, _CMD_VERBOSE)
    version = _version(doc)
    keys = _addr_keys(version)
    rows = _jail_rows(doc, _CMD_VERBOSE)
    return JlsResult(version, tuple(_verbose_jail(row, i, keys) for i, row in enumerate(rows)))


def parse_jls_default(data: bytes) -> JlsResult:
    """Parse ``jls --libxo json [-N]`` (default mode: jid or name, ipv4, hostname, path).

    This mode has no name (unless ``-N``, which drops the jid instead), no
    state and only the first IPv4 address (docs/freebsd.md 1.5), so a jail's name
    falls back to its jid and its state to running: prefer ``-v``.
    """
    doc = load_json(data, _CMD_DEFAULT)
    rows = _jail_rows(doc, _CMD_DEFAULT)
    return JlsResult(_version(doc), tuple(_default_jail(row, i) for i, row in enumerate(rows)))


def jls_params_argv(params: Sequence[str], jail: str | None = None) -> list[str]:
    """argv of ``jls --libxo json -n [-j jail] param ...``.

    ``-n`` makes booleans real JSON booleans (docs/freebsd.md 1.5). No params means
    ``all``. ``jail`` is safe whatever it holds (it is ``-j``'s argument),
    but a param is a free-standing word, so one starting with ``-`` would be
    read as an option and is refused.
    """
    for p in params:
        if not p or p.startswith("-"):
            raise ValueError(f"not a jail parameter name: {p!r}")
    argv = ["jls", "--libxo", "json", "-n"]
    if jail is not None:
        argv += ["-j", jail]
    return argv + list(params)


def parse_jls_params(data: bytes, *, expected: Sequence[str] = ()
                     ) -> list[dict[str, ParamValue]]:
    """Parse parameter mode (``jls --libxo json -n param ...``), one dict per jail.

    Strings stay strings (``"jid": "1"``: every value is a string in this
    mode, docs/freebsd.md 0.2), ``ip4.addr``/``ip6.addr`` arrays become tuples,
    JSON booleans (``-n``) become bools. How libxo emits an empty string
    value is [unverified] (docs/freebsd.md 1.5): names in ``expected`` that are
    missing from a jail's object are filled in as ``""`` (``()`` for the
    address lists), so callers need not care.
    """
    doc = load_json(data, _CMD_PARAMS)
    out: list[dict[str, ParamValue]] = []
    for i, row in enumerate(_jail_rows(doc, _CMD_PARAMS)):
        params = {key: _param_value(value, key, i) for key, value in row.items()}
        for name in expected:
            if name not in params and name != "all":
                params[name] = () if name in _LIST_PARAMS else ""
        out.append(params)
    return out


# --- document structure ------------------------------------------------------------


def _version(doc: Mapping[str, object]) -> str:
    """``__version`` as a string; "" when absent (tolerated, see _addr_keys)."""
    value = doc.get("__version")
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _addr_keys(version: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Keys to try for the IPv4 and IPv6 lists, the version's own spelling first."""
    first, second = (_V3_KEYS, _V2_KEYS) if version == "3" else (_V2_KEYS, _V3_KEYS)
    return (first[0], second[0]), (first[1], second[1])


def _jail_rows(doc: Mapping[str, object], command: str) -> list[dict[str, object]]:
    """The ``jail-information`` -> ``jail`` list (docs/freebsd.md 1.5).

    jls opens the container unconditionally, so its absence is an error; an
    absent list inside it is read as no jails.
    """
    return libxo_rows(doc, "jail-information", "jail", command)


# --- one jail ----------------------------------------------------------------------


def _verbose_jail(row: Mapping[str, object], i: int,
                  keys: tuple[tuple[str, ...], tuple[str, ...]]) -> Jail:
    jid = _jid(row, i, _CMD_VERBOSE)
    return Jail(
        # docs/freebsd.md 1.3: a jail created without a name is named by its jid.
        name=_str(row, "name", i, _CMD_VERBOSE) or str(jid),
        jid=jid,
        state=_state(row, i),
        hostname=_str(row, "hostname", i, _CMD_VERBOSE),
        path=_str(row, "path", i, _CMD_VERBOSE),
        ip4=_addrs(row, keys[0], i, _CMD_VERBOSE),
        ip6=_addrs(row, keys[1], i, _CMD_VERBOSE),
        cpusetid=_opt_int(row, "cpusetid", i, _CMD_VERBOSE),
    )


def _default_jail(row: Mapping[str, object], i: int) -> Jail:
    # docs/freebsd.md 1.5: with -N the jid key is replaced by name.
    jid = _jid(row, i, _CMD_DEFAULT) if "jid" in row else None
    name = _str(row, "name", i, _CMD_DEFAULT) or (str(jid) if jid is not None else "")
    if not name:
        raise ParseError(_CMD_DEFAULT, f"jail #{i}: neither \"jid\" nor \"name\"")
    ip4 = _str(row, "ipv4", i, _CMD_DEFAULT)  # first IPv4 only, "" if none
    return Jail(name=name, jid=jid, state=JailState.RUNNING,
                hostname=_str(row, "hostname", i, _CMD_DEFAULT),
                path=_str(row, "path", i, _CMD_DEFAULT),
                ip4=(ip4,) if ip4 else ())


def _state(row: Mapping[str, object], i: int) -> JailState:
    """``DYING`` -> dying; ``ACTIVE`` (jls prints nothing else, docs/freebsd.md 1.3) -> running.

    An unknown word is read as running rather than failing the poll: jls
    listed the jail, and only DYING means it is going away.
    """
    state = _str(row, "state", i, _CMD_VERBOSE)
    return JailState.DYING if state.strip().upper() == "DYING" else JailState.RUNNING


# --- values ------------------------------------------------------------------------


def _jid(row: Mapping[str, object], i: int, command: str) -> int:
    jid = _opt_int(row, "jid", i, command)
    if jid is None:
        raise ParseError(command, f"jail #{i}: no \"jid\"")
    return jid


def _opt_int(row: Mapping[str, object], key: str, i: int, command: str) -> int | None:
    """A JSON number (docs/freebsd.md 0.2), or a digit string; None when absent."""
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    raise ParseError(command, f"jail #{i}: \"{key}\" is not a jail number: {value!r:.60}")


def _str(row: Mapping[str, object], key: str, i: int, command: str) -> str:
    """A string value kept raw (not stripped, not truncated); "" when absent."""
    value = row.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParseError(command, f"jail #{i}: \"{key}\" is {type_name(value)}, not a string")
    return value


def _addrs(row: Mapping[str, object], keys: Sequence[str], i: int,
           command: str) -> tuple[str, ...]:
    """The first present of ``keys`` as a tuple of addresses; () when none is present."""
    for key in keys:
        if key in row:
            return _str_list(row[key], key, i, command)
    return ()


def _str_list(value: object, key: str, i: int, command: str) -> tuple[str, ...]:
    """A JSON array of strings; a lone string (comma-joined, as text mode prints
    lists, docs/freebsd.md 1.4) is tolerated."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(a.strip() for a in value.split(",") if a.strip())
    if not isinstance(value, list):
        raise ParseError(command, f"jail #{i}: \"{key}\" is {type_name(value)}, not an array")
    for item in value:
        if not isinstance(item, str):
            raise ParseError(command, f"jail #{i}: \"{key}\" holds {type_name(item)}, "
                                      "not an address string")
    return tuple(value)


def _param_value(value: object, key: str, i: int) -> ParamValue:
    """One parameter-mode value; see :func:`parse_jls_params`."""
    if key in _LIST_PARAMS and isinstance(value, str):
        return _str_list(value, key, i, _CMD_PARAMS)  # tolerate a comma-joined string
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if value is None:
        return ""
    if isinstance(value, list):
        return _str_list(value, key, i, _CMD_PARAMS)
    raise ParseError(_CMD_PARAMS, f"jail #{i}: \"{key}\" is {type_name(value)}")

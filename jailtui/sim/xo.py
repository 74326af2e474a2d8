"""The bits of libxo's JSON encoder the simulated tools need.

libxo writes ``"key":value`` with no space after the colon, separates
fields with ``,``, opens a list inside an instance as ``, "name": [`` and
separates leaf-list items with ``,`` (docs/freebsd.md 1.5). Consumers must parse
JSON, not bytes, but we reproduce the layout anyway so that tests of
"same bytes" hold.
"""

from __future__ import annotations

from collections.abc import Sequence

#: libxo's xo_escape_json escapes only ``\``, ``"``, newline and CR: any other
#: control character (ESC, TAB from a jail's hostname) reaches the JSON raw
#: (docs/freebsd.md 1.5; core/freebsd/errors.load_json reads it with
#: strict=False). str.translate is C speed: ps emits one string per cell,
#: 650,000 on a big host.
_LIBXO_JSON = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def string(value: str) -> str:
    """A JSON string as libxo writes it (UTF-8 kept, only \\ " LF CR escaped)."""
    return '"' + value.translate(_LIBXO_JSON) + '"'


def flat_object(keys: Sequence[str], values: Sequence[str]) -> str:
    """``{"k":"v","k2":"v2"}`` for string values, keys already JSON-encoded."""
    return "{" + ",".join(f"{k}:{string(v)}" for k, v in zip(keys, values, strict=True)) + "}"


class Instance:
    """One ``xo_open_instance`` ... ``xo_close_instance`` object."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def field(self, key: str, raw_value: str) -> None:
        """Add ``"key":<raw JSON>`` (the caller encodes the value)."""
        sep = "," if self._parts else ""
        self._parts.append(f"{sep}{string(key)}:{raw_value}")

    def text(self, key: str, value: str) -> None:
        self.field(key, string(value))

    def number(self, key: str, value: int) -> None:
        self.field(key, str(value))

    def boolean(self, key: str, value: bool) -> None:
        self.field(key, "true" if value else "false")

    def leaf_list(self, key: str, items: Sequence[str]) -> None:
        sep = ", " if self._parts else ""
        body = ",".join(string(i) for i in items)
        self._parts.append(f"{sep}{string(key)}: [{body}]")

    def render(self) -> str:
        return "{" + "".join(self._parts) + "}"


def document(container: str, list_name: str, instances: Sequence[Instance | str],
             version: str | None = None) -> str:
    """``{["__version": "V", ]"container": {"list": [i, i]}}`` plus libxo's closing line.

    ``instances`` are :class:`Instance` objects or already rendered objects.
    """
    head = "{"
    if version is not None:
        head += f'"__version": {string(version)}, '
    body = ", ".join(i if isinstance(i, str) else i.render() for i in instances)
    return f'{head}{string(container)}: {{{string(list_name)}: [{body}]}}\n}}\n'

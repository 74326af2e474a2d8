"""The one error type of the jail.conf package, worded as jail(8) words it."""

from __future__ import annotations

from jailtui.core.errors import JailtuiError

__all__ = ["CRLF_HINT", "JailConfError"]

#: Our hint next to jail(8)'s own message when a CR stopped it.
CRLF_HINT = ("CRLF line endings: jail(8) of FreeBSD 13 and older reads a carriage return "
             "as a stray character; save the file with LF line endings (tr -d '\\r')")


class JailConfError(JailtuiError):
    """A jail.conf problem, worded exactly as jail(8) words it.

    ``str(e)`` is jail(8)'s stderr line without the ``jail: `` prefix (the
    command line adds it): ``/etc/jail.conf line 12: }: syntax error``,
    ``/etc/jail.conf: unexpected EOF``, ``web: path: variable "foo" not
    found`` (per-jail errors name the jail, not the file, as
    ``jail_warnx`` does), ``maximum include depth exceeded`` (``errx``,
    no location at all).
    """

    def __init__(self, file: str, line: int | None, message: str, *,
                 jail: str | None = None, bare: bool = False, hint: str | None = None) -> None:
        self.file = file
        #: What to do about it, in our words (never part of jail(8)'s text).
        self.hint = hint
        self.line = line
        self.message = message
        #: The jail (block name) for per-jail errors found while merging.
        self.jail = jail
        if jail is not None:
            text = f"{jail}: {message}"
        elif bare:
            text = message
        elif line is not None:
            text = f"{file} line {line}: {message}"
        else:
            text = f"{file}: {message}"
        super().__init__(text)

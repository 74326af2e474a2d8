"""Issue 14 item 10 and item 7's audit check: the smaller holes."""

from __future__ import annotations

from pathlib import Path

import pytest

from jailtui.core.actions import delegation
from jailtui.core.actions.delegation import Identity, PolicyError, check_audit_uid
from jailtui.core.text import one_line, visible


def test_a_literal_backslash_escape_differs_from_a_real_control() -> None:
    planted = "web\\x1b[31m"  # ten characters a jail's root typed
    real = "web\x1b[31m"
    assert visible(planted) != visible(real)
    assert visible(planted) == "web\\\\x1b[31m" and visible(real) == "web\\x1b[31m"
    assert visible(b"a\xffb") == "a\\xffb"  # an undecodable byte: one escape, not doubled
    assert one_line(b"x\\y\n\xfe") == "x\\\\y ⏎ \\xfe"


@pytest.mark.parametrize("param", ["allow.settime", "allow.adjtime", "allow.routing",
                                   "allow.nfsd", "allow.extattr", "allow.setaudit",
                                   "allow.raw_sockets", "allow.nosettime",
                                   "allow.unprivileged_parent_tampering"])
def test_host_affecting_parameters_are_never_delegable(param: str) -> None:
    text = f'[[delegate]]\nusers = ["alice"]\njails = ["web"]\nparams = ["{param}"]\n'
    with pytest.raises(PolicyError, match="can never be delegated"):
        delegation.parse_policy(text)


def test_audit_uid_is_checked_for_direct_identities_too() -> None:
    direct = Identity("alice", 1001, "direct")
    check_audit_uid(direct, 1001)
    check_audit_uid(direct, 0)
    with pytest.raises(PolicyError, match="audit user id 1002"):
        check_audit_uid(direct, 1002)
    check_audit_uid(Identity("root", 0, "direct"), 1002)  # su - by an admin: root is root


def test_an_added_jail_is_a_change(tmp_path: Path) -> None:
    """Issue 14 item 10: adding a whole jail was "formatting or comments only"."""
    from jailtui.core.config import confedit, safefile

    conf = tmp_path / "jail.conf"
    conf.write_text('web {\n  path = "/j/web";\n}\n')
    loaded = safefile.load(str(conf))
    session = confedit.EditSession("web", str(conf), str(conf), loaded)
    same = conf.read_text() + "# a comment\n"
    assert confedit.changed_keys(session, same) == []
    added = conf.read_text() + 'evil {\n  path = "/";\n  exec.prestart = "id";\n}\n'
    assert confedit.changed_keys(session, added) == ["+evil"]
    both = added.replace('"/j/web"', '"/j/web2"')
    assert confedit.changed_keys(session, both) == ["path", "+evil"]

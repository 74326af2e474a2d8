"""jls(8) conformance of the simulated host, through its shim (reference section 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sim_fixtures import PINNED_NOW, SimHost, make_host

from jailtui.sim.state import Store

HEADER = "   JID  IP Address      Hostname                      Path\n"


@pytest.fixture
def sim(tmp_path: Path) -> SimHost:
    """A fresh demo host (8 running jails + staging) with its shims."""
    return make_host(tmp_path)


def test_default_mode_exact_bytes(sim: SimHost) -> None:
    res = sim.run("jls")
    assert res.returncode == 0 and res.stderr == b""
    lines = res.stdout.decode().splitlines(keepends=True)
    assert lines[0] == HEADER
    # %6d, two spaces, %-15.15s first IPv4, space, %-29.29s hostname, space, path.
    assert lines[1] == ("     1  10.0.0.11       web.example.org               "
                        "/usr/local/jails/web\n")
    # vnet jail: blank IP cell (15 spaces), no trailing whitespace after the path.
    assert lines[5] == ("     5                  vpn.example.org               "
                        "/usr/local/jails/vpn\n")
    assert [ln.split()[0] for ln in lines[1:]] == ["1", "2", "3", "4", "5", "6", "7", "8",
                                                  "9", "10"]  # + Bastille's and iocage's
    assert "staging" not in res.stdout.decode()  # configured but stopped
    assert all(not ln.rstrip("\n").endswith(" ") for ln in lines)


def test_name_column_with_N(sim: SimHost) -> None:
    lines = sim.out("jls", "-N").splitlines(keepends=True)
    assert lines[0] == (" JID             IP Address      Hostname                      Path\n")
    assert lines[1] == (" web             10.0.0.11       web.example.org               "
                        "/usr/local/jails/web\n")


def test_verbose_layout(sim: SimHost) -> None:
    out = sim.out("jls", "-v", "-j", "web")
    assert out == ("   JID  Hostname                      Path\n"
                   "        Name                          State\n"
                   "        CPUSetID\n"
                   "        IP Address(es)\n"
                   "     1  web.example.org               /usr/local/jails/web\n"
                   "        web                           ACTIVE\n"
                   "        3\n"
                   "        10.0.0.11\n"
                   "        10.0.0.12\n"
                   "        fd00:10::11\n")
    vpn = sim.out("jls", "-v", "-j", "vpn").splitlines()
    assert vpn[-1] == "        7" and len(vpn) == 7  # no address lines for a vnet jail


def test_hostname_and_path_truncated_in_text_not_json(sim: SimHost) -> None:
    long_name = "h" * 40 + ".example.org"
    long_dir = "/usr/local/jails/" + "p" * 80
    (sim.root / long_dir.lstrip("/")).mkdir(parents=True)
    res = sim.run("jail", "-c", "name=long", f"path={long_dir}", f"host.hostname={long_name}",
                  "persist")
    assert res.returncode == 0, res.stderr
    row = sim.out("jls", "-j", "long").splitlines()[1]
    assert row[24:53] == long_name[:29]
    assert row[54:] == long_dir[:74]
    doc = json.loads(sim.out("jls", "--libxo", "json", "-j", "long"))
    item = doc["jail-information"]["jail"][0]
    assert item["hostname"] == long_name and item["path"] == long_dir


def test_json_verbose_v2(sim: SimHost) -> None:
    res = sim.run("jls", "--libxo", "json", "-v")
    raw = res.stdout.decode()
    assert raw.startswith('{"__version": "2", "jail-information": {"jail": [{"jid":1,')
    assert raw.endswith("]}\n}\n")
    doc = json.loads(raw)
    assert doc["__version"] == "2"
    web = doc["jail-information"]["jail"][0]
    assert list(web) == ["jid", "hostname", "path", "name", "state", "cpusetid", "ipv4_addrs",
                         "ipv6_addrs"]
    assert web["jid"] == 1 and isinstance(web["cpusetid"], int)
    assert web["ipv4_addrs"] == ["10.0.0.11", "10.0.0.12"]
    assert web["ipv6_addrs"] == ["fd00:10::11"]
    vpn = doc["jail-information"]["jail"][4]
    assert vpn["ipv4_addrs"] == [] and vpn["ipv6_addrs"] == []
    assert '"cpusetid":3, "ipv4_addrs": ["10.0.0.11","10.0.0.12"], "ipv6_addrs"' in raw


def test_json_verbose_v3_keys(sim: SimHost) -> None:
    doc = json.loads(sim.out("jls", "--libxo", "json", "-v",
                             env={"JAILTUI_SIM_JLS_VERSION": "3"}))
    assert doc["__version"] == "3"
    web = doc["jail-information"]["jail"][0]
    assert web["ipv4-addrs"] == ["10.0.0.11", "10.0.0.12"] and "ipv4_addrs" not in web


def test_json_default_mode(sim: SimHost) -> None:
    doc = json.loads(sim.out("jls", "--libxo", "json"))
    first = doc["jail-information"]["jail"][0]
    assert first == {"jid": 1, "ipv4": "10.0.0.11", "hostname": "web.example.org",
                     "path": "/usr/local/jails/web"}
    assert doc["jail-information"]["jail"][4]["ipv4"] == ""
    named = json.loads(sim.out("jls", "--libxo", "json", "-N"))["jail-information"]["jail"][0]
    assert named["name"] == "web" and "jid" not in named


def test_param_mode_text(sim: SimHost) -> None:
    assert sim.out("jls", "jid", "name") .splitlines()[0] == "1 web"
    assert sim.out("jls", "-j", "web", "ip4.addr", "persist") == "10.0.0.11,10.0.0.12 false\n"
    # An empty IP list prints "-", nothing after "=" with -n, "" with -q.
    assert sim.out("jls", "-j", "vpn", "ip4.addr") == "-\n"
    assert sim.out("jls", "-n", "-j", "vpn", "ip4.addr") == "ip4.addr=\n"
    assert sim.out("jls", "-q", "-j", "vpn", "ip4.addr") == '""\n'
    # Empty strings are always "".
    assert sim.out("jls", "-j", "web", "host.domainname") == '""\n'
    assert sim.out("jls", "-h", "-j", "web", "jid", "name") == "jid name\n1 web\n"


def test_param_mode_n_booleans_and_jailsys(sim: SimHost) -> None:
    words = sim.out("jls", "-n", "-j", "web").split()
    assert "nopersist" in words and "nodying" in words
    assert "allow.nomount" in words and "allow.mount.nodevfs" in words
    assert "allow.set_hostname" in words
    # docs/freebsd.md 1.4: a jail with its own addresses reports ip4=disable.
    assert "ip4=disable" in words and "host=new" in words and "vnet=inherit" in words
    vpn = sim.out("jls", "-n", "-j", "vpn").split()
    assert "vnet=new" in vpn and "ip4=inherit" in vpn


def test_all_is_sorted_undotted_first(sim: SimHost) -> None:
    header = sim.out("jls", "-h", "-j", "web").splitlines()[0].split()
    undotted = [h for h in header if "." not in h]
    dotted = [h for h in header if "." in h]
    assert header == undotted + dotted
    assert undotted == sorted(undotted) and dotted == sorted(dotted)
    assert header.index("allow.mlock") < header.index("allow.mount") \
        < header.index("allow.mount.devfs") < header.index("allow.mount.fdescfs")


def test_s_skips_readonly_and_non_new_jailsys_children(sim: SimHost) -> None:
    words = sim.out("jls", "-s", "-j", "web").split()
    assert not any(w.startswith(("dying", "nodying", "parent=", "cpuset.id=",
                                 "children.cur=")) for w in words)
    assert not any(w.startswith("ip4.addr") for w in words)  # ip4=disable, not new
    assert "host.hostname=web.example.org" in words  # host=new


def test_quoting_with_q(sim: SimHost) -> None:
    with Store(sim.simdir).write() as st:
        j = st.jail_by_name("web")
        assert j is not None
        j.hostname = "web server"
    assert sim.out("jls", "-j", "web", "host.hostname") == "web server\n"
    assert sim.out("jls", "-q", "-j", "web", "host.hostname") == '"web server"\n'


def test_param_mode_json(sim: SimHost) -> None:
    doc = json.loads(sim.out("jls", "--libxo", "json", "-j", "web", "jid", "name", "ip4.addr",
                             "persist"))
    item = doc["jail-information"]["jail"][0]
    assert item == {"jid": "1", "name": "web", "ip4.addr": ["10.0.0.11", "10.0.0.12"],
                    "persist": "false"}
    n = json.loads(sim.out("jls", "--libxo", "json", "-n", "-j", "web", "persist",
                           "allow.set_hostname"))["jail-information"]["jail"][0]
    assert n == {"persist": False, "allow.set_hostname": True}


def test_missing_jail(sim: SimHost) -> None:
    res = sim.run("jls", "-j", "nosuch")
    assert res.returncode == 1
    assert res.stdout.decode() == HEADER  # the header is printed before the lookup
    assert res.stderr == b'jls: jail "nosuch" not found\n'
    res = sim.run("jls", "-j", "99")
    assert res.returncode == 1 and res.stderr == b"jls: jail 99 not found\n"
    # -j 0 is a name lookup.
    assert sim.run("jls", "-j", "0").stderr == b'jls: jail "0" not found\n'
    # a stopped jail is not found either
    assert sim.run("jls", "-j", "staging").returncode == 1


def test_unknown_parameter_and_usage(sim: SimHost) -> None:
    res = sim.run("jls", "nosuchparam")
    assert (res.returncode, res.stdout, res.stderr) == (
        1, b"", b"jls: unknown parameter: nosuchparam\n")
    res = sim.run("jls", "-z")
    assert res.returncode == 1
    assert res.stderr == (b"jls: illegal option -- z\n"
                          b"jls: usage: jls [-dhNnqv] [-j jail] [param ...]\n")


def test_check_mode(sim: SimHost) -> None:
    assert sim.run("jls", "-c", "-j", "web").returncode == 0
    assert sim.run("jls", "-cj", "1").returncode == 0
    res = sim.run("jls", "-c", "-j", "staging")
    assert (res.returncode, res.stdout, res.stderr) == (1, b"", b"")
    res = sim.run("jls", "-c")
    assert res.returncode == 1
    assert res.stderr.startswith(b"jls: -j jail to check must be provided for -c\n")
    assert sim.run("jls", "-c", "-v", "-j", "web").stderr.startswith(
        b"jls: -c is incompatible with other print options\n")


def test_dying_jails_need_d(sim: SimHost) -> None:
    with Store(sim.simdir).write() as st:
        j = st.jail_by_name("cache")
        assert j is not None
        # Dying since "now": it stays State.dying_seconds (lifecycle.reap_dying).
        j.dying, j.dying_since = True, PINNED_NOW
    assert "cache" not in sim.out("jls", "name")
    assert "cache" in sim.out("jls", "-d", "name")
    assert "        cache                         DYING" in sim.out("jls", "-dv")
    doc = json.loads(sim.out("jls", "--libxo", "json", "-v", "-d"))
    states = {j["name"]: j["state"] for j in doc["jail-information"]["jail"]}
    assert states["cache"] == "DYING" and states["web"] == "ACTIVE"


def test_no_jails(sim: SimHost) -> None:
    with Store(sim.simdir).write() as st:
        st.jails = []
        st.procs = [p for p in st.procs if p.jid == 0]
    assert sim.out("jls") == HEADER
    assert sim.out("jls", "name") == ""
    assert json.loads(sim.out("jls", "--libxo", "json", "-v")) == {
        "__version": "2", "jail-information": {"jail": []}}

"""What ships: the manual page, the FreeBSD port skeleton and the wheel agree with the code.

The port's RUN_DEPENDS must state the same version ranges as pyproject.toml (a package built
from the port must get what the code was tested with), the manual page must lint clean with
mandoc (FreeBSD renders manuals with mandoc; style.mdoc(5)) and name every subcommand and
option of ``--help`` and every key of the key table (console/keys.py), and the wheel must
carry the manual page where the port's autoplist finds it (``share/man/man8``; the Porter's Handbook, "Using Python").
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from jailtui.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]
MAN = ROOT / "man" / "jailtui.8"
PORT = ROOT / "packaging" / "freebsd" / "sysutils" / "jailtui"


def _need(tool: str, package: str) -> str:
    """The tool's path; without it, skip naming the Debian package (fail in CI, which has it)."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (Debian package {package})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    assert path is not None
    return path


def _port_var(name: str) -> str:
    """The value of ``NAME=`` in the port's Makefile, continuation lines joined."""
    text = (PORT / "Makefile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n\s*", " ", text)
    m = re.search(rf"^{name}=\s*(.*)$", text, re.M)
    assert m, f"{name} not set in the port's Makefile"
    return m.group(1).strip()


def _pyproject() -> dict[str, object]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)


def _ranges(specs: list[str]) -> dict[str, str]:
    """``{"textual": ">=6.7.1,<9"}`` from PEP 508 strings without markers."""
    out: dict[str, str] = {}
    for spec in specs:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", spec.strip())
        assert m, spec
        out[m.group(1).lower()] = m.group(2).replace(" ", "")
    return out


def test_port_run_depends_match_pyproject() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    wanted = _ranges(list(project["dependencies"]))
    port: dict[str, str] = {}
    for dep in _port_var("RUN_DEPENDS").split():
        # ${PYTHON_PKGNAMEPREFIX}textual>=6.7.1<9:textproc/py-textual@${PY_FLAVOR}
        m = re.fullmatch(r"\$\{PYTHON_PKGNAMEPREFIX\}([a-z0-9_-]+)([<>=0-9.]+):"
                         r"[a-z]+/py-\1@\$\{PY_FLAVOR\}", dep)
        assert m, f"RUN_DEPENDS entry not in the flavored form: {dep}"
        # pkg(8) writes a range as >=A<B; PEP 440 as >=A,<B.
        port[m.group(1)] = re.sub(r"(?<=[0-9])(?=[<>])", ",", m.group(2))
    assert port == wanted


def test_port_names_and_python_match_pyproject() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    assert _port_var("PORTNAME") == project["name"]
    assert _port_var("DISTVERSION") == project["version"]
    low = re.fullmatch(r">=(3\.\d+)", str(project["requires-python"]))
    assert low, project["requires-python"]
    assert f"python:{low.group(1)}+" in _port_var("USES").split()


def test_port_files_within_their_limits() -> None:
    descr = (PORT / "pkg-descr").read_text(encoding="utf-8")
    assert descr.endswith("\n") and not descr.startswith("\n")
    for line in descr.splitlines():
        assert len(line) <= 80, line
    # Since 2022 WWW is a Makefile variable, not a pkg-descr line.
    assert "WWW:" not in descr
    assert _port_var("WWW").startswith("https://")
    assert len(_port_var("COMMENT")) <= 70
    assert not _port_var("COMMENT").endswith(".")
    message = (PORT / "pkg-message").read_text(encoding="utf-8")
    for needed in ("policy.toml", "jailtui doctor"):
        assert needed in message


def test_manual_page_lints_clean() -> None:
    mandoc = _need("mandoc", "mandoc")
    out = subprocess.run([mandoc, "-T", "lint", "-W", "warning", str(MAN)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def _rendered() -> str:
    mandoc = _need("mandoc", "mandoc")
    out = subprocess.run([mandoc, "-T", "ascii", "-O", "width=80", str(MAN)],
                         capture_output=True, text=True, timeout=60, check=True)
    return re.sub(r".\x08", "", out.stdout)


def test_manual_page_fits_80_columns() -> None:
    for line in _rendered().splitlines():
        assert len(line.expandtabs()) <= 80, line


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
          ) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    out = [(path, parser)]
    for name, sub in _subparsers(parser).items():
        out.extend(_walk(sub, (*path, name)))
    return out


def test_manual_page_names_every_subcommand_and_option() -> None:
    text = _rendered()
    missing: list[str] = []
    for path, parser in _walk(build_parser()):
        if path and path[-1] not in text:
            missing.append(" ".join(path))
        for action in parser._actions:
            for opt in action.option_strings:
                if opt in ("-h", "--help"):
                    continue
                if not re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", text):
                    missing.append(f"{' '.join(path) or 'jailtui'} {opt}")
    assert not missing, f"not in man/jailtui.8: {missing}"


def _man_keys() -> dict[str, list[str]]:
    """The page's key list: binding id -> its keys (``.It Ic k , f9 Pq Li signal``)."""
    out: dict[str, list[str]] = {}
    for line in MAN.read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"\.It Ic (.+) Pq Li (\w+)", line)
        if m:
            keys = [k.replace("\\&", "") for k in m.group(1).split(" , ")]
            out[m.group(2)] = keys
    return out


def test_manual_page_lists_every_key_of_the_key_table() -> None:
    """Issue 19: every key of console/keys.py, by id, with its default keys."""
    from jailtui.console.keys import KEYS, key_text

    listed = _man_keys()
    wrong = [f"{spec.id}: page says {listed.get(spec.id)}, the table "
             f"{[key_text(k) for k in spec.default_keys()]}"
             for spec in KEYS
             if listed.get(spec.id) != [key_text(k) for k in spec.default_keys()]]
    assert not wrong, "man/jailtui.8's key list is not the key table's: " + "; ".join(wrong)
    assert set(listed) == {spec.id for spec in KEYS}, "the page lists keys the table has not"


@pytest.mark.slow
def test_wheel_carries_the_manual_page(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                          "-w", str(tmp_path), str(ROOT)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    (wheel,) = tmp_path.glob("jailtui-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        record = next(n for n in names if n.endswith(".dist-info/RECORD"))
        listed = {line.split(",")[0] for line in zf.read(record).decode().splitlines()}
    for installed in ("share/man/man8/jailtui.8", "share/bash-completion/completions/jailtui",
                      "share/zsh/site-functions/_jailtui"):
        assert any(n.endswith(f".data/data/{installed}") for n in names), (installed, names)
    # jailtui config --init reads the sample from the package
    assert "jailtui/config.toml.sample" in names
    # autoplist builds pkg-plist from RECORD: what is in the wheel must be listed there.
    assert set(names) - {record} <= listed
    # ... and pkg-plist adds only what is not in the wheel (no entry twice)
    for entry in _plist_files():
        assert not any(n.endswith(f".data/data/{entry}") for n in names), entry


def _plist_files() -> list[str]:
    """The files pkg-plist names (keywords such as @sample stripped)."""
    out = []
    for line in (PORT / "pkg-plist").read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words:
            out.append(words[-1])
    return out


def test_pkg_plist_samples_are_installed_by_the_makefile() -> None:
    """Every @sample of pkg-plist is installed by post-install from a file
    of the source tree (the sdist: package data), under the name it lists."""
    makefile = (PORT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    samples = [line.split()[1] for line in
               (PORT / "pkg-plist").read_text(encoding="utf-8").splitlines()
               if line.startswith("@sample ")]
    assert samples == ["etc/jailtui/config.toml.sample"]
    for sample in samples:
        m = re.search(r"\$\{INSTALL_DATA\} \$\{WRKSRC\}/(\S+)\s+\$\{STAGEDIR\}\$\{PREFIX\}/"
                      + re.escape(sample), makefile)
        assert m, f"post-install does not install {sample}"
        assert (ROOT / m.group(1)).is_file(), m.group(1)
    data = _pyproject()["tool"]["setuptools"]["package-data"]["jailtui"]  # type: ignore[index]
    assert "config.toml.sample" in data


@pytest.mark.parametrize("shell, path", [("bash", "completions/bash/jailtui"),
                                         ("zsh", "completions/zsh/_jailtui")])
def test_shipped_completions_are_the_generated_ones(shell: str, path: str) -> None:
    from jailtui.cli.completion import script

    assert (ROOT / path).read_text(encoding="utf-8") == script(shell, build_parser()), \
        f"regenerate: python -m jailtui completion {shell} > {path}"


def test_pkg_message_tells_about_the_configuration() -> None:
    message = (PORT / "pkg-message").read_text(encoding="utf-8")
    for needed in ("config.toml.sample", "jailtui config", "~/.config/jailtui/config.toml"):
        assert needed in message


def test_demo_cast_is_a_small_asciicast_the_readme_shows() -> None:
    """docs/demo.cast (scripts/democast.py): asciicast v2, times that only grow, the first
    minute's steps, under 200 KB; the README links it and says how to make it again."""
    import json as jsonlib

    cast = ROOT / "docs" / "demo.cast"
    assert cast.stat().st_size < 200_000
    lines = cast.read_text(encoding="utf-8").splitlines()
    header = jsonlib.loads(lines[0])
    assert header["version"] == 2 and header["width"] >= 80 and header["height"] >= 24
    events = [jsonlib.loads(line) for line in lines[1:]]
    times = [e[0] for e in events]
    assert times == sorted(times) and all(e[1] == "o" for e in events)
    shown = "".join(e[2] for e in events)
    for step in ("$ jailtui list", "SIMULATED", "Action log", "jailtui keys"):
        assert step in shown, step
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/demo.cast)" in readme and "scripts/democast.py" in readme

"""The owners' messages, defined once (refusals, confirmations, the help's legend)."""

from __future__ import annotations

from jailtui.core.owners.base import OWNERS, EditInfo, EditKind, Owner, letter, title


def not_installed(command: str, package: str) -> str:
    """A manager's command is absent on the host (docs/managers.md 1.8)."""
    return (f"{command}: command not found on this host; install {package} "
            f"(pkg install {package.rsplit('/', 1)[-1]})")


def unknown_refused(name: str, reason: str) -> str:
    """An action on a jail nobody owns, without the user's confirmation."""
    return (f"{name}: owner unknown ({reason}); jail(8) is used only after you confirm "
            "(in the console) -- no manager's hooks would run")


def unknown_question(name: str, reason: str) -> str:
    """The confirmation before jail(8) acts on a jail of unknown ownership."""
    return (f"No jail manager owns {name} ({reason}). jailtui will use jail(8) directly: "
            "a manager's hooks (pf redirects, rctl, cpuset, ZFS) will not run.")


def edit_elsewhere(owner: Owner, info: EditInfo) -> str:
    """Why the editor does not open a manager's file, and what to run instead."""
    how = "properties" if info.kind is EditKind.PROPERTIES else "files"
    return (f"{info.file} belongs to {title(owner)}, which regenerates or owns its {how}: "
            f"change it with `{info.command}`")


def legend() -> str:
    """The OWNER column's letters, for the help screen."""
    return "  ".join(f"{letter(o)} {title(o)}" for o in OWNERS)


def no_properties(name: str) -> str:
    """The property form asked for a jail whose owner keeps no properties."""
    return f"{name}: its owner keeps no properties to set (only iocage's jails have them)"


def read_only_note(owner: Owner, info: EditInfo) -> str:
    """Above a manager's file shown read-only: whose it is and what changes it."""
    return (f"Read-only: {title(owner)} owns this file and may rewrite it. "
            f"Change it with `{info.command}`.")

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
            "(in the console, or --jail8 on the command line) -- no manager's hooks would run")


def unknown_question(name: str, reason: str) -> str:
    """The confirmation before jail(8) acts on a jail of unknown ownership."""
    return (f"No jail manager owns {name} ({reason}). jailtui will use jail(8) directly: "
            "a manager's hooks (pf redirects, rctl, cpuset, ZFS) will not run.")


def manager_name_hint(name: str, kernel_name: str, owner: Owner) -> str:
    """``name`` is a manager's name for a jail the kernel knows by another name (iocage's
    ``backup`` is ``ioc-backup``, ezjail's ``www.example.com`` is ``www_example_com``,
    docs/managers.md 1.9): jailtui names a jail as jls does, and says which one."""
    return (f"{name}: no jail of that name; did you mean {kernel_name} "
            f"({title(owner)} jail {name})? jailtui names jails as jls shows them")


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


#: Each manager's own "start at boot" flag (docs/managers.md 1.0): what `check` reads
#: for "enabled" instead of rc.conf's jail_list.
BOOT_FLAGS = {
    Owner.BASTILLE: "boot=on in its settings.conf",
    Owner.IOCAGE: "boot=1 in its config.json",
    Owner.APPJAIL: "its conf/boot/startup/boot exists",
    Owner.POT: "pot.attr.start-at-boot=YES in its pot.conf",
    Owner.EZJAIL: "its rc file in /usr/local/etc/ezjail has no .norun",
}


def boot_source(owner: Owner | str, enabled: bool) -> str:
    """Why a managed jail starts at boot or not, from its manager's own flag."""
    try:
        flag = BOOT_FLAGS.get(Owner(owner), "its manager's boot flag")
    except ValueError:
        flag = "its manager's boot flag"
    verb = "starts it at boot" if enabled else "does not start it at boot"
    return f"{title(owner)} {verb} ({flag}{'' if enabled else ': not set'})"

"""Is the simulated host's jexec confined? The one question delegation asks.

On a simulated host ``jexec web cmd`` runs ``cmd`` on this machine. Until
the simulated jexec confines what it runs to the jail's root (issue 13 item
9: a user+mount namespace, bubblewrap where installed, in sim/jexec.py), a
delegate's ``exec`` and ``x`` there are root on the real machine, and so is
any exec.start they may edit. Delegated sessions on a simulated host are
therefore refused unless :func:`confinement_available` says the confinement
is in force (issue 14 item 8), or the host admin's policy file says, for a
test host, ``simulated_unconfined = true``.

The jexec confinement work provides the real answer by defining
``confinement_in_force() -> bool`` in :mod:`jailtui.sim.jexec`; until it
does, this says False (fail closed).
"""

from __future__ import annotations


def confinement_available() -> bool:
    """True only when the simulated jexec confines commands to the jail's root."""
    from jailtui.sim import jexec

    probe = getattr(jexec, "confinement_in_force", None)
    if not callable(probe):
        return False
    try:
        return bool(probe())
    except Exception:  # a failing probe is no confinement  # noqa: BLE001
        return False


#: Why a delegated session is refused (one message, used by the CLI and console).
UNCONFINED_REFUSAL = ("delegated sessions are refused on a simulated host whose jexec is not "
                      "confined: a delegate's exec and shell would be root on this machine "
                      "(the host admin may allow it for a test host: simulated_unconfined = "
                      "true in the policy file)")

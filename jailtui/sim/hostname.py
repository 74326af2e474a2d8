"""hostname(1): the host's name, or the jail's ``host.hostname`` inside a jail.

Used by the in-jail PATH (``jexec web hostname`` prints ``web.example.org``).
"""

from __future__ import annotations

from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import Store

USAGE = "usage: hostname [-f] [-s | -d] [name-of-host]\n"


def run(ctx: Ctx, args: list[str]) -> int:
    try:
        opts, rest = getopt(args, "fsd")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(USAGE)
        return 1
    flags = {ch for ch, _ in opts}
    if rest:
        # Setting the name needs privilege the simulator does not model.
        ctx.warn("sethostname: Operation not permitted")
        return 1
    with Store(ctx.simdir).read() as st:
        name = st.hostname
        if ctx.jail is not None:
            j = st.jail_by_name(ctx.jail)
            name = j.hostname if j is not None else ""
    if "s" in flags:
        name = name.split(".", 1)[0]
    elif "d" in flags:
        name = name.split(".", 1)[1] if "." in name else ""
    ctx.write(name + "\n")
    return 0

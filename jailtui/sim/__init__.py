"""The simulated FreeBSD host: the default backend off FreeBSD, and what tests run against.

It answers the same argv as FreeBSD (``jls``, ``ps``, ``jail``, ``jexec``,
``rctl``, ``service``, ``sysctl``, ``who``, ``kill``, ``hostname``) with the
bytes, messages and exit codes of ```docs/freebsd.md```, from
state kept in a directory (``SIMDIR``, see ``docs/internals.md``).

Module map:

- state: ``SIMDIR/state.json`` under ``SIMDIR/state.lock`` (jails, processes,
  rules, logins, counters); kernel: jail parameters; lifecycle: jail_set /
  jail_remove; rc, catalog, rcvars, passwd: what /etc/rc starts and as whom;
  dynamics: CPU, memory and short-lived processes computed at output time;
- builder: ``init_host`` / ``reset``;
- one module per tool: jls, ps, jail (with hooks), jexec, rctl, service,
  sysctl, who, kill, hostname; helpers getopt (BSD getopt(3) messages), xo
  (libxo JSON layout), context (one invocation's I/O);
- commands: ``dispatch(simdir, argv, stdin, env) -> (rc, stdout, stderr)``;
  runner: ``SimRunner``; main: ``exec_main`` for shims; shims:
  ``write_shims``; cli: ``jailtui sim ...``.

Nothing here imports Textual.
"""

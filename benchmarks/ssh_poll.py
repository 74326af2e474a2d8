"""What one poll costs over SSH, and how it grows from 1 to 10 hosts.

Starts N real sshd servers on loopback (tests/ssh_servers.py), each in
front of its own simulated FreeBSD host, and polls them the way the console
does: ``Fleet.poll_all()``, one batched round trip per host (jls + ps in
one remote script) over a warm shared connection (ControlMaster).

Two numbers per fleet size, both as the median wall time of one round:

- ``poll``: a whole Host.poll() per host (ssh + remote shell + the
  simulator's jls and ps, which are Python programs: on a small machine
  ten hosts' worth of them compete for the CPUs, which real FreeBSD jls/ps
  on separate hosts would not);
- ``round trip``: the same batch protocol running ``true`` twice: the
  SSH and remote shell part alone, what a fleet adds per host.

With concurrent polling both should stay near 1.0x the one-host cost
(flat) as long as the CPUs keep up. No assertions: this prints a table.

    python benchmarks/ssh_poll.py [--hosts 1,2,5,10] [--rounds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import psutil  # noqa: E402
from ssh_servers import Client, Server, start_servers  # noqa: E402

from jailtui.core.hosts.fleet import Fleet, HostSpec  # noqa: E402
from jailtui.core.transport.ssh import SSHRunner  # noqa: E402


def specs(servers: list[Server]) -> list[HostSpec]:
    return [HostSpec(s.name, s.destination, ssh_options=s.ssh_options(),
                     root=str(s.simdir / "root")) for s in servers]


async def rounds(fleet: Fleet, n: int, what: str) -> list[float]:
    runners = [fleet.host(name).runner for name in fleet.names()]
    out: list[float] = []
    for _ in range(n):
        t0 = time.perf_counter()
        if what == "poll":
            statuses = await fleet.poll_all()
            bad = [s for s in statuses if not s.ok]
            if bad:
                raise SystemExit(f"poll failed: {bad[0].name}: {bad[0].error}")
        else:
            await asyncio.gather(*(r.run_many([["true"], ["true"]])
                                   for r in runners))
        out.append(time.perf_counter() - t0)
    return out


def client_cpu(control_dir: str) -> float:
    """CPU seconds spent on this side: this process, the ssh clients it ran
    and reaped, and the ssh masters (daemons titled "ssh: CONTROLPATH [mux]")."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        ru = resource.getrusage(who)
        total += ru.ru_utime + ru.ru_stime
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if cmd and cmd[0].startswith("ssh: ") and control_dir in cmd[0]:
            try:
                t = p.cpu_times()
            except psutil.Error:
                continue
            total += t.user + t.system
    return total


Row = tuple[int, float, float, float, float]


async def measure(servers: list[Server], sizes: list[int], n_rounds: int,
                  control_dir: str) -> list[Row]:
    rows = []
    for size in sizes:
        fleet = Fleet.from_specs(specs(servers[:size]), control_dir=control_dir)
        t0 = time.perf_counter()
        await fleet.poll_all()  # connects (or reuses masters) and reads the files once
        cold = time.perf_counter() - t0
        await rounds(fleet, 3, "poll")  # warm up
        cpu0 = client_cpu(control_dir)
        poll = statistics.median(await rounds(fleet, n_rounds, "poll"))
        cpu = (client_cpu(control_dir) - cpu0) / (n_rounds * size)
        trip = statistics.median(await rounds(fleet, n_rounds, "trip"))
        rows.append((size, cold, poll, trip, cpu))
        fleet.close()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", default="1,2,5,10", help="fleet sizes (default 1,2,5,10)")
    ap.add_argument("--rounds", type=int, default=15, help="measured rounds per size")
    args = ap.parse_args()
    sizes = sorted({int(x) for x in args.hosts.split(",")})
    base = Path(tempfile.mkdtemp(prefix="jailtui-bench-ssh-"))
    client = Client.create(base / "client")
    print(f"starting {max(sizes)} sshd servers with a simulated host each ...", file=sys.stderr)
    servers = start_servers(base, [f"h{i + 1:02d}" for i in range(max(sizes))], client)
    try:
        # First contact of every server (host key), so no size pays for it.
        for s in servers:
            r = SSHRunner(s.destination, ssh_options=s.ssh_options(),
                          control_dir=client.control_dir)
            asyncio.run(r.run(["true"]))
        rows = asyncio.run(measure(servers, sizes, args.rounds, client.control_dir))
    finally:
        for s in servers:
            s.stop()
        client.close()
    one_poll, one_trip, one_cpu = rows[0][2], rows[0][3], rows[0][4]
    print(f"\none poll over SSH per host, warm connection; median of {args.rounds} rounds; "
          f"{os.cpu_count()} CPUs for the client AND all the servers")
    print(f"{'hosts':>5}  {'first poll':>10}  {'poll':>9}  {'x1 host':>7}  "
          f"{'round trip':>10}  {'x1 host':>7}  {'client CPU/host':>15}  {'x1 host':>7}")
    for size, cold, poll, trip, cpu in rows:
        print(f"{size:>5}  {cold * 1000:>8.0f}ms  {poll * 1000:>7.1f}ms  {poll / one_poll:>6.2f}x"
              f"  {trip * 1000:>8.1f}ms  {trip / one_trip:>6.2f}x"
              f"  {cpu * 1000:>13.1f}ms  {cpu / one_cpu:>6.2f}x")
    print("\npoll, round trip: wall time of one round (all hosts at once).\n"
          "client CPU/host: CPU this side spends per host per poll (jailtui, ssh clients,\n"
          "masters); the rest of the wall time here is the servers' side, which shares\n"
          "this machine's CPUs but runs on each host of a real fleet.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What each jail (and each host) did over the session: CPU, memory, processes.

jls and ps say what is now; admins ask what was (a jail's CPU over the last
hour: btop#470, bottom#601, the history only web UIs show today). The console
feeds every poll's snapshot here (console/fleet.py, beside the timeline) and
the jails pane and the detail view draw sparklines from it.

Bounded and cheap: a window (``[console] history``, default one hour) cut
into :data:`BUCKETS` buckets, each keeping the CPU's sum and sample count (an
average when drawn), the largest RSS and the largest process count of the
polls that fell into it; one series per jail of each host, in typed arrays
(14 bytes a bucket: 1,000 jails cost about 1.7 MB whatever the poll
interval: benchmarks/history.py). A jail not seen for a whole window is
forgotten. A delegate's snapshots hold only their jails (ScopedHost), so their
history does too.
"""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jailtui.core.model import HostSnapshot, JailState

#: Buckets per window: a sparkline in the jails pane shows the last few, the
#: detail view all of them at most (resampled to its width).
BUCKETS = 120
#: The default window, seconds (``[console] history``).
DEFAULT_WINDOW = 3600.0
MIN_WINDOW = 60.0
MAX_WINDOW = 7 * 86_400.0

#: The series of one host as a whole (its jails' sums), beside its jails'.
HOST = ""

Metric = str
METRICS: tuple[Metric, ...] = ("cpu", "mem", "procs")
#: The rctl resources kept (``rctl -u``), where racct is on: the ones rules are
#: usually written for and that ps does not show. Sampled on the health check's
#: slow cadence (core/checks/health.py, the jails that have rules), not per poll.
RCTL_METRICS: tuple[Metric, ...] = ("memoryuse", "pcpu", "openfiles", "nthr", "swapuse",
                                    "readbps", "writebps")


class Series:
    """One jail's buckets: a ring indexed by the bucket's number modulo its size."""

    __slots__ = ("cpu_sum", "last", "mem", "n", "procs", "seen")

    def __init__(self) -> None:
        self.cpu_sum = array("f", bytes(4 * BUCKETS))
        self.n = array("H", bytes(2 * BUCKETS))
        self.mem = array("f", bytes(4 * BUCKETS))
        self.procs = array("f", bytes(4 * BUCKETS))
        #: The newest bucket's number (-1: none yet).
        self.last = -1
        #: When the series last had a sample (seconds, the history's clock).
        self.seen = 0.0

    def add(self, bucket: int, cpu: float, mem_kib: float, procs: float, now: float) -> None:
        if bucket > self.last:
            # Buckets skipped since the newest one (a paused console, a stopped
            # jail) hold nothing: cleared, never left with a lap-old value.
            for b in range(max(self.last + 1, bucket - BUCKETS + 1), bucket + 1):
                i = b % BUCKETS
                self.cpu_sum[i] = self.mem[i] = self.procs[i] = 0.0
                self.n[i] = 0
            self.last = bucket
        elif bucket <= self.last - BUCKETS:
            return  # older than the window (a clock step back)
        i = bucket % BUCKETS
        if self.n[i] < 65_535:
            self.cpu_sum[i] += cpu
            self.n[i] += 1
        self.mem[i] = max(self.mem[i], mem_kib)
        self.procs[i] = max(self.procs[i], procs)
        self.seen = now

    def values(self, metric: Metric, newest: int, count: int = BUCKETS) -> list[float | None]:
        """The window's last ``count`` buckets oldest first, ending with bucket
        ``newest``; None where no poll fell. The jails pane's sparkline asks
        for 10 of the 120 each time it draws a row (issue 18: the tick)."""
        out: list[float | None] = []
        for b in range(newest - count + 1, newest + 1):
            if b < 0 or b > self.last or b <= self.last - BUCKETS:
                out.append(None)
                continue
            i = b % BUCKETS
            n = self.n[i]
            if not n:
                out.append(None)
            elif metric == "cpu":
                out.append(self.cpu_sum[i] / n)
            elif metric == "mem":
                out.append(float(self.mem[i]))
            else:
                out.append(float(self.procs[i]))
        return out


class RctlSeries:
    """One jail's rctl samples: the largest value of each resource per bucket.

    One flat array, resource after resource (:data:`RCTL_METRICS`), NaN where a
    bucket has no sample. Only jails that had rctl samples have one (7 floats
    a bucket: 3.4 KB a jail).
    """

    __slots__ = ("last", "seen", "values")

    def __init__(self) -> None:
        self.values = array("f", [math.nan]) * (BUCKETS * len(RCTL_METRICS))
        self.last = -1
        self.seen = 0.0

    def add(self, bucket: int, usage: dict[str, int], now: float) -> None:
        vals = self.values
        if bucket > self.last:
            for b in range(max(self.last + 1, bucket - BUCKETS + 1), bucket + 1):
                for m in range(len(RCTL_METRICS)):
                    vals[m * BUCKETS + b % BUCKETS] = math.nan
            self.last = bucket
        elif bucket <= self.last - BUCKETS:
            return
        i = bucket % BUCKETS
        for m, name in enumerate(RCTL_METRICS):
            v = usage.get(name)
            if v is not None:
                k = m * BUCKETS + i
                old = vals[k]
                vals[k] = float(v) if math.isnan(old) else max(old, float(v))
        self.seen = now

    def points(self, metric: Metric, newest: int) -> list[float | None]:
        base = RCTL_METRICS.index(metric) * BUCKETS
        out: list[float | None] = []
        for b in range(newest - BUCKETS + 1, newest + 1):
            v = self.values[base + b % BUCKETS] if b >= 0 else math.nan
            if b < 0 or b > self.last or b <= self.last - BUCKETS or math.isnan(v):
                out.append(None)
            else:
                out.append(float(v))
        return out


@dataclass(frozen=True, slots=True)
class Trend:
    """A series ready to draw: ``points`` values oldest first (None: no data)."""

    metric: Metric
    points: tuple[float | None, ...]
    #: Seconds the points span (the time axis).
    span: float

    @property
    def known(self) -> list[float]:
        return [p for p in self.points if p is not None]

    @property
    def peak(self) -> float | None:
        known = self.known
        return max(known) if known else None

    @property
    def latest(self) -> float | None:
        return next((p for p in reversed(self.points) if p is not None), None)


class History:
    """Every series of the session, keyed by (host name, jail name)."""

    def __init__(self, window: float = DEFAULT_WINDOW, *,
                 clock: Callable[[], float] | None = None) -> None:
        self.window = min(max(window, MIN_WINDOW), MAX_WINDOW)
        #: Seconds a bucket spans.
        self.step = self.window / BUCKETS
        self._clock = clock or time.time
        self._series: dict[tuple[str, str], Series] = {}
        self._rctl: dict[tuple[str, str], RctlSeries] = {}

    def set_clock(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def __len__(self) -> int:
        return len(self._series)

    def observe(self, host: str, snapshot: HostSnapshot) -> None:
        """One poll of ``host``: a sample per jail with processes, one for the host."""
        now = self._clock()
        bucket = int(now // self.step)
        cpu_total = mem_total = procs_total = 0.0
        for jail in snapshot.jails:
            if jail.state is JailState.STOPPED:
                continue
            key = (host, jail.name)
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = Series()
            series.add(bucket, jail.cpu_percent, float(jail.rss_kib), float(jail.processes),
                       now)
            cpu_total += jail.cpu_percent
            mem_total += jail.rss_kib
            procs_total += jail.processes
        host_key = (host, HOST)
        series = self._series.get(host_key)
        if series is None:
            series = self._series[host_key] = Series()
        series.add(bucket, cpu_total, mem_total, procs_total, now)
        self._forget(now)

    def observe_rctl(self, host: str, usage: dict[str, dict[str, int]]) -> None:
        """``rctl -u`` of some of ``host``'s jails (the health check's, racct on)."""
        now = self._clock()
        bucket = int(now // self.step)
        for jail, counters in usage.items():
            key = (host, jail)
            series = self._rctl.get(key)
            if series is None:
                series = self._rctl[key] = RctlSeries()
            series.add(bucket, counters, now)
        # Forgotten here, on the slow cadence, not on every poll's observe().
        for k in [k for k, r in self._rctl.items() if now - r.seen > self.window]:
            del self._rctl[k]

    def rctl_resampled(self, host: str, jail: str, metric: Metric, width: int) -> Trend | None:
        """An rctl resource over the window in ``width`` points (largest per point)."""
        series = self._rctl.get((host, jail))
        if series is None:
            return None
        values = series.points(metric, int(self._clock() // self.step))
        return Trend(metric, tuple(_resample(values, width, average=False)), self.window)

    def _forget(self, now: float) -> None:
        gone = [k for k, s in self._series.items() if now - s.seen > self.window]
        for k in gone:
            del self._series[k]

    def trend(self, host: str, jail: str, metric: Metric, points: int) -> Trend | None:
        """The last ``points`` buckets of one series (None: never seen)."""
        series = self._series.get((host, jail))
        if series is None:
            return None
        newest = int(self._clock() // self.step)
        values = series.values(metric, newest, max(1, min(points, BUCKETS)))
        return Trend(metric, tuple(values), len(values) * self.step)

    def resampled(self, host: str, jail: str, metric: Metric, width: int) -> Trend | None:
        """The whole window in ``width`` points (fewer when the window has fewer
        buckets): each point the average (CPU) or the largest (memory,
        processes) of the buckets it covers."""
        series = self._series.get((host, jail))
        if series is None:
            return None
        newest = int(self._clock() // self.step)
        values = series.values(metric, newest)
        return Trend(metric, tuple(_resample(values, width, average=metric == "cpu")),
                     self.window)


def _resample(values: Sequence[float | None], width: int, *, average: bool
              ) -> list[float | None]:
    """``values`` (one per bucket) in ``width`` points: the average or the largest of each."""
    width = max(1, min(width, BUCKETS))
    out: list[float | None] = []
    for k in range(width):
        part = [v for v in values[k * BUCKETS // width:(k + 1) * BUCKETS // width]
                if v is not None]
        if not part:
            out.append(None)
        elif average:
            out.append(sum(part) / len(part))
        else:
            out.append(max(part))
    return out


#: Eight levels, lowest first (U+2581..U+2588), and their ASCII stand-ins.
SPARK_UNICODE = "▁▂▃▄▅▆▇█"
SPARK_ASCII = "_.-=+*#@"


def span_text(seconds: float) -> str:
    """A time span as an axis says it: ``30s``, ``5m``, ``1h``, ``2d``."""
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0 or seconds >= 10 * size:
            return f"{seconds / size:.0f}{unit}"
    if seconds >= 60:
        return f"{seconds / 60:.0f}m"
    return f"{seconds:.0f}s"


#: A CPU sparkline's scale: its peak, but never under this (percent), so an
#: idle jail's 0.1 % draws as low bars, not as a full one.
CPU_FLOOR = 10.0


def cpu_spark(trend: Trend | None, levels: str = SPARK_UNICODE) -> str:
    """The CPU sparkline of a series ("" when the jail was never seen)."""
    if trend is None:
        return ""
    peak = trend.peak or 0.0
    return spark(trend.points, top=max(peak, CPU_FLOOR), levels=levels)


def spark(points: Sequence[float | None], *, top: float | None = None,
          levels: str = SPARK_UNICODE) -> str:
    """One character a point: its level against ``top`` (the series' peak when
    None), a space where there is no data. A series of zeros is its lowest level."""
    known = [p for p in points if p is not None and math.isfinite(p)]
    peak = top if top is not None else (max(known) if known else 0.0)
    out: list[str] = []
    for p in points:
        if p is None or not math.isfinite(p):
            out.append(" ")
        elif peak <= 0:
            out.append(levels[0])
        else:
            level = int(min(max(p / peak, 0.0), 1.0) * (len(levels) - 1) + 0.5)
            out.append(levels[level])
    return "".join(out)

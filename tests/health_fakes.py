"""Fixed health reports for the console's tests and snapshots.

The console evaluates health with ``core.health.evaluate`` on a real host
(tests/test_tui_health.py runs it on the simulator); on the tests' FakeHost
there is nothing to run commands on, so these evaluators stand in
(``app.health.set_evaluator``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from jailtui.core.checks.health import Finding, Report, Severity
from jailtui.core.model import HostSnapshot


def sample_findings() -> list[Finding]:
    """One of each severity, against the jails of ``tui_fakes.sample_jails``."""
    return [
        Finding(Severity.WARNING, "dying", "legacy", "legacy: stuck dying (jid 2)"),
        Finding(Severity.UNKNOWN, "unknown", None,
                "rctl: RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 "
                "tunable"),
        Finding(Severity.CRITICAL, "daemon-missing", "db",
                "db: postgresql is enabled in rc.conf but not running"),
        Finding(Severity.WARNING, "rctl", "web",
                "web: memoryuse at 86% of its limit (3221225472 of 3758096384)"),
        Finding(Severity.CRITICAL, "down", "build",
                "build: not running (enabled in rc.conf jail_list)"),
    ]


class FixedEvaluator:
    """Answers every evaluation with ``findings``; counts calls and overlap.

    ``gate``: when set, evaluations wait for it (a test holds one "in flight").
    ``fail_with``: raised instead of answering.
    """

    def __init__(self, findings: Sequence[Finding] | None = None) -> None:
        self.findings = list(sample_findings() if findings is None else findings)
        self.calls = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.gate: asyncio.Event | None = None
        self.fail_with: Exception | None = None
        self.snapshots: list[HostSnapshot] = []

    async def __call__(self, snapshot: HostSnapshot) -> Report:
        self.calls += 1
        self.snapshots.append(snapshot)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.fail_with is not None:
                raise self.fail_with
            return Report(findings=list(self.findings), jails=snapshot.jails,
                          host=snapshot.info.hostname, backend=snapshot.info.backend)
        finally:
            self.in_flight -= 1


__all__ = ["FixedEvaluator", "sample_findings"]

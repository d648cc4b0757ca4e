"""Where the machine's CPU went during a run, by process group, from /proc.

On a 2-core box that runs the service, PostgreSQL, the acquirer and the
load generator together, purchases/s alone hides who paid for them. This
snapshots every process's user+system time (plus what reaped children left
in their parents) before and after a run and reports CPU milliseconds per
unit of work (per confirmed purchase, say) for each group.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _read(pid: str) -> tuple[str, int, float] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2 :].split()
    pgid = int(fields[2])
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return name, pgid, (utime + stime + cutime + cstime) / TICKS


def snapshot(classify: Callable[[int, str, int], str]) -> Counter[str]:
    """CPU seconds so far, summed per group that `classify(pid, name, pgid)` names."""
    totals: Counter[str] = Counter()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (read := _read(entry)) is not None:
            name, pgid, seconds = read
            totals[classify(int(entry), name, pgid)] += seconds
    return totals


def machine_busy_seconds() -> float:
    """All CPUs' non-idle time since boot, in seconds."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / TICKS


def per_unit_ms(before: Counter[str], after: Counter[str], units: int) -> dict[str, float]:
    """CPU milliseconds per unit, per group (groups whose share rounds to zero left out)."""
    spent = {group: after[group] - before.get(group, 0.0) for group in after}
    return {
        group: round(seconds * 1000 / max(1, units), 2)
        for group, seconds in sorted(spent.items(), key=lambda kv: -kv[1])
        if seconds * 1000 / max(1, units) >= 0.01
    }

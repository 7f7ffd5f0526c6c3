"""Replay a test run's per-test durations through pytest-xdist's schedulers.

A model, not a measurement: each test costs what it cost in the measured run (a
``--junitxml`` file of ``pytest -n 2``), wherever it is sent; a set-up that a
group shares is charged to the test that paid for it in that run. The order and
the xdist groups are this tree's (collected in-process, as ``tests/conftest.py``
marks them). Prints the wall time of the test phase under ``--dist load`` (the
chunks xdist 3.8 sends) and under ``loadgroup`` (one unit at a time, the biggest
groups first), and the lower bound: half the sum of the durations.

Run: ``python -m pytest -n 2 --junitxml=run.xml`` then
``python bench/bench_xdist_schedule.py run.xml [--workers 2]``.
"""

from __future__ import annotations

import argparse
import heapq
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def durations(junit: Path) -> dict[str, float]:
    found = {}
    for case in ET.parse(junit).iter("testcase"):
        module = (case.get("classname") or "").replace(".", "/") + ".py"
        found[f"{module}::{case.get('name')}"] = float(case.get("time") or 0)
    return found


class _Collector:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            groups = [str(m.args[0]) for m in item.iter_markers("xdist_group")]
            self.items.append((item.nodeid, groups[0] if groups else ""))


def collect() -> list[tuple[str, str]]:
    collector = _Collector()
    args = ["-q", "--collect-only", "-p", "no:cacheprovider", str(ROOT / "tests")]
    pytest.main(args, plugins=[collector])
    return collector.items


def simulate_load(costs: list[float], workers: int) -> float:
    """xdist 3.8's LoadScheduling: a first chunk each, refilled by its heuristics."""
    pending = list(range(len(costs)))
    queues: list[list[int]] = [[] for _ in range(workers)]
    chunk = max(len(costs) // workers // 4, 2)
    for queue in queues:
        queue.extend(pending[:chunk])
        del pending[:chunk]

    def refill(queue: list[int], cost: float) -> None:
        if pending:
            low = max(2, len(pending) // workers // 4)
            high = max(2, len(pending) // workers // 2)
            if len(queue) < low and not (cost >= 0.1 and len(queue) >= 2):
                count = high - len(queue)
                queue += pending[:count]
                del pending[:count]

    return _replay(costs, queues, refill)


def simulate_loadgroup(costs: list[float], groups: list[str], workers: int) -> float:
    """LoadGroupScheduling: a group is one unit, a test without one is its own unit;
    the biggest units first; a worker gets the next unit once it has two tests left."""
    units: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        units.setdefault(group or f"#{index}", []).append(index)
    waiting = sorted(units.values(), key=len, reverse=True)
    queues: list[list[int]] = [[] for _ in range(workers)]
    for queue in queues * 2:
        if waiting and len(queue) <= 2:
            queue.extend(waiting.pop(0))

    def refill(queue: list[int], cost: float) -> None:
        if waiting and len(queue) <= 2:
            queue += waiting.pop(0)

    return _replay(costs, queues, refill)


def _replay(
    costs: list[float], queues: list[list[int]], refill: Callable[[list[int], float], None]
) -> float:
    """Each worker runs its queue in order; after each test, ``refill(queue, its cost)``
    may give it more. The time the last test ends."""
    events = [(costs[q[0]], w) for w, q in enumerate(queues) if q]
    heapq.heapify(events)
    end = 0.0
    while events:
        now, worker = heapq.heappop(events)
        queue = queues[worker]
        cost = costs[queue.pop(0)]
        end = max(end, now)
        refill(queue, cost)
        if queue:
            heapq.heappush(events, (now + costs[queue[0]], worker))
    return end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("junit", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    measured = durations(options.junit)
    items = collect()
    costs = [measured.get(nodeid, 0.0) for nodeid, _ in items]
    unknown = sum(nodeid not in measured for nodeid, _ in items)
    grouped = sum(bool(group) for _, group in items)
    print(
        f"{len(items)} tests ({grouped} in xdist groups; {unknown} not in {options.junit.name}),"
        f" {options.workers} workers; sum of durations {sum(costs):.0f} s,"
        f" lower bound {sum(costs) / options.workers:.0f} s",
        file=sys.stderr,
    )
    print(f"--dist load       {simulate_load(costs, options.workers):7.0f} s")
    loadgroup = simulate_loadgroup(costs, [g for _, g in items], options.workers)
    print(f"--dist loadgroup  {loadgroup:7.0f} s")


if __name__ == "__main__":
    main()

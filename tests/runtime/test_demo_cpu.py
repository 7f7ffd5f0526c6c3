"""The demo's CPU accounting and per-phase figures (``mlruntime.demo.cpu``, ``.timeline``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlruntime.demo import cpu
from mlruntime.demo.timeline import Timeline

# Burns CPU until it has used `seconds` of it (process time, not wall time: a busy
# machine slows it down but does not change what it uses).
_BURN = "import time\nwhile time.process_time() < {seconds}: pass\n"

linux_only = pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc")


def _burner(seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _BURN.format(seconds=seconds)])


def test_a_reaped_child_s_cpu_is_counted_once() -> None:
    before = cpu.tree_seconds()
    child = _burner(0.5)
    child.wait()
    after = cpu.tree_seconds()
    # the child's 0.5 s and this process's own (small) share; never twice the child
    assert 0.45 <= after - before < 0.95


@linux_only
def test_a_running_child_s_cpu_is_counted_while_it_runs() -> None:
    before = cpu.tree_seconds()
    child = _burner(0.6)
    try:
        # poll until the running child has shown CPU (however slow the machine is)
        seen = 0.0
        while child.poll() is None and seen < 0.3:
            seen = cpu.tree_seconds() - before
        assert seen >= 0.3 or child.returncode == 0
    finally:
        child.wait()
    total = cpu.tree_seconds() - before
    assert 0.55 <= total < 1.2  # counted by itself while running, then once reaped


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, text: str) -> None:
        self.lines.append(text)

    def running(self, text: str) -> None:
        pass


def test_phase_lines_and_tables_show_wall_and_cpu_seconds() -> None:
    view = Lines()
    timeline = Timeline(view, 2)
    with timeline.phase("first", "burn a little") as phase:
        burner = _burner(0.3)
        burner.wait()
        timeline.step("burner", 0.5, "done", cpu=0.3)
        phase.outcome = "burnt"
    with timeline.phase("second", "nothing") as phase:
        with timeline.timed("think") as step:
            step.outcome = "thought"
        phase.outcome = "idle"
    line = view.lines[0]
    assert line.startswith("[1/2] first      burn a little: burnt  (")
    assert ", CPU " in line and line.endswith(" s)")
    first, second = timeline.phases
    assert first.cpu_seconds >= 0.28 and second.cpu_seconds < first.cpu_seconds
    table = timeline.render_phases().splitlines()
    assert table[0].split() == ["phase", "wall", "s", "CPU", "s", "CPU", "share"]
    assert table[1].split()[0] == "first" and table[1].endswith("%")
    assert table[-1].split()[0] == "total"
    steps = timeline.render().splitlines()
    assert "CPU s" in steps[0]
    assert steps[-1].startswith("total ") and ", CPU " in steps[-1]
    document = timeline.to_json()
    assert document["cpu_seconds"] >= first.cpu_seconds
    assert [p["cpu_seconds"] for p in document["phases"]] == [
        first.cpu_seconds,
        second.cpu_seconds,
    ]
    assert document["steps"][0]["cpu_seconds"] == 0.3


def test_steps_that_ran_side_by_side_are_listed_in_their_order() -> None:
    timeline = Timeline(Lines(), 1)
    for name in ("before", "window 3", "window 1", "window 2", "after"):
        timeline.step(name, 1.0, "ok")
    timeline.reorder(["window 1", "window 2", "window 3"])
    assert [s.step for s in timeline.steps] == [
        "before",
        "window 1",
        "window 2",
        "window 3",
        "after",
    ]

"""``/proc/<pid>/stat`` as data (``mlruntime.procstat``), checked against what os says."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlruntime import procstat

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc")


def test_this_process_reads_as_os_says() -> None:
    found = procstat.read_stat(os.getpid())
    assert found is not None
    assert (found.pid, found.parent, found.group) == (os.getpid(), os.getppid(), os.getpgrp())
    assert found.state == "R"  # it is reading its own stat
    assert found.cpu_seconds > 0


def test_a_command_name_with_a_parenthesis_and_spaces(tmp_path: Path) -> None:
    named = tmp_path / "x) 1 2 3"  # the kernel's comm is the executable's name
    named.symlink_to(sys.executable)
    child = subprocess.Popen(
        [str(named), "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        found = procstat.read_stat(child.pid)
        assert found is not None
        assert (found.pid, found.parent) == (child.pid, os.getpid())
        assert found.group == os.getpgrp()
        assert any(p.pid == child.pid for p in procstat.every_process())
    finally:
        child.communicate(b"")


def test_an_exited_child_is_a_zombie_until_reaped_then_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 120  # a bound against a hang, not a timing assumption
    found = procstat.read_stat(child.pid)
    while found is not None and found.state != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
        found = procstat.read_stat(child.pid)
    assert found is not None and found.state == "Z"
    child.wait()
    assert procstat.read_stat(child.pid) is None
    assert procstat.read_stat("not-a-pid") is None

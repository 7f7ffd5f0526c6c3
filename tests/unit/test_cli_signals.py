"""``serve`` stops on the first Ctrl-C/SIGTERM and is not abandoned by a second one; Ctrl-C in
any command exits 130 (interrupted)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from mlcli.app import cli
from mlcli.errors import Group
from mlcli.signals import SIGNALS, interrupt_once
from mlcontract.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]


def test_first_signal_interrupts_and_later_ones_only_report() -> None:
    before = {sig: signal.getsignal(sig) for sig in SIGNALS}
    repeats: list[str] = []

    def serve() -> None:
        with interrupt_once(lambda: repeats.append("again")):
            try:
                signal.raise_signal(signal.SIGTERM)
            finally:  # unwinding, as serve does while it stops MLServer
                signal.raise_signal(signal.SIGTERM)  # while stopping: reported, not raised
                signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        serve()
    assert repeats == ["again", "again"]
    assert {sig: signal.getsignal(sig) for sig in SIGNALS} == before  # handlers restored


def test_handlers_are_restored_when_the_block_ends_without_a_signal() -> None:
    before = {sig: signal.getsignal(sig) for sig in SIGNALS}
    with interrupt_once(lambda: None):
        assert all(signal.getsignal(sig) is not before[sig] for sig in SIGNALS)
    assert {sig: signal.getsignal(sig) for sig in SIGNALS} == before


def _interrupted() -> None:
    raise KeyboardInterrupt


def test_ctrl_c_in_a_command_exits_130_not_clicks_aborted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import compiler.target_registry

    monkeypatch.setattr(compiler.target_registry, "available_targets", _interrupted)
    result = CliRunner().invoke(cli, ["targets"], catch_exceptions=False)
    assert result.exit_code == ExitCode.INTERRUPTED
    assert result.stderr == "interrupted\n"
    assert "Aborted" not in result.output


def test_ctrl_c_in_a_nested_group_is_reported_once() -> None:
    @click.group(cls=Group)
    def outer() -> None:
        pass

    @outer.group(cls=Group)
    def inner() -> None:
        pass

    @inner.command()
    def work() -> None:
        raise KeyboardInterrupt

    result = CliRunner().invoke(outer, ["inner", "work"], catch_exceptions=False)
    assert (result.exit_code, result.stderr) == (ExitCode.INTERRUPTED, "interrupted\n")


def _wait_until_blocked_reading(pid: int) -> None:
    """Until ``pid`` sleeps in a pipe read, as a user's Ctrl-C finds a prompt: a signal that
    lands between the prompt's write and its read is only handled once the read returns."""
    wchan = Path(f"/proc/{pid}/wchan")
    if not wchan.exists():
        pytest.skip("needs /proc/PID/wchan (Linux) to see the prompt wait for input")
    deadline = time.monotonic() + 120  # a bound for a stuck run, not a measurement
    while "pipe_read" not in wchan.read_text():
        assert time.monotonic() < deadline, wchan.read_text()
        time.sleep(0.01)


# A process started in the background inherits SIGINT ignored (so Python leaves it
# ignored): restore what a terminal's foreground process has.
_AS_FROM_A_TERMINAL = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from mlcli.app import main
main(sys.argv[1:])
"""


def test_ctrl_c_at_a_prompt_exits_130_and_ctrl_d_stays_aborted(tmp_path: Path) -> None:
    """A real process at `init -i`'s first prompt: SIGINT once it asks, or stdin closed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", _AS_FROM_A_TERMINAL, "init", str(tmp_path / "p"), "-i"]
    for stop in ("ctrl-c", "ctrl-d"):
        proc = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdout is not None and proc.stdin is not None
        try:
            asked = b""
            while b"Project name" not in asked:  # the prompt is written before it reads
                chunk = proc.stdout.read1(256)
                assert chunk, proc.communicate()
                asked += chunk
            if stop == "ctrl-c":
                _wait_until_blocked_reading(proc.pid)
                proc.send_signal(signal.SIGINT)  # stdin stays open: no end of input
            else:
                proc.stdin.close()
            proc.wait(timeout=120)  # a bound for a stuck run
            assert proc.stderr is not None
            stderr = proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        if stop == "ctrl-c":
            assert (proc.returncode, stderr) == (ExitCode.INTERRUPTED, b"\ninterrupted\n")
        else:
            assert proc.returncode == 1 and b"Aborted!" in stderr, stderr
    assert not (tmp_path / "p").exists()

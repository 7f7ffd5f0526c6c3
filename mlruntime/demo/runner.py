"""Demo: every command runs as a real subprocess, is logged, and fails loudly.

``mlproject`` commands run as ``sys.executable -m mlcli ...`` (exactly what
the console script runs); tools (git, DVC) by name or module. Each run is
recorded on the timeline and written to ``demo/logs/NN-<step>.log`` with its
command line, exit code, stdout and stderr. An unexpected exit code raises
:class:`DemoError` carrying the output, which the command prints before it
exits non-zero.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlcontract.errors import ExitCode, MlprojectError
from mlruntime.demo import cpu
from mlruntime.demo.timeline import FAILED, Timeline

COMMAND_TIMEOUT = 600.0  # seconds; dvc repro of the example takes ~15 s
_SLUG = re.compile(r"[^a-z0-9]+")


class DemoError(MlprojectError):
    """A step misbehaved: what it was (``step``), why, and its ``output``."""

    def __init__(self, step: str, message: str, output: str = "") -> None:
        usage = step == "workdir"  # a --workdir the demo may not use
        super().__init__(f"{step}: {message}", exit_code=ExitCode.USAGE if usage else None)
        self.step = step
        self.output = output


@dataclass(frozen=True)
class Result:
    """A finished command."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    cpu_seconds: float = 0.0  # of the command and what it ran (and of running servers)

    @property
    def output(self) -> str:
        return "\n".join(part.rstrip("\n") for part in (self.stdout, self.stderr) if part.strip())


def display(argv: Sequence[str]) -> str:
    """The command line as a user would type it (``mlproject ...``, ``dvc ...``)."""
    shown = list(argv)
    if len(shown) >= 3 and shown[0] == sys.executable and shown[1] == "-m":
        module = shown[2]
        shown = [{"mlcli": "mlproject"}.get(module, module), *shown[3:]]
    return shlex.join(shown)


def last_line(result: Result) -> str:
    """The default outcome of a step: the last line it printed on stdout."""
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    text = lines[-1] if lines else "ok"
    return text if len(text) <= 90 else text[:87] + "..."


class Runner:
    """Runs the demo's commands in the project directory with one environment."""

    def __init__(self, cwd: Path, env: dict[str, str], logs: Path, timeline: Timeline) -> None:
        self.cwd = cwd
        self.env = env
        self.logs = logs
        self.timeline = timeline
        self.count = 0
        self._lock = threading.Lock()  # commands may run side by side (see ``concurrent``)

    def mlproject(
        self,
        step: str,
        *args: str,
        ok: Sequence[int] = (0,),
        outcome: Callable[[Result], str] = last_line,
        concurrent: bool = False,
    ) -> Result:
        """``mlproject ARGS`` as a subprocess of this interpreter."""
        argv = [sys.executable, "-m", "mlcli", *args]
        return self.run(step, argv, ok=ok, outcome=outcome, concurrent=concurrent)

    def dvc(self, step: str, *args: str, outcome: Callable[[Result], str] = last_line) -> Result:
        return self.run(step, [sys.executable, "-m", "dvc", *args], outcome=outcome)

    def git(self, step: str, *args: str, record: bool = False) -> Result:
        """git in the demo's own repository; recorded on the timeline only when asked."""
        return self.run(step, ["git", *args], record=record)

    def commit(self, step: str, message: str) -> str:
        """Stage everything (the exclude file keeps the demo's own files out) and commit."""
        started, cpu_started = time.perf_counter(), cpu.tree_seconds()
        self.git(step, "add", "-A")
        self.git(step, "commit", "-q", "-m", message)
        commit = self.git(step, "rev-parse", "HEAD").stdout.strip()
        self.timeline.step(
            step,
            time.perf_counter() - started,
            f"{commit[:12]} {message}",
            cpu=cpu.tree_seconds() - cpu_started,
        )
        return commit

    def run(
        self,
        step: str,
        argv: Sequence[str],
        *,
        ok: Sequence[int] = (0,),
        outcome: Callable[[Result], str] = last_line,
        record: bool = True,
        concurrent: bool = False,
    ) -> Result:
        """Run one command; ``concurrent``: others run beside it (from other threads), so
        its CPU time is not told apart from theirs (the phase's total still is exact)."""
        started, cpu_started = time.perf_counter(), cpu.tree_seconds()
        try:
            done = subprocess.run(
                list(argv),
                cwd=self.cwd,
                env=self.env,
                capture_output=True,
                text=True,
                check=False,
                timeout=COMMAND_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            self.timeline.step(step, COMMAND_TIMEOUT, f"{FAILED}: timed out", ok=False)
            raise DemoError(
                step, f"`{display(argv)}` did not finish within {COMMAND_TIMEOUT:.0f} s"
            ) from exc
        except OSError as exc:
            raise DemoError(step, f"`{display(argv)}` could not start: {exc}") from exc
        result = Result(
            tuple(argv),
            done.returncode,
            done.stdout,
            done.stderr,
            time.perf_counter() - started,
            cpu.tree_seconds() - cpu_started,
        )
        measured = None if concurrent else result.cpu_seconds
        self._log(step, result, concurrent)
        if result.returncode not in ok:
            if record:
                self.timeline.step(
                    step,
                    result.seconds,
                    f"{FAILED}: exit {result.returncode}",
                    ok=False,
                    cpu=measured,
                )
            raise DemoError(
                step,
                f"`{display(argv)}` exited {result.returncode} (expected "
                f"{' or '.join(str(c) for c in ok)})",
                result.output,
            )
        try:
            text = outcome(result)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            if record:
                self.timeline.step(
                    step,
                    result.seconds,
                    f"{FAILED}: unreadable output",
                    ok=False,
                    cpu=measured,
                )
            raise DemoError(
                step,
                f"`{display(argv)}` exited {result.returncode} with output the demo cannot "
                f"read ({type(exc).__name__}: {exc})",
                result.output,
            ) from exc
        if record:
            self.timeline.step(step, result.seconds, text, cpu=measured)
        return result

    def _log(self, step: str, result: Result, concurrent: bool) -> None:
        with self._lock:
            self.count += 1
            number = self.count
        name = _SLUG.sub("-", step.lower()).strip("-")[:60] or "step"
        self.logs.mkdir(parents=True, exist_ok=True)
        used = "CPU not told apart" if concurrent else f"CPU {result.cpu_seconds:.2f} s"
        text = (
            f"$ {display(result.argv)}\n# exit {result.returncode} in {result.seconds:.2f} s "
            f"({used})\n"
            f"# --- stdout\n{result.stdout}\n# --- stderr\n{result.stderr}"
        )
        (self.logs / f"{number:03d}-{name}.log").write_text(text, encoding="utf-8")

"""The demo's timeline reports to a view; only the CLI's view touches the terminal."""

from __future__ import annotations

import io

import pytest

from mlcli.demo import TerminalView
from mlruntime.demo.timeline import Timeline


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def line(self, text: str) -> None:
        self.events.append(("line", text))

    def running(self, text: str) -> None:
        self.events.append(("running", text))


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_phase_says_it_runs_then_its_notes_and_its_line() -> None:
    view = Recorder()
    timeline = Timeline(view, total_phases=2)
    with timeline.phase("train", "dvc repro") as handle:
        timeline.note("gate passed")
        handle.outcome = "v1"
    assert [kind for kind, _ in view.events] == ["running", "line", "running", "line"]
    assert view.events[0] == ("running", "[1/2] train      dvc repro ...")
    assert view.events[1] == ("line", "      gate passed")
    assert view.events[3][1].startswith("[1/2] train      dvc repro: v1  (")
    assert timeline.phases[0].ok and timeline.phases[0].outcome == "v1"


def test_a_failed_phase_still_reports_its_line() -> None:
    view = Recorder()
    timeline = Timeline(view, total_phases=1)
    with pytest.raises(RuntimeError), timeline.phase("serve", "mlserver"):
        raise RuntimeError("boom")
    assert view.events[-1][1].startswith("[1/1] serve      mlserver: FAILED")


def test_the_terminal_view_shows_what_runs_only_on_a_terminal() -> None:
    piped = io.StringIO()
    view = TerminalView(piped)
    view.running("[1/2] train ...")
    view.line("[1/2] train: ok")
    assert piped.getvalue() == "[1/2] train: ok\n"  # a log holds no control characters
    tty = Tty()
    view = TerminalView(tty)
    view.running("[1/2] train ...")
    view.line("[1/2] train: ok")
    assert tty.getvalue() == "[1/2] train ...\r\033[K[1/2] train: ok\n"

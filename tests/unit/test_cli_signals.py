"""``serve`` stops on the first Ctrl-C/SIGTERM and is not abandoned by a second one; Ctrl-C in
any command exits 130 (interrupted)."""

from __future__ import annotations

import signal

import click
import pytest
from click.testing import CliRunner

from mlcli.app import cli
from mlcli.errors import Group
from mlcli.signals import SIGNALS, interrupt_once
from mlcontract.errors import ExitCode


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

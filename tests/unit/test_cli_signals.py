"""``serve`` stops on the first Ctrl-C/SIGTERM and is not abandoned by a second one."""

from __future__ import annotations

import signal

import pytest

from mlcli.signals import SIGNALS, interrupt_once


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

"""mlcontract.safe_text: what ``printable`` escapes."""

from __future__ import annotations

import re

from mlcontract.safe_text import printable

# The printable characters, as the module first spelled them (a negated class).
PRINTABLE = re.compile(r"[^\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]")


def test_printable_escapes_every_code_point_outside_the_printable_ranges() -> None:
    every = "".join(map(chr, range(0x110000)))
    expected = PRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), every)
    assert printable(every, limit=len(expected)) == expected


def test_printable_shortens_and_escapes_controls() -> None:
    assert printable("a\x1b[2Jb\x85c\ud800") == "a\\x1b[2Jb\\x85c\\ud800"
    assert printable("x" * 10, limit=5) == "xxxx…"

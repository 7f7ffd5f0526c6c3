"""Text fit for a terminal, a log or a report: no raw bytes, no data values.

A reader's error message often quotes the input it choked on: pyarrow prints the
whole CSV row ("Expected 9 columns, got 11: alice@example.com,..."), a decoder the
bytes. Those may be values of PII columns or of confidential sources, or control
characters that rewrite a terminal. :func:`read_error` keeps what the message says
about the file's shape and drops what it quotes; :func:`printable` escapes
what is left.
"""

from __future__ import annotations

import re

MAX_MESSAGE = 200

_QUOTED_TAIL = (
    # pyarrow CSV: "Expected 9 columns, got 11: <the row>"
    re.compile(r"(Expected \d+ columns?, got \d+).*", re.DOTALL),
    # pyarrow/pandas conversions: "invalid value 'x'", "could not convert string to float: 'x'"
    re.compile(r"(invalid value|could not convert [^:]*|invalid literal [^:]*)[: ].*", re.DOTALL),
    # pandas: "... Unknown string format: x present at position 3"
    re.compile(r"(Unknown (?:string|datetime string) format)[: ].*", re.DOTALL),
)
# What is not printable, spelled as ranges rather than as the complement of the printable
# ones ([^\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd], the same characters): re compiles a negated
# class into a 64k-entry map, ~5 ms of every command's start-up; this one ~0.5 ms.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe-\U0010ffff]")


def printable(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` with control characters, lone surrogates and the like escaped, and shortened."""
    shown = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def read_error(exc: BaseException) -> str:
    """What a reader's exception says about the file, without the data it quotes."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    for pattern in _QUOTED_TAIL:
        first = pattern.sub(lambda m: f"{m.group(1)} (the row's values are not shown)", first)
    if "\x00" in text or "\ufffd" in text:
        first = first.split(": ")[0] + " (binary data?)"
    return printable(first)

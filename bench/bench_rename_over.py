"""What renaming a freshly written file into place costs, by what the target is.

``StagedOutputs`` writes each report to a temporary file and ``os.replace``-s it over
last run's copy. On ext4 (``auto_da_alloc``, the default) renaming over an existing file
first starts the write-back of the new file's delayed-allocation blocks, so that after a
power cut the name holds the old or the new content, not an empty file. This measures
that against renaming to a new name, and against ``renameat2(RENAME_EXCHANGE)`` plus an
unlink of the old file (the same atomic swap for a reader, without that flush)::

    python bench/bench_rename_over.py [DIR] [--size BYTES] [--runs N]

DIR must be on the file system the reports go to. Medians of N runs. Linux only (the
exchange goes through ctypes). Not part of the tests.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

AT_FDCWD, RENAME_EXCHANGE = -100, 2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", nargs="?", default=".")
    parser.add_argument("--size", type=int, default=100_000)  # about monitor.html
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    libc = ctypes.CDLL(None, use_errno=True)
    data = b"x" * args.size
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        temp, target, fresh = Path(tmp, "t"), Path(tmp, "target"), Path(tmp, "fresh")
        target.write_bytes(b"last run")

        def over() -> None:
            os.replace(temp, target)

        def new_name() -> None:
            os.replace(temp, fresh)

        def exchange() -> None:
            if libc.renameat2(AT_FDCWD, bytes(temp), AT_FDCWD, bytes(target), RENAME_EXCHANGE):
                raise OSError(ctypes.get_errno(), "renameat2")
            temp.unlink()

        cases: dict[str, Callable[[], None]] = {
            "os.replace over the last copy": over,
            "os.replace to a new name": new_name,
            "RENAME_EXCHANGE + unlink": exchange,
        }
        for name, rename in cases.items():
            wall, cpu = [], []
            for _ in range(args.runs):
                fresh.unlink(missing_ok=True)
                temp.write_bytes(data)
                w, c = time.perf_counter(), time.process_time()
                rename()
                wall.append(time.perf_counter() - w)
                cpu.append(time.process_time() - c)
            print(
                f"{name:32s} wall {statistics.median(wall) * 1e3:.3f} ms"
                f"  cpu {statistics.median(cpu) * 1e3:.3f} ms"
            )


if __name__ == "__main__":
    main()

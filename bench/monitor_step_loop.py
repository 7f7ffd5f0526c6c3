"""Run the whole monitor step K times on ROWS-row planted windows, for an instruction count.

As ``monitor_drift_loop.py``, for the whole step (read both Parquet windows, every
check, the 20 drift tests, the four reports). The windows are written once, natively,
into WORK (``prepare``); under valgrind only the step runs::

    python bench/monitor_step_loop.py 10000 prepare /tmp/step-10k
    for k in 0 3; do valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
        python3.11 bench/monitor_step_loop.py 10000 $k /tmp/step-10k 2>&1 | grep 'I *refs'; done
    # instructions per run = (I(3) - I(0)) / 3; OPENBLAS_NUM_THREADS=1 keeps
    # OpenBLAS's idle threads from adding their spinning to the count

A fourth argument counts one phase instead of the whole step: ``load`` (the
compiled project and params.yaml), ``read`` (both Parquet windows), ``evaluate``
(load, read, every check and the drift tests: the step less its four reports);
``json``, ``html``, ``prom``, ``md`` (one report rendered) or ``write`` (all four
rendered and written, ``StagedOutputs``) run the step once and then only that part,
so (I(K) - I(0)) / K is that part's count.

Not part of the tests.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

NOW = 1_719_878_400.0  # 2024-07-02T00:00:00Z, as bench_monitor_stats


def _reports() -> dict[str, Callable[[Any, Path], object]]:
    from mlruntime.steps.monitor import quality
    from mlruntime.steps.monitor import run as monitor
    from mlruntime.steps.monitor.html import render_html
    from mlruntime.steps.monitor.render import render_markdown, render_prometheus
    from mlruntime.steps.outputs import json_bytes

    at = quality.iso(NOW)
    return {
        "write": monitor._write,
        "json": lambda result, _: json_bytes(result.to_json(at)),
        "html": lambda result, _: render_html(result, at),
        "prom": lambda result, _: render_prometheus(result, None),
        "md": lambda result, _: render_markdown(result, at),
    }


def main() -> None:
    rows, what, work = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    if what == "prepare":
        from bench_monitor_planted import write_project

        from mlruntime.demo import planted_drift as planted

        work.mkdir(parents=True, exist_ok=True)
        project = write_project(work, None)
        ref, cur = planted.write_pair(work / "w", rows, planted.REPORTED, planted.REPORTED_SEEDS)
        (work / "paths").write_text(f"{project}\n{ref}\n{cur}\n")
        return
    from mlruntime.steps.config import load_context
    from mlruntime.steps.monitor import run as monitor
    from mlruntime.steps.monitor.result import MonitorResult
    from mlruntime.steps.monitor.tables import read_window

    project, ref, cur = (work / "paths").read_text().split()
    options = monitor.MonitorOptions(
        current=Path(cur), reference=ref, now=NOW, out_dir=work / "out"
    )

    def whole() -> None:
        result, _ = monitor.run(load_context(Path(project)), options)
        if result.errors:
            raise SystemExit(f"monitor errors: {result.errors}")

    def evaluate() -> None:
        ctx = load_context(Path(project))
        result = MonitorResult(
            project=ctx.project.name, model=ctx.project.registry.model_name, now=NOW
        )
        monitor._evaluate(ctx, options, result)

    reports = _reports()
    phases: dict[str, Callable[[], object]] = {
        "run": whole,
        "evaluate": evaluate,
        "read": lambda: (read_window(Path(ref), "reference"), read_window(Path(cur), "current")),
        "load": lambda: load_context(Path(project)),
    }
    name = sys.argv[4] if len(sys.argv) > 4 else "run"
    if name in reports:  # the step once, then only the report (or all four written)
        result, _ = monitor.run(load_context(Path(project)), options)
        phases[name] = functools.partial(reports[name], result, work / "out")
    phase = phases[name]
    for _ in range(2 + int(what)):  # two warm-up runs: caches, lazy imports
        phase()


if __name__ == "__main__":
    main()

"""Benchmark: what conventional key order and folding cost the YAML serialiser.

Every YAML document the prometheus, kserve, dvc and github targets write for
examples/churn is captured once (as the data and the options each target passes
to :func:`compiler.serialize.dump_yaml`), then serialised again and again with
those options and without ``key_order``/``fold`` (sort or insertion order
only), interleaved. Prints the medians of CPU time (the machine may be shared)
and their ratio, and the load average: compare figures from the same run.

Run: ``python bench/bench_key_order.py [--runs 31]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import targets.dvc.yamlout  # noqa: E402
import targets.github.yamlout  # noqa: E402
import targets.prometheus.yamlout  # noqa: E402
from compiler import serialize  # noqa: E402
from compiler.target_registry import load_target  # noqa: E402
from tests.examples import example_project  # noqa: E402

Document = tuple[Any, dict[str, Any]]


def captured_documents() -> list[Document]:
    documents: list[Document] = []
    real = serialize.dump_yaml

    def capture(data: Any, **options: Any) -> bytes:
        documents.append((data, options))
        return real(data, **options)

    modules = (targets.dvc.yamlout, targets.github.yamlout, targets.prometheus.yamlout)
    for module in modules:
        module.dump_yaml = capture  # type: ignore[attr-defined]
    try:
        project = example_project("churn")
        for name in ("prometheus", "kserve", "dvc", "github"):
            load_target(name).render(project)
    finally:
        for module in modules:
            module.dump_yaml = real  # type: ignore[attr-defined]
    return documents


def serialise_all(documents: list[Document], *, conventional: bool) -> float:
    started = time.process_time()
    for data, options in documents:
        chosen = options
        if not conventional:
            chosen = {k: v for k, v in options.items() if k not in {"key_order", "fold"}}
        serialize.dump_yaml(data, **chosen)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31)
    runs = parser.parse_args().runs
    documents = captured_documents()
    plain: list[float] = []
    conventional: list[float] = []
    for _ in range(runs):
        plain.append(serialise_all(documents, conventional=False))
        conventional.append(serialise_all(documents, conventional=True))
    base, ordered = statistics.median(plain), statistics.median(conventional)
    print(f"{len(documents)} documents, {runs} runs, load average {os.getloadavg()[0]:.1f}")
    print(f"sorted/as built         {base * 1e3:7.2f} ms")
    print(f"key_order + fold        {ordered * 1e3:7.2f} ms   ratio {ordered / base:.2f}")


if __name__ == "__main__":
    main()

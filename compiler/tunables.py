"""Emit's view of ``params.yaml``: values an experiment set, compared with the spec's.

load → validate → check → lower → targets → **emit**. ``params.yaml`` is generated:
the spec owns every default in it. But DVC's experiment loop edits it by design:
``dvc exp run -S key=value`` changes or adds values in place (round-trip, so the
header stays), and the workspace keeps them after the run. Such a file is not a
lost hand edit, so emit does not refuse it as one (MLP301) when all that differs
is values:

- the spec's parameters did not change since compile wrote the file: the file is
  ``kept`` as it is, and each value that differs from the spec is reported
  (MLP308, at the spec line where the value belongs), with how to keep it (write it
  into the spec) or drop it (``git checkout params.yaml``, ``dvc exp apply``);
- the spec's parameters changed too: compile cannot write the spec's values
  without dropping the experiment's, so it refuses (MLP301, exit 4) and reports
  every value that differs (the manifest keeps hashes, not the previous values,
  so a value the spec changed is listed too); ``--force`` drops them.

A value removed from a section that is still there is an experiment's too: DVC's
``-S`` takes Hydra's override grammar, where ``~train.params.C`` deletes the key (the
estimator then uses its own default). A whole section removed or no longer a mapping,
or a file that is not YAML, is a hand edit as before. A key added by hand is
indistinguishable from ``-S +key=value``, and editing params.yaml before
``dvc exp run`` is DVC's own experiment workflow: it is kept and reported too (and,
when the spec has no place for it, the notice says that no built-in step reads it).
``compile --check`` fails on a kept file: what is committed must be what the spec says.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from compiler.diagnostics import CodeDoc, Diagnostic, Pointer

MAX_BYTES = 1 << 20  # a params.yaml beyond this is not an experiment's: a hand edit
MAX_VALUES = 10_000


@dataclass
class Difference:
    """One value of params.yaml that is not the spec's (``dvc exp run -S`` names it so)."""

    key: str  # dotted: train.params.max_iter
    value: str | None  # in params.yaml, as JSON text; None: removed (-S '~key')
    spec: str | None  # the spec's value as JSON text; None: the spec does not set it


def _leaves(data: Mapping[Any, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _leaves(value, f"{dotted}.")
        else:
            yield dotted, value


def _same(a: Any, b: Any) -> bool:
    return bool(a == b) and isinstance(a, bool) == isinstance(b, bool)


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def value_differences(current: bytes, generated: bytes) -> tuple[Difference, ...] | None:
    """The values ``current`` changes or adds to ``generated``; None: it is not only that."""
    if len(current) > MAX_BYTES:
        return None
    try:
        theirs = yaml.safe_load(current)
        ours = yaml.safe_load(generated)
        if not isinstance(theirs, Mapping) or not isinstance(ours, Mapping):
            return None
        spec = dict(_leaves(ours))
        found = dict(itertools.islice(_leaves(theirs), MAX_VALUES + 1))
    except (yaml.YAMLError, ValueError, RecursionError):
        return None  # not YAML, or a mapping that refers to itself
    if len(found) > MAX_VALUES:
        return None  # aliases multiplying values: not what -S writes
    removed = [key for key in spec if key not in found]
    if any(not _section_kept(theirs, key) for key in removed):
        return None  # a whole section removed or replaced: a hand edit
    changed = tuple(
        Difference(key, _text(value), _text(spec[key]) if key in spec else None)
        for key, value in found.items()
        if key not in spec or not _same(value, spec[key])
    )
    return changed + tuple(Difference(key, None, _text(spec[key])) for key in removed)


def _section_kept(data: Mapping[Any, Any], key: str) -> bool:
    """Whether the mapping that held dotted ``key`` is still one in ``data`` (``-S '~key'``)."""
    node: Any = data
    for part in key.split(".")[:-1]:
        node = node.get(part) if isinstance(node, Mapping) else None
    return isinstance(node, Mapping)


def listed(differences: Sequence[Difference]) -> str:
    """``train.params.max_iter: 120 (spec 200), ...`` for a one-line reason."""
    return ", ".join(
        f"{d.key}: {'removed' if d.value is None else d.value} "
        f"({'not in the spec' if d.spec is None else f'spec {d.spec}'})"
        for d in differences
    )


def spec_pointer(key: str, spec: Mapping[str, Any]) -> Pointer:
    """Where in the spec a params.yaml key's value comes from (or would be written)."""
    parts = key.split(".")
    head, rest = parts[0], parts[1:]
    if head == "split":
        return ("training", "split", *rest)
    if head in {"train", "baseline"}:
        base: Pointer = ("training", "estimator") if head == "train" else ("training", "baseline")
        if head == "baseline" and rest[:1] != ["strategy"]:
            base = (*base, "estimator")
        if rest[:1] == ["estimator"]:
            return (*base, "class")
        return (*base, *rest)
    if head == "gate" and rest[:1] == ["thresholds"] and len(rest) >= 2:
        metric, bound = rest[1], rest[2:]
        gates = spec.get("evaluation", {})
        gates = gates.get("gates", {}) if isinstance(gates, Mapping) else {}
        thresholds = gates.get("thresholds", {}) if isinstance(gates, Mapping) else {}
        if not (isinstance(thresholds, Mapping) and metric in thresholds):
            kpis = spec.get("kpis", {})
            metrics = kpis.get("metrics", []) if isinstance(kpis, Mapping) else []
            for i, m in enumerate(metrics if isinstance(metrics, list) else []):
                if isinstance(m, Mapping) and m.get("name") == metric:
                    return ("kpis", "metrics", i, *bound)
        return ("evaluation", "gates", "thresholds", metric, *bound)
    if head == "gate":
        return ("evaluation", "gates", *rest)
    return ()


def spec_key(pointer: Pointer) -> str:
    """``training.estimator.params.max_iter``, ``kpis.metrics[0].minimum``."""
    text = ""
    for part in pointer:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def notice(
    spec_file: str,
    path: str,
    difference: Difference,
    pointer: Pointer,
    lacks_class: bool = False,
    *,
    stated: bool = True,
) -> Diagnostic:
    """MLP308 for one value (the caller adds the position of ``pointer`` in the spec).

    ``lacks_class``: the spec has no estimator mapping there yet, which needs its ``class``.
    ``stated``: the spec writes the value at ``pointer`` (not a default it leaves implicit).
    """
    d = difference
    spec = "the spec does not set it" if d.spec is None else f"the spec says {d.spec}"
    drop = (
        f"`git checkout {path.rpartition('/')[2]}` in the project (or `dvc exp apply` "
        "another experiment)"
    )
    if d.value is None:
        message = f"{path} removes {d.key} (`dvc exp run -S '~{d.key}'`?); {spec}"
        if pointer and stated:
            keep = f"to keep it removed, delete {spec_key(pointer)} from {spec_file}"
        else:
            keep = f"{spec_file} gives this value by default, so the removal cannot be kept"
        hint = f"{keep}; to drop the removal, {drop}"
    else:
        message = f"{path} sets {d.key} = {d.value} (`dvc exp run -S`?); {spec}"
        if pointer:
            where = f" as {spec_key(pointer)}"
            if lacks_class:
                estimator = pointer[: pointer.index("estimator") + 1]
                where += f" (with {spec_key((*estimator, 'class'))}: the class params.yaml names)"
            keep = f"to keep it, write it into {spec_file}{where} and run `mlproject compile`"
        else:
            keep = (
                f"{spec_file} has no place for it and no built-in step reads it (a custom "
                "stage that lists it in its params does)"
            )
        hint = f"{keep}; to drop it, {drop}"
    return Diagnostic(
        code="MLP308",
        message=message,
        file=spec_file,
        hint=hint,
        severity="warning",
        pointer=pointer,
    )


TUNABLE_CODES = [
    CodeDoc(
        "MLP308",
        "params.yaml holds an experiment's values",
        "params.yaml is generated from the spec, which owns its defaults, but `dvc exp run -S "
        "key=value` edits it in place by design (`-S '~key'` removes one). When only values "
        "differ (changed, added, or removed from a section that is still there), "
        "compile keeps the file and names each value with the spec line it belongs to; if the "
        "spec's parameters changed as well, compile refuses (MLP301) rather than drop them. "
        "Keep a value by writing it into the spec; drop it with `git checkout params.yaml`, "
        "`dvc exp apply` or `mlproject compile --force`. `compile --check` fails while they "
        "differ.",
        "`dvc exp run -S train.params.max_iter=120`, then `mlproject compile` (warns: max_iter)",
        "max_iter: 120 written into the spec's training.estimator.params, then compile",
    ),
]

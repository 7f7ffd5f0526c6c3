"""Hypothesis properties of the whole compile path.

- compiling the same spec twice gives the same bytes;
- shuffling key order in the spec gives the same bytes (up to the spec hash);
- any mutation of an example gives diagnostics or output, never a traceback.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.pipeline import CompileReport, build_outputs, validate_text
from compiler.target_registry import available_targets
from tests.mutations import mutate, mutations

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/mlproject.yaml"))
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _render(tmp: Path, text: str) -> dict[str, bytes]:
    spec = tmp / "mlproject.yaml"
    spec.write_text(text, encoding="utf-8")
    report = CompileReport()
    outputs = build_outputs([spec], tmp, list(available_targets()), report)
    assert not report.has_errors, report.all_diagnostics
    return {f.path: f.content for out in outputs for f in out.files}


def _shuffle(node: Any, rng: random.Random) -> Any:
    if isinstance(node, dict):
        items = list(node.items())
        rng.shuffle(items)
        return {k: _shuffle(v, rng) for k, v in items}
    if isinstance(node, list):
        return [_shuffle(v, rng) for v in node]
    return node


def _strip_hash(files: dict[str, bytes], *hashes: str) -> dict[str, bytes]:
    out = {}
    for path, content in files.items():
        masked = content
        for digest in hashes:
            masked = masked.replace(digest.encode(), b"<sha>")
        out[path] = masked
    return out


@SETTINGS
@given(example=st.sampled_from(EXAMPLES))
def test_compile_twice_same_bytes(tmp_path_factory: Any, example: str) -> None:
    text = (ROOT / "examples" / example / "mlproject.yaml").read_text(encoding="utf-8")
    first = _render(tmp_path_factory.mktemp("a"), text)
    second = _render(tmp_path_factory.mktemp("b"), text)
    assert first == second


@SETTINGS
@given(example=st.sampled_from(EXAMPLES), seed=st.integers(0, 2**32 - 1))
def test_shuffled_keys_same_bytes(tmp_path_factory: Any, example: str, seed: int) -> None:
    import hashlib

    text = (ROOT / "examples" / example / "mlproject.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    shuffled = yaml.safe_dump(_shuffle(data, random.Random(seed)), sort_keys=False)
    canonical = yaml.safe_dump(data, sort_keys=False)
    a = _render(tmp_path_factory.mktemp("a"), canonical)
    b = _render(tmp_path_factory.mktemp("b"), shuffled)
    ha = hashlib.sha256(canonical.encode()).hexdigest()
    hb = hashlib.sha256(shuffled.encode()).hexdigest()
    assert _strip_hash(a, ha, ha[:12]) == _strip_hash(b, hb, hb[:12])


@settings(max_examples=150, deadline=None)
@given(
    example=st.sampled_from(EXAMPLES), edit=mutations(("delete", "replace", "add_key", "rename"))
)
def test_mutated_spec_gives_diagnostics_never_traceback(
    example: str, edit: tuple[int, str, Any, str]
) -> None:
    from compiler.lower import lower

    data = yaml.safe_load((ROOT / "examples" / example / "mlproject.yaml").read_text("utf-8"))
    mutate(data, [edit])
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    result = validate_text(text, "mlproject.yaml")
    if result.ok:
        assert result.spec is not None and result.document is not None
        lower(result.spec, result.document, spec_file="mlproject.yaml", spec_sha256="0" * 64)
    else:
        assert result.diagnostics
        for d in result.diagnostics:
            assert d.code.startswith("MLP") and d.message


@settings(max_examples=150, deadline=None)
@given(example=st.sampled_from(EXAMPLES), data=st.data())
def test_byte_mutations_never_traceback(example: str, data: st.DataObject) -> None:
    raw = bytearray((ROOT / "examples" / example / "mlproject.yaml").read_bytes())
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    result = validate_text(bytes(raw), "mlproject.yaml")
    assert result.ok or result.diagnostics

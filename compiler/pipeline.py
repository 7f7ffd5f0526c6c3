"""The compile flow, wired once: load → validate → check → lower → targets → emit.

Each function here only sequences stages; none of them prints. The CLI decides
what to report and how.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from compiler.codes import CodeDoc
from compiler.diagnostics import Diagnostic, DiagnosticError
from compiler.load import Document, load_document, load_text

if TYPE_CHECKING:
    from compiler.emit import FilePlan, GeneratedFile, SpecOutput
    from compiler.ir import Project
    from compiler.spec.v1 import ProjectSpec


@dataclass
class ValidationResult:
    """What validating one spec file produced."""

    file: str
    document: Document | None = None
    spec: ProjectSpec | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return self.spec is not None and not any(d.severity == "error" for d in self.diagnostics)


def _validate(document: Document, result: ValidationResult) -> ValidationResult:
    from compiler.checks import run_checks
    from compiler.spec.validate import validate_document

    result.document = document
    try:
        spec = validate_document(document)
    except DiagnosticError as exc:
        from compiler.checks import find_literal_secrets

        result.diagnostics.extend(exc.diagnostics)
        result.diagnostics.extend(find_literal_secrets(document))  # worth reporting anyway
        return result
    result.diagnostics.extend(run_checks(spec, document))
    result.spec = spec
    return result


def validate_text(source: str | bytes, file: str) -> ValidationResult:
    """Validate a spec given as text (used by tests and ``explain``)."""
    raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    result = ValidationResult(file=file, sha256=hashlib.sha256(raw).hexdigest())
    try:
        document = load_text(source, file)
    except DiagnosticError as exc:
        result.diagnostics.extend(exc.diagnostics)
        return result
    return _validate(document, result)


def validate_file(path: Path, display: str | None = None) -> ValidationResult:
    """Load, validate and check one spec file; every problem is in ``diagnostics``."""
    shown = display or str(path)
    result = ValidationResult(file=shown)
    try:
        document = load_document(path, display=shown)
    except DiagnosticError as exc:
        result.diagnostics.extend(exc.diagnostics)
        return result
    result.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return _validate(document, result)


# ── compile ─────────────────────────────────────────────────────────────────

SPEC_NAMES = ("mlproject.yaml", "mlproject.yml")
_SKIP_DIRS = frozenset({".git", ".dvc", ".mlproject", "node_modules", "__pycache__", ".venv"})

WORKSPACE_CODES: list[CodeDoc] = [
    CodeDoc(
        "MLP250",
        "spec outside the output root",
        "Generated files are written relative to the output root (the git work tree that "
        "holds the first spec, or --root). A spec outside that root cannot be compiled into "
        "it; run from inside the repository or pass a --root that contains every spec.",
        "mlproject compile --root repo-a repo-b/mlproject.yaml",
        "mlproject compile --root . repo-b/mlproject.yaml",
    ),
    CodeDoc(
        "MLP251",
        "project name used twice in one repository",
        "metadata.name names the project's workflows, services, alerts and registry entries, "
        "so it must be unique among the specs compiled into one repository. Rename one of "
        "the projects.",
        "projects/a/mlproject.yaml and projects/b/mlproject.yaml both say `name: churn`",
        "projects/a says `name: churn-eu` and projects/b says `name: churn-us`",
    ),
]


def find_specs(paths: Sequence[Path]) -> list[Path]:
    """Spec files named by ``paths``: files as given, directories searched recursively."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
                found.extend(Path(dirpath) / f for f in sorted(filenames) if f in SPEC_NAMES)
        else:
            found.append(path)
    unique: dict[Path, None] = {}
    for spec in found:
        unique.setdefault(spec, None)
    return list(unique)


def find_root(start: Path) -> Path:
    """The git work tree holding ``start``, else its own directory."""
    here = start.resolve()
    here = here if here.is_dir() else here.parent
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return here


@dataclass
class CompileReport:
    """Everything one ``compile`` call found and did, for the CLI to report."""

    validations: list[ValidationResult] = field(default_factory=list)
    plans: list[FilePlan] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unchanged: list[FilePlan] = field(default_factory=list)  # specs skipped: nothing changed
    spec_count: int = 0

    @property
    def all_diagnostics(self) -> list[Diagnostic]:
        found = [d for v in self.validations for d in v.diagnostics] + self.diagnostics
        return sorted(set(found), key=lambda d: d.sort_key)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.all_diagnostics)


def render_targets(project: Project, target_names: Sequence[str]) -> list[GeneratedFile]:
    """Every file the named targets generate for one project, in target order."""
    from compiler.registry import available_targets, load_target

    known = available_targets()  # cached: entry points are scanned once per process
    files: list[GeneratedFile] = []
    for name in target_names:
        files.extend(load_target(name, known).render(project))
    return files


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def fingerprint(target_names: Sequence[str]) -> str:
    """What produced a set of files: the mlproject version and the targets, in order."""
    from compiler import __version__

    return hashlib.sha256(f"{__version__}|{','.join(target_names)}".encode()).hexdigest()


def build_outputs(
    specs: Sequence[Path],
    root: Path,
    target_names: Sequence[str],
    report: CompileReport,
    *,
    use_cache: bool = False,
) -> list[SpecOutput]:
    """Validate, check, lower and render each spec; diagnostics go into ``report``.

    With ``use_cache``, a spec whose bytes, mlproject version and targets match
    its manifest, and whose generated files are untouched, is not even parsed.
    """
    from compiler.emit import SpecOutput, up_to_date
    from compiler.lower import lower

    outputs: list[SpecOutput] = []
    names: dict[str, str] = {}
    stamp = fingerprint(target_names)
    report.spec_count += len(specs)
    for spec_path in specs:
        shown = _relative(spec_path, root)
        if use_cache and shown is not None:
            try:
                digest = hashlib.sha256(spec_path.read_bytes()).hexdigest()
            except OSError:
                digest = ""
            cached = up_to_date(root, shown, digest, stamp) if digest else None
            if cached is not None and cached[0] and cached[0] not in names:
                names[cached[0]] = shown
                report.unchanged.extend(cached[1])
                continue
        if shown is None:
            report.diagnostics.append(
                Diagnostic(
                    "MLP250",
                    f"spec {spec_path} is outside the output root {root}",
                    str(spec_path),
                    hint="run from inside the repository or pass --root",
                )
            )
            continue
        result = validate_file(spec_path, display=shown)
        report.validations.append(result)
        if not result.ok or result.spec is None or result.document is None:
            continue
        name = result.spec.metadata.name
        if name in names:
            report.diagnostics.append(
                Diagnostic(
                    "MLP251",
                    f"project name '{name}' is also used by {names[name]}",
                    shown,
                    result.document.position_of(("metadata", "name")),
                    "project names must be unique in a repository: they name workflows, "
                    "services and registry entries",
                    pointer=("metadata", "name"),
                )
            )
            continue
        names[name] = shown
        project = lower(result.spec, result.document, spec_file=shown, spec_sha256=result.sha256)
        try:
            files = render_targets(project, target_names)
        except DiagnosticError as exc:  # a target may refuse what no rule caught
            report.diagnostics.extend(exc.diagnostics)
            continue
        outputs.append(
            SpecOutput(
                spec_path=shown,
                spec_sha256=result.sha256,
                files=tuple(files),
                fingerprint=stamp,
                project=name,
            )
        )
    return outputs


def compile_specs(
    specs: Sequence[Path],
    root: Path,
    target_names: Sequence[str],
    *,
    mode: str = "write",
    force: bool = False,
    use_cache: bool = True,
) -> CompileReport:
    """Compile specs into ``root``. ``mode``: ``write``, ``check`` (write nothing) or ``plan``."""
    from compiler.emit import apply, check, plan

    report = CompileReport()
    root = root.resolve()
    outputs = build_outputs(specs, root, target_names, report, use_cache=use_cache)
    if report.has_errors:
        return report  # never a half-written tree: nothing is emitted when any spec fails
    try:
        if mode == "write":
            report.plans = apply(root, outputs, force=force)
        elif mode == "check":
            report.plans = check(root, outputs)
        else:
            report.plans = plan(root, outputs, force=force)
    except DiagnosticError as exc:
        report.diagnostics.extend(exc.diagnostics)
    report.plans = sorted(report.plans + report.unchanged, key=lambda p: (p.spec_path, p.path))
    return report

"""The compile flow, wired once: load → validate → check → lower → targets → emit.

Each function here only sequences stages; none of them prints. The CLI decides
what to report and how.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from compiler.diagnostics import CodeDoc, Diagnostic, DiagnosticError, Position
from compiler.load import Document, load_document, load_text, read_spec

if TYPE_CHECKING:
    from compiler.emit import FilePlan, SpecOutput
    from compiler.generated import GeneratedFile
    from compiler.manifest import StatCache
    from compiler.spec.v1 import ProjectSpec
    from mlcontract.ir import Project


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

        secrets = find_literal_secrets(document)  # worth reporting anyway
        result.diagnostics.extend(_redacted(exc.diagnostics, secrets, document))
        result.diagnostics.extend(secrets)
        return result
    result.diagnostics.extend(run_checks(spec, document))
    result.spec = spec
    return result


def _redacted(
    found: Sequence[Diagnostic], secrets: Sequence[Diagnostic], document: Document
) -> list[Diagnostic]:
    """Schema diagnostics with the literal credentials MLP217 found cut out of their text.

    A schema error quotes the value it rejects ("got '<token>'"), so a token written
    where a ``{secret: NAME}`` belongs would be printed again without this.
    """
    values: list[str] = []
    for secret in secrets:
        node: Any = document.data
        for part in secret.pointer or ():
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str):
            values.append(node)
    if not values:
        return list(found)

    def scrub(text: str | None) -> str | None:
        if text is None:
            return None
        for value in values:
            text = text.replace(value, "<literal credential>")
            text = text.replace(repr(value)[1:-1], "<literal credential>")
            text = text.replace(value[:40], "<literal credential>") if len(value) > 40 else text
        return text

    return [
        dataclasses.replace(d, message=scrub(d.message) or "", hint=scrub(d.hint)) for d in found
    ]


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
        raw = read_spec(path, shown)
        document = load_text(raw, shown)
    except DiagnosticError as exc:
        result.diagnostics.extend(exc.diagnostics)
        return result
    result.sha256 = hashlib.sha256(raw).hexdigest()
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
                found.extend(
                    Path(dirpath) / f
                    for f in sorted(filenames)
                    if f in SPEC_NAMES and _regular(Path(dirpath) / f)
                )
        else:
            found.append(path)
    unique: dict[Path, None] = {}
    for spec in found:
        unique.setdefault(spec, None)
    return list(unique)


def default_specs(paths: Sequence[Path]) -> list[Path]:
    """The specs a command works on: those ``paths`` name; without any, the spec in the
    working directory, else every spec below it."""
    if paths:
        return find_specs(paths)
    for name in SPEC_NAMES:
        if Path(name).is_file():
            return [Path(name)]
    return find_specs([Path()])


def _regular(path: Path) -> bool:
    """Discovery keeps regular files (symlinks to them too): a FIFO would block the read."""
    try:
        return path.is_file()
    except OSError:
        return False


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
    """Everything one ``compile`` call found and did, for the CLI to report.

    ``validations`` holds one result per spec that was validated, in input order:
    its diagnostics, and its document only when there are any (for the excerpts).
    The spec model never leaves the process that validated it (``spec`` is None).
    """

    validations: list[ValidationResult] = field(default_factory=list)
    plans: list[FilePlan] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unchanged: list[FilePlan] = field(default_factory=list)  # specs skipped: nothing changed
    spec_count: int = 0
    contents: dict[str, bytes] = field(default_factory=dict)  # plan mode: path → bytes to write
    # Editor schemas (.mlproject/mlproject.v1.json, see compiler.editor_schema) of another
    # mlproject version: refreshed (write mode), or that compile would refresh (check, plan).
    editor_schemas: list[str] = field(default_factory=list)

    @property
    def all_diagnostics(self) -> list[Diagnostic]:
        found = [d for v in self.validations for d in v.diagnostics] + self.diagnostics
        return sorted(set(found), key=lambda d: d.sort_key)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.all_diagnostics)


def render_targets(project: Project, target_names: Sequence[str]) -> list[GeneratedFile]:
    """Every file the named targets generate for one project, in target order."""
    from compiler.target_registry import load_target

    files: list[GeneratedFile] = []
    for name in target_names:
        files.extend(load_target(name).render(project))
    return files


def declared_targets(named: Sequence[str], selection: Sequence[str]) -> list[str]:
    """The targets that run for a spec: as declared in it, not as installed.

    ``selection`` is what the caller asked for (every built-in one, or a ``--target``
    subset). Built-in targets in it run; a third-party one runs only when the spec
    names it. With every built-in target selected, the spec's own targets are added.
    """
    from compiler.target_registry import BUILTIN_TARGETS

    chosen = [t for t in selection if t in BUILTIN_TARGETS or t in named]
    if BUILTIN_TARGETS.keys() <= set(selection):
        chosen += [t for t in named if t not in chosen]
    return chosen


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def fingerprint(target_names: Sequence[str], lock: str = "") -> str:
    """What produced a set of files: the mlproject version and the targets, in order, and
    the lock file beside the spec (:func:`compiler.install.lock_stamp`) when there is one."""
    from compiler import __version__

    text = f"{__version__}|{','.join(target_names)}" + (f"|{lock}" if lock else "")
    return hashlib.sha256(text.encode()).hexdigest()


def _input_stamp(spec_dir: Path) -> str:
    """What compile reads beside a spec besides the spec: its lock file and its symlinks."""
    from compiler.install import lock_stamp
    from compiler.linked_data import links_stamp

    lock, links = lock_stamp(spec_dir), links_stamp(spec_dir)
    return f"{lock}|links:{links}" if links else lock


@dataclass
class _Built:
    """One spec validated, checked, lowered and rendered: what a worker sends back.

    Only what the parent needs crosses the process boundary: the diagnostics (and
    the document, for excerpts, only when there are any), the project name and
    where it is written (for MLP251), and the rendered files. The spec model and
    the IR stay where they were built.
    """

    validation: ValidationResult
    name: str | None = None  # None: the spec is invalid
    name_position: Position | None = None
    files: tuple[GeneratedFile, ...] | None = None  # None: a target refused (``refusal``)
    refusal: tuple[Diagnostic, ...] = ()
    inputs: tuple[str, ...] = ()  # declared data sources, from the output root: never written
    requirement: str = ""
    # The targets that ran, when the spec added third-party ones (recorded in the manifest's
    # fingerprint, so that the no-op cache never hides a target that is gone).
    targets: tuple[str, ...] | None = None


def _declared_inputs(spec: ProjectSpec, shown: str) -> tuple[str, ...]:
    """The spec's data source paths, relative to the output root (emit never touches them)."""
    import posixpath

    base = posixpath.dirname(shown)
    return tuple(
        posixpath.normpath(posixpath.join(base, source.path))
        for source in spec.data.sources
        if source.path is not None
    )


def _build_one(spec_path: Path, shown: str, target_names: Sequence[str]) -> _Built:
    from compiler.lower import lower

    result = validate_file(spec_path, display=shown)
    kept = ValidationResult(
        file=result.file,
        document=result.document if result.diagnostics else None,
        diagnostics=result.diagnostics,
        sha256=result.sha256,
    )
    if not result.ok or result.spec is None or result.document is None:
        return _Built(kept)
    name = result.spec.metadata.name
    where = result.document.position_of(("metadata", "name"))
    inputs = _declared_inputs(result.spec, shown)
    from compiler.install import check_lock, find_lock, requirement

    lock = find_lock(spec_path.parent)
    from compiler.linked_data import linked_data

    resolved = spec_path.resolve()  # what ``shown`` is relative to the root from
    spec_dir, root = resolved.parent, resolved.parents[shown.count("/")]
    sources = [s.path for s in result.spec.data.sources if s.path is not None]
    project = lower(
        result.spec,
        result.document,
        spec_file=shown,
        spec_sha256=result.sha256,
        lock_file=lock.name if lock is not None else "",
        linked_data=linked_data(spec_dir, root, sources),
    )
    ran = declared_targets(result.spec.targets, target_names)
    if lock is not None and "github" in ran:  # the workflows are what install from it
        import posixpath

        lock_shown = posixpath.join(posixpath.dirname(shown), lock.name)
        try:
            text = lock.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            kept.diagnostics.append(
                Diagnostic("MLP252", f"{lock_shown} cannot be read: {exc}", lock_shown)
            )
        else:  # an error here stops the emit, as any other diagnostic does
            kept.diagnostics.extend(check_lock(lock_shown, text, project))
    try:
        files = render_targets(project, ran)
    except DiagnosticError as exc:  # a target may refuse what no rule caught
        kept.document = result.document  # for the excerpts
        return _Built(kept, name, where, None, tuple(exc.diagnostics), inputs)
    extra = tuple(ran) if set(ran) - set(target_names) else None
    return _Built(kept, name, where, tuple(files), (), inputs, requirement(project), extra)


PARALLEL_MIN_SPECS = 8  # below this, starting worker processes costs more than it saves
_CHUNK = 16  # specs per task sent to a worker: fewer round trips, still balanced


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask), as make -j and pytest-xdist count."""
    count = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if count is not None:
        return int(count() or 1)
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _build_chunk(tasks: Sequence[tuple[Path, str]], target_names: Sequence[str]) -> list[_Built]:
    return [_build_one(spec_path, shown, target_names) for spec_path, shown in tasks]


def _ignore_interrupts() -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it stops the workers); SIGTERM,
    blocked while the parent forked this worker, is how the parent stops it: unblocked."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _build_all(
    tasks: Sequence[tuple[Path, str]], target_names: Sequence[str], jobs: int
) -> list[_Built]:
    """:func:`_build_one` for every task, in task order; over ``jobs`` processes if worth it."""
    if jobs <= 1 or len(tasks) < PARALLEL_MIN_SPECS:
        return _build_chunk(tasks, target_names)
    import signal
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # The first spec is built here: it imports and warms every stage and target, and
    # forked workers inherit all of that instead of each doing it again.
    first = _build_one(*tasks[0], target_names)
    rest = tasks[1:]
    size = max(1, min(_CHUNK, len(rest) // (jobs * 4)))
    chunks = [rest[i : i + size] for i in range(0, len(rest), size)]
    done: list[list[_Built] | None] = [None] * len(chunks)
    pool = ProcessPoolExecutor(
        min(jobs, len(chunks)), mp_context=_fork_context(), initializer=_ignore_interrupts
    )
    try:
        # Workers start on the first submit; with SIGINT blocked meanwhile they never
        # see Ctrl-C (the initializer covers start methods that do not fork), and the
        # parent gets any Ctrl-C pressed in between when the mask is restored. SIGTERM
        # too (the console script reads it as Ctrl-C): raised in the middle of submit(),
        # it could leave a started worker out of the pool's list, and so running.
        mask = getattr(signal, "pthread_sigmask", None)
        blocked = mask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) if mask else None
        try:
            futures = [pool.submit(_build_chunk, chunk, target_names) for chunk in chunks]
        finally:
            if mask is not None and blocked is not None:
                mask(signal.SIG_SETMASK, blocked)
        for index, future in enumerate(futures):
            # A worker that died (killed, out of memory) breaks the pool: the specs it
            # left are built here, below.
            with contextlib.suppress(BrokenProcessPool):
                done[index] = future.result()
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown()
    built = [first]
    for chunk, result in zip(chunks, done, strict=True):
        built.extend(result if result is not None else _build_chunk(chunk, target_names))
    return built


def _fork_context() -> Any:
    """Fork where it is safe (Linux): workers start with everything already imported."""
    import multiprocessing
    import sys

    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return None


def _stop(pool: Any) -> None:
    """Cancel what is queued and end the workers now: no orphans after Ctrl-C or an error."""
    # Read before shutdown(): it drops the executor's reference to its processes.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(5)


def build_outputs(
    specs: Sequence[Path],
    root: Path,
    target_names: Sequence[str],
    report: CompileReport,
    *,
    use_cache: bool = False,
    jobs: int = 1,
    stats: StatCache | None = None,
    partial: bool = False,
) -> list[SpecOutput]:
    """Validate, check, lower and render each spec; diagnostics go into ``report``.

    With ``use_cache``, a spec whose bytes, mlproject version and targets match
    its manifest, whose generated files are untouched, and whose files ``stats`` says
    were last built here by the same generator code (:mod:`compiler.generator_digest`),
    is not even parsed (``stats`` also spares reading files whose stat did not change).
    Without a stat cache (outside a git work tree) every spec is built. The other specs
    are built over ``jobs`` processes when there are enough of them; the result,
    and the report, are the same as with ``jobs=1``: everything is merged in input
    order, and the project names are checked (MLP251) here, in that order.
    """
    from compiler.emit import SpecOutput, up_to_date
    from compiler.manifest import OutputTree

    targets = tuple(target_names)
    report.spec_count += len(specs)
    shown = [_relative(spec_path, root) for spec_path in specs]
    cached: list[tuple[str, list[FilePlan]] | None] = [None] * len(specs)
    if use_cache and stats is not None and stats.path is not None:
        from compiler.generator_digest import generator_digest

        generator = generator_digest()
        tree = OutputTree(root)
        for index, spec_path in enumerate(specs):
            where = shown[index]
            if where is None or not stats.built_by(where, generator):
                continue
            try:
                digest = hashlib.sha256(read_spec(spec_path)).hexdigest()
            except DiagnosticError:
                continue  # validating it reports why
            own = fingerprint(target_names, _input_stamp(spec_path.parent))
            cached[index] = up_to_date(tree, where, digest, own, stats=stats)
    todo = [
        index
        for index, hit in enumerate(cached)
        if shown[index] is not None and (hit is None or not hit[0])
    ]
    tasks = [(specs[index], shown[index] or "") for index in todo]
    built = dict(zip(todo, _build_all(tasks, targets, jobs), strict=True))

    outputs: list[SpecOutput] = []
    names: dict[str, str] = {}
    for index, spec_path in enumerate(specs):
        where, hit = shown[index], cached[index]
        if hit is not None and hit[0] and hit[0] not in names:
            names[hit[0]] = where or ""
            report.unchanged.extend(hit[1])
            continue
        if where is None:
            report.diagnostics.append(
                Diagnostic(
                    "MLP250",
                    f"spec {spec_path} is outside the output root {root}",
                    str(spec_path),
                    hint="run from inside the repository or pass --root",
                )
            )
            continue
        one = built.get(index)
        if one is None:  # unchanged, but an earlier spec took its name: build it after all
            one = _build_one(spec_path, where, targets)
        report.validations.append(one.validation)
        if one.name is None:
            continue
        if one.name in names:
            if one.validation.document is None:  # for the excerpt (the workers keep documents)
                with contextlib.suppress(DiagnosticError):
                    one.validation.document = load_document(spec_path, display=where)
            report.diagnostics.append(
                Diagnostic(
                    "MLP251",
                    f"project name '{one.name}' is also used by {names[one.name]}",
                    where,
                    one.name_position,
                    "project names must be unique in a repository: they name workflows, "
                    "services and registry entries",
                    pointer=("metadata", "name"),
                )
            )
            continue
        names[one.name] = where
        if one.files is None:
            report.diagnostics.extend(one.refusal)
            continue
        outputs.append(
            SpecOutput(
                spec_path=where,
                spec_sha256=one.validation.sha256,
                files=one.files,
                fingerprint=fingerprint(
                    target_names if one.targets is None else one.targets,
                    _input_stamp(spec_path.parent),
                ),
                project=one.name,
                inputs=one.inputs,
                partial=partial,
                requirement=one.requirement,
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
    jobs: int = 1,
    partial: bool = False,
) -> CompileReport:
    """Compile specs into ``root``. ``mode``: ``write``, ``check`` (write nothing) or ``plan``.

    ``jobs``: processes to validate and render over (1: all in this process; the CLI
    passes the number of usable CPUs). The outcome does not depend on it.
    ``partial``: ``target_names`` is a subset chosen with ``--target``; files of the
    other targets are kept (and stay in the manifest), never deleted as stale.
    """
    from compiler.emit import RefusedError, apply, check, plan
    from compiler.manifest import StatCache

    report = CompileReport()
    root = root.resolve()
    stats = StatCache.open(root)
    outputs = build_outputs(
        specs,
        root,
        target_names,
        report,
        use_cache=use_cache,
        jobs=jobs,
        stats=stats,
        partial=partial,
    )
    if report.has_errors:
        if mode == "write":
            stats.save()  # files hashed and found unchanged need not be hashed next time
        return report  # never a half-written tree: nothing is emitted when any spec fails
    try:
        if mode == "write":
            report.plans = apply(root, outputs, force=force, stats=stats)
        elif mode == "check":
            report.plans = check(root, outputs)
        else:
            report.plans = plan(root, outputs, force=force, contents=report.contents)
    except RefusedError as exc:
        report.diagnostics.extend(exc.diagnostics)
        _experiment_notices(root, exc.plans, report)
    except DiagnosticError as exc:
        report.diagnostics.extend(exc.diagnostics)
    else:
        _experiment_notices(root, report.plans, report)
        _editor_schemas(root, outputs, report, write=mode == "write")
        if mode == "write" and not partial and stats.path is not None:
            from compiler.generator_digest import generator_digest

            for output in outputs:  # every file of these specs is now this code's output
                stats.record_build(output.spec_path, generator_digest())
    if mode == "write":  # --check and plan write nothing, not even the cache
        stats.save()
    report.plans = sorted(report.plans + report.unchanged, key=lambda p: (p.spec_path, p.path))
    return report


def _editor_schemas(
    root: Path, outputs: Sequence[SpecOutput], report: CompileReport, *, write: bool
) -> None:
    """The editor schema beside each spec rendered in this call, refreshed if it is another
    mlproject version's (``write``), else only reported (:mod:`compiler.editor_schema`)."""
    from compiler import editor_schema

    for output in outputs:
        spec_dir = root / PurePosixPath(output.spec_path).parent
        if write:
            paths = editor_schema.refresh(spec_dir)
        else:
            paths = [path for path, _ in editor_schema.stale(spec_dir)]
        report.editor_schemas.extend(path.relative_to(root).as_posix() for path in paths)


def _experiment_notices(root: Path, plans: Sequence[FilePlan], report: CompileReport) -> None:
    """MLP308 for each params.yaml value an experiment set, at the spec line it belongs to."""
    from compiler.tunables import notice, spec_pointer

    validations = {v.file: v for v in reversed(report.validations)}  # the first per file
    for plan in plans:
        if not plan.differences:
            continue
        validation = validations.get(plan.spec_path)
        document = validation.document if validation is not None else None
        if document is None:
            try:
                document = load_document(root / plan.spec_path, display=plan.spec_path)
            except DiagnosticError:
                document = None
            if validation is not None:
                validation.document = document  # for the excerpts
        for difference in plan.differences:
            pointer = spec_pointer(difference.key, document.data if document else {})
            position = None  # none rather than the top of the file: the hint names the key
            if document is not None and pointer[:1] in document.value_positions:
                position = document.position_of(pointer)
            estimator = next(
                (pointer[:k] for k in (2, 3) if pointer[k - 1 : k] == ("estimator",)), None
            )
            lacks_class = estimator is not None and pointer[-1:] != ("class",)
            if lacks_class and document is not None:
                lacks_class = estimator not in document.value_positions
            found = notice(
                plan.spec_path,
                plan.path,
                difference,
                pointer,
                lacks_class,
                stated=document is not None and pointer in document.value_positions,
            )
            report.diagnostics.append(dataclasses.replace(found, position=position))

"""The ``mlproject`` command line: the only place that prints.

Stages return data and diagnostics; this module renders them and maps outcomes
onto the documented exit codes. Commands that need the heavy runtime
(scikit-learn, DVC, MLServer) import it inside the command, so ``validate`` and
``compile`` stay light.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from compiler import __version__
from mlcli.errors import Group
from mlcli.lazy import add_lazy
from mlcli.options import FORMAT
from mlcli.signals import terminate_as_interrupt
from mlcontract.errors import ExitCode, UsageError

if TYPE_CHECKING:  # validate and compile only: the steps' start-up goes without
    from compiler.diagnostics import Diagnostic

CONFLICT_CODES = frozenset({"MLP301", "MLP302", "MLP303", "MLP307"})


def use_color(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _report(diagnostics: Sequence[Diagnostic], fmt: str, sources: dict[str, str]) -> None:
    from compiler.diagnostics import format_json, format_text

    if fmt == "json":
        click.echo(format_json(diagnostics), nl=False)
    elif diagnostics:
        text = format_text(diagnostics, sources, color=use_color(sys.stderr))
        click.echo(text, nl=False, err=True)


SPECS = click.argument(
    "specs", nargs=-1, type=click.Path(path_type=Path, exists=False, dir_okay=True)
)
OUTPUT_ROOT = click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Output root (default: the git work tree holding the first spec).",
)


@click.group(
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Exit codes: "
    + "; ".join(f"{code.value} {code.meaning}" for code in ExitCode)
    + ". Docs: README.md, docs/spec.md, docs/diagnostics.md.",
)
@click.version_option(__version__, prog_name="mlproject")
def cli() -> None:
    """Compile one mlproject.yaml into the whole ML lifecycle.

    Validate the spec, then generate DVC pipelines, serving configs, monitoring
    rules, CI workflows and a model card from it.
    """


@cli.command()
@SPECS
@FORMAT
@click.option(
    "--data",
    "with_data",
    is_flag=True,
    help="Also check each valid spec against its data files and estimator (reads data).",
)
def validate(specs: tuple[Path, ...], fmt: str, with_data: bool) -> None:
    """Check specs and report every problem with file:line:col.

    SPECS are spec files or directories to search (default: ./mlproject.yaml,
    else every mlproject.yaml below the current directory). With --data, a
    valid spec is also checked against the data it names: files exist, the
    target, timestamp, PII and features are columns, declared types and ranges
    hold on a sample, the estimator class imports (MLP260-MLP266), for every
    source with a local path; a note names each remote source, which is not
    read here, and what checks it instead.
    """
    from compiler.pipeline import default_specs, validate_file

    paths = default_specs(specs)
    if not paths:
        raise UsageError("no mlproject.yaml found; pass a spec path or run `mlproject init`")
    results = [validate_file(p) for p in paths]
    notes: dict[str, list[str]] = {}  # per spec: the sources --data did not read, and why
    if with_data:
        from mlcli.datacheck import check_data, unread_sources

        for path, r in zip(paths, results, strict=True):
            if r.ok and r.spec is not None and r.document is not None:
                r.diagnostics.extend(check_data(r.spec, r.document, path.parent))
                notes[r.file] = unread_sources(r.spec, r.document)
    diagnostics = sorted({d for r in results for d in r.diagnostics}, key=lambda d: d.sort_key)
    sources = {r.file: r.document.text for r in results if r.document is not None}
    _report(diagnostics, fmt, sources)
    failed = [r for r in results if not r.ok]
    if fmt == "text":
        for r in results:
            if r.ok:
                click.echo(f"ok: {r.file}")
            for note in notes.get(r.file, []):
                click.echo(f"  note: {note}")
        if failed:
            errors = sum(1 for d in diagnostics if d.severity == "error")
            click.echo(f"{errors} error(s) in {len(failed)} of {len(results)} spec(s)", err=True)
    click.get_current_context().exit(ExitCode.INVALID if failed else ExitCode.OK)


@cli.command(name="compile")
@SPECS
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NAME",
    help="Write only this target's files (repeatable); the other targets' files are kept. "
    "Default: every built-in target. See `mlproject targets`.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 3 if any generated file differs.")
@click.option("--force", is_flag=True, help="Overwrite generated files that were edited by hand.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Re-render specs even when they and their outputs are unchanged since the last compile.",
)
@OUTPUT_ROOT
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Validate and render specs in N processes (default: the usable CPUs; 1: in this "
    "process). Output and report are the same for every N.",
)
@FORMAT
def compile_command(
    specs: tuple[Path, ...],
    targets: tuple[str, ...],
    check: bool,
    force: bool,
    no_cache: bool,
    root: Path | None,
    jobs: int | None,
    fmt: str,
) -> None:
    """Generate every file the specs imply, atomically, never clobbering hand edits."""
    from compiler.diagnostics import format_json
    from compiler.pipeline import compile_specs, default_specs, find_root, usable_cpus
    from compiler.target_registry import selected_targets

    paths = default_specs(specs)
    if not paths:
        raise UsageError("no mlproject.yaml found; pass a spec path or run `mlproject init`")
    # Targets as declared, not as installed: a third-party target runs only when named.
    chosen, partial = selected_targets(targets)
    out_root = root if root is not None else find_root(paths[0])
    report = compile_specs(
        paths,
        out_root,
        chosen,
        mode="check" if check else "write",
        force=force,
        use_cache=not no_cache,
        jobs=jobs if jobs is not None else usable_cpus(),
        partial=partial,
    )
    diagnostics = report.all_diagnostics
    sources = {v.file: v.document.text for v in report.validations if v.document is not None}
    changed = [p for p in report.plans if p.action != "identical"]
    if fmt == "json":
        payload = json.loads(format_json(diagnostics))
        payload["files"] = [
            {"path": p.path, "action": p.action, "spec": p.spec_path, "reason": p.reason}
            for p in report.plans
        ]
        payload["editor_schemas"] = [
            {"path": path, "action": "stale" if check else "refresh"}
            for path in report.editor_schemas
        ]
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
    else:
        _report(diagnostics, fmt, sources)
        for p in report.plans:
            if p.action != "identical":
                reason = f"  ({p.reason})" if p.reason else ""
                click.echo(f"{p.action:>9}  {p.path}{reason}")
        for path in report.editor_schemas:  # not a generated output: --check passes
            why = ": compile refreshes it" if check else ""
            verb = "stale" if check else "refresh"
            click.echo(f"{verb:>9}  {path}  (editor schema of another mlproject version{why})")
        if not report.has_errors:
            verb = "would change" if check else "changed"
            kept_count = sum(1 for p in changed if p.action == "kept")  # left as is: not changed
            click.echo(
                f"{report.spec_count} spec(s), {len(report.plans)} file(s), "
                f"{len(changed) - kept_count} {verb}"
                + (f", {kept_count} kept" if kept_count else "")
            )
    ctx = click.get_current_context()
    if any(d.code in CONFLICT_CODES for d in diagnostics):
        ctx.exit(ExitCode.CONFLICT)
    if report.has_errors:
        ctx.exit(ExitCode.INVALID)
    if check and changed:
        if fmt == "text":
            edited = [p.path for p in changed if p.action in {"modified", "conflict"}]
            kept = [p.path for p in changed if p.action == "kept"]
            if kept and not edited:
                click.echo(
                    f"{', '.join(kept)} holds an experiment's values (MLP308 above): write the "
                    "ones you keep into the spec, `git checkout` the file to drop them",
                    err=True,
                )
            elif edited:
                click.echo(
                    "edited by hand since generated: "
                    + ", ".join(edited)
                    + "; move the change into the spec (e.g. a value tried with "
                    "`dvc exp run -S` belongs in mlproject.yaml), then run `mlproject compile`",
                    err=True,
                )
            else:
                click.echo("generated files are out of date: run `mlproject compile`", err=True)
        ctx.exit(ExitCode.DRIFT)


@cli.command()
def targets() -> None:
    """List the targets compile can generate."""
    from compiler.target_registry import available_targets, load_target

    for name in available_targets():
        click.echo(f"{name:<12} {load_target(name).DESCRIPTION}")


@cli.command()
@click.option("--version", "api_version", default=None, help="apiVersion (default: latest).")
def schema(api_version: str | None) -> None:
    """Print the JSON Schema of mlproject.yaml (for editors and CI)."""
    from compiler.schema import SCHEMA_VERSIONS, render_schema

    version = api_version or max(SCHEMA_VERSIONS)
    if version not in SCHEMA_VERSIONS:
        supported = ", ".join(sorted(SCHEMA_VERSIONS))
        raise UsageError(f"unknown apiVersion '{version}'; supported: {supported}")
    click.echo(render_schema(version), nl=False)


@cli.command()
@click.argument("code", required=False)
@click.option("--list", "list_codes", is_flag=True, help="List every code with its title.")
def explain(code: str | None, list_codes: bool) -> None:
    """Explain a diagnostic code, with a failing and a passing example.

    CODE is a diagnostic code such as MLP207 (see docs/diagnostics.md);
    `mlproject explain --list` lists them all.
    """
    from compiler.codes import all_codes

    codes = all_codes()
    if list_codes:
        click.echo(
            "".join(f"{doc.code}  {doc.title}\n" for _, doc in sorted(codes.items())), nl=False
        )
        return
    if code is None:
        raise UsageError("give a diagnostic CODE such as MLP207, or --list for all of them")
    wanted = "".join(code.split()).upper()
    doc = codes.get(wanted) or codes.get(f"MLP{wanted}")
    if doc is None:
        close = _close_code(wanted, codes)
        hint = f"did you mean '{close}'? " if close else ""
        raise UsageError(
            f"unknown diagnostic code '{code}' ({hint}`mlproject explain --list` lists every code)"
        )
    click.echo(f"{doc.code}: {doc.title}\n\n{doc.summary}\n")
    click.echo("Bad:\n" + _indent(doc.bad) + "\nGood:\n" + _indent(doc.good), nl=False)


def _close_code(wanted: str, codes: Iterable[str]) -> str | None:
    """The one code whose number is close to the one asked for (a digit added or dropped),
    else None. Only the digits are compared: every code starts with MLP, which would make
    any two codes look alike (MLP999 and MLP229). A digit changed in place has several
    neighbours equally close (MLP208, MLP217, ...): none is suggested then."""
    import difflib  # the error path only

    digits = wanted.removeprefix("MLP")
    scores = {
        c: difflib.SequenceMatcher(None, digits, c.removeprefix("MLP")).ratio() for c in codes
    }
    best = max(scores.values(), default=0.0)
    closest = [c for c, score in scores.items() if score == best]
    return closest[0] if best >= 0.7 and len(closest) == 1 else None


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines())


# Commands defined in other modules, imported only when invoked (keeps start-up light).
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("mlcli.init", "init", "Write a commented starter mlproject.yaml."),
    "plan": ("mlcli.plan", "plan", "What compile would change, per file and as a diff."),
    "step": ("mlcli.steps", "step", "Run a built-in pipeline step (validate-data...gate)."),
    "register": ("mlcli.models", "register", "Register HEAD as the next model version."),
    "promote": ("mlcli.models", "promote", "Promote a model version to an environment."),
    "lineage": (
        "mlcli.models",
        "lineage",
        "What produced a version: commit, data, params.",
    ),
    "champion": ("mlcli.models", "champion", "The model in production and its metrics."),
    "demo": ("mlcli.demo", "demo", "The whole lifecycle of an example, offline."),
    "serve": ("mlcli.serving", "serve", "Serve a model version locally with MLServer."),
    "loadtest": ("mlcli.serving", "loadtest", "Load-test a V2 endpoint against the SLOs."),
    "slo-gate": ("mlcli.ci", "slo_gate", "Gate a version on the latency limits (serve + load)."),
    "publish": ("mlcli.ci", "publish", "Copy a version's model to the model store."),
    "deploy": ("mlcli.ci", "deploy", "Render/apply/wait/rollback/record one environment."),
    "ci": ("mlcli.ci", "ci", "The steps of the generated GitHub Actions workflows."),
}


add_lazy(cli, LAZY_COMMANDS)


def _with_stack_headroom(call: Callable[[], object]) -> None:
    """Run ``call`` with ~56 KiB of CPython frame stack free above this frame.

    CPython (3.11+) keeps Python frames in 16 KiB chunks and frees a chunk as
    soon as the stack returns below it, so code that keeps calling across a
    chunk boundary pays an mmap, a munmap and page faults per call. Where the
    boundary falls depends on how deep the caller is: from click's dispatch,
    importing scikit-learn and pandas in a pipeline step crossed it thousands
    of times more than a plain script does (measured in docs/benchmarks.md,
    dvc repro). This function's code declares a large value
    stack (:data:`_HEADROOM_WORDS`), so its frame gets a chunk of its own with
    room to spare, and everything the command calls stays inside it. A larger
    ``co_stacksize`` than the code needs is safe: it only reserves memory.
    """
    call()


_HEADROOM_WORDS = 8192  # 64 KiB of value stack: a 128 KiB chunk, ~56 KiB left for callees
_with_stack_headroom.__code__ = _with_stack_headroom.__code__.replace(co_stacksize=_HEADROOM_WORDS)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    args = list(argv) if argv is not None else None
    try:
        terminate_as_interrupt()  # SIGTERM stops a command as Ctrl-C does: exit 130
        _with_stack_headroom(lambda: cli.main(args=args, prog_name="mlproject"))
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except Exception as exc:  # a bug: bad input never gets here, it gets a diagnostic
        if os.environ.get("MLPROJECT_DEBUG"):
            raise
        click.echo(
            f"mlproject: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in mlproject. Rerun with MLPROJECT_DEBUG=1 for the traceback "
            "and report it.",
            err=True,
        )
        sys.exit(ExitCode.INTERNAL)

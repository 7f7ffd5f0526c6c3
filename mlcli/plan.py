"""``mlproject plan``: what compile would change, per file and as a diff (CLI stage).

Like ``terraform plan``: renders every spec, compares with the disk and writes
nothing (not even the stat cache). The work is done by
:func:`compiler.pipeline.compile_specs` in ``plan`` mode and
:mod:`compiler.change_plan`; this module parses arguments, prints and exits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from compiler.diagnostics import format_json, format_text
from mlcli.app import CONFLICT_CODES, OUTPUT_ROOT, SPECS, use_color
from mlcontract.errors import ExitCode, UsageError


@click.command()
@SPECS
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NAME",
    help="Plan only this target's files (repeatable); the other targets' files are kept.",
)
@click.option("--force", is_flag=True, help="Plan as `compile --force` would run.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help=f"Exit {ExitCode.DRIFT.value} when compile would change any file (0: nothing to change).",
)
@OUTPUT_ROOT
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="For people (text: diffs), machines (json) or a pull-request comment (markdown: "
    "one collapsed section per file).",
)
def plan(
    specs: tuple[Path, ...],
    targets: tuple[str, ...],
    force: bool,
    detailed_exitcode: bool,
    root: Path | None,
    fmt: str,
) -> None:
    """Show what `mlproject compile` would change, file by file, as a unified diff.

    Writes nothing. Exit codes: 0 success (with --detailed-exitcode: nothing to
    change), 1 the spec has errors, 3 with --detailed-exitcode: files would
    change, 4 compile would refuse: a generated file was edited by hand or a
    file mlproject did not write is in the way (rerun with --force to plan over it).
    """
    from compiler.change_plan import (
        changes,
        has_changes,
        refused,
        render_markdown,
        render_text,
        to_json,
    )
    from compiler.pipeline import compile_specs, default_specs, find_root
    from compiler.target_registry import selected_targets

    paths = default_specs(specs)
    if not paths:
        raise UsageError("no mlproject.yaml found; pass a spec path or run `mlproject init`")
    chosen, partial = selected_targets(targets)
    out_root = (root if root is not None else find_root(paths[0])).resolve()
    report = compile_specs(
        paths,
        out_root,
        chosen,
        mode="plan",
        force=force,
        partial=partial,
    )
    diagnostics = report.all_diagnostics
    found = changes(out_root, report.plans, report.contents)
    if fmt == "json":
        payload = json.loads(format_json(diagnostics))
        payload.update(to_json(found))
        payload["editor_schemas"] = [{"path": p, "action": "stale"} for p in report.editor_schemas]
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
    else:
        if diagnostics:
            sources = {v.file: v.document.text for v in report.validations if v.document}
            text = format_text(diagnostics, sources, color=use_color(sys.stderr))
            click.echo(text, nl=False, err=True)
        if not report.has_errors:
            if fmt == "markdown":
                click.echo(render_markdown(found), nl=False)
            else:
                click.echo(render_text(found, color=use_color(sys.stdout)), nl=False)
            for path in report.editor_schemas:  # not a generated output: no exit code
                click.echo(f"stale: {path} (editor schema of another mlproject version: "
                           "compile refreshes it)")  # fmt: skip
    ctx = click.get_current_context()
    if any(d.code in CONFLICT_CODES for d in diagnostics):
        ctx.exit(ExitCode.CONFLICT)
    if report.has_errors:
        ctx.exit(ExitCode.INVALID)
    if refused(found):
        ctx.exit(ExitCode.CONFLICT)
    if detailed_exitcode and has_changes(found):
        ctx.exit(ExitCode.DRIFT)

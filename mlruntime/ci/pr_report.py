"""``mlproject ci pr-report``: the one pull-request comment of the PR check (runtime, CI).

Sections: the spec's validity, whether the generated files are up to date (the
``mlproject plan --format markdown`` output) and which of them the pull
request changes, the ``dvc repro`` outcome, ``dvc params diff`` and
``dvc metrics diff`` against the base commit, the release-gate verdict and, for
data that is neither confidential nor PII, the data-validation report. The
first line is a hidden marker the comment job finds the comment by. Written to
the step summary and the step output ``report`` (at most :data:`REPORT_LIMIT`).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mlcontract import pipeline_layout as pl
from mlruntime.ci.actions import set_multiline_output, summary

REPORT_LIMIT = 60000  # a GitHub comment holds at most 65,536 characters
FENCE = "```"
MANIFEST = ".mlproject/manifest.json"


@dataclass(frozen=True)
class Outcomes:
    """The outcomes of the check's steps: success, failure, skipped or cancelled."""

    validate: str
    compile: str
    repro: str
    data: str = "success"  # validate --data, before repro (a failure: repro did not run)


def marker(project: str) -> str:
    return f"<!-- mlproject:{project}:pull-request-report -->"


def _run(args: list[str], cwd: Path) -> tuple[bool, str]:
    try:
        done = subprocess.run(
            args, cwd=cwd, capture_output=True, text=True, check=False, timeout=600
        )
    except OSError as exc:
        return False, str(exc)
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def _compared(what: str, args: list[str], cwd: Path) -> str:
    ok, out = _run(args, cwd)
    if not ok:
        return f"The {what} could not be compared:\n\n{FENCE}\n{out}\n{FENCE}"
    rows = [line for line in out.splitlines() if line.strip()]
    if all(line.startswith("|") for line in rows) and len(rows) <= 2:
        return f"No {what} changed."  # dvc's Markdown table with its header only
    return out


def _read(path: Path | None) -> str:
    try:
        return path.read_text(encoding="utf-8") if path else ""
    except OSError:
        return ""


def _changed_generated(project_dir: Path, base: str) -> list[str] | None:
    try:
        generated = set(json.loads(_read(project_dir / MANIFEST) or "null")["files"])
    except (TypeError, KeyError, ValueError):
        return None
    ok, out = _run(["git", "diff", "--name-status", "--no-renames", base, "HEAD"], project_dir)
    if not ok:
        return None
    prefix = _run(["git", "rev-parse", "--show-prefix"], project_dir)[1]
    found = []
    for line in out.splitlines():
        status, _, path = line.partition("\t")
        relative = path.removeprefix(prefix) if prefix else path
        if relative in generated or path in generated:
            found.append(f"- {status}: {path}")
    return found


def changed_by_repro(project_dir: Path) -> list[str]:
    """Committed files of the project that ``dvc repro`` changed (``dvc.lock``, metrics...),
    relative to the project: the pull request did not commit what its pipeline produces."""
    ok, out = _run(["git", "diff", "--name-only", "--relative", "HEAD", "--", "."], project_dir)
    return out.splitlines() if ok else []


def _number(value: object, signed: bool = False) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "-"
    return f"{value:+.6g}" if signed else f"{value:.6g}"


def gate_table(report: dict[str, object]) -> str:
    """The gate report's checks as a Markdown table, read from the report: rendering a
    comment re-runs nothing and writes nothing."""
    rows = ["| check | metric | value | required | margin | by | result |", "|" + "---|" * 7]
    checks = report.get("checks")
    for check in checks if isinstance(checks, list) else []:
        if not isinstance(check, dict):
            continue
        required = check.get("required")
        bound = "-" if required is None else f"{check.get('comparison', '')} {_number(required)}"
        status = str(check.get("status", ""))
        result = str(check.get("reason", "")) if status == "skipped" else status.upper()
        cells = [
            str(check.get("check", "")),
            str(check.get("metric", "")),
            _number(check.get("value")),
            bound,
            _number(check.get("margin")),
            _number(check.get("difference"), signed=True),
            result,
        ]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def render(
    project_dir: Path,
    project: str,
    *,
    base: str,
    outcomes: Outcomes,
    validate_log: Path | None,
    plan: Path | None,
    sensitive: bool | None,
    data_log: Path | None = None,
) -> str:
    """The report as Markdown. ``sensitive``: whether the spec on the pull request says the
    data is sensitive; None when it cannot say (the spec is invalid): nothing from the data
    is shown then either."""
    parts = [f"{marker(project)}\n## mlproject {project}"]

    def section(title: str, body: str) -> None:
        parts.append(f"### {title}\n\n{body.rstrip()}")

    if outcomes.validate == "success":
        section("Spec", "The spec is valid.")
    else:
        section("Spec", f"**The spec is invalid:**\n\n{FENCE}\n{_read(validate_log)}\n{FENCE}")
    if outcomes.compile == "success":
        generated = "Up to date with the spec."
    elif outcomes.compile == "failure":
        generated = (
            "**Out of date**: run `mlproject compile` and commit the result. What it would "
            f"change (`mlproject plan`):\n\n{_read(plan)}"
        )
    else:
        generated = "Not checked."
    changed = _changed_generated(project_dir, base)
    if changed is not None:
        generated += "\n\nGenerated files this pull request changes:\n\n" + (
            "\n".join(changed) or "none"
        )
    section("Generated files", generated)
    pipeline = f"`dvc repro`: **{outcomes.repro}**"
    if outcomes.data == "failure":
        pipeline = (
            "`mlproject validate --data`: **failure**, so `dvc repro` did not run: the data "
            "is missing or does not match the spec"
        )
        if sensitive is None:
            pipeline += (
                " (the diagnostics are in the job's log: whether the data is sensitive cannot "
                "be judged from an invalid spec)."
            )
        elif sensitive:
            pipeline += " (the diagnostics are in the job's log: the data is sensitive)."
        else:
            pipeline += f":\n\n{FENCE}\n{_read(data_log).rstrip()}\n{FENCE}"
    stale = changed_by_repro(project_dir) if outcomes.repro == "success" else []
    if stale:
        pipeline += (
            f"\n\n**Not committed:** `dvc repro` changed {', '.join(stale)}. Run `dvc repro` "
            "and commit them (and `dvc push`) in this pull request: after the merge, the "
            "train workflow registers a commit only when its `dvc.lock` is what it reproduces."
        )
    section("Pipeline", pipeline)
    section(
        "Parameters (against the base commit)",
        _compared("parameters", ["dvc", "params", "diff", base, "--md"], project_dir),
    )
    section(
        "Metrics (against the base commit)",
        _compared("metrics", ["dvc", "metrics", "diff", base, "--md"], project_dir),
    )
    gate = project_dir / pl.GATE_REPORT
    try:
        report = json.loads(gate.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = None
    passed = isinstance(report, dict) and report.get(pl.GATE_PASSED) is True
    # The report on disk is this run's only when the pipeline ran: after a skipped or
    # failed repro it may be the one committed before, whose verdict is not this
    # change's. A failed verdict is shown either way (the gate may be what failed).
    if outcomes.repro != "success" and passed:
        ran = {"skipped": "did not run", "failure": "failed"}.get(outcomes.repro, "was cancelled")
        section(
            "Release gates",
            f"Not evaluated: `dvc repro` {ran}, so the gates have no verdict for this change.",
        )
    elif isinstance(report, dict):
        verdict = "passed" if passed else "FAILED"
        section("Release gates", f"Verdict: **{verdict}**\n\n{gate_table(report)}")
    else:
        section("Release gates", "The pipeline stopped before the gate ran.")
    if sensitive is None:
        section(
            "Data",
            "The spec is invalid, so whether the training data is confidential or holds\n"
            "personal data cannot be judged (the committed configuration is the base commit's,\n"
            "not this change's): this report shows aggregates only, never rows or samples.",
        )
    elif sensitive:
        section(
            "Data",
            "The training data is confidential or holds personal data: this report shows\n"
            "aggregates only (parameters, metrics, gate verdicts), never rows or samples.",
        )
    else:
        validation = project_dir / pl.VALIDATION_REPORT
        if validation.is_file():
            try:
                pretty = json.dumps(json.loads(_read(validation)), indent=2)
            except ValueError:
                pretty = _read(validation)
            lines = pretty.splitlines()[:200]
            body = "\n".join(lines)
            section(
                "Data validation",
                f"<details><summary>data-validation report</summary>\n\n{FENCE}json\n{body}\n"
                f"{FENCE}\n</details>",
            )
        else:
            section("Data validation", "No data-validation report.")
    return "\n\n".join(parts) + "\n"


def publish(text: str) -> None:
    """The report as the step summary and output, cut at :data:`REPORT_LIMIT` (the caller
    prints the whole report to the log, which the cut one points to)."""
    if len(text) > REPORT_LIMIT:
        text = text[:REPORT_LIMIT] + "\n\n(truncated: the whole report is in the log of this run)\n"
    summary(text)
    set_multiline_output("report", text)

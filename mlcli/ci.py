"""The commands the generated GitHub Actions jobs run (CLI stage, thin over :mod:`mlruntime.ci`).

``mlproject ci ...`` (pr-report, gate, register, monitor, retrain-commit),
``mlproject publish`` and ``mlproject deploy render|apply|wait|rollback|record``.
Each generated step is one of these with its inputs in ``env:``: every option
also reads the environment variable named in its help, so a step's ``run:``
is the bare command. A :class:`~mlruntime.ci.actions.CiError` becomes
``mlproject: error:`` plus a ``hint:`` line and exit code 1, never a traceback.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from mlcli.errors import Group
from mlcli.options import PROJECT_DIR
from mlcontract.errors import ExitCode

if TYPE_CHECKING:
    from mlruntime.ci.pr_report import Outcomes


def _fail(message: str, hint: str | None = None) -> NoReturn:
    from mlruntime.ci.actions import CiError

    raise CiError(message, hint)


def _runner_temp(name: str) -> Path:
    import os
    import tempfile

    return Path(os.environ.get("RUNNER_TEMP") or tempfile.gettempdir()) / name


ENVIRONMENT = click.option(
    "--env",
    "environment",
    envvar="MLPROJECT_ENVIRONMENT",
    required=True,
    help="The environment [MLPROJECT_ENVIRONMENT].",
)
VERSION = click.option(
    "--version",
    envvar="MLPROJECT_VERSION",
    required=True,
    help="vX.Y.Z or <model>@vX.Y.Z [MLPROJECT_VERSION].",
)
WORK_DIR = click.option(
    "--dir",
    "work",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="MLPROJECT_RENDERED",
    default=None,
    help="The rendered manifests [MLPROJECT_RENDERED; default $RUNNER_TEMP/mlproject-manifests].",
)
TIMEOUT = click.option(
    "--timeout",
    envvar="MLPROJECT_READY_TIMEOUT",
    default="600s",
    show_default=True,
    help="kubectl wait timeout [MLPROJECT_READY_TIMEOUT].",
)


# ── mlproject publish ───────────────────────────────────────────────────────


@click.command()
@click.argument("version", envvar="MLPROJECT_TAG")
@PROJECT_DIR
@click.option("--store", envvar="MLPROJECT_MODEL_STORE", default=None, help="Override the store.")
def publish(version: str, project_dir: Path, store: str | None) -> None:
    """Copy a registered version's model directory to the model store serving reads:
    <registry.model_store>/<model>/<version>/ (VERSION also from MLPROJECT_TAG)."""
    from mlruntime.ci.release import publish as publish_version

    click.echo(f"published to {publish_version(project_dir, version, store)}")


# ── mlproject deploy ────────────────────────────────────────────────────────


@click.group(cls=Group)
def deploy() -> None:
    """Deploy one version to one environment: render, apply, wait, roll back, record."""


@deploy.command(name="resolve")
@click.option(
    "--version",
    envvar="MLPROJECT_VERSION",
    default=None,
    help="vX.Y.Z or <model>@vX.Y.Z [MLPROJECT_VERSION]; default: what --env holds.",
)
@click.option(
    "--env",
    "environment",
    envvar="MLPROJECT_ENVIRONMENT",
    default=None,
    help="Without --version: the version this environment holds [MLPROJECT_ENVIRONMENT].",
)
@click.option("--checkout", is_flag=True, help="Then check the version's commit out.")
@PROJECT_DIR
def resolve_command(
    version: str | None, environment: str | None, checkout: bool, project_dir: Path
) -> None:
    """A version (or the one an environment holds) to its tag and commit (step outputs
    tag, version, commit)."""
    from mlruntime.ci.actions import git
    from mlruntime.ci.deploy import resolve

    if version is None and environment is None:
        _fail("give --version or --env", "or set MLPROJECT_VERSION / MLPROJECT_ENVIRONMENT")
    tag, _, commit = resolve(project_dir, version, environment=environment)
    if checkout:
        git(project_dir, "checkout", "--quiet", commit)
    click.echo(f"{tag} is commit {commit}")


@deploy.command(name="render")
@ENVIRONMENT
@VERSION
@click.option("--challenger", envvar="MLPROJECT_CHALLENGER", default="", help="Challenger version.")
@click.option("--commit", default=None, help="Render the manifests of this commit.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True)
@PROJECT_DIR
def render_command(
    environment: str,
    version: str,
    challenger: str,
    commit: str | None,
    out: Path,
    project_dir: Path,
) -> None:
    """Write an environment's KServe manifests with the versions filled in."""
    from mlruntime.ci.deploy import render

    written = render(project_dir, environment, version, out, challenger=challenger, commit=commit)
    click.echo(f"rendered {environment} for {version} in {written}")


@deploy.command(name="apply")
@ENVIRONMENT
@VERSION
@click.option(
    "--experiment/--no-experiment",
    envvar="MLPROJECT_EXPERIMENT",
    default=True,
    help="Where a live experiment runs, run the version as its challenger [MLPROJECT_EXPERIMENT].",
)
@WORK_DIR
@TIMEOUT
@PROJECT_DIR
def apply_command(
    environment: str,
    version: str,
    experiment: bool,
    work: Path | None,
    timeout: str,
    project_dir: Path,
) -> None:
    """Render, kubectl apply, wait until Ready (and start or end the experiment)."""
    from mlruntime.ci.deploy import apply

    rendered = work or _runner_temp("mlproject-manifests")
    challenger = apply(
        project_dir, environment, version, rendered, experiment=experiment, timeout=timeout
    )
    click.echo(f"{version} is live in {environment}" + (" as the challenger" if challenger else ""))


@deploy.command(name="wait")
@ENVIRONMENT
@WORK_DIR
@TIMEOUT
@PROJECT_DIR
def wait_command(environment: str, work: Path | None, timeout: str, project_dir: Path) -> None:
    """Wait until the InferenceServices of rendered manifests are Ready."""
    from mlruntime.ci.deploy import SERVING_KINDS, namespace, wait_ready

    rendered = work or _runner_temp("mlproject-manifests")
    ready = wait_ready(namespace(project_dir, environment), rendered, SERVING_KINDS, timeout)
    click.echo(f"ready: {', '.join(ready)}")


@deploy.command(name="rollback")
@ENVIRONMENT
@click.option("--to-version", envvar="PREVIOUS_VERSION", default="", help="[PREVIOUS_VERSION]")
@click.option("--to-tag", envvar="PREVIOUS_TAG", default="", help="[PREVIOUS_TAG]")
@click.option("--to-commit", envvar="PREVIOUS_COMMIT", default="", help="[PREVIOUS_COMMIT]")
@WORK_DIR
@TIMEOUT
@PROJECT_DIR
def rollback_command(
    environment: str,
    to_version: str,
    to_tag: str,
    to_commit: str,
    work: Path | None,
    timeout: str,
    project_dir: Path,
) -> None:
    """Put back what the environment held before a failed rollout (or delete the rollout)."""
    from mlruntime.ci.deploy import Previous, read_previous, rollback

    rendered = work or _runner_temp("mlproject-manifests")
    if to_commit and to_version:
        before: Previous | None = Previous(to_version, to_tag, to_commit)
    else:  # what `deploy apply` found before it changed anything
        before = read_previous(rendered)
    click.echo(rollback(project_dir, environment, rendered, before, timeout=timeout))


@deploy.command(name="record")
@ENVIRONMENT
@VERSION
@click.option(
    "--challenger", envvar="MLPROJECT_CHALLENGER", default="", help="[MLPROJECT_CHALLENGER]"
)
@PROJECT_DIR
def record_command(environment: str, version: str, challenger: str, project_dir: Path) -> None:
    """Record a successful rollout in the registry (GTO stage tag) and push the tag."""
    from mlruntime.ci.deploy import record

    click.echo(record(project_dir, environment, version, challenger))


# ── mlproject ci ────────────────────────────────────────────────────────────


@click.group(cls=Group)
def ci() -> None:
    """The steps of the generated GitHub Actions workflows."""


@ci.command(name="gate")
@PROJECT_DIR
def gate_command(project_dir: Path) -> None:
    """Fail unless the gate report of `dvc repro` passed."""
    from mlruntime.ci.release import require_gate

    click.echo(require_gate(project_dir))


@ci.command(name="train")
@click.option(
    "--if-gate-fails",
    "if_gate_fails",
    type=click.Choice(["fail", "keep-champion"]),
    envvar="MLPROJECT_IF_GATE_FAILS",
    default="fail",
    show_default=True,
    help="A challenger the gate rejects fails the job, or (retrain) keeps the champion: "
    "exit 0, a notice and the summary say why, nothing pushed [MLPROJECT_IF_GATE_FAILS].",
)
@PROJECT_DIR
def train_command(if_gate_fails: str, project_dir: Path) -> None:
    """Train and gate in one step: dvc pull (a miss is a warning), dvc repro, require a
    passing gate report, dvc push; each in a collapsed log group; step output
    `challenger` (passed, or rejected with --if-gate-fails keep-champion). Exit 1 at the
    first failure."""
    from mlruntime.ci.release import train

    say = functools.partial(click.echo, nl=False)  # flushes each piece: subprocesses share stdout
    click.echo(train(project_dir, say, keep_champion=if_gate_fails == "keep-champion"))


@ci.command(name="pull")
@PROJECT_DIR
def pull_command(project_dir: Path) -> None:
    """dvc pull for a job, in collapsed log groups: the project's outputs (a miss is a
    warning: dvc repro recomputes them), then each missing data file another DVC
    repository tracks (a monorepo's shared data/, reached through a symlink), pulled
    there. Exit 0 either way: the step that needs a missing file says which."""
    from mlruntime.ci.data_pull import pull

    pull(project_dir, functools.partial(click.echo, nl=False))


@ci.command(name="register")
@click.option("--push/--no-push", default=True, show_default=True, help="Push the new tag.")
@PROJECT_DIR
def register_command(push: bool, project_dir: Path) -> None:
    """Register HEAD as the next version unless dvc.lock is unchanged; push its tag
    (step output: tag)."""
    from mlruntime.ci.release import register_new

    tag = register_new(project_dir, push_tag=push)
    click.echo(f"registered {tag}" if tag else "nothing new to register")


@ci.command(name="pr-report")
@click.option("--base", envvar="BASE_SHA", required=True, help="Base commit [BASE_SHA].")
@click.option("--validate", envvar="VALIDATE_OUTCOME", default="skipped", help="[VALIDATE_OUTCOME]")
@click.option(
    "--compile", "compiled", envvar="COMPILE_OUTCOME", default="skipped", help="[COMPILE_OUTCOME]"
)
@click.option("--repro", envvar="REPRO_OUTCOME", default="skipped", help="[REPRO_OUTCOME]")
@click.option("--spec", envvar="MLPROJECT_SPEC", default="mlproject.yaml", help="[MLPROJECT_SPEC]")
@PROJECT_DIR
def pr_report_command(
    base: str, validate: str, compiled: str, repro: str, spec: str, project_dir: Path
) -> None:
    """Write the pull-request report: step summary and step output `report`; exit 1 when
    validate, compile --check or dvc repro failed.

    Reads $RUNNER_TEMP/mlproject-validate.txt and mlproject-plan.md, which the
    validate and plan steps wrote.
    """
    from mlruntime.ci.pr_report import Outcomes

    _report(project_dir, base, Outcomes(validate, compiled, repro), spec)


@ci.command(name="pr-check")
@click.option("--base", envvar="BASE_SHA", required=True, help="Base commit [BASE_SHA].")
@click.option("--spec", envvar="MLPROJECT_SPEC", default="mlproject.yaml", help="[MLPROJECT_SPEC]")
@PROJECT_DIR
def pr_check_command(base: str, spec: str, project_dir: Path) -> None:
    """The pull-request check in one step: validate; then plan (compile --check), dvc pull,
    validate --data and dvc repro; then the report as pr-report writes it. Exit 1 when
    a check failed."""
    from mlruntime.ci.pr_check import CheckLogs, run_checks

    logs = CheckLogs(
        _runner_temp("mlproject-validate.txt"),
        _runner_temp("mlproject-plan.md"),
        _runner_temp("mlproject-validate-data.txt"),
    )
    say = functools.partial(click.echo, nl=False)  # flushes each piece: subprocesses share stdout
    _report(project_dir, base, run_checks(project_dir, spec, logs, say), spec)


def _sensitive_on_the_pull_request(project_dir: Path, spec: str, validate: str) -> bool | None:
    """Whether the data of the spec on the pull request is sensitive; None: cannot be judged.

    Not from the committed compiled configuration: the pull request may change the data's
    sensitivity without recompiling (compile --check fails then), and with an invalid spec
    that configuration is the base commit's. An invalid spec cannot be judged.
    """
    from compiler.lower import lower
    from compiler.pipeline import validate_file

    if validate != "success":
        return None
    result = validate_file(project_dir / spec, display=spec)
    if not result.ok or result.spec is None or result.document is None:
        return None
    project = lower(result.spec, result.document, spec_file=spec, spec_sha256=result.sha256)
    return project.sensitive


def _report(project_dir: Path, base: str, outcomes: Outcomes, spec: str) -> None:
    from mlruntime.ci.pr_report import publish, render
    from mlruntime.lineage.project import load_project

    validate, compiled, repro = outcomes.validate, outcomes.compile, outcomes.repro
    project = load_project(project_dir).project
    text = render(
        project_dir,
        project.name,
        base=base,
        outcomes=outcomes,
        validate_log=_runner_temp("mlproject-validate.txt"),
        plan=_runner_temp("mlproject-plan.md"),
        sensitive=_sensitive_on_the_pull_request(project_dir, spec, validate),
        data_log=_runner_temp("mlproject-validate-data.txt"),
    )
    publish(text)
    click.echo(text, nl=False)
    failed = validate != "success" or compiled == "failure" or repro == "failure"
    if failed:
        from mlruntime.ci.actions import annotate

        checks = f"validate {validate}, compile --check {compiled}, " + (
            "validate --data failure, repro not run"  # the data stopped it, not dvc repro
            if outcomes.data == "failure"
            else f"repro {repro}"
        )
        click.echo(annotate("error", checks))
        click.get_current_context().exit(ExitCode.INVALID)


@ci.command(name="monitor")
@click.option("--now", metavar="ISO", default=None, help="Evaluation time (default: the clock).")
@click.option(
    "--without-verdict",
    type=click.Choice(["fail", "continue"]),
    envvar="MLPROJECT_WITHOUT_VERDICT",
    default="fail",
    show_default=True,
    help="A run without a verdict fails the job, or goes on to decide [MLPROJECT_WITHOUT_VERDICT].",
)
@PROJECT_DIR
def monitor_command(now: str | None, without_verdict: str, project_dir: Path) -> None:
    """Monitor the newest window (monitoring.labels, monitoring.predictions, or the data
    source); step outputs `breach` and `report`. Exit 0 with a verdict."""
    from mlcli.monitoring import parse_now
    from mlcli.threads import apply_thread_policy

    apply_thread_policy()  # a labelled window is scored with scikit-learn, in this process
    from mlruntime.ci.monitoring import monitor

    moment = parse_now(now)
    monitor(project_dir, now=moment, fail_without_verdict=without_verdict == "fail", say=click.echo)


@ci.command(name="retrain-attempt")
@PROJECT_DIR
def retrain_attempt_command(project_dir: Path) -> None:
    """Tag and push this retrain attempt (decide counts attempts for the cooldown)."""
    from mlruntime.ci.retrain import record_attempt
    from mlruntime.lineage.project import load_project

    ref = load_project(project_dir)
    click.echo(f"recorded {record_attempt(project_dir, ref.model_name)}")


@ci.command(name="commit-challenger")
@click.option("--reason", envvar="MLPROJECT_REASON", default="", help="[MLPROJECT_REASON]")
@click.option(
    "--branch",
    envvar="MLPROJECT_BRANCH",
    default=None,
    help="Push to this branch (default: the current one) [MLPROJECT_BRANCH].",
)
@PROJECT_DIR
def commit_challenger_command(reason: str, branch: str | None, project_dir: Path) -> None:
    """Commit what retraining changed and push it; step outputs `changed`, `branch`."""
    from mlruntime.ci.retrain import commit_challenger
    from mlruntime.lineage.project import load_project

    ref = load_project(project_dir)
    commit = commit_challenger(project_dir, ref.project.name, reason, branch=branch)
    if commit is None:
        from mlruntime.ci.actions import annotate

        reproduced = "retraining reproduced the current model: nothing to promote"
        click.echo(annotate("notice", reproduced))
    click.echo(f"committed {commit}" if commit else "nothing changed")


# ── mlproject slo-gate ──────────────────────────────────────────────────────


@click.command(name="slo-gate")
@click.option("--version", envvar="MLPROJECT_VERSION", default=None, help="[MLPROJECT_VERSION]")
@click.option(
    "--url", envvar="MLPROJECT_ENDPOINT", default=None, help="An endpoint [MLPROJECT_ENDPOINT]."
)
@click.option("--duration", type=click.FloatRange(min=1), default=20.0, show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 1024), default=8, show_default=True)
@PROJECT_DIR
def slo_gate(
    version: str | None, url: str | None, duration: float, concurrency: int, project_dir: Path
) -> None:
    """Gate a version on the spec's latency limits: serve it on this machine (or use --url),
    warm up, load-test at deployment.throughput_rps. Exit 1 if a limit is missed or the
    server is saturated; reports/latency-gate.json and the step summary say why."""
    from mlruntime.ci.slo_gate import markdown, run_gate

    result = run_gate(
        project_dir, version=version, url=url, duration=duration, concurrency=concurrency
    )
    click.echo(markdown(result, url or "served on this machine"))
    click.get_current_context().exit(ExitCode.OK if result.passed else ExitCode.INVALID)

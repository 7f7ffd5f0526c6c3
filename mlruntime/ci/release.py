"""The release half of train-and-register and retrain (runtime, CI).

:func:`train` is their ``mlproject ci train`` step: ``dvc pull --allow-missing``
(a miss is a warning: repro rebuilds it), ``dvc repro`` (its ``gate`` stage writes
the verdict), :func:`require_gate`, then ``dvc push``, each in a collapsed log
group, the first failure stopping it; in the retrain workflow a challenger the
gate rejected instead ends the step green, keeping the champion. :func:`require_gate`
refuses a candidate that failed; :func:`register_new` registers HEAD as the next
version (a GTO git tag) unless ``dvc.lock`` is the one the latest version was
registered with, and pushes the tag; :func:`publish` copies the version's model
directory to the model store serving reads (``registry.model_store``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlcontract import pipeline_layout as pl
from mlruntime.ci import data_pull
from mlruntime.ci.actions import (
    CiError,
    annotate,
    ensure_identity,
    git,
    push,
    set_outputs,
    summary,
)
from mlruntime.ci.log_groups import Say, run_group
from mlruntime.ci.pr_report import gate_table
from mlruntime.lineage.errors import RegistryError


def train(project_dir: Path, say: Say, *, keep_champion: bool = False) -> str:
    """Pull, reproduce, require a passing gate, push the DVC outputs; the gate's verdict.

    ``keep_champion`` (the retrain workflow): a challenger the gate rejected, after a
    pipeline that ran to its verdict, is an outcome, not a failure: the champion stays,
    the summary and a ``::notice`` (``::warning`` when it also missed an absolute bar)
    say why, step output ``challenger=rejected``, nothing is pushed, and this returns.
    Anything else that fails (a stage's error, missing data, an unreadable report, a
    check without a value) still raises. Step output ``challenger=passed`` otherwise.
    """
    data_pull.pull(project_dir, say)
    report = project_dir / pl.GATE_REPORT
    before = _modified(report)
    reproduced = run_group(say, "dvc repro", ["dvc", "repro"], project_dir)
    if keep_champion:
        rejected = _fresh_rejection(report, before)
        if rejected is not None:
            return _kept_champion(rejected, say)
    if not reproduced:
        raise CiError("dvc repro failed", "its log is in the 'dvc repro' group above")
    verdict = require_gate(project_dir)
    if not run_group(say, "dvc push", ["dvc", "push"], project_dir):
        raise CiError(
            "dvc push failed: the outputs did not reach the remote",
            "its log is in the 'dvc push' group above; check the remote's credentials",
        )
    set_outputs(challenger="passed")
    return verdict


def _modified(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _fresh_rejection(report: Path, before: int | None) -> list[dict[str, Any]] | None:
    """The failed checks of a gate report this ``dvc repro`` wrote and whose verdict is
    a measured rejection; None when it did not write one (a stage before the gate
    failed), the challenger passed, or a failed check has no value (a configuration
    problem, not a verdict)."""
    after = _modified(report)
    if after is None or after == before:
        return None
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get(pl.GATE_PASSED) is not False:
        return None
    checks = data.get("checks")
    if not isinstance(checks, list):
        return None
    failed = [c for c in checks if isinstance(c, dict) and c.get("status") == "fail"]
    if not failed or any(c.get("value") is None for c in failed):
        return None
    return failed


def _kept_champion(failed: list[dict[str, Any]], say: Say) -> str:
    """Report a rejected challenger: summary, annotation, step output; the line to print."""
    reasons = "; ".join(_failure(c) for c in failed)
    only_champion = all(c.get("check") == "beat_champion" for c in failed)
    lost = "did not beat the champion" if only_champion else "did not pass its release gates"
    message = f"kept the champion: the challenger {lost} ({reasons}); nothing registered"
    summary(
        "### Kept the champion\n\n"
        f"The retrained challenger {lost}: it is not committed, registered or deployed, "
        "and the champion keeps serving. The pipeline itself ran to the gate's verdict.\n\n"
        + gate_table({"checks": failed})
        + "\n"
    )
    set_outputs(challenger="rejected")
    say(annotate("notice" if only_champion else "warning", message) + "\n")
    return message


def _failure(check: dict[str, Any]) -> str:
    shown = f"{check.get('check')} {check.get('metric')} {check.get('value')}"
    shown += f", required {check.get('comparison')} {check.get('required')}"
    return f"{shown}, {check['reason']}" if check.get("reason") else shown


def require_gate(project_dir: Path) -> str:
    """The gate report's verdict; a CiError unless it passed."""
    path = project_dir / pl.GATE_REPORT
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CiError(f"no gate report at {path}", "dvc repro runs the gate stage") from None
    except (OSError, ValueError) as exc:
        raise CiError(f"{path} is not a gate report: {exc}") from None
    if not isinstance(report, dict) or report.get(pl.GATE_PASSED) is not True:
        raise CiError(f"the release gates did not pass ({path})")
    summary("Release gates: **passed**")
    return "release gates passed"


def _unchanged_since(project_dir: Path) -> str | None:
    """The latest version's tag when ``dvc.lock`` has not changed since it, else None."""
    from mlruntime.lineage.errors import NoVersionError
    from mlruntime.lineage.project import load_project
    from mlruntime.lineage.registry import resolve_version

    try:
        latest = resolve_version(project_dir)
    except NoVersionError:
        return None
    ref = load_project(project_dir)
    lock = ref.in_repo("dvc.lock")
    same = git(ref.root, "diff", "--quiet", latest.commit, "HEAD", "--", lock, check=False)
    return latest.tag if same.returncode == 0 else None


def register_new(
    project_dir: Path, *, push_tag: bool = True, check_pipeline: bool = True
) -> str | None:
    """Register HEAD and push its tag; None when nothing new was trained. Output ``tag``."""
    from mlruntime.lineage.project import load_project
    from mlruntime.lineage.registry import register

    try:
        same = _unchanged_since(project_dir)
        if same is not None:
            summary(f"dvc.lock is unchanged since **{same}**: nothing new to register")
            return None
        ensure_identity(load_project(project_dir).root)
        version = register(project_dir, check_pipeline=check_pipeline)
    except RegistryError as exc:
        raise CiError(exc.message, exc.hint) from None
    if push_tag:
        push(load_project(project_dir).root, f"refs/tags/{version.tag}")
    set_outputs(tag=version.tag)
    summary(f"Registered **{version.tag}**")
    return version.tag


def publish(project_dir: Path, version_ref: str, store: str | None = None) -> str:
    """Copy ``build/model/`` of the working tree (the version's, just trained) to
    ``<model store>/<model>/<version>/``; the URI written. ``store`` overrides the spec's."""
    from mlruntime.lineage.project import load_project
    from mlruntime.lineage.registry import resolve_version

    try:
        ref = load_project(project_dir)
        version = resolve_version(project_dir, version_ref)
    except RegistryError as exc:
        raise CiError(exc.message, exc.hint) from None
    root = (store or ref.project.registry.model_store).rstrip("/")
    if root.startswith("pvc://"):
        raise CiError(
            f"the model store {root} is a PersistentVolumeClaim: CI cannot write to it",
            "set registry.model_store to an s3://, gs:// or azure:// URI (or a path)",
        )
    model_dir = ref.path / pl.MODEL_DIR
    if not (ref.path / pl.MODEL_FILE).is_file():
        raise CiError(f"no model at {ref.path / pl.MODEL_FILE}", "run `dvc repro` (or dvc pull)")
    head = git(ref.root, "rev-parse", "HEAD").stdout.strip()
    if head != version.commit:
        raise CiError(
            f"{version.tag} is commit {version.commit[:12]}, the work tree is at {head[:12]}",
            "publish from a checkout of the version's commit",
        )
    destination = f"{root}/{version.name}/{version.version}"
    _copy_tree(model_dir, destination)
    set_outputs(uri=destination)
    summary(f"Published **{version.tag}** to `{destination}`")
    return destination


def _copy_tree(source: Path, destination: str) -> None:
    """Upload every file under ``source`` with fsspec (s3fs, gcsfs, adlfs come with dvc-*)."""
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(destination)
    except (ImportError, ValueError) as exc:
        raise CiError(
            f"cannot write to {destination}: {exc}",
            "install the filesystem of that scheme (dvc-s3, dvc-gs or dvc-azure bring it)",
        ) from None
    try:
        for file in sorted(p for p in source.rglob("*") if p.is_file()):
            target = f"{path.rstrip('/')}/{file.relative_to(source).as_posix()}"
            fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
            fs.put_file(str(file), target)
    except OSError as exc:
        raise CiError(f"publishing to {destination} failed: {exc}") from None

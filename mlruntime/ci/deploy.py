"""``mlproject deploy``: one version into one environment with kubectl (runtime, CI).

The kserve target writes each environment's manifests with version placeholders
(:mod:`mlcontract.deploy_layout`). Here they are filled in (``render``),
applied and waited for until Ready (``apply``), and on a failure replaced by the
manifests of the commit of the version the environment held before
(``rollback``); a successful rollout is then recorded in the registry
(``record``: a GTO stage tag, pushed). In the environment of a live experiment
the new version runs as the challenger beside the champion it would replace,
until the workflow runs again with the experiment off.

kubectl is the only cluster client; everything it is given is a rendered
directory, never a string built from spec text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlcontract import deploy_layout as dl
from mlcontract import ir
from mlruntime.ci.actions import (
    CiError,
    annotate,
    ensure_identity,
    git,
    push,
    set_outputs,
    summary,
)
from mlruntime.lineage.errors import RegistryError
from mlruntime.lineage.project import ProjectRef, load_project

VERSION = re.compile(r"v\d+\.\d+\.\d+")
READY_TIMEOUT = "600s"
SERVING_KINDS = ("inferenceservice",)
EXPERIMENT_KINDS = ("inferenceservice", "inferencegraph")


@dataclass(frozen=True)
class Previous:
    """The version an environment held before this deployment (the rollback target)."""

    version: str
    tag: str
    commit: str


def _environment(ref: ProjectRef, name: str) -> ir.Environment:
    for environment in ref.project.deployment.environments:
        if environment.name == name:
            return environment
    known = ", ".join(ref.environment_names()) or "none"
    raise CiError(f"'{name}' is not an environment of this project", f"environments: {known}")


def namespace(project_dir: Path, environment: str) -> str:
    """The Kubernetes namespace of ``environment`` (a CiError naming the others if unknown)."""
    return _environment(load_project(project_dir), environment).namespace


def _version(text: str, model: str) -> str:
    version = text.removeprefix(f"{model}@")
    if not VERSION.fullmatch(version):
        raise CiError(f"not a version: {text!r}", f"give vX.Y.Z or {model}@vX.Y.Z")
    return version


def _fill(text: str, champion: str, challenger: str) -> str:
    return text.replace(dl.VERSION_PLACEHOLDER, champion).replace(
        dl.CHALLENGER_VERSION_PLACEHOLDER, challenger
    )


def _sources(ref: ProjectRef, environment: str, commit: str | None) -> dict[str, bytes]:
    """The environment's manifests by relative path: from the work tree, or from ``commit``."""
    relative = dl.manifests_dir(environment)
    if commit is None:
        base = ref.path / relative
        if not base.is_dir():
            raise CiError(f"no manifests at {base}", "run `mlproject compile` and commit them")
        return {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*.yaml")}
    in_repo = ref.in_repo(relative)
    listed = git(ref.root, "ls-tree", "-r", "--name-only", commit, "--", in_repo).stdout
    files: dict[str, bytes] = {}
    for path in listed.splitlines():
        shown = subprocess.run(
            ["git", "show", f"{commit}:{path}"], cwd=ref.root, capture_output=True, check=True
        )
        files[path[len(in_repo) + 1 :]] = shown.stdout
    if not files:
        raise CiError(f"no manifests under {in_repo} at {commit[:12]}")
    return files


def render(
    project_dir: Path,
    environment: str,
    version: str,
    out: Path,
    *,
    challenger: str = "",
    commit: str | None = None,
) -> Path:
    """Write the environment's manifests with the versions filled in to ``out`` (replaced)."""
    ref = load_project(project_dir)
    _environment(ref, environment)
    model = ref.model_name
    champion = _version(version, model)
    second = _version(challenger, model) if challenger else ""
    if out.exists():
        shutil.rmtree(out)
    for relative, data in sorted(_sources(ref, environment, commit).items()):
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_fill(data.decode("utf-8"), champion, second), encoding="utf-8")
    return out


KUBECONFIG_DATA = "MLPROJECT_KUBECONFIG_DATA"  # the kubeconfig itself (a secret)


def _kube_environment(temp: Path) -> dict[str, str]:
    """The environment kubectl runs in: with the kubeconfig from the secret written to a
    private file (mode 0600, removed with ``temp``), else the caller's KUBECONFIG."""
    environ = dict(os.environ)
    if KUBECONFIG_DATA not in environ:
        return environ
    data = environ.pop(KUBECONFIG_DATA)
    if not data.strip():
        where = environ.get("MLPROJECT_ENVIRONMENT", "<environment>")
        name = f"KUBECONFIG_{where.upper().replace('-', '_')}"
        raise CiError(
            f"the secret {name} is empty or missing",
            f"add the kubeconfig of {where}'s cluster as the secret {name} of the GitHub "
            f"environment {where}",
        )
    path = temp / "kubeconfig"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(data if data.endswith("\n") else data + "\n")
    environ["KUBECONFIG"] = str(path)
    return environ


def kubectl(*args: str) -> str:
    if shutil.which("kubectl") is None:
        raise CiError("kubectl is not on PATH", "install it (GitHub's Ubuntu runners have it)")
    with tempfile.TemporaryDirectory(prefix="mlproject-kube-") as temp:
        done = subprocess.run(
            ["kubectl", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
            env=_kube_environment(Path(temp)),
        )
    if done.returncode != 0:
        raise CiError(f"kubectl {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def wait_ready(
    namespace: str, directory: Path, kinds: tuple[str, ...], timeout: str = READY_TIMEOUT
) -> list[str]:
    """Wait until every resource of ``kinds`` in ``directory`` is Ready; their names."""
    names = kubectl("get", "--namespace", namespace, "--filename", str(directory), "-o", "name")
    wanted = [n for n in names.split() if n.split("/", 1)[0].split(".", 1)[0] in kinds]
    if not wanted:
        raise CiError(f"no resource of kind {', '.join(kinds)} in {directory}")
    for name in wanted:
        kubectl(
            "wait", "--namespace", namespace, "--for=condition=Ready", f"--timeout={timeout}", name
        )
    return wanted


def previous(project_dir: Path, environment: str) -> Previous | None:
    """What ``environment`` holds now, or None before its first deployment."""
    from mlruntime.lineage.errors import NoVersionError
    from mlruntime.lineage.registry import resolve_version

    try:
        held = resolve_version(project_dir, environment)
    except NoVersionError:
        return None
    except RegistryError as exc:
        raise CiError(exc.message, exc.hint) from None
    return Previous(held.version, held.tag, held.commit)


def _previous_file(work: Path) -> Path:
    return work.with_name(work.name + ".previous.json")


def _write_previous(work: Path, before: Previous | None) -> None:
    import json

    work.parent.mkdir(parents=True, exist_ok=True)
    data = (
        None
        if before is None
        else {"version": before.version, "tag": before.tag, "commit": before.commit}
    )
    _previous_file(work).write_text(json.dumps(data) + "\n", encoding="utf-8")


def read_previous(work: Path) -> Previous | None:
    """What ``apply`` recorded beside ``work`` as the environment's version before it."""
    import json

    try:
        data = json.loads(_previous_file(work).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CiError(
            "no record of the version before the rollout", "run `deploy apply` first"
        ) from None
    except (OSError, ValueError) as exc:
        raise CiError(f"cannot read {_previous_file(work)}: {exc}") from None
    if data is None:
        return None
    return Previous(str(data["version"]), str(data["tag"]), str(data["commit"]))


def apply(
    project_dir: Path,
    environment: str,
    version: str,
    work: Path,
    *,
    experiment: bool = True,
    timeout: str = READY_TIMEOUT,
) -> str:
    """Roll ``version`` out to ``environment``; the challenger's version (``""``: none).

    Sets the step outputs ``previous_version``, ``previous_tag``, ``previous_commit``
    (for ``rollback``) and ``challenger`` (for ``record``).
    """
    ref = load_project(project_dir)
    env = _environment(ref, environment)
    new = _version(version, ref.model_name)
    before = previous(project_dir, environment)
    set_outputs(
        previous_version=before.version if before else "",
        previous_tag=before.tag if before else "",
        previous_commit=before.commit if before else "",
    )
    _write_previous(work, before)
    live = dl.experiment_environment(ref.project)
    in_experiment = live is not None and live.name == environment
    champion, challenger = new, ""
    if in_experiment and experiment and before is not None and before.version != new:
        champion, challenger = before.version, new
    set_outputs(challenger=challenger)
    rendered = render(project_dir, environment, champion, work, challenger=challenger)
    kubectl("apply", "--namespace", env.namespace, "--filename", str(rendered))
    wait_ready(env.namespace, rendered, SERVING_KINDS, timeout)
    if in_experiment:
        extra = rendered / dl.experiment_dir(ref.project)
        if challenger:
            kubectl("apply", "--namespace", env.namespace, "--filename", str(extra))
            wait_ready(env.namespace, extra, EXPERIMENT_KINDS, timeout)
            summary(f"{challenger} runs as the challenger beside {champion} in {environment}")
        else:
            kubectl(
                "delete",
                "--namespace",
                env.namespace,
                "--filename",
                str(extra),
                "--ignore-not-found",
            )
            summary(f"No experiment running: {new} is the champion in {environment}")
    summary(f"Rolled out **{ref.model_name}@{new}** to {environment}")
    return challenger


def rollback(
    project_dir: Path,
    environment: str,
    work: Path,
    before: Previous | None,
    *,
    timeout: str = READY_TIMEOUT,
) -> str:
    """Undo a failed rollout: the previous version's manifests, or delete the new ones."""
    ref = load_project(project_dir)
    env = _environment(ref, environment)
    failed = work
    if dl.experiment_environment(ref.project) is not None:
        extra = failed / dl.experiment_dir(ref.project)
        if extra.is_dir():
            kubectl(
                "delete",
                "--namespace",
                env.namespace,
                "--filename",
                str(extra),
                "--ignore-not-found",
            )
    if before is None:
        if failed.is_dir():
            kubectl(
                "delete",
                "--namespace",
                env.namespace,
                "--filename",
                str(failed),
                "--ignore-not-found",
            )
        message = f"no earlier version in {environment}: the failed rollout is deleted"
        summary(message)
        return annotate("warning", message)
    restored = render(
        project_dir,
        environment,
        before.version,
        work.with_name(work.name + "-previous"),
        commit=before.commit,
    )
    kubectl("apply", "--namespace", env.namespace, "--filename", str(restored))
    wait_ready(env.namespace, restored, SERVING_KINDS, timeout)
    summary(f"Rolled {environment} back to **{before.tag}**")
    return annotate("warning", f"rolled {environment} back to {before.tag}")


def record(project_dir: Path, environment: str, version: str, challenger: str) -> str:
    """After a successful rollout: the registry's stage tag, pushed; not for a challenger."""
    from mlruntime.lineage.registry import promote

    ref = load_project(project_dir)
    _environment(ref, environment)
    new = _version(version, ref.model_name)
    tag = f"{ref.model_name}@{new}"
    if challenger:
        message = (
            f"{tag} is the challenger: {environment} keeps its champion until the deploy "
            "workflow runs again with experiment=false"
        )
        summary(message)
        return message
    ensure_identity(ref.root)
    try:
        promote(project_dir, new, environment)
    except RegistryError as exc:
        raise CiError(exc.message, exc.hint) from None
    push(ref.root, "--tags")
    summary(f"**{tag}** is now the version in {environment}")
    return f"{tag} promoted to {environment}"


def resolve(
    project_dir: Path, text: str | None, *, environment: str | None = None
) -> tuple[str, str, str]:
    """``vX.Y.Z`` or ``<model>@vX.Y.Z`` (or, without one, the version ``environment``
    holds) to (tag, version, commit); step outputs of the same names."""
    from mlruntime.lineage.registry import resolve_version

    ref = load_project(project_dir)
    if text is None:
        if environment is None:
            raise CiError("give a version or an environment")
        _environment(ref, environment)
        wanted = environment
    else:
        wanted = _version(text, ref.model_name)
    try:
        found = resolve_version(project_dir, wanted)
    except RegistryError as exc:
        hint = "deploy a version there first" if text is None else exc.hint
        raise CiError(exc.message, hint) from None
    set_outputs(tag=found.tag, version=found.version, commit=found.commit)
    summary(f"Using **{found.tag}** (commit {found.commit})")
    return found.tag, found.version, found.commit

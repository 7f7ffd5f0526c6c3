"""Check stage: the registry's remote is reachable from the generated CI (MLP232).

The github target (built in, on by default) generates workflows that `dvc pull`
and `dvc push` on GitHub's runners. A DVC remote that is a local path exists only
on the machine that wrote the spec: on a runner `dvc pull` finds nothing and the
models pushed from CI vanish with the runner. A warning, not an error: the same
spec is right for a laptop-only project compiled without the github target.

The default remote (no ``registry.remote``) is a local folder too. It is flagged
once the spec deploys (``deployment.environments``): the deploy workflow then
needs the registered version in a store the cluster reads, and with a local
remote that store defaults to a PVC nothing fills. A spec without environments
(a first project, the rule catalogue's examples) keeps the offline default
silently; ``mlproject init`` writes a commented ``registry.remote`` placeholder.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.checks.examples import spec
from compiler.checks.rule import CheckContext, Rule
from compiler.diagnostics import Diagnostic


def is_local_path(url: str) -> bool:
    """A remote URL with no scheme (a path), or ``file://``: only this machine has it."""
    return "://" not in url or url.startswith("file://")


_HINT = (
    "use a remote the runners can reach (s3://, gs://, azure://, ssh://, https://) and "
    "give the jobs its credentials with registry.ci_secrets; or compile without the "
    "github target (--target)"
)


def _remote_reachable_from_ci(ctx: CheckContext) -> Iterator[Diagnostic]:
    remote = ctx.spec.registry.remote
    if remote is None:
        yield from _default_remote_with_deployment(ctx)
        return
    if not is_local_path(remote):
        return
    yield ctx.error(
        "MLP232",
        ("registry", "remote"),
        f"the DVC remote '{remote}' is a local path: the generated GitHub workflows run on "
        "runners that cannot reach it (dvc pull finds nothing, models pushed from CI vanish "
        "with the runner)",
        _HINT,
        severity="warning",
    )


def _default_remote_with_deployment(ctx: CheckContext) -> Iterator[Diagnostic]:
    environments = ctx.spec.deployment.environments
    if not environments:
        return
    names = ", ".join(env.name for env in environments)
    yield ctx.error(
        "MLP232",
        ("registry", "remote"),
        "not set, so the DVC remote is the default local folder beside the repository "
        f"(../.dvc-storage/{ctx.spec.metadata.name}), and the spec deploys to {names}: the "
        "generated GitHub workflows run on runners that cannot reach it (models pushed from "
        "CI vanish with the runner, and the deploy finds no published version)",
        _HINT,
        severity="warning",
    )


RULES = [
    Rule(
        "MLP232",
        "remote-reachable-from-ci",
        "local DVC remote with generated CI",
        "The github target's workflows pull and push DVC data on GitHub's runners; a remote "
        "that is a local path (or file://) exists only on the machine that wrote the spec. "
        "The default remote (no registry.remote) is such a local folder: it is flagged once "
        "the spec deploys (deployment.environments), since the deploy workflow needs the "
        "registered version in a store the cluster reads. A warning: compile still "
        "succeeds, and a laptop-only project may ignore it.",
        spec("registry:\n  remote: ../dvc-storage\n"),
        spec("registry:\n  remote: s3://ml-artifacts/iris\n  ci_secrets: [AWS_ACCESS_KEY_ID]\n"),
        _remote_reachable_from_ci,
    ),
]

"""Target ``github``: the cluster steps of an online deploy job (target: pure IR → files).

Plain ``kubectl`` (preinstalled on GitHub's Ubuntu runners), no third-party
action. The kserve target's manifests carry version placeholders; the job
copies the environment's directory to the runner's temp directory, fills in
the versions (validated ``vX.Y.Z`` strings, so ``sed`` is safe), applies the
top-level manifests (the champion), waits until each InferenceService in them
is Ready, then handles the live experiment (A/B test or shadow) in the last
environment: with an earlier version in the environment, the earlier version
stays champion and the new one runs as the challenger behind the
InferenceGraph; dispatched with ``experiment: false`` (after ``mlproject step
abtest`` decided to promote), the new version becomes champion and the
experiment's resources are deleted.

Rollback, on any failure after the apply started: the manifests of the commit
of the version the environment held before (``mlproject lineage <env>``) are
filled with that version and applied again, the experiment's resources are
deleted, and the job waits for readiness; with no earlier version the failed
rollout is deleted.
"""

from __future__ import annotations

from mlcontract import ir
from targets.github import common, layout
from targets.github.common import Step
from targets.github.security import secret, secret_name_for

KUBECONFIG_PATH = "${{ runner.temp }}/mlproject-kubeconfig"

WRITE_KUBECONFIG = """
    if [ -z "$MLPROJECT_KUBECONFIG_DATA" ]; then
      echo "::error title=mlproject::the secret $MLPROJECT_KUBECONFIG_SECRET is empty or missing"
      exit 1
    fi
    umask 077
    printf '%s\\n' "$MLPROJECT_KUBECONFIG_DATA" > "$KUBECONFIG"
    kubectl version --client
"""

PREVIOUS = """
    previous="$RUNNER_TEMP/previous.json"
    if mlproject lineage "$MLPROJECT_ENVIRONMENT" --format json > "$previous"; then
      { echo "commit=$(jq -r '.model.commit' "$previous")"
        echo "tag=$(jq -r '.model.tag' "$previous")"
        echo "version=$(jq -r '.model.version' "$previous")"; } >> "$GITHUB_OUTPUT"
    else
      echo "::notice title=mlproject::no version in $MLPROJECT_ENVIRONMENT yet: no rollback target"
    fi
"""

FILL_VERSIONS = """
    fill_versions() {  # source dir, target dir, champion version, challenger version
      local version
      for version in "$3" "$4"; do
        if [ -n "$version" ] && ! [[ "$version" =~ ^v[0-9]+\\.[0-9]+\\.[0-9]+$ ]]; then
          echo "::error title=mlproject::not a version: $version"
          return 1
        fi
      done
      rm -rf "$2"
      mkdir -p "$2"
      cp -R "$1/." "$2/"
      find "$2" -type f -exec sed -i -e "s/$MLPROJECT_VERSION_PLACEHOLDER/$3/g" \\
        -e "s/$MLPROJECT_CHALLENGER_PLACEHOLDER/$4/g" {} +
    }
"""

WAIT_READY = """
    wait_ready() {  # directory, kinds (a regex): wait until each such resource is Ready
      local resources resource
      resources="$(kubectl get --namespace "$MLPROJECT_NAMESPACE" --filename "$1" --output name |
        grep -E "^($2)[./]" || true)"
      if [ -z "$resources" ]; then
        echo "::error title=mlproject::no resource of kind $2 in $1"
        return 1
      fi
      while read -r resource; do
        kubectl wait --namespace "$MLPROJECT_NAMESPACE" --for=condition=Ready \\
          --timeout="$MLPROJECT_READY_TIMEOUT" "$resource"
      done <<< "$resources"
    }
"""

FILL = """
    rendered="$RUNNER_TEMP/mlproject-manifests"
    champion="$MLPROJECT_VERSION"
    challenger=""
    fill_versions "$MLPROJECT_MANIFESTS" "$rendered" "$champion" "$challenger"
    echo "challenger=$challenger" >> "$GITHUB_OUTPUT"
"""

FILL_EXPERIMENT = """
    rendered="$RUNNER_TEMP/mlproject-manifests"
    champion="$MLPROJECT_VERSION"
    challenger=""
    if [ "$MLPROJECT_EXPERIMENT" = true ] && [ -n "$PREVIOUS_VERSION" ] &&
      [ "$PREVIOUS_VERSION" != "$MLPROJECT_VERSION" ]; then
      champion="$PREVIOUS_VERSION"
      challenger="$MLPROJECT_VERSION"
    fi
    fill_versions "$MLPROJECT_MANIFESTS" "$rendered" "$champion" "$challenger"
    echo "challenger=$challenger" >> "$GITHUB_OUTPUT"
"""

APPLY = """
    kubectl apply --namespace "$MLPROJECT_NAMESPACE" --filename "$rendered"
"""

READY = """
    wait_ready "$rendered" inferenceservice
"""

EXPERIMENT = """
    experiment="$rendered/$MLPROJECT_EXPERIMENT_DIR"
    if [ -n "$challenger" ]; then
      kubectl apply --namespace "$MLPROJECT_NAMESPACE" --filename "$experiment"
      wait_ready "$experiment" "inferenceservice|inferencegraph"
      echo "$challenger runs as the challenger ($MLPROJECT_SHARE)" >> "$GITHUB_STEP_SUMMARY"
    else
      kubectl delete --namespace "$MLPROJECT_NAMESPACE" --filename "$experiment" --ignore-not-found
      echo "No experiment running: $MLPROJECT_VERSION is the champion" >> "$GITHUB_STEP_SUMMARY"
    fi
"""

ROLLBACK = """
    rendered="$RUNNER_TEMP/mlproject-manifests"
    if [ -n "$MLPROJECT_EXPERIMENT_DIR" ] && [ -d "$rendered/$MLPROJECT_EXPERIMENT_DIR" ]; then
      kubectl delete --namespace "$MLPROJECT_NAMESPACE" \\
        --filename "$rendered/$MLPROJECT_EXPERIMENT_DIR" --ignore-not-found
    fi
    if [ -z "$PREVIOUS_COMMIT" ]; then
      echo "::warning title=mlproject::no earlier version in $MLPROJECT_ENVIRONMENT: deleting it"
      kubectl delete --namespace "$MLPROJECT_NAMESPACE" --filename "$rendered" --ignore-not-found
      exit 0
    fi
    echo "::warning title=mlproject::rolling $MLPROJECT_ENVIRONMENT back to $PREVIOUS_TAG"
    worktree="$RUNNER_TEMP/mlproject-previous"
    git worktree add --detach "$worktree" "$PREVIOUS_COMMIT"
    before="$RUNNER_TEMP/mlproject-previous-manifests"
    fill_versions "$worktree/$(git rev-parse --show-prefix)$MLPROJECT_MANIFESTS" "$before" \\
      "$PREVIOUS_VERSION" ""
    kubectl apply --namespace "$MLPROJECT_NAMESPACE" --filename "$before"
    wait_ready "$before" inferenceservice
    echo "Rolled back to **$PREVIOUS_TAG**" >> "$GITHUB_STEP_SUMMARY"
"""

REMOVE_KUBECONFIG = """
    rm -f "$KUBECONFIG"
"""


def kube_step(
    name: str,
    run: str | tuple[str, ...],
    *,
    env: dict[str, str] | None = None,
    step_id: str | None = None,
    condition: str | None = None,
) -> Step:
    """A step that talks to the cluster: ``KUBECONFIG`` names the file the job wrote."""
    env = {"KUBECONFIG": KUBECONFIG_PATH, **(env or {})}
    return common.step(name, run, step_id=step_id, condition=condition, env=env)


def online_steps(
    project: ir.Project, environment: ir.Environment, experiment: str | None
) -> list[Step]:
    """Every step between the install and the promotion; ``experiment`` names the
    experiment's sub-directory in the environment holding one."""
    secret_name = secret_name_for(layout.KUBECONFIG_SECRET_PREFIX, environment.name)
    previous = {
        "PREVIOUS_COMMIT": "${{ steps.previous.outputs.commit }}",
        "PREVIOUS_TAG": "${{ steps.previous.outputs.tag }}",
        "PREVIOUS_VERSION": "${{ steps.previous.outputs.version }}",
    }
    rollout = [FILL_VERSIONS, WAIT_READY, FILL_EXPERIMENT if experiment else FILL, APPLY, READY]
    rollout_env = {"PREVIOUS_VERSION": previous["PREVIOUS_VERSION"]}
    name = "Roll out: fill in the versions, apply the KServe manifests, wait until Ready"
    if experiment:
        share = _share(project)
        rollout.append(EXPERIMENT)
        rollout_env["MLPROJECT_SHARE"] = share
        name = f"{name}, run the challenger ({share})"
    return [
        kube_step(
            "Write the kubeconfig (umask 077)",
            WRITE_KUBECONFIG,
            env={
                "MLPROJECT_KUBECONFIG_SECRET": secret_name,
                "MLPROJECT_KUBECONFIG_DATA": secret(secret_name),
            },
        ),
        common.step("Find the version to roll back to", PREVIOUS, step_id="previous"),
        kube_step(name, tuple(rollout), step_id="rollout", env=rollout_env),
        kube_step(
            "Roll back on failure",
            (FILL_VERSIONS, WAIT_READY, ROLLBACK),
            condition="failure() && steps.rollout.outcome != 'skipped'",
            env=previous,
        ),
    ]


def _share(project: ir.Project) -> str:
    if project.ab_test is not None:
        return f"A/B test, {project.ab_test.challenger_share:.0%} of requests"
    if project.shadow is not None:
        return f"shadow, {project.shadow.sample:.0%} of requests mirrored"
    return "no experiment"


def cleanup_step() -> Step:
    return kube_step("Remove the kubeconfig", REMOVE_KUBECONFIG, condition="always()")

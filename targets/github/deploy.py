"""Target ``github``: the deploy workflow (target: pure IR → files).

Deploys one registered version through the environments in promotion order,
one job per environment chained by ``needs:``. Each job runs in the GitHub
environment of the same name, so the repository's protection rules for it
(required reviewers) hold the job until a person approves.

Online mode: ``kubectl apply`` the environment's KServe manifests (checked out
at the version's commit) with the kubeconfig from ``secrets.KUBECONFIG_<ENV>``
(written with umask 077 to the runner's temp directory, removed at the end),
wait until every InferenceService is Ready, then roll out the A/B routing.
On failure the job rolls back: it re-applies the manifests of the commit of
the version the environment held before (``mlproject lineage <env>``), or
deletes the failed rollout when the environment held none. Only after a
successful rollout does ``mlproject promote`` record the version in the
registry (a GTO stage tag).

Batch mode has no cluster to change: the job records the promotion, and the
batch-scoring workflow scores with the version the last environment holds.
"""

from __future__ import annotations

from compiler import ir
from targets.github import common, layout
from targets.github.common import Job, Step
from targets.github.security import Permission, namespace, secret, secret_name_for, slug

RESOLVE = """
    version="${MLPROJECT_VERSION_INPUT#"$MLPROJECT_MODEL@"}"
    if ! [[ "$version" =~ ^v[0-9]+\\.[0-9]+\\.[0-9]+$ ]]; then
      echo "::error title=mlproject::the version must be vX.Y.Z or $MLPROJECT_MODEL@vX.Y.Z"
      exit 1
    fi
    mlproject lineage "$version" --format json > "$RUNNER_TEMP/lineage.json"
    tag="$(jq -r '.model.tag' "$RUNNER_TEMP/lineage.json")"
    commit="$(jq -r '.model.commit' "$RUNNER_TEMP/lineage.json")"
    if [ "$tag" != "$MLPROJECT_MODEL@$version" ] || ! [[ "$commit" =~ ^[0-9a-f]{40}$ ]]; then
      echo "::error title=mlproject::mlproject lineage did not resolve $version"
      exit 1
    fi
    { echo "tag=$tag"; echo "commit=$commit"; } >> "$GITHUB_OUTPUT"
    echo "Deploying **$tag** (commit $commit)" >> "$GITHUB_STEP_SUMMARY"
"""

KUBECONFIG = """
    if [ -z "$MLPROJECT_KUBECONFIG_DATA" ]; then
      echo "::error title=mlproject::the secret $MLPROJECT_KUBECONFIG_SECRET is empty or missing"
      exit 1
    fi
    umask 077
    printf '%s\\n' "$MLPROJECT_KUBECONFIG_DATA" > "$KUBECONFIG"
    kubectl version --client
"""

PREVIOUS = """
    if mlproject lineage "$MLPROJECT_ENVIRONMENT" --format json > "$RUNNER_TEMP/previous.json"; then
      { echo "commit=$(jq -r '.model.commit' "$RUNNER_TEMP/previous.json")"
        echo "tag=$(jq -r '.model.tag' "$RUNNER_TEMP/previous.json")"; } >> "$GITHUB_OUTPUT"
    else
      echo "::notice title=mlproject::no version in $MLPROJECT_ENVIRONMENT yet: no rollback target"
    fi
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

APPLY = """
    kubectl apply --namespace "$MLPROJECT_NAMESPACE" --filename "$MLPROJECT_MANIFESTS"
"""

READY = """
    wait_ready "$MLPROJECT_MANIFESTS" inferenceservice
"""

AB_TEST = """
    ab="$MLPROJECT_MANIFESTS/$MLPROJECT_AB_TEST_DIR"
    if [ ! -d "$ab" ]; then
      echo "::warning title=mlproject::no A/B manifests in $ab: the new version takes all traffic"
      exit 0
    fi
    kubectl apply --namespace "$MLPROJECT_NAMESPACE" --filename "$ab"
    wait_ready "$ab" "inferenceservice|inferencegraph"
    echo "A/B test live: $MLPROJECT_CHALLENGER_SHARE of requests to the challenger" \\
      >> "$GITHUB_STEP_SUMMARY"
"""

ROLLBACK = """
    ab="$MLPROJECT_MANIFESTS/$MLPROJECT_AB_TEST_DIR"
    if [ -n "$PREVIOUS_COMMIT" ]; then
      echo "::warning title=mlproject::rolling $MLPROJECT_ENVIRONMENT back to $PREVIOUS_TAG"
      previous="$RUNNER_TEMP/mlproject-previous"
      git worktree add --detach "$previous" "$PREVIOUS_COMMIT"
      before="$previous/$(git rev-parse --show-prefix)$MLPROJECT_MANIFESTS"
      kubectl apply --namespace "$MLPROJECT_NAMESPACE" --filename "$before"
      if [ -d "$before/$MLPROJECT_AB_TEST_DIR" ]; then
        kubectl apply --namespace "$MLPROJECT_NAMESPACE" --filename "$before/$MLPROJECT_AB_TEST_DIR"
      elif [ -d "$ab" ]; then
        kubectl delete --namespace "$MLPROJECT_NAMESPACE" --filename "$ab" --ignore-not-found
      fi
      wait_ready "$before" inferenceservice
      echo "Rolled back to **$PREVIOUS_TAG**" >> "$GITHUB_STEP_SUMMARY"
    else
      echo "::warning title=mlproject::no earlier version in $MLPROJECT_ENVIRONMENT: removing it"
      if [ -d "$ab" ]; then
        kubectl delete --namespace "$MLPROJECT_NAMESPACE" --filename "$ab" --ignore-not-found
      fi
      kubectl delete --namespace "$MLPROJECT_NAMESPACE" --filename "$MLPROJECT_MANIFESTS" \\
        --ignore-not-found
    fi
"""

PROMOTE = """
    mlproject promote "$MLPROJECT_TAG" --to "$MLPROJECT_ENVIRONMENT"
    gh auth setup-git
    git push origin --tags
    echo "**$MLPROJECT_TAG** is now the version in $MLPROJECT_ENVIRONMENT" >> "$GITHUB_STEP_SUMMARY"
"""

BATCH_NOTE = """
    echo "$MLPROJECT_BATCH_WORKFLOW now scores with $MLPROJECT_TAG" >> "$GITHUB_STEP_SUMMARY"
"""

REMOVE_KUBECONFIG = """
    rm -f "$KUBECONFIG"
"""

_KUBECONFIG_PATH = "${{ runner.temp }}/mlproject-kubeconfig"


def _resolve_job(project: ir.Project) -> Job:
    env = {
        "MLPROJECT_VERSION_INPUT": "${{ inputs.version }}",
        "MLPROJECT_MODEL": slug(project.registry.model_name),
    }
    return common.job(
        project,
        "Resolve the version",
        permissions=common.read("read the registry's git tags"),
        steps=[
            *common.setup(history=True),
            common.step("Resolve the version to a commit", RESOLVE, step_id="resolve", env=env),
        ],
        timeout=10,
        outputs={
            "tag": "${{ steps.resolve.outputs.tag }}",
            "commit": "${{ steps.resolve.outputs.commit }}",
        },
    )


def _kube_step(
    name: str,
    run: str,
    *,
    env: dict[str, str] | None = None,
    step_id: str | None = None,
    condition: str | None = None,
) -> Step:
    """A step that talks to the cluster: ``KUBECONFIG`` names the file the job wrote."""
    env = {"KUBECONFIG": _KUBECONFIG_PATH, **(env or {})}
    return common.step(name, run, step_id=step_id, condition=condition, env=env)


def _online_steps(project: ir.Project, environment: ir.Environment, ab_test: bool) -> list[Step]:
    secret_name = secret_name_for(layout.KUBECONFIG_SECRET_PREFIX, environment.name)
    steps: list[Step] = [
        _kube_step(
            "Write the kubeconfig (umask 077)",
            KUBECONFIG,
            env={
                "MLPROJECT_KUBECONFIG_SECRET": secret_name,
                "MLPROJECT_KUBECONFIG_DATA": secret(secret_name),
            },
        ),
        common.step("Find the version to roll back to", PREVIOUS, step_id="previous"),
        _kube_step("Apply the KServe manifests", APPLY, step_id="apply"),
        _kube_step("Wait until the InferenceServices are Ready", WAIT_READY + READY),
    ]
    if ab_test and project.ab_test is not None:
        share = f"{project.ab_test.challenger_share:.0%}"
        steps.append(
            _kube_step(
                f"Roll out the A/B test ({share} to the challenger)",
                WAIT_READY + AB_TEST,
                env={"MLPROJECT_CHALLENGER_SHARE": share},
            )
        )
    steps.append(
        _kube_step(
            "Roll back on failure",
            WAIT_READY + ROLLBACK,
            condition="failure() && steps.apply.outcome != 'skipped'",
            env={
                "PREVIOUS_COMMIT": "${{ steps.previous.outputs.commit }}",
                "PREVIOUS_TAG": "${{ steps.previous.outputs.tag }}",
            },
        )
    )
    return steps


def _environment_job(
    project: ir.Project, environment: ir.Environment, needs: list[str], ab_test: bool
) -> Job:
    name = slug(environment.name)
    env = {
        "MLPROJECT_ENVIRONMENT": name,
        "MLPROJECT_TAG": "${{ needs.resolve.outputs.tag }}",
    }
    steps = [
        *common.setup(history=True, ref="${{ needs.resolve.outputs.commit }}"),
        common.git_identity(),
    ]
    promote = common.step(
        "Record the promotion (mlproject promote) and push its tag",
        PROMOTE,
        env={"GH_TOKEN": "${{ github.token }}"},
    )
    if project.deployment.mode == "online":
        env.update(
            {
                "MLPROJECT_NAMESPACE": namespace(environment.namespace),
                "MLPROJECT_MANIFESTS": layout.manifests_dir(environment),
                "MLPROJECT_AB_TEST_DIR": layout.AB_TEST_DIR,
                "MLPROJECT_READY_TIMEOUT": layout.READY_TIMEOUT,
            }
        )
        steps += _online_steps(project, environment, ab_test)
        steps.append(promote)
        steps.append(_kube_step("Remove the kubeconfig", REMOVE_KUBECONFIG, condition="always()"))
    else:
        env["MLPROJECT_BATCH_WORKFLOW"] = layout.workflow_file(project, "batch")
        steps += [promote, common.step("Note the batch version", BATCH_NOTE)]
    return common.job(
        project,
        f"Deploy to {name}",
        needs=needs,
        environment=name,
        permissions={"contents": Permission("write", "push the promotion tag (GTO stage)")},
        steps=steps,
        timeout=45,
        env=env,
    )


def header(project: ir.Project) -> list[str]:
    environments = sorted(project.deployment.environments, key=lambda e: e.order)
    approval = layout.approval_environments(project)
    lines = [
        "Deploy: one registered version through "
        + ", then ".join(slug(e.name) for e in environments)
        + ".",
        "Each job runs in the GitHub environment of the same name, so its protection rules apply.",
        "Environments that need a person's approval: " + (", ".join(approval) or "none") + ".",
        "  Set their required reviewers in Settings > Environments > <name>.",
    ]
    if project.deployment.mode == "online":
        secrets = ", ".join(
            secret_name_for(layout.KUBECONFIG_SECRET_PREFIX, e.name) for e in environments
        )
        lines += [
            f"Cluster access: a kubeconfig per environment in the secrets {secrets}.",
            "Rollback: on a failed apply or readiness wait, the manifests of the version the",
            "  environment held before (mlproject lineage <env>) are applied again; with no",
            "  earlier version the failed rollout is deleted.",
        ]
    return lines


def render(project: ir.Project) -> dict[str, object]:
    environments = sorted(project.deployment.environments, key=lambda e: e.order)
    jobs: dict[str, Job] = {"resolve": _resolve_job(project)}
    previous: str | None = None
    for index, environment in enumerate(environments):
        job_id = f"deploy-{slug(environment.name)}"
        needs = ["resolve"] + ([previous] if previous else [])
        last = index == len(environments) - 1
        jobs[job_id] = _environment_job(project, environment, needs, ab_test=last)
        previous = job_id
    on = {
        "workflow_dispatch": {
            "inputs": {
                "version": {
                    "description": "Version to deploy: vX.Y.Z or <model>@vX.Y.Z",
                    "required": True,
                    "type": "string",
                }
            }
        }
    }
    return common.workflow(
        project,
        "deploy",
        on,
        jobs,
        concurrency=common.concurrency_group(project, "deploy"),
    )

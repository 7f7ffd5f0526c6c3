"""Target ``github``: the batch-scoring workflow (target: pure IR → files).

On the spec's batch cron (and by hand): find the version the last environment
holds (the deploy workflow records it with ``mlproject promote``), score the
batch input with it (``mlproject step score``), and version the predictions:
``dvc add`` + ``dvc push`` to the DVC remote, the ``.dvc`` pointer (content
hash) shown in the run summary. Unless the project is sensitive, the
predictions are also kept as a workflow artifact for a limited time; for
confidential or personal data they go to the DVC remote only.
"""

from __future__ import annotations

import posixpath
from typing import Any

from mlcontract import ir
from targets.github import common, layout
from targets.github.common import Step
from targets.github.security import UPLOAD_ARTIFACT, SpecText, literal, slug

SCORE = """
    mlproject step score --version "$MLPROJECT_VERSION"
"""

VERSION_OUTPUTS = """
    dvc add "$MLPROJECT_OUTPUT"
    dvc push "$MLPROJECT_OUTPUT.dvc"
    {
      echo "Scored with **$MLPROJECT_TAG**. Predictions pushed to the DVC remote; their pointer:"
      echo
      echo '```yaml'
      cat "$MLPROJECT_OUTPUT.dvc"
      echo '```'
    } >> "$GITHUB_STEP_SUMMARY"
"""


def header(project: ir.Project) -> list[str]:
    if project.sensitive:
        where = "the DVC remote only (confidential data: never a workflow artifact)"
    else:
        where = (
            f"the DVC remote, and a workflow artifact kept {layout.PREDICTIONS_RETENTION_DAYS} days"
        )
    return [f"Batch scoring: predictions are versioned in {where}."]


def render(project: ir.Project) -> dict[str, Any]:
    batch = project.deployment.batch
    production = layout.last_environment(project)
    if batch is None or production is None:
        raise ValueError("batch scoring needs deployment.batch and an environment")
    version = "${{ steps.production.outputs.version }}"
    steps: list[Step] = [
        *common.setup(project, history=True),
        common.step(
            "Find the version in production",
            "mlproject deploy resolve\n",
            step_id="production",
            env={"MLPROJECT_ENVIRONMENT": slug(production.name)},
        ),
        common.dvc_pull(),
        common.step("Score the batch input", SCORE, env={"MLPROJECT_VERSION": version}),
        common.step(
            "Version the predictions with DVC",
            VERSION_OUTPUTS,
            env={"MLPROJECT_TAG": "${{ steps.production.outputs.tag }}"},
        ),
    ]
    if not project.sensitive:
        output = posixpath.join(project.layout.project_dir, batch.output)
        steps.append(
            {
                "name": "Keep the predictions as an artifact",
                "uses": UPLOAD_ARTIFACT.ref,
                "with": {
                    "name": f"mlproject-{slug(project.name)}-predictions-{version}"
                    "-${{ github.run_id }}",
                    "path": literal(f"{output}\n{output}.dvc"),
                    "retention-days": layout.PREDICTIONS_RETENTION_DAYS,
                    "if-no-files-found": "error",
                },
            }
        )
    job = common.job(
        project,
        "Score with the production version",
        permissions=common.read("check out the project and read the registry's tags"),
        steps=steps,
        timeout=60,
        env={"MLPROJECT_OUTPUT": literal(batch.output)},
    )
    on = {
        "schedule": [{"cron": SpecText(batch.schedule)}],
        "workflow_dispatch": {},
    }
    return common.workflow(
        project,
        "batch scoring",
        on,
        {"score": job},
        concurrency=common.concurrency_group(project, "batch"),
    )

"""Target ``github``: the generated workflows, checked by the real tools and run in part.

Every example's workflows, and those of an adversarial spec whose strings carry
shell metacharacters, ``${{ }}``, quotes, backticks and newlines, must pass
zizmor (offline, regular and pedantic personas), actionlint (which runs
shellcheck on every ``run:`` script) and check-jsonschema's
``vendor.github-workflows``. A test whose tool is missing skips and says so.
Golden files: ``tests/golden/github/<example>/``, refreshed only with
``--update-goldens``. A few scripts are run with stub ``kubectl``/``gh``/
``mlproject`` commands to check what they do, not only that they lint.

Deliberate exception: zizmor's *auditor* persona (false positives accepted)
reports ``secrets-outside-env`` for the Slack webhook secret of the monitor's
notify job, which runs in no GitHub environment; that persona is not checked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.emit import with_header
from compiler.lower import lower
from compiler.pipeline import ValidationResult, validate_file, validate_text
from compiler.target_registry import available_targets, load_target
from mlcontract import ir
from targets import github
from targets.github import monitor, pr_check
from targets.github.security import PINNED, glob_literal, literal, secret
from targets.github.yamlout import to_workflow_yaml
from tests.examples import with_mlflow
from tests.goldens import check_golden_tree

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "github"
EXAMPLES = ("churn", "demand", "minimal")
BIN = Path(sys.executable).parent
TEST_EXTRA = "it comes with the test extra: pip install -e '.[test]'"

EVIL = "${{ github.event.issue.title }} $(touch /tmp/pwned) `id` \"dq\" 'sq';\n&& echo ${HOME}|x"
EVIL_MARK = "touch /tmp/pwned"


def _adversarial_spec(mode: str) -> str:
    e = json.dumps(EVIL)
    if mode == "batch":
        output = json.dumps("out/${{ github.event.issue.title }}/$(id) `x`")
        deployment = f"  mode: batch\n  batch: {{schedule: '0 5 * * *', output: {output}}}\n"
        experiments, sensitivity = "{}", "internal"
    else:
        deployment = "  mode: online\n"
        experiments, sensitivity = "{ab_test: {challenger_share: 0.1, metric: converted}}", "pii"
    path = json.dumps("data/${{ github.event.issue.title }} $(id) `x`.csv")
    return f"""\
apiVersion: mlproject/v1
metadata:
  name: evil
  description: {e}
  owners: [{{name: {e}, email: a@example.com, role: {e}}}]
  stakeholders: [{{name: {e}, role: {e}}}]
objective: {{problem: {e}, task: binary_classification, scope: {{in: [{e}], out: [{e}]}}}}
kpis:
  business: [{{name: k, description: {e}, target: {e}, owner: {e}, metrics: [roc_auc]}}]
  metrics: [{{name: roc_auc, minimum: 0.6, primary: true}}]
data:
  sources:
    - name: customers
      path: {path}
      target: churned
      sensitivity: {"internal" if sensitivity == "pii" else sensitivity}
      pii: {"[email]" if sensitivity == "pii" else "[]"}
      columns:
        - {{name: email, type: string, description: {e}}}
        - {{name: tenure, type: integer, description: {e}}}
        - {{name: plan, type: category, categories: [{e}, b], description: {e}}}
        - {{name: churned, type: boolean}}
deployment:
{deployment}  environments: [{{name: staging}}, {{name: production, approval: true}}]
experiments: {experiments}
monitoring:
  alerts:
    - {{name: chat, type: slack, webhook: {{secret: SLACK_WEBHOOK_URL}}, severity: warning}}
    - {{name: issue, type: github_issue, labels: [{e}, ok]}}
    - {{name: mail, type: email, to: [a@example.com]}}
retraining:
  schedule: "0 4 * * 1"
  triggers: [drift, schedule]
  promotion: {{staging: approval, production: approval}}
"""


def _lowered(result: ValidationResult, spec_file: str) -> ir.Project:
    assert result.ok, result.diagnostics
    assert result.spec is not None
    assert result.document is not None
    return lower(result.spec, result.document, spec_file=spec_file, spec_sha256=result.sha256)


def example(name: str, *, at_root: bool = False) -> ir.Project:
    """An example as compiled from the repository root, or as the root of its own repository."""
    spec_file = "mlproject.yaml" if at_root else f"examples/{name}/mlproject.yaml"
    path = ROOT / "examples" / name / "mlproject.yaml"
    return _lowered(validate_file(path, display=spec_file), spec_file)


def adversarial(mode: str) -> ir.Project:
    spec_file = "svc/${{ github.event.issue.title }} $(id)/mlproject.yaml"
    return _lowered(validate_text(_adversarial_spec(mode), spec_file), spec_file)


CASES: dict[str, Callable[[], ir.Project]] = {
    **{name: (lambda name=name: example(name)) for name in EXAMPLES},  # type: ignore[misc]
    "demand-at-root": lambda: example("demand", at_root=True),
    "adversarial-online": lambda: adversarial("online"),
    "adversarial-batch": lambda: adversarial("batch"),
    "churn-mlflow": lambda: churn_mlflow(),  # noqa: PLW0108 - defined below
}


def churn_mlflow() -> ir.Project:
    """The churn example mirrored to MLflow: secrets in the env: of train/register/promote."""
    spec_file = "examples/churn/mlproject.yaml"
    text = with_mlflow((ROOT / "examples" / "churn" / "mlproject.yaml").read_text())
    return _lowered(validate_text(text, spec_file), spec_file)


def write_workflows(project: ir.Project, root: Path) -> list[Path]:
    """The workflows as emit writes them (its header included), under ``root``."""
    paths = []
    for file in github.render(project):
        path = root / file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(with_header(file, project.layout.spec_file))
        paths.append(path)
    return paths


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(BIN))
    if found is None:
        pytest.skip(f"{name} is not installed ({TEST_EXTRA})")
    return found


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = f"{env.pop('PATH', '')}{os.pathsep}{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, **env, "PATH": path.lstrip(os.pathsep)},
    )


def _assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, (
        f"{' '.join(map(str, result.args))} exited {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


# --- the real tools ------------------------------------------------------------


@pytest.mark.parametrize("persona", ["regular", "pedantic"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_zizmor_reports_no_findings(case: str, persona: str, tmp_path: Path) -> None:
    zizmor = _tool("zizmor")
    paths = [str(p) for p in write_workflows(CASES[case](), tmp_path)]
    args = [zizmor, "--offline", "--no-progress", "--color=never", f"--persona={persona}"]
    _assert_clean(_run([*args, *paths], tmp_path))


@pytest.mark.parametrize("case", sorted(CASES))
def test_actionlint_with_shellcheck_accepts(case: str, tmp_path: Path) -> None:
    actionlint = _tool("actionlint")
    _tool("shellcheck")  # actionlint lints every run: script with it when it is on PATH
    paths = [str(p.relative_to(tmp_path)) for p in write_workflows(CASES[case](), tmp_path)]
    _assert_clean(_run([actionlint, "-no-color", *paths], tmp_path))


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_jsonschema_accepts(case: str, tmp_path: Path) -> None:
    check_jsonschema = _tool("check-jsonschema")
    paths = [str(p) for p in write_workflows(CASES[case](), tmp_path)]
    args = [check_jsonschema, "--builtin-schema", "vendor.github-workflows", *paths]
    _assert_clean(_run(args, tmp_path))


# --- golden files --------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_golden_workflows(name: str, tmp_path: Path, update_goldens: bool) -> None:
    produced = {
        p.relative_to(tmp_path).as_posix(): p.read_bytes()
        for p in write_workflows(example(name), tmp_path)
    }
    golden = GOLDEN / name
    check_golden_tree(produced, golden, update=update_goldens)


def test_the_churn_workflow_set_stays_readable_in_a_pull_request() -> None:
    """Issue 13: the churn set at most ~500 lines in all, no ``run:`` over ~10 lines.
    The generated files are the whole of it: the jobs use no local action. Counted as
    compiled at a repository's root (a project in a subdirectory adds its
    ``working-directory`` to each job)."""
    compiled = ROOT / "tests" / "golden" / "compile" / "churn"
    paths = sorted((compiled / ".github" / "workflows").glob("*.yml"))
    texts = [p.read_text(encoding="utf-8") for p in paths]
    assert sum(t.count("\n") for t in texts) <= 500
    assert not any("uses: ./" in t for t in texts)
    for name in EXAMPLES:
        for path in (GOLDEN / name / ".github" / "workflows").glob("*.yml"):
            for job in yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"].values():
                for step in job["steps"]:
                    lines = step.get("run", "").splitlines()
                    # ~10: the longest, the monitor's issue step (gh, no mlproject), has 11
                    assert len(lines) <= 11, f"{path.name}: {step['name']}: {len(lines)} lines"


# --- policies the tools do not state on their own -------------------------------

PINNED_LINE = re.compile(r"^\s*(- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")
ALLOWED_EXPRESSIONS = re.compile(
    r"^ ?("
    r"'\$\{\{'"  # security.literal's escape
    r"|github\.(token|repository|server_url|run_id|event\.pull_request\.(number|base\.sha))"
    r"|steps\.[a-z]+\.(outputs\.[a-z_]+|outcome)"
    r"|needs\.[a-z-]+\.outputs\.[a-z_]+"
    r"|secrets\.[A-Z][A-Z0-9_]*"
    r"|inputs\.(version|experiment|reason)"
    r"|runner\.temp"
    r"|!cancelled\(\) .*"
    r") ?$"
)
WRITE_SCOPES = {
    "contents": {"train", "deploy-", "train@retrain"},
    "pull-requests": {"comment", "pull-request"},
    "issues": {"issue"},
    "actions": {"deploy@train", "deploy@retrain", "retrain@monitor"},
}


def _documents(project: ir.Project) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for file in github.render(project):
        text = file.content.decode()
        yield file.path, text, yaml.safe_load(text)


def _strings(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, str(key)))
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, path)
    elif isinstance(node, str):
        yield path, node


@pytest.mark.parametrize("case", sorted(CASES))
def test_security_policies(case: str) -> None:
    project = CASES[case]()
    for path, text, doc in _documents(project):
        kind = path.rsplit("-", 1)[1].removesuffix(".yml")
        assert doc["permissions"] == {}, path
        assert doc["concurrency"]["group"].startswith(f"mlproject-{project.name}-"), path
        for job_id, job in doc["jobs"].items():
            assert isinstance(job["timeout-minutes"], int), (path, job_id)
            assert job["name"], (path, job_id)
            for scope, level in job["permissions"].items():
                if level == "write":
                    allowed = WRITE_SCOPES[scope]
                    assert {job_id, f"{job_id}@{kind}"} & allowed or any(
                        job_id.startswith(a) for a in allowed if a.endswith("-")
                    ), f"{path}: job {job_id} may not write {scope}"
            for step in job["steps"]:
                assert "${{" not in step.get("run", ""), f"{path}: expression in run: {step}"
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, (path, job_id)
        uses = [line for line in text.splitlines() if re.match(r"^\s*(- )?uses:", line)]
        pins = {(a.repository, a.sha, a.version) for a in PINNED}
        for line in uses:
            match = PINNED_LINE.match(line)
            assert match and tuple(match.group(2, 3, 4)) in pins, f"{path}: not pinned: {line}"
        for expression in re.findall(r"\$\{\{(.*?)\}\}", text):
            assert ALLOWED_EXPRESSIONS.match(expression), (
                f"{path}: unexpected ${{{{{expression}}}}}"
            )


@pytest.mark.parametrize("mode", ["online", "batch"])
def test_adversarial_text_is_data_never_code(mode: str) -> None:
    """Spec text reaches only env:/with: values and working-directory, with ``${{`` escaped."""
    project = adversarial(mode)
    seen = False
    for path, text, doc in _documents(project):
        assert "${{ github.event.issue" not in text, path
        for where, value in _strings(doc):
            if EVIL_MARK in value or "$(id)" in value:
                seen = True
                assert where[-2] in ("env", "with") or where[-1] == "working-directory", (
                    f"{path}: spec text at {'.'.join(where)}"
                )
    assert seen, "the adversarial text should reach some workflow (as data)"


@pytest.mark.parametrize("case", sorted(CASES))
def test_yaml_comments_change_no_value(case: str) -> None:
    """The ``# vX.Y.Z`` and permission comments are added to text: the data must survive."""
    for data, header in github.workflows(CASES[case]()).values():
        loaded = yaml.safe_load(to_workflow_yaml(data, header))
        assert loaded == json.loads(json.dumps(data)), data["name"]


def test_each_example_gets_the_workflows_it_needs() -> None:
    kinds = {name: github.workflow_kinds(example(name)) for name in EXAMPLES}
    assert kinds == {
        "churn": ("pr", "train", "deploy", "monitor", "retrain"),
        "demand": ("pr", "train", "deploy", "monitor", "retrain", "batch"),
        "minimal": ("pr", "train", "deploy", "monitor"),
    }
    paths = [f.path for f in github.render(example("minimal"))]
    assert paths == [f".github/workflows/mlproject-iris-{k}.yml" for k in kinds["minimal"]]


def test_render_is_deterministic() -> None:
    project = example("churn")
    assert github.render(project) == github.render(example("churn"))


def test_registered_as_a_builtin_target() -> None:
    assert available_targets()["github"] == "targets.github"
    assert load_target("github").render is github.render


def test_deploy_documents_approvals_and_uses_environments() -> None:
    project = example("churn")
    data, header = github.workflows(project)["deploy"]
    assert "Environments that need a person's approval: production." in header
    jobs: Any = data["jobs"]
    assert jobs["deploy-staging"]["environment"] == "staging"
    assert jobs["deploy-production"]["needs"] == ["resolve", "deploy-staging"]
    assert "experiment" in data["on"]["workflow_dispatch"]["inputs"]


def test_sensitive_projects_publish_aggregates_only() -> None:
    # What the report shows is decided at run time from the compiled project
    # (tests/runtime/test_ci_commands.py); the batch artifact is the workflow's own.
    demand = github.workflows(example("demand"))
    batch_steps = demand["batch"][0]["jobs"]["score"]["steps"]
    upload = [s for s in batch_steps if "upload-artifact" in s.get("uses", "")]
    assert upload and upload[0]["with"]["retention-days"] > 0


def test_escapes() -> None:
    assert literal("a ${{ b }}") == "a ${{ '${{' }} b }}"
    assert glob_literal("a/b*[c]!") == "a/b\\*\\[c\\]\\!"
    assert "${{" not in glob_literal("svc/${{ x }}")
    assert secret("SLACK_URL") == "${{ secrets.SLACK_URL }}"
    with pytest.raises(ValueError, match="not safe"):
        secret("X }} ${{ github.token")


# --- the remaining scripts (GitHub's API), run with stub commands ---------------------

ESCAPE = "${{ '${{' }}"


def _stub(bin_dir: Path, name: str, body: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text(f"#!/usr/bin/env bash\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _run_step(
    job: dict[str, Any], step: dict[str, Any], cwd: Path, tmp: Path, **values: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run one step's script as the runner would: ``values`` stand for the expressions;
    the literal escape evaluates to ``${{`` as GitHub evaluates it."""
    env: dict[str, str] = {}
    for key, raw in {**job.get("env", {}), **step.get("env", {})}.items():
        if "${{" in str(raw).replace(ESCAPE, ""):
            env[key] = values.pop(key, "")
        else:
            env[key] = str(raw).replace(ESCAPE, "${{")
    runner = tmp / "runner"
    runner.mkdir(exist_ok=True)
    output = runner / "output"
    output.write_text("")
    # The stubs in tmp/bin come first on PATH; everything else is the real command.
    env.update(RUNNER_TEMP=str(runner), GITHUB_OUTPUT=str(output), PATH=str(tmp / "bin"))
    env.update(GITHUB_STEP_SUMMARY=str(runner / "summary"), **values)
    bash = _tool("bash")
    result = _run([bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd, **env)
    lines = output.read_text().splitlines()
    return result, dict(line.split("=", 1) for line in lines if "=" in line and "<<" not in line)


def _step(job: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("id") == step_id)


@pytest.mark.parametrize("existing", ["", "4242"])
def test_pr_comment_is_updated_in_place(existing: str, tmp_path: Path) -> None:
    log = tmp_path / "gh.log"
    _stub(
        tmp_path / "bin",
        "gh",
        f'echo "$*" >> {log}\nif [ "$2" = --paginate ]; then echo "{existing}"; fi',
    )
    project = example("demand")
    job: Any = pr_check.render(project, github.workflow_kinds(project))["jobs"]["comment"]
    result, _ = _run_step(
        job, job["steps"][0], tmp_path, tmp_path, GH_REPO="o/r", PR_NUMBER="7", MLPROJECT_REPORT="x"
    )
    _assert_clean(result)
    calls = log.read_text()
    if existing:
        assert "api --method PATCH repos/o/r/issues/comments/4242" in calls
    else:
        assert "api --method POST repos/o/r/issues/7/comments" in calls


@pytest.mark.parametrize("case", ["churn", "adversarial-online"])
def test_breach_issue_is_opened_once_with_labels(case: str, tmp_path: Path) -> None:
    payload = tmp_path / "payload.json"
    _stub(
        tmp_path / "bin",
        "gh",
        f'if [ "$1" = api ]; then cp "$6" {payload}; fi; [ "$1 $2" = "issue comment" ] && exit 9'
        "\ntrue",
    )
    project = CASES[case]()
    job: Any = monitor.render(project, retrain=True)["jobs"]["issue"]
    result, _ = _run_step(job, job["steps"][0], tmp_path, tmp_path, GH_REPO="o/r")
    _assert_clean(result)
    issue = json.loads(payload.read_text())
    assert issue["title"] == f"mlproject {project.name}: model health alert"
    expected = ["churn", "model-health"] if case == "churn" else sorted([EVIL, "ok"])
    assert issue["labels"] == expected


def _steps_with(project: ir.Project, command: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, _, document in _documents(project):
        for job in document["jobs"].values():
            for step in job.get("steps", []):
                lines = [line.strip() for line in step.get("run", "").splitlines()]
                # the whole pipeline (not `dvc repro split`), or the registry command itself
                prefixed = command.startswith("mlproject ") and any(
                    line.startswith(f"{command} ") for line in lines
                )
                if command in lines or prefixed:
                    found.append((name, step))
    return found


@pytest.mark.parametrize(
    # `mlproject ci train` runs dvc repro (train and retrain); register; promote
    "command",
    ["mlproject ci train", "mlproject ci register", "mlproject deploy record"],
)
def test_mlflow_secrets_reach_train_register_and_promote_by_name(command: str) -> None:
    project = churn_mlflow()
    steps = _steps_with(project, command)
    assert steps, command
    for name, step in steps:
        if name.endswith("-pr.yml"):  # a pull request gets no secrets: no MLflow logging
            assert step["env"] == {"MLPROJECT_MLFLOW": "off"}
            continue
        assert step["env"]["MLFLOW_TRACKING_URI"] == "${{ secrets.MLFLOW_TRACKING_URI }}"
        assert step["env"]["MLFLOW_TRACKING_TOKEN"] == "${{ secrets.MLFLOW_TRACKING_TOKEN }}"
    plain = example("churn")
    for _, step in _steps_with(plain, command):
        assert not any(key.startswith("MLFLOW") for key in step.get("env", {}))

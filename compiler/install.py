"""What a generated job installs: this mlproject, pinned (compile stage: emit and targets).

The jobs of the generated workflows run ``mlproject`` commands, so they install
the distribution that compiled them, at the version that compiled them:
``mlproject-gitops[<extras>]==<version>``, recorded in the manifest as
``requirement``. A job never installs an unpinned package: when a lock file sits
beside the spec, its pins win instead (:data:`LOCK_FILES`, first found), and it
must pin ``mlproject-gitops`` itself.

The choice is made at compile time (:func:`find_lock`, recorded in the IR as
``layout.lock_file``): the generated step is one ``pip install`` line, and a lock
that cannot serve the jobs is a diagnostic here (:func:`check_lock`), not a failure
deep in CI: it must pin ``mlproject-gitops==<this version>`` (MLP252, MLP253) and
provide every extra the jobs need (MLP254), either named on that line or, as
``uv pip compile`` and pip-compile's ``--strip-extras`` write it, through the
pins of the extra's own requirements. Hashed locks (``--generate-hashes``:
``pkg==X \\`` then ``--hash=...`` lines) are read as pip reads them.

The version comes from one place: ``compiler.__version__``, which is also the
distribution's version (pyproject.toml, ``[tool.setuptools.dynamic]``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from compiler.diagnostics import CodeDoc, Diagnostic, Position
from mlcontract import ir

DISTRIBUTION = "mlproject-gitops"
# Recognised beside the spec, in this order: pip-compile / `uv pip compile` output,
# then a plain requirements file. Either must pin mlproject-gitops==X.Y.Z.
LOCK_FILES = ("requirements.lock", "requirements.txt")
_DISTRIBUTION_KEY = "mlproject-gitops"  # DISTRIBUTION, canonicalised (PEP 503)


def distribution_version() -> str:
    """The version of ``mlproject-gitops``: ``compiler.__version__``, which pyproject.toml
    reads as the distribution's version, so no metadata is read."""
    from compiler import __version__

    return __version__


def needs_serving(project: ir.Project) -> bool:
    """The generated CI serves a version on the runner (the latency gate before promotion)."""
    deployment = project.deployment
    return deployment.latency is not None and bool(deployment.environments)


# The fsspec/DVC filesystem a remote or model store URI needs, by scheme.
STORAGE_EXTRAS = {"s3": "s3", "gs": "gs", "gcs": "gs", "azure": "azure", "az": "azure"}


def extras(project: ir.Project) -> tuple[str, ...]:
    """The extras the project's jobs need: the steps always; MLServer for the latency gate
    (with its MLflow runtime when the gate serves the MLflow model format); the MLflow
    client for the mirror (``mlflow:``) or the MLflow model format; the filesystem of the
    DVC remote and of the model store; pyspark for the spark monitor."""
    registry = project.registry
    schemes = {uri.split("://", 1)[0] for uri in (registry.remote_url, registry.model_store)}
    storage = sorted({STORAGE_EXTRAS[s] for s in schemes if s in STORAGE_EXTRAS})
    chosen = ["runtime", *storage, *(["serve"] if needs_serving(project) else [])]
    if project.mlflow is not None or project.deployment.model_format == "mlflow":
        chosen.append("mlflow")
    if needs_serving(project) and project.deployment.model_format == "mlflow":
        chosen.append("serve-mlflow")  # the gate serves it: MLServer's MLflow runtime
    if project.monitoring.engine == "spark":
        chosen.append("spark")  # pyspark for the monitor; the runner brings Java
    return tuple(chosen)


def requirement(project: ir.Project, version: str | None = None) -> str:
    """``mlproject-gitops[runtime]==0.1.0``: exactly what compiled ``project``."""
    pinned = version or distribution_version()
    return f"{DISTRIBUTION}[{','.join(extras(project))}]=={pinned}"


def install_command(project: ir.Project) -> str:
    """The generated jobs' install step: ``pip install -r <lock>`` when a lock file sits
    beside the spec, else the exact requirement that compiled the workflows."""
    if project.layout.lock_file:
        return f"python -m pip install -r {project.layout.lock_file}"
    return f'python -m pip install "{requirement(project)}"'


# ── the lock file beside the spec ──────────────────────────────────────────


def find_lock(spec_dir: Path) -> Path | None:
    """The first of :data:`LOCK_FILES` that is a file in ``spec_dir``."""
    for name in LOCK_FILES:
        candidate = spec_dir / name
        if candidate.is_file():
            return candidate
    return None


def lock_stamp(spec_dir: Path) -> str:
    """What the no-op cache must see change: the lock's name and bytes ("" without one)."""
    lock = find_lock(spec_dir)
    if lock is None:
        return ""
    try:
        return f"{lock.name}:{hashlib.sha256(lock.read_bytes()).hexdigest()}"
    except OSError:
        return f"{lock.name}:unreadable"


@dataclass(frozen=True)
class Pin:
    """One requirement line of a lock: ``name[extras]<specifier>`` where it starts."""

    name: str  # normalised (PEP 503)
    extras: frozenset[str]
    specifier: str
    position: Position


def read_pins(text: str) -> list[Pin]:
    """The requirement lines of a requirements/lock file, as pip reads them: ``\\``
    continues a line, `` #`` starts a comment, option lines (``--hash``, ``-r``,
    ``--index-url``) and a line's own ``--hash`` options are not requirements. Each
    requirement is parsed by ``packaging`` (PEP 508), as pip does; a line it cannot
    parse is left to pip."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    pins: list[Pin] = []
    lines = text.splitlines()
    logical, start = "", 0
    for number, raw in enumerate([*lines, ""], start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if not logical:
            start = number
        if line.rstrip().endswith("\\"):
            logical += line.rstrip()[:-1] + " "
            continue
        logical += line
        whole, logical = logical, ""
        stripped = re.split(r"\s+--?[a-z]", whole.strip(), maxsplit=1)[0]
        if not stripped or stripped.startswith("-"):
            continue
        try:
            requirement = Requirement(stripped)
        except InvalidRequirement:
            continue
        first = lines[start - 1]
        column = len(first) - len(first.lstrip()) + 1
        pins.append(
            Pin(
                canonicalize_name(requirement.name),
                frozenset(canonicalize_name(e) for e in requirement.extras),
                str(requirement.specifier),
                Position(start, column),
            )
        )
    return pins


_WHY = {
    "runtime": "the built-in steps",
    "s3": "the s3:// DVC remote or model store",
    "gs": "the gs:// DVC remote or model store",
    "azure": "the azure:// DVC remote or model store",
    "serve": "the deploy workflow's latency gate serves the model with MLServer",
    "mlflow": "the MLflow mirror or model format",
    "serve-mlflow": "the latency gate serves the MLflow model format",
    "spark": "monitoring.engine: spark",
}


def _extra_requirements() -> dict[str, list[tuple[str, frozenset[str]]]] | None:
    """Each extra's requirements (name, extras) from the installed metadata; None when
    mlproject runs from a source tree that is not installed."""
    from importlib.metadata import PackageNotFoundError, metadata, requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    try:
        lines = requires(DISTRIBUTION) or []
        provided = metadata(DISTRIBUTION).get_all("Provides-Extra") or []
    except PackageNotFoundError:
        return None
    found: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for line in lines:
        requirement = Requirement(line)
        if requirement.marker is None:
            continue
        entry = (
            canonicalize_name(requirement.name),
            frozenset(canonicalize_name(e) for e in requirement.extras),
        )
        for extra in provided:
            if requirement.marker.evaluate({"extra": extra}):
                found.setdefault(canonicalize_name(extra), []).append(entry)
    return found


def _missing_packages(
    extra: str,
    pinned: set[str],
    named: frozenset[str],
    table: dict[str, list[tuple[str, frozenset[str]]]],
) -> list[str]:
    """The requirements of ``extra`` the lock provides neither by name nor through the
    extras named on its mlproject-gitops line (self-references followed)."""
    if extra in named:
        return []
    missing: list[str] = []
    for name, extras in table.get(extra, []):
        if name == _DISTRIBUTION_KEY:
            for inner in sorted(extras):
                missing += _missing_packages(inner, pinned, named, table)
        elif name not in pinned:
            missing.append(name)
    return missing


def check_lock(
    shown: str, text: str, project: ir.Project, version: str | None = None
) -> list[Diagnostic]:
    """Whether the lock file ``shown`` (its ``text``) can install what the jobs run."""
    pinned = version or distribution_version()
    pins = read_pins(text)
    own = [p for p in pins if p.name == _DISTRIBUTION_KEY]
    wanted = f"{DISTRIBUTION}[{','.join(extras(project))}]=={pinned}"
    if not own:
        return [
            Diagnostic(
                "MLP252",
                f"{shown} does not pin {DISTRIBUTION}: the generated jobs install from it "
                "and run mlproject commands",
                shown,
                hint=f"add `{wanted}` to the lock's input and lock again, or remove {shown} "
                "to install exactly the version that compiled the workflows",
            )
        ]
    pin = own[0]
    exact = re.fullmatch(r"===?\s*([^\s,]+)", pin.specifier)
    if exact is None:
        return [
            Diagnostic(
                "MLP252",
                f"{shown} names {DISTRIBUTION} without pinning one version "
                f"({pin.specifier or 'no version'}): a job never installs an unpinned package",
                shown,
                pin.position,
                hint=f"pin it: `{wanted}`",
            )
        ]
    if exact[1] != pinned:
        return [
            Diagnostic(
                "MLP253",
                f"{shown} pins {DISTRIBUTION}=={exact[1]}, but {pinned} compiled the "
                "workflows: the jobs would run another mlproject than the one that wrote them",
                shown,
                pin.position,
                hint=f"lock {DISTRIBUTION}=={pinned}, or compile with mlproject {exact[1]}",
            )
        ]
    table = _extra_requirements()
    names = {p.name for p in pins}
    found: list[Diagnostic] = []
    for extra in extras(project):
        if table is None:  # not installed: the extra's own requirements are unknown
            missing = (
                []
                if extra in pin.extras
                else [f"its requirements (unknown: this {DISTRIBUTION} is not installed)"]
            )
        else:
            missing = _missing_packages(extra, names, pin.extras, table)
        if missing:
            found.append(
                Diagnostic(
                    "MLP254",
                    f"{shown} lacks the {DISTRIBUTION} extra '{extra}' the generated jobs "
                    f"need ({_WHY.get(extra, 'the generated jobs')}): it pins neither "
                    f"{DISTRIBUTION}[{extra}] nor {', '.join(missing)}",
                    shown,
                    pin.position,
                    hint=f"lock `{wanted}` (its input names every extra the jobs need)",
                )
            )
    return found


INSTALL_CODES: list[CodeDoc] = [
    CodeDoc(
        "MLP252",
        "lock file does not pin mlproject-gitops",
        "The generated jobs install the requirements.lock (else requirements.txt) beside "
        "the spec when there is one, instead of the exact mlproject-gitops that compiled "
        "them. That file must pin mlproject-gitops to one version (`==`): the jobs run "
        "mlproject commands, and a job never installs an unpinned package. Add the pin to "
        "the lock's input and lock again, or remove the file.",
        "requirements.lock beside mlproject.yaml pins `numpy==2.1.0` only",
        "requirements.lock pins `mlproject-gitops[runtime]==0.1.0` (with `--hash` lines "
        "or without)",
    ),
    CodeDoc(
        "MLP253",
        "lock file pins another mlproject-gitops version",
        "The lock beside the spec pins a mlproject-gitops version other than the one "
        "compiling: the generated jobs would run commands of another version than the one "
        "that wrote the workflows. Lock the compiling version, or compile with the locked "
        "one.",
        "compiled with 0.2.0, requirements.lock pins `mlproject-gitops==0.1.0`",
        "compiled with 0.1.0, requirements.lock pins `mlproject-gitops==0.1.0`",
    ),
    CodeDoc(
        "MLP254",
        "lock file lacks an extra the generated jobs need",
        "The generated jobs need mlproject-gitops extras beyond `runtime`: `serve` for the "
        "deploy workflow's latency gate (plus `serve-mlflow` for the MLflow model format), "
        "`s3`, `gs` or `azure` for the DVC remote and the model store, `mlflow` for the "
        "MLflow mirror, `spark` for the Spark monitor. The lock must provide each: named on "
        "its mlproject-gitops line, or through pins of the extra's own requirements (what "
        "`uv pip compile` writes, extras stripped).",
        "the spec has latency limits; requirements.lock pins "
        "`mlproject-gitops[runtime]==0.1.0` and no mlserver",
        "requirements.lock pins `mlproject-gitops[runtime,serve]==0.1.0`",
    ),
]

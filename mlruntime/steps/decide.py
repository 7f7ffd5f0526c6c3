"""Runtime step ``mlproject step decide``: retrain now or not, and why.

Runtime, not the compile path. Inputs: the monitor step's ``monitor.json``, the
compiled ``retraining`` policy and the registry. There is no database: every
registered version is a git tag ``<model>@vX.Y.Z`` (GTO), every run of the
retrain workflow an attempt tag ``mlproject-retrain/<model>/<run>``, and a
tag's creator date is when that happened (:func:`retrains` tells which of
them are retrains: not the model's first registration).

The rules, in order:

1. A monitor result that is an error turns off every signal but ``schedule``:
   nothing is retrained because of data the monitor could not vouch for, but a
   scheduled retrain still happens (e.g. before the first labels arrive). Drift
   found only on features with no value in the window (a column gone null upstream)
   fires no retrain either: the reason says so, a person should fix the feed.
2. Signals: ``drift`` and ``performance`` from the monitor's breaches;
   ``new_data`` when the window's newest row is later than the model's last
   training (its first registration or a retrain); ``schedule`` when a run of
   ``retraining.schedule`` fell due since then (croniter, UTC). Only the signals
   listed in ``retraining.triggers`` count.
3. Rate limits hold back every trigger alike: no retrain within
   ``cooldown`` of the last one (a flapping drift signal retrains at most once
   per cooldown), and at most ``max_retrains`` within any window of
   ``max_retrains.window``; past that the decision says ``escalate``: a person
   should look. The first registration of a model is its training, not a retrain:
   it starts no cooldown.

``next_allowed`` is the earliest time the rate limits would let a retrain
through. The result is printed as text or JSON and, when ``$GITHUB_OUTPUT`` is
set, appended there as ``key=value`` lines for the workflow.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlcontract import ir
from mlruntime.steps.errors import StepError

TRIGGERS = ("drift", "performance", "new_data", "schedule")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SEMVER = r"v(\d+)\.(\d+)\.(\d+)"


def iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _seconds(text: object) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True)
class Version:
    """One registered model version: its tag and when the tag was created."""

    tag: str
    created: float


@dataclass(frozen=True)
class Decision:
    retrain: bool
    reason: str
    triggers: tuple[str, ...]  # enabled triggers whose signal fired
    signals: dict[str, bool]  # every signal, enabled or not
    escalate: bool  # max retrains reached while a trigger fired: a person should look
    now: str
    next_allowed: str
    last_retrain: str | None
    last_version: str | None
    retrains_in_window: int
    max_retrains: int
    max_retrains_window_seconds: int
    cooldown_seconds: int
    monitor_status: str

    def to_json(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["triggers"] = list(self.triggers)
        return payload


ATTEMPT_PREFIX = "mlproject-retrain/"


def attempt_tag(model: str, run: str) -> str:
    """The git tag marking one retrain attempt of ``model`` (read by :func:`registry_versions`)."""
    return f"{ATTEMPT_PREFIX}{model}/{run}"


def registry_versions(repo: Path, model: str) -> list[Version]:
    """Every retrain in git tags (versions and attempt markers) with its date, oldest first."""
    try:
        done = subprocess.run(
            [
                "git",
                "-C",
                str(repo),
                "for-each-ref",
                "refs/tags",
                "--format=%(refname:strip=2)%09%(creatordate:unix)",
            ],
            capture_output=True,
            check=False,
            text=True,
        )
    except FileNotFoundError:
        raise StepError("git is not installed: decide reads the registry's git tags") from None
    if done.returncode != 0:
        raise StepError(
            f"{repo} is not in a git repository: decide reads the registry's git tags "
            f"({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'git failed'})"
        )
    # Registered versions, and the attempt markers the retrain workflow tags
    # (``mlproject-retrain/<model>/<run>``): a retrain that failed its gate
    # still counts for the cooldown and the maximum retrains.
    pattern = re.compile(
        rf"^(?:{re.escape(model)}@{_SEMVER}|{re.escape(ATTEMPT_PREFIX)}{re.escape(model)}/[^/]+)$"
    )
    versions = []
    for line in done.stdout.splitlines():
        tag, _, created = line.partition("\t")
        if pattern.match(tag) and created.strip().lstrip("-").isdigit():
            versions.append(Version(tag, float(created)))
    return sorted(versions, key=lambda v: (v.created, v.tag))


def read_monitor(path: Path, project: str) -> dict[str, Any]:
    """The monitor result, checked enough that a wrong file cannot pass for one."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StepError(f"monitor result {path} not found: run `mlproject step monitor`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StepError(f"monitor result {path} cannot be read: {exc}") from None
    if not isinstance(payload, dict) or payload.get("schema") != "mlproject.monitor/v1":
        raise StepError(f"{path} is not a monitor result (schema mlproject.monitor/v1)")
    if payload.get("status") not in {"healthy", "breach", "error"} or not isinstance(
        payload.get("breaches"), dict
    ):
        raise StepError(f"{path}: monitor result without a valid status and breaches")
    if payload.get("project") != project:
        raise StepError(
            f"{path} is the monitor result of project '{payload.get('project')}', "
            f"not of '{project}'"
        )
    return payload


def _schedule_due(schedule: str, last: float | None, now: float) -> bool:
    if last is None:
        return True
    from croniter import croniter

    start = datetime.fromtimestamp(last, UTC)
    following = croniter(schedule, start).get_next(datetime)
    return bool(following.timestamp() <= now)


def signals(
    policy: ir.Retraining, monitor: dict[str, Any], last: float | None, now: float
) -> dict[str, bool]:
    """Which retrain signals are on, enabled as triggers or not."""
    breaches = monitor["breaches"]
    freshness = monitor.get("freshness") or {}
    latest = _seconds(freshness.get("latest"))
    rows = (monitor.get("current") or {}).get("rows") or 0
    return {
        "drift": bool(breaches.get("drift")),
        "performance": bool(breaches.get("performance")),
        "new_data": bool(rows) and latest is not None and (last is None or latest > last),
        "schedule": policy.schedule is not None and _schedule_due(policy.schedule, last, now),
    }


def _columns_gone(monitor: dict[str, Any]) -> list[str]:
    """The drifted features, when every one of them had no value at all in the window (a
    column gone null upstream): empty when any drifted feature still had values."""
    drift = monitor.get("drift") or {}
    tests = [*(drift.get("features") or []), *filter(None, [drift.get("prediction")])]
    drifted = [t for t in tests if isinstance(t, dict) and t.get("drifted")]
    if drifted and all(t.get("current_values") == 0 for t in drifted):
        return [str(t.get("feature")) for t in drifted]
    return []


def retrains(versions: list[Version]) -> list[Version]:
    """The retrains among the registry's tags (oldest first): every attempt tag, and every
    registered version but the model's first (its initial training) and those an attempt
    tag since the version before already counts (the retrain workflow tags the attempt,
    then registers the challenger that passed its gate: one retrain). A version registered
    by hand right after a failed attempt is taken for that attempt's challenger: tags
    alone cannot tell them apart, and counting one retrain instead of two errs on the
    side of retraining."""
    found: list[Version] = []
    registered = attempted = False
    for version in versions:
        if version.tag.startswith(ATTEMPT_PREFIX):
            found.append(version)
            attempted = True
            continue
        if registered and not attempted:
            found.append(version)
        registered, attempted = True, False
    return found


def decide(
    policy: ir.Retraining, monitor: dict[str, Any], versions: list[Version], now: float
) -> Decision:
    """The decision for ``now`` (Unix seconds); ``versions`` oldest first."""
    past = [v for v in versions if v.created <= now]
    trained = past[-1].created if past else None  # the model's age: schedule, new data
    done = retrains(past)
    last = done[-1] if done else None
    last_time = last.created if last else None
    window = policy.max_retrains_window_seconds
    in_window = [v.created for v in done if v.created > now - window]
    cooldown_end = last_time + policy.cooldown_seconds if last_time is not None else now
    limit_end = now
    if len(in_window) >= policy.max_retrains:
        limit_end = in_window[len(in_window) - policy.max_retrains] + window
    next_allowed = max(now, cooldown_end, limit_end)
    on = signals(policy, monitor, trained, now)
    status = str(monitor["status"])
    unverified = ""
    if status == "error":
        # Nothing the monitor measured counts; the calendar does (no labels yet must not
        # block a scheduled retrain forever).
        errors = monitor.get("errors") or ["unknown error"]
        unverified = f"the monitor reached no verdict ({errors[0]})"
        on = {t: (value if t == "schedule" else False) for t, value in on.items()}
    gone = _columns_gone(monitor) if on["drift"] else []
    fired = tuple(
        t for t in TRIGGERS if on[t] and t in policy.triggers and not (t == "drift" and gone)
    )
    escalate = False
    if unverified and not fired:
        retrain = False
        reason = f"{unverified}: no retrain on unverified data"
    elif gone and not fired and "drift" in policy.triggers:
        # Not ``escalate`` (the retrain budget): the monitor's breach issue carries the reason.
        retrain = False
        reason = (
            f"drift fired only on features with no values in the window ({', '.join(gone)}): "
            "a feed that stopped sending a column is fixed at its source, not retrained on; "
            "a person should look"
        )
    elif not fired:
        retrain = False
        ignored = [t for t in TRIGGERS if on[t] and t not in policy.triggers]
        reason = "no retrain trigger fired" + (
            f" ({', '.join(ignored)} on, but not a trigger in retraining.triggers)"
            if ignored
            else ""
        )
    elif now < cooldown_end:
        retrain = False
        reason = (
            f"{', '.join(fired)} fired, but the last retrain ({last.tag if last else '-'}) was "
            f"at {iso(last_time)}: cooldown until {iso(cooldown_end)}"
        )
    elif now < limit_end:
        retrain, escalate = False, True
        reason = (
            f"{', '.join(fired)} fired, but {len(in_window)} retrains in the last "
            f"{window / 86400:g} days reach max_retrains={policy.max_retrains}: "
            f"a person should look (next allowed {iso(limit_end)})"
        )
    else:
        retrain = True
        reason = f"retrain: {', '.join(fired)} fired"
        if unverified:
            reason += f" ({unverified}: the schedule alone decides)"
    return Decision(
        retrain=retrain,
        reason=reason,
        triggers=fired,
        signals=on,
        escalate=escalate,
        now=str(iso(now)),
        next_allowed=str(iso(next_allowed)),
        last_retrain=iso(last_time),
        last_version=last.tag if last else None,
        retrains_in_window=len(in_window),
        max_retrains=policy.max_retrains,
        max_retrains_window_seconds=window,
        cooldown_seconds=policy.cooldown_seconds,
        monitor_status=status,
    )


def github_output_value(value: object) -> str:
    """One line, no control characters: safe as the value of a ``key=value`` output."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    return _CONTROL.sub(" ", str(value)).strip()[:1000]


def write_github_output(values: dict[str, object]) -> None:
    """Append ``key=value`` lines to ``$GITHUB_OUTPUT`` when the variable is set."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    lines = "".join(f"{key}={github_output_value(value)}\n" for key, value in values.items())
    try:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(lines)
    except OSError as exc:
        raise StepError(f"cannot write $GITHUB_OUTPUT ({target}): {exc.strerror}") from None


def render_text(decision: Decision) -> str:
    fired = ", ".join(decision.triggers) or "none"
    lines = [
        f"retrain: {'yes' if decision.retrain else 'no'}",
        f"reason: {decision.reason}",
        f"triggers fired: {fired}",
        f"last retrain: {decision.last_version or '-'} at {decision.last_retrain or '-'}",
        f"retrains in window: {decision.retrains_in_window} of {decision.max_retrains}",
        f"next allowed: {decision.next_allowed}",
    ]
    if decision.escalate:
        lines.append("escalate: yes (max retrains reached)")
    return "\n".join(lines)


def run(project_dir: Path, monitor_path: Path, now: float) -> Decision:
    """Decide for the project in ``project_dir`` and append the outputs to ``$GITHUB_OUTPUT``."""
    from mlruntime.steps.config import load_context

    ctx = load_context(project_dir)
    monitor = read_monitor(monitor_path, ctx.project.name)
    versions = registry_versions(ctx.root, ctx.project.registry.model_name)
    decision = decide(ctx.project.retraining, monitor, versions, now)
    write_github_output(
        {
            "retrain": decision.retrain,
            "reason": decision.reason,
            "triggers": decision.triggers,
            "next_allowed": decision.next_allowed,
            "escalate": decision.escalate,
        }
    )
    return decision

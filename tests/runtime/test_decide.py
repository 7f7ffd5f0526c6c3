"""``mlproject step decide``: triggers, schedule, cooldown and max retrains, state in git tags."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlcli.app import cli
from mlcontract import ir
from mlruntime.steps.decide import (
    Version,
    attempt_tag,
    decide,
    github_output_value,
    registry_versions,
    retrains,
)
from tests.runtime.test_monitor_support import git, make_project

DAY = 86400.0
POLICY = ir.Retraining(
    schedule="0 3 * * 1",  # Mondays 03:00 UTC
    triggers=("drift", "performance", "schedule"),
    cooldown_seconds=86400,
    max_retrains=3,
    max_retrains_window_seconds=30 * 86400,
)


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def monitor(status: str = "breach", **breaches: bool) -> dict[str, object]:
    kinds = ("drift", "data_quality", "performance", "freshness", "volume")
    return {
        "schema": "mlproject.monitor/v1",
        "project": "shop",
        "status": status,
        "breaches": {k: breaches.get(k, False) for k in kinds},
        "errors": [],
        "current": {"rows": 500},
        "freshness": {"latest": "2024-07-10T00:00:00Z"},
    }


DRIFT = monitor(drift=True)
QUIET = monitor("healthy")
FIRST = Version("shop@v1.0.0", at("2024-07-01T12:00:00"))  # the first registration
LAST = Version("shop@v1.1.0", at("2024-07-09T12:00:00"))  # a retrain, on a Tuesday
HISTORY = [FIRST, LAST]


def test_no_trigger_no_retrain() -> None:
    decision = decide(POLICY, QUIET, HISTORY, at("2024-07-10T12:00:00"))
    assert decision.retrain is False
    assert decision.reason.startswith("no retrain trigger fired")
    assert decision.next_allowed == "2024-07-10T12:00:00Z"


def test_drift_retrains_after_the_cooldown() -> None:
    decision = decide(POLICY, DRIFT, HISTORY, at("2024-07-10T12:00:00"))  # exactly 1 day later
    assert decision.retrain is True
    assert decision.triggers == ("drift",)
    assert decision.reason == "retrain: drift fired"


def test_cooldown_boundary() -> None:
    just_before = decide(POLICY, DRIFT, HISTORY, at("2024-07-10T11:59:59"))
    assert just_before.retrain is False
    assert "cooldown until 2024-07-10T12:00:00Z" in just_before.reason
    assert just_before.next_allowed == "2024-07-10T12:00:00Z"
    assert decide(POLICY, DRIFT, HISTORY, at("2024-07-10T12:00:00")).retrain is True


def test_signal_that_is_not_a_trigger_is_ignored() -> None:
    policy = replace(POLICY, triggers=("performance",))
    decision = decide(policy, DRIFT, HISTORY, at("2024-07-12T00:00:00"))
    assert decision.retrain is False
    assert "drift, new_data on, but not a trigger" in decision.reason
    assert decision.signals["drift"] is True


def test_schedule_due_since_the_last_retrain() -> None:
    # Last retrain Tuesday 9 July; the next scheduled run is Monday 15 July 03:00.
    before = decide(POLICY, QUIET, HISTORY, at("2024-07-15T02:59:59"))
    assert before.retrain is False
    due = decide(POLICY, QUIET, HISTORY, at("2024-07-15T03:00:00"))
    assert due.retrain is True
    assert due.triggers == ("schedule",)
    later = decide(POLICY, QUIET, HISTORY, at("2024-07-17T00:00:00"))  # missed run still due
    assert later.retrain is True


def test_schedule_with_no_version_yet_is_due() -> None:
    decision = decide(POLICY, QUIET, [], at("2024-07-10T00:00:00"))
    assert decision.retrain is True
    assert decision.last_retrain is None


def test_new_data_trigger() -> None:
    policy = replace(POLICY, triggers=("new_data",))
    newer = decide(policy, QUIET, HISTORY, at("2024-07-11T00:00:00"))  # newest row 10 July
    assert newer.retrain is True
    assert newer.triggers == ("new_data",)
    old = [Version("shop@v1.1.0", at("2024-07-10T06:00:00"))]
    assert decide(policy, QUIET, old, at("2024-07-12T00:00:00")).retrain is False


def test_monitor_error_never_retrains_on_what_it_measured() -> None:
    broken = monitor("error", drift=True)
    broken["errors"] = ["current column 'amount': missing"]
    policy = replace(POLICY, triggers=("drift", "performance"))
    decision = decide(policy, broken, HISTORY, at("2024-07-20T00:00:00"))
    assert decision.retrain is False
    assert "no verdict (current column 'amount': missing)" in decision.reason


def test_monitor_error_still_lets_the_schedule_retrain() -> None:
    """No labels yet (the monitor has no verdict) must not block a scheduled retrain forever."""
    broken = monitor("error", drift=True)
    broken["errors"] = ["no labels in the window"]
    not_due = decide(POLICY, broken, HISTORY, at("2024-07-15T02:00:00"))
    assert not_due.retrain is False
    assert "no retrain on unverified data" in not_due.reason
    due = decide(POLICY, broken, HISTORY, at("2024-07-15T03:00:00"))
    assert due.retrain is True
    assert due.triggers == ("schedule",)  # the drift it reported does not count
    assert "the schedule alone decides" in due.reason


def _drifted(*features: tuple[str, int]) -> dict[str, object]:
    """DRIFT with its drifted features and their values in the window."""
    tests = [{"feature": f, "drifted": True, "current_values": n} for f, n in features]
    return {**DRIFT, "drift": {"features": tests, "drifted": [f for f, _ in features]}}


def test_drift_only_on_columns_gone_null_escalates_instead_of_retraining() -> None:
    """A feed that stopped sending a column: its feature has no value in the window, the
    monitor calls it drift (the missing share went to 100%), and a retrain would learn
    nothing from it. Drift elsewhere still retrains; the schedule still runs."""
    now = at("2024-07-12T00:00:00")
    gone = decide(POLICY, _drifted(("amount", 0)), HISTORY, now)
    assert (gone.retrain, gone.escalate, gone.triggers) == (False, False, ())
    assert "features with no values in the window (amount)" in gone.reason
    assert gone.signals["drift"] is True
    also = decide(POLICY, _drifted(("amount", 0), ("items", 500)), HISTORY, now)
    assert (also.retrain, also.triggers) == (True, ("drift",))
    scheduled = decide(POLICY, _drifted(("amount", 0)), HISTORY, at("2024-07-15T03:00:00"))
    assert (scheduled.retrain, scheduled.triggers) == (True, ("schedule",))


def test_max_retrains_per_window() -> None:
    versions = [
        Version("shop@v0.1.0", at("2024-06-01T00:00:00")),  # the first: not a retrain
        Version("shop@v1.0.0", at("2024-07-01T00:00:00")),
        Version("shop@v1.1.0", at("2024-07-05T00:00:00")),
        Version("shop@v1.2.0", at("2024-07-09T00:00:00")),
    ]
    blocked = decide(POLICY, DRIFT, versions, at("2024-07-20T00:00:00"))
    assert blocked.retrain is False
    assert blocked.escalate is True
    assert blocked.retrains_in_window == 3
    assert "max_retrains=3" in blocked.reason
    # The oldest of the three leaves the 30-day window on 31 July.
    assert blocked.next_allowed == "2024-07-31T00:00:00Z"
    assert decide(POLICY, DRIFT, versions, at("2024-07-30T23:59:59")).retrain is False
    allowed = decide(POLICY, DRIFT, versions, at("2024-07-31T00:00:00"))
    assert allowed.retrain is True
    assert allowed.retrains_in_window == 2


def test_flapping_drift_retrains_at_most_once_per_cooldown() -> None:
    """Drift on, off, on ... every hour for a week: one retrain per day, never closer."""
    start = at("2024-07-02T00:00:00")
    policy = replace(POLICY, triggers=("drift",), max_retrains=100)
    versions: list[Version] = []
    for hour in range(7 * 24):
        now = start + hour * 3600
        signal = DRIFT if hour % 2 == 0 else QUIET
        if decide(policy, signal, versions, now).retrain:  # as the retrain workflow tags it
            versions.append(Version(attempt_tag("shop", str(hour)), now))
            versions.append(Version(f"shop@v1.{len(versions)}.0", now + 600))
    times = [v.created for v in retrains(versions)]
    assert len(times) == 7
    assert all(b - a >= DAY for a, b in itertools.pairwise(times))


def test_github_output_values_are_one_safe_line() -> None:
    assert github_output_value("a\nb\r\nc\x00d") == "a b c d"
    assert github_output_value(True) == "true"
    assert github_output_value(("drift", "schedule")) == "drift,schedule"
    assert github_output_value(None) == ""


# ── with a real git repository and the CLI ──────────────────────────────────


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "shop", reference_rows=500)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init", date="2024-06-01T00:00:00Z")
    return root


def tag(repo: Path, name: str, when: str) -> None:
    git(repo, "tag", "-a", name, "-m", name, date=when)


def write_monitor(repo: Path, payload: dict[str, object]) -> Path:
    path = repo / "reports" / "monitor.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(payload))
    return path


def run(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner(env=env).invoke(
        cli, ["step", "decide", "--project-dir", str(repo), *args], catch_exceptions=False
    )
    return result.exit_code, result.output


def test_registry_versions_read_tag_creator_dates(repo: Path) -> None:
    tag(repo, "shop@v1.0.0", "2024-07-01T10:00:00Z")
    tag(repo, "shop@v1.1.0", "2024-07-03T10:00:00Z")
    tag(repo, "shop#production#1", "2024-07-04T10:00:00Z")  # a GTO promotion, not a retrain
    tag(repo, "other@v9.0.0", "2024-07-04T10:00:00Z")  # another model
    versions = registry_versions(repo, "shop")
    assert [v.tag for v in versions] == ["shop@v1.0.0", "shop@v1.1.0"]
    assert versions[1].created == at("2024-07-03T10:00:00")


def test_cli_across_the_cooldown_with_real_tags(repo: Path, tmp_path: Path) -> None:
    tag(repo, "shop@v1.0.0", "2024-07-01T12:00:00Z")
    tag(repo, "shop@v1.1.0", "2024-07-09T12:00:00Z")
    path = write_monitor(repo, DRIFT)
    code, output = run(repo, "--monitor", str(path), "--now", "2024-07-10T11:00:00Z")
    assert code == 0
    assert output.startswith("retrain: no\n")
    assert "cooldown until 2024-07-10T12:00:00Z" in output
    out = tmp_path / "github_output"
    code, output = run(
        repo,
        "--monitor",
        str(path),
        "--now",
        "2024-07-10T12:00:00Z",
        "--format",
        "json",
        env={"GITHUB_OUTPUT": str(out)},
    )
    assert code == 0
    payload = json.loads(output)
    assert payload["retrain"] is True
    assert payload["triggers"] == ["drift"]
    assert payload["last_version"] == "shop@v1.1.0"
    lines = out.read_text().splitlines()
    assert "retrain=true" in lines
    assert "triggers=drift" in lines
    assert all("=" in line for line in lines)


def test_cli_max_retrains_with_real_tags(repo: Path) -> None:
    tag(repo, "shop@v0.1.0", "2024-06-01T00:00:00Z")  # the first registration
    for i, day in enumerate(("01", "05", "09")):
        tag(repo, f"shop@v1.{i}.0", f"2024-07-{day}T00:00:00Z")
    path = write_monitor(repo, DRIFT)
    code, output = run(
        repo, "--monitor", str(path), "--now", "2024-07-20T00:00:00Z", "--format", "json"
    )
    assert code == 0
    payload = json.loads(output)
    assert payload["retrain"] is False
    assert payload["escalate"] is True
    assert payload["next_allowed"] == "2024-07-31T00:00:00Z"


def test_flapping_with_real_tags(repo: Path) -> None:
    path = repo / "reports" / "monitor.json"
    policy_hours = 3 * 24
    retrained = []
    start = datetime(2024, 7, 2, tzinfo=UTC)
    for hour in range(0, policy_hours, 3):
        now = start + timedelta(hours=hour)
        write_monitor(repo, DRIFT if hour % 2 == 0 else QUIET)
        stamp = now.isoformat().replace("+00:00", "Z")
        code, output = run(repo, "--monitor", str(path), "--now", stamp, "--format", "json")
        assert code == 0, output
        if json.loads(output)["retrain"]:  # the attempt, then the version, as the workflow
            retrained.append(now)
            tag(repo, attempt_tag("shop", str(hour)), stamp)
            tag(repo, f"shop@v1.{len(retrained)}.0", stamp)
    # Drift every 6 h, but one retrain per 1-day cooldown (the schedule is weekly).
    assert len(retrained) == 3
    assert all((b - a).total_seconds() >= DAY for a, b in itertools.pairwise(retrained))


def test_sanitised_reason_in_github_output(repo: Path, tmp_path: Path) -> None:
    broken = monitor("error")
    broken["errors"] = ["line one\nretrain=true"]
    path = write_monitor(repo, broken)
    out = tmp_path / "out"
    code, _ = run(
        repo,
        "--monitor",
        str(path),
        "--now",
        "2024-07-10T00:00:00Z",
        env={"GITHUB_OUTPUT": str(out)},
    )
    assert code == 0
    lines = out.read_text().splitlines()
    # Nothing was ever registered: the schedule is due even without a verdict.
    assert lines[0] == "retrain=true"
    assert [line for line in lines if line.startswith("retrain=")] == ["retrain=true"]
    assert any(line.startswith("reason=") and "line one retrain=true" in line for line in lines)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("{not json", "cannot be read"),
        ('{"schema": "other"}', "is not a monitor result"),
        (json.dumps({**DRIFT, "project": "billing"}), "of project 'billing'"),
        (json.dumps({**DRIFT, "status": "fine"}), "without a valid status"),
    ],
)
def test_bad_monitor_result(repo: Path, content: str | None, message: str) -> None:
    path = repo / "monitor.json"
    if content is not None:
        path.write_text(content)
    code, output = run(repo, "--monitor", str(path))
    assert code == 1
    assert message in output


def test_outside_a_git_repository(tmp_path: Path) -> None:
    root = make_project(tmp_path / "shop", reference_rows=200)
    path = write_monitor(root, DRIFT)
    code, output = run(root, "--monitor", str(path))
    assert code == 1
    assert "not in a git repository" in output


def test_a_failed_retrain_attempt_counts_for_the_cooldown(repo: Path) -> None:
    # The retrain workflow tags every attempt; one whose challenger failed the
    # gate registers no version but must still hold off the next retrain.
    tag(repo, "shop@v1.0.0", "2024-07-01T12:00:00Z")
    tag(repo, "mlproject-retrain/shop/123-1", "2024-07-09T12:00:00Z")
    tag(repo, "mlproject-retrain/other/9-1", "2024-07-10T10:00:00Z")  # another model
    versions = registry_versions(repo, "shop")
    assert [v.tag for v in versions] == ["shop@v1.0.0", "mlproject-retrain/shop/123-1"]
    path = write_monitor(repo, DRIFT)
    code, output = run(repo, "--monitor", str(path), "--now", "2024-07-10T11:00:00Z")
    assert code == 0
    assert output.startswith("retrain: no\n")
    assert "cooldown until 2024-07-10T12:00:00Z" in output


def test_the_first_registration_starts_no_cooldown() -> None:
    """Right after the model's first ``register``, a trigger retrains: that registration
    was its training, not a retrain. It still dates the model for the schedule."""
    first = [Version("shop@v1.0.0", at("2024-07-09T12:00:00"))]
    decision = decide(POLICY, DRIFT, first, at("2024-07-09T13:00:00"))
    assert decision.retrain is True, decision.reason
    assert decision.reason == "retrain: drift fired"
    assert (decision.last_retrain, decision.last_version, decision.retrains_in_window) == (
        None, None, 0,
    )  # fmt: skip
    assert decision.next_allowed == "2024-07-09T13:00:00Z"
    quiet = decide(POLICY, QUIET, first, at("2024-07-09T13:00:00"))
    assert quiet.retrain is False  # the schedule counts from the registration
    assert quiet.signals["schedule"] is False


def test_a_retrain_is_counted_once() -> None:
    """The retrain workflow tags its attempt, then registers the challenger: one retrain;
    an attempt whose challenger failed its gate is one too; a version registered without
    an attempt since the version before (by hand, by the train workflow) is one, unless it
    is the model's first."""
    tags = [
        Version("shop@v1.0.0", 1.0),  # first registration
        Version(attempt_tag("shop", "1-1"), 2.0),
        Version("shop@v1.1.0", 3.0),  # that attempt's challenger
        Version(attempt_tag("shop", "2-1"), 4.0),  # failed its gate
        Version(attempt_tag("shop", "3-1"), 5.0),
        Version("shop@v1.2.0", 6.0),  # attempt 3's challenger
        Version("shop@v1.3.0", 7.0),  # registered by hand
    ]
    assert [v.created for v in retrains(tags)] == [2.0, 4.0, 5.0, 7.0]
    before = [Version(attempt_tag("shop", "0-1"), 0.5), *tags]  # before any version
    assert [v.created for v in retrains(before)] == [0.5, 2.0, 4.0, 5.0, 7.0]


def test_cli_right_after_the_first_register(repo: Path) -> None:
    tag(repo, "shop@v1.0.0", "2024-07-09T12:00:00Z")
    path = write_monitor(repo, DRIFT)
    code, output = run(repo, "--monitor", str(path), "--now", "2024-07-09T13:00:00Z")
    assert code == 0
    assert output.startswith("retrain: yes\nreason: retrain: drift fired\n"), output
    assert "last retrain: - at -" in output

"""Alertmanager routes and receivers for the spec's alert channels (target: pure IR → files).

One receiver per spec alert route, named ``<project>-<route name>``, reached by
a child route matching ``project`` and ``severity``. A route receives alerts
of its own severity and above: a ``warning`` route gets warnings and criticals,
a ``critical`` route criticals only. Alerts no route takes end at
``<project>-unrouted``, a receiver without integrations.

Secrets are referenced, never written:

- Slack: ``api_url_file`` names the file where the webhook URL is mounted,
  ``/etc/alertmanager/secrets/<secret-name>/<SECRET>``: a Kubernetes Secret
  named after the spec's secret (lower case, ``-`` for ``_``) with the URL under
  the key of the spec's name, mounted as the Prometheus Operator mounts the
  secrets listed in ``Alertmanager.spec.secrets``.
- E-mail: the addresses are the spec's; the SMTP relay (``global.smtp_*``) is a
  placeholder for the platform's own relay, which needs no credentials here.
- GitHub issues: Alertmanager has no GitHub integration, so alerts go to a
  webhook receiver at a placeholder URL on the reserved ``.invalid`` domain:
  deploy a bridge that opens issues from Alertmanager webhooks (the issue
  labels are in its query string) and put its address there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from mlcontract import ir

SECRETS_DIR = "/etc/alertmanager/secrets"
SMTP_RELAY = "localhost:25"
GITHUB_BRIDGE = "http://github-issue-bridge.invalid/alerts"
GROUP_BY = ("alertname", "project", "environment", "route")
# A route receives its own severity and above.
SEVERITY_MATCHERS = {"critical": 'severity="critical"', "warning": 'severity=~"critical|warning"'}


def secret_file(secret: str) -> str:
    """Where the value of the secret reference ``secret`` is mounted."""
    return f"{SECRETS_DIR}/{secret.lower().replace('_', '-')}/{secret}"


def receiver_name(project: ir.Project, route: ir.AlertRoute) -> str:
    return f"{project.name}-{route.name.replace('_', '-')}"


def _receiver(project: ir.Project, route: ir.AlertRoute) -> dict[str, Any]:
    receiver: dict[str, Any] = {"name": receiver_name(project, route)}
    if route.type == "email":
        receiver["email_configs"] = [{"send_resolved": True, "to": to} for to in route.to]
    elif route.type == "slack" and route.webhook_secret is not None:
        receiver["slack_configs"] = [
            {"api_url_file": secret_file(route.webhook_secret), "send_resolved": True}
        ]
    elif route.type == "github_issue":
        query = urlencode({"labels": ",".join(route.labels)}) if route.labels else ""
        url = f"{GITHUB_BRIDGE}?{query}" if query else GITHUB_BRIDGE
        receiver["webhook_configs"] = [{"send_resolved": True, "url": url}]
    return receiver


def alertmanager_config(project: ir.Project) -> dict[str, Any]:
    routes = project.monitoring.alerts
    unrouted = f"{project.name}-unrouted"
    config: dict[str, Any] = {
        "receivers": [{"name": unrouted}, *(_receiver(project, r) for r in routes)],
        "route": {
            "group_by": list(GROUP_BY),
            "group_interval": "5m",
            "group_wait": "30s",
            "receiver": unrouted,
            "repeat_interval": "4h",
            "routes": [
                {
                    "continue": True,
                    "matchers": [f'project="{project.name}"', SEVERITY_MATCHERS[r.severity]],
                    "receiver": receiver_name(project, r),
                }
                for r in routes
            ],
        },
    }
    if any(r.type == "email" for r in routes):
        config["global"] = {
            "smtp_from": f"mlproject-{project.name}@localhost",
            "smtp_smarthost": SMTP_RELAY,
        }
    return config

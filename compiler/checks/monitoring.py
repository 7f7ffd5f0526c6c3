"""Check stage: monitoring alerts (MLP226).

An alert route that cannot deliver is worse than none: the alert fires and
nobody hears it. Each route carries what its channel needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from compiler.checks.examples import spec
from compiler.checks.rule import CheckContext, Rule
from compiler.diagnostics import Diagnostic

# The same shape spec persons' e-mail addresses must have.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _alert_routes(ctx: CheckContext) -> Iterator[Diagnostic]:
    for i, route in enumerate(ctx.spec.monitoring.alerts):
        pointer = ("monitoring", "alerts", i)
        if route.type == "email":
            if not route.to:
                yield ctx.error(
                    "MLP226",
                    pointer,
                    f"e-mail route '{route.name}' has no recipients",
                    "add to: [team@example.com]",
                )
            for j, address in enumerate(route.to):
                if not EMAIL.fullmatch(address):
                    yield ctx.error(
                        "MLP226",
                        (*pointer, "to", j),
                        f"'{address}' is not an e-mail address",
                        "write a full address such as ml-oncall@example.com",
                    )
        elif route.type == "slack" and route.webhook is None:
            yield ctx.error(
                "MLP226",
                pointer,
                f"Slack route '{route.name}' has no webhook",
                "add webhook: {secret: SLACK_WEBHOOK_URL}, naming the secret that holds the URL",
            )


RULES = [
    Rule(
        "MLP226",
        "alert-route",
        "alert route that cannot deliver",
        "An `email` route lists valid addresses in `to`; a `slack` route names the secret "
        "holding its incoming-webhook URL in `webhook`.",
        spec("monitoring:\n  alerts:\n    - {name: oncall, type: slack}\n"),
        spec(
            "monitoring:\n  alerts:\n"
            "    - {name: oncall, type: slack, webhook: {secret: SLACK_WEBHOOK_URL}}\n"
        ),
        _alert_routes,
    ),
]

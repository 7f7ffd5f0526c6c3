"""The InferenceGraph of a live experiment: A/B split or shadow (target: pure IR → files).

**A/B test: an InferenceGraph Splitter, not canaryTrafficPercent.** A canary
splits traffic between two revisions of *one* InferenceService: it exists only
in Serverless (Knative) mode, any other change to the service starts a new
revision and ends the split, and promoting or rolling back means editing the
champion itself. The A/B analysis needs two arms it can tell apart for days:
two InferenceServices, each with its own registry version (answered in every
V2 response's ``model_version``, and labelled ``role`` in the scraped
metrics), behind a ``Splitter`` whose integer weights are the challenger
share, rounded to a whole percent (at least 1). Promote = deploy the
challenger's version as champion; roll back = delete the challenger and the
graph. Limits: callers must address the graph rather than the champion during
the test; the router adds one network hop (not in MLServer's latency
histogram); assignment is per request, not per customer (a customer may meet
both arms).

**Shadow: a Splitter feeding a Sequence.** KServe has no traffic mirror (that
takes a mesh, e.g. an Istio VirtualService ``mirror``). The graph approximates
one: the spec's sample of requests goes to a ``Sequence`` that calls the
challenger first (``dependency: Soft``: its failure does not fail the request)
and then the champion with the original request (``data: $request``,
``dependency: Hard``), whose answer is returned; the other requests go straight
to the champion. Limits: the calls are serial, so shadowed requests wait for
the challenger too (its latency and timeouts add to theirs); the challenger's
answers are observable only through its own metrics and logs.

Experiments run in the last environment (production in promotion order),
where the live traffic is; the IR names no environment for them.
"""

from __future__ import annotations

from typing import Any

from mlcontract import ir
from targets.kserve.inference_service import (
    CHALLENGER,
    CHAMPION,
    challenger_share,
    service_name,
)
from targets.prometheus.manifest import LABEL_DOMAIN, common_labels

API_VERSION = "serving.kserve.io/v1alpha1"


def graph_name(project: ir.Project) -> str:
    return f"{project.registry.model_name}-experiment"


def percent(share: float) -> int:
    """A traffic share as a Splitter weight: a whole percent from 1 to 100."""
    return min(100, max(1, int(share * 100 + 0.5)))


def _step(name: str, target: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "serviceName": target, **fields}


def _nodes(project: ir.Project) -> dict[str, Any]:
    champion = service_name(project, CHAMPION)
    challenger = service_name(project, CHALLENGER)
    if project.ab_test is not None:
        weight = percent(project.ab_test.challenger_share)
        steps = [
            _step(CHAMPION, champion, weight=100 - weight),
            _step(CHALLENGER, challenger, weight=weight),
        ]
        return {"root": {"routerType": "Splitter", "steps": steps}}
    shadowed = {
        "routerType": "Sequence",
        "steps": [
            _step("shadow", challenger, dependency="Soft"),
            _step(CHAMPION, champion, data="$request", dependency="Hard"),
        ],
    }
    weight = percent(challenger_share(project))
    if weight == 100:
        return {"root": shadowed}
    split = [
        {"name": "shadowed", "nodeName": "shadowed", "weight": weight},
        _step(CHAMPION, champion, weight=100 - weight),
    ]
    return {"root": {"routerType": "Splitter", "steps": split}, "shadowed": shadowed}


def inference_graph(project: ir.Project, environment: ir.Environment) -> dict[str, Any]:
    kind = "ab-test" if project.ab_test is not None else "shadow"
    return {
        "apiVersion": API_VERSION,
        "kind": "InferenceGraph",
        "metadata": {
            "labels": {
                **common_labels(project),
                f"{LABEL_DOMAIN}/environment": environment.name,
                f"{LABEL_DOMAIN}/experiment": kind,
                f"{LABEL_DOMAIN}/model": project.registry.model_name,
            },
            "name": graph_name(project),
            "namespace": environment.namespace,
        },
        "spec": {"nodes": _nodes(project)},
    }

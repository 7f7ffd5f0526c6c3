"""The lifecycle diagram of the ``docs`` target: IR → a Mermaid ``flowchart LR`` as data.

Part of a target (pure IR → files). Node ids are generated here and never come
from the spec; labels may carry spec strings, which are escaped with Mermaid
entity codes so that a quote, bracket or pipe cannot end a label early. The
template only prints what :func:`lifecycle` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mlcontract import ir
from targets.docs.markdown import duration, percent

Shape = Literal["box", "database", "decision", "rounded"]
EdgeStyle = Literal["solid", "dotted", "thick"]

# Mermaid decodes "#name;" entity codes inside labels; "#" itself goes first so
# that a user string cannot smuggle an entity of its own.
_LABEL_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "[": "#91;",
    "]": "#93;",
    "(": "#40;",
    ")": "#41;",
    "{": "#123;",
    "}": "#125;",
    "<": "#lt;",
    ">": "#gt;",
    "|": "#124;",
    "`": "#96;",
    ";": "#59;",
}
_SHAPES: dict[Shape, tuple[str, str]] = {
    "box": ('["', '"]'),
    "database": ('[("', '")]'),
    "decision": ('{"', '"}'),
    "rounded": ('("', '")'),
}
_ARROWS: dict[EdgeStyle, str] = {"solid": "-->", "dotted": "-.->", "thick": "==>"}
_TRIGGER_WORDS = {
    "drift": "drift",
    "performance": "performance",
    "new_data": "new data",
    "schedule": "schedule",
}


def label_text(value: object) -> str:
    """A spec string made safe inside a quoted Mermaid label (one line, entity-escaped)."""
    flat = " ".join(str(value).split())
    return "".join(_LABEL_ENTITIES.get(char, char) for char in flat)


@dataclass
class DiagramNode:
    """A node of the lifecycle diagram: its id, label lines and shape."""

    id: str
    lines: tuple[str, ...]  # already escaped; joined with <br/>
    shape: Shape = "box"

    @property
    def mermaid(self) -> str:
        opening, closing = _SHAPES[self.shape]
        return f"{self.id}{opening}{'<br/>'.join(self.lines)}{closing}"


@dataclass
class DiagramEdge:
    """An edge of the lifecycle diagram, with an optional label."""

    source: str
    target: str
    label: str | None = None  # already escaped
    style: EdgeStyle = "solid"

    @property
    def mermaid(self) -> str:
        arrow = _ARROWS[self.style]
        label = f'|"{self.label}"|' if self.label else ""
        return f"{self.source} {arrow}{label} {self.target}"


@dataclass
class Diagram:
    """The lifecycle diagram: its nodes and edges."""

    nodes: tuple[DiagramNode, ...]
    edges: tuple[DiagramEdge, ...]


def _node(node_id: str, *lines: str, shape: Shape = "box") -> DiagramNode:
    return DiagramNode(node_id, tuple(lines), shape)


def _source_node(node_id: str, source: ir.Source) -> DiagramNode:
    detail = f"{source.format} · {source.sensitivity}"
    if source.pii:
        detail += " · PII"
    return _node(node_id, label_text(source.name), label_text(detail), shape="database")


def _training_nodes(project: ir.Project) -> list[DiagramNode]:
    training = project.training
    custom_train = any(stage.name == "train" for stage in training.custom_stages)
    if training.estimator is not None:
        trainer = label_text(training.estimator.class_path.rsplit(".", 1)[-1])
    else:
        trainer = "custom stage" if custom_train else "no estimator"
    nodes = [
        _node("validate", "validate", "schema + data quality"),
        _node("split", "split", label_text(f"{training.split.method} split")),
        _node("train", "train", trainer),
        _node("evaluate", "evaluate", label_text(f"primary: {project.primary_metric}")),
        _node("gate", "release gate", shape="decision"),
        _node("register", "register", label_text(project.registry.model_name)),
    ]
    for index, stage in enumerate(training.custom_stages):
        if stage.name != "train":
            nodes.append(
                _node(f"stage_{index}", "custom stage", label_text(stage.name), shape="rounded")
            )
    return nodes


def _custom_stage_edges(training: ir.Training) -> list[DiagramEdge]:
    edges = []
    for index, stage in enumerate(training.custom_stages):
        if stage.name != "train":
            after = stage.after or "data"
            edges.append(DiagramEdge(after, f"stage_{index}", style="dotted"))
    return edges


def _deploy_label(project: ir.Project, environment: ir.Environment) -> tuple[str, ...]:
    replicas = (
        f"{environment.min_replicas} replica"
        if environment.min_replicas == environment.max_replicas == 1
        else f"{environment.min_replicas}–{environment.max_replicas} replicas"
    )
    return (
        label_text(f"deploy: {environment.name}"),
        label_text(f"{project.deployment.mode} · {replicas}"),
    )


def _retrain_label(retraining: ir.Retraining) -> tuple[str, ...]:
    lines = ["retrain"]
    if retraining.schedule:
        lines.append(label_text(f"cron {retraining.schedule}"))
    lines.append(label_text(f"cooldown {duration(retraining.cooldown_seconds)}"))
    return tuple(lines)


def lifecycle(project: ir.Project) -> Diagram:
    """The project's lifecycle, from data to the retraining loop, as nodes and edges."""
    deployment = project.deployment
    nodes = [_source_node("data", project.training_source), *_training_nodes(project)]
    edges = [
        DiagramEdge("data", "validate"),
        DiagramEdge("validate", "split"),
        DiagramEdge("split", "train"),
        DiagramEdge("train", "evaluate"),
        DiagramEdge("evaluate", "gate"),
        DiagramEdge("gate", "register", "pass"),
        *_custom_stage_edges(project.training),
    ]
    nodes.append(_node("rejected", "rejected", "champion stays", shape="rounded"))
    edges.append(DiagramEdge("gate", "rejected", "fail", "dotted"))

    previous = "register"
    for environment in sorted(deployment.environments, key=lambda e: e.order):
        node_id = f"deploy_{environment.order}"
        nodes.append(_node(node_id, *_deploy_label(project, environment)))
        if environment.approval:
            edges.append(DiagramEdge(previous, node_id, "approval required", "thick"))
        else:
            edges.append(DiagramEdge(previous, node_id, "automatic"))
        previous = node_id
    live = previous

    if deployment.batch is not None:
        batch = deployment.batch
        nodes.append(
            _node("batch", "batch scoring", label_text(f"cron {batch.schedule}"), shape="rounded")
        )
        edges.append(DiagramEdge(live, "batch"))
        if batch.input != project.training.source:
            scored = next((s for s in project.sources if s.name == batch.input), None)
            if scored is not None:
                nodes.append(_source_node("batch_input", scored))
                edges.append(DiagramEdge("batch_input", "batch", style="dotted"))

    if project.shadow is not None:
        share = percent(project.shadow.sample)
        nodes.append(_node("shadow", "shadow", label_text(f"{share} of requests mirrored")))
        edges.append(DiagramEdge(live, "shadow", "challenger", "dotted"))
        edges.append(DiagramEdge("shadow", "decide", "compare"))
    if project.ab_test is not None:
        ab = project.ab_test
        nodes.append(
            _node(
                "ab_test",
                "A/B test",
                label_text(f"challenger {percent(ab.challenger_share)} · {ab.metric}"),
            )
        )
        edges.append(DiagramEdge(live, "ab_test", "split traffic"))
        edges.append(DiagramEdge("ab_test", "decide", "promote / keep / roll back"))

    monitoring = project.monitoring
    nodes.append(_node("monitor", "monitor", label_text(f"cron {monitoring.schedule}")))
    nodes.append(_node("decide", "decide", shape="decision"))
    edges.append(DiagramEdge(live, "monitor"))
    edges.append(DiagramEdge("monitor", "decide"))

    retraining = project.retraining
    nodes.append(_node("retrain", *_retrain_label(retraining)))
    triggers = [_TRIGGER_WORDS.get(t, t) for t in retraining.triggers]
    if retraining.schedule and "schedule" not in retraining.triggers:
        triggers.append("schedule")
    if triggers:
        edges.append(DiagramEdge("decide", "retrain", label_text(", ".join(triggers))))
    else:
        edges.append(DiagramEdge("decide", "retrain", "manual only", "dotted"))
    edges.append(DiagramEdge("retrain", "train", "challenger"))
    return Diagram(tuple(nodes), tuple(edges))

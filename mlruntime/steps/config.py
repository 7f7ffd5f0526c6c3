"""Runtime configuration: the compiled project plus the tunables of ``params.yaml``.

Steps never read the YAML spec. They read the IR that ``mlproject compile``
serialised to ``pipeline_layout.CONFIG`` and the tunables in ``params.yaml``
(shape: ``mlcontract.pipeline_layout.default_params``). ``params.yaml`` wins
section by section, so ``dvc exp run -S train.params.max_iter=300`` changes what
runs; a section it lacks falls back to the compiled value.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlcontract import ir, ir_codec, pipeline_layout
from mlcontract.errors import did_you_mean
from mlruntime.compiled import load_compiled
from mlruntime.steps.errors import StepError

log = logging.getLogger(__name__)

CLASSIFIER_STRATEGIES = ("most_frequent", "prior", "stratified", "uniform", "constant")
REGRESSOR_STRATEGIES = ("mean", "median", "quantile", "constant")


@dataclass(frozen=True)
class EstimatorChoice:
    """An estimator named by import path, with its constructor parameters."""

    path: str
    params: dict[str, Any]
    origin: str  # the params.yaml key it came from, for error messages


@dataclass(frozen=True)
class BaselineChoice:
    """A dummy strategy, or an estimator of the user's own."""

    strategy: str | None
    estimator: EstimatorChoice | None
    params: dict[str, Any]


@dataclass(frozen=True)
class ThresholdRule:
    metric: str
    minimum: float | None
    maximum: float | None


@dataclass(frozen=True)
class ComparisonRule:
    metric: str
    direction: str
    margin: float


@dataclass(frozen=True)
class GateRules:
    thresholds: tuple[ThresholdRule, ...]
    beat_baseline: ComparisonRule | None
    beat_champion: ComparisonRule | None


@dataclass(frozen=True)
class StepContext:
    """Everything a step knows: where the project is, what was compiled, what is tuned."""

    root: Path
    project: ir.Project
    params: Mapping[str, Any]

    def path(self, relative: str) -> Path:
        return self.root / relative

    @property
    def is_classification(self) -> bool:
        return self.project.task != "regression"

    @property
    def split(self) -> ir.Split:
        merged = {**ir_codec.dump(self.project.training.split), **_section(self.params, "split")}
        try:
            split = ir_codec.load(ir.Split, merged)
        except ir_codec.LoadError as exc:
            where = ".".join(str(part) for part in ("split", *exc.path))
            raise StepError(f"{pipeline_layout.PARAMS}: {where}: {exc.problem}") from None
        if not 0.0 < split.test_size < 1.0:
            raise StepError(
                f"{pipeline_layout.PARAMS}: split.test_size must be between 0 and 1, "
                f"got {split.test_size}"
            )
        return split

    @property
    def estimator(self) -> EstimatorChoice:
        train = _section(self.params, "train")
        compiled = self.project.training.estimator
        if "estimator" in train:
            path = train["estimator"]
            params = train.get("params") or {}
        elif compiled is not None:
            path, params = compiled.class_path, train.get("params", compiled.params)
        else:
            raise StepError(
                "no estimator to train: this project trains with a custom 'train' stage; "
                "set train.estimator in params.yaml to use the built-in step"
            )
        return EstimatorChoice(
            path=_import_path(path, "train.estimator"),
            params=_mapping(params, "train.params"),
            origin="train",
        )

    @property
    def baseline(self) -> BaselineChoice:
        section = _section(self.params, "baseline")
        t = self.project.training
        params = _mapping(section.get("params") or {}, "baseline.params")
        if section.get("estimator"):
            choice = EstimatorChoice(
                path=_import_path(section["estimator"], "baseline.estimator"),
                params=params,
                origin="baseline",
            )
            return BaselineChoice(strategy=None, estimator=choice, params=params)
        if not section and t.baseline_estimator is not None:
            choice = EstimatorChoice(
                path=t.baseline_estimator.class_path,
                params=dict(t.baseline_estimator.params),
                origin="baseline",
            )
            return BaselineChoice(strategy=None, estimator=choice, params=choice.params)
        default = "prior" if self.is_classification else "mean"
        strategy = section.get("strategy") or t.baseline_strategy or default
        allowed = CLASSIFIER_STRATEGIES if self.is_classification else REGRESSOR_STRATEGIES
        if strategy not in allowed:
            hint = _did_you_mean(str(strategy), allowed)
            raise StepError(
                f"{pipeline_layout.PARAMS}: baseline.strategy '{strategy}' is not a "
                f"{'DummyClassifier' if self.is_classification else 'DummyRegressor'} "
                f"strategy{hint}; choose one of: {', '.join(allowed)}"
            )
        return BaselineChoice(strategy=str(strategy), estimator=None, params=params)

    @property
    def gates(self) -> GateRules:
        compiled = self.project.gates
        section = _section(self.params, "gate")
        if "thresholds" in section:
            raw = _mapping(section["thresholds"] or {}, "gate.thresholds")
            thresholds = tuple(
                ThresholdRule(
                    metric=str(name),
                    minimum=_number(bounds, "minimum", f"gate.thresholds.{name}"),
                    maximum=_number(bounds, "maximum", f"gate.thresholds.{name}"),
                )
                for name, bounds in sorted(raw.items())
            )
        else:
            thresholds = tuple(
                ThresholdRule(metric=t.metric, minimum=t.minimum, maximum=t.maximum)
                for t in compiled.thresholds
            )
        return GateRules(
            thresholds=thresholds,
            beat_baseline=_comparison(compiled.beat_baseline, section, "beat_baseline"),
            beat_champion=_comparison(compiled.beat_champion, section, "beat_champion"),
        )


def load_context(project_dir: Path) -> StepContext:
    """Read the compiled configuration and params.yaml of the project in ``project_dir``."""
    root, project = load_compiled(project_dir)
    return StepContext(root=root, project=project, params=_load_params(root, project))


def _load_params(root: Path, project: ir.Project) -> dict[str, Any]:
    path = root / pipeline_layout.PARAMS
    if not path.is_file():
        log.info("%s not found: using the compiled defaults", pipeline_layout.PARAMS)
        return pipeline_layout.default_params(project)
    try:
        # libyaml's safe loader when present: the pure-Python one costs milliseconds per run.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise StepError(f"{pipeline_layout.PARAMS}{where}: not valid YAML") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise StepError(f"{pipeline_layout.PARAMS}: expected a mapping at the top level")
    return loaded


def _section(params: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = params.get(key)
    if value is None:
        return {}
    return _mapping(value, key)


def _mapping(value: object, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StepError(
            f"{pipeline_layout.PARAMS}: {key} must be a mapping, got {type(value).__name__}"
        )
    return {str(k): v for k, v in value.items()}


def _import_path(value: object, key: str) -> str:
    if not isinstance(value, str) or "." not in value.strip(".") or " " in value:
        raise StepError(
            f"{pipeline_layout.PARAMS}: {key} must be an import path such as "
            f"'sklearn.linear_model.LogisticRegression', got {value!r}"
        )
    return value


def _number(bounds: object, key: str, where: str) -> float | None:
    section = _mapping(bounds or {}, where)
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StepError(f"{pipeline_layout.PARAMS}: {where}.{key} must be a number, got {value!r}")
    return float(value)


def _comparison(
    compiled: ir.Comparison | None, section: Mapping[str, Any], key: str
) -> ComparisonRule | None:
    if compiled is None:
        return None
    margin = _number(section.get(key) or {}, "margin", f"gate.{key}")
    return ComparisonRule(
        metric=compiled.metric,
        direction=compiled.direction,
        margin=compiled.margin if margin is None else margin,
    )


def _did_you_mean(word: str, choices: tuple[str, ...]) -> str:
    hint = did_you_mean(word, choices)
    return f" ({hint})" if hint else ""

"""Runtime estimator resolution: an import path and params → an unfitted estimator.

The path may name an estimator class (``sklearn.ensemble.RandomForestClassifier``),
a module-level estimator or Pipeline instance (cloned, then ``set_params``), or a
factory function returning one. Every way this can go wrong (the module does not
import, the name is not there, it is not an estimator, a parameter is unknown,
the estimator does not suit the task) is a ``StepError`` naming the path.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable
from typing import Any

from sklearn.base import BaseEstimator, clone, is_classifier, is_regressor

from mlcontract.errors import did_you_mean
from mlruntime.steps.config import EstimatorChoice
from mlruntime.steps.errors import StepError


def resolve(path: str, key: str) -> object:
    """The object an import path names; a StepError saying why it does not import."""
    parts = path.split(".")
    module = None
    for cut in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:cut])
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
                continue  # this prefix is not a module: try a shorter one
            raise StepError(f"{key} '{path}' does not import: {exc}") from None
        except Exception as exc:  # whatever user code raises while it imports
            raise StepError(
                f"{key} '{path}' does not import: {type(exc).__name__}: {exc}"
            ) from None
        obj: object = module
        for attribute in parts[cut:]:
            if not hasattr(obj, attribute):
                where = getattr(obj, "__name__", name)
                candidates = [n for n in dir(obj) if not n.startswith("_")]
                hint = did_you_mean(attribute, candidates)
                raise StepError(
                    f"{key} '{path}' does not import: '{where}' has no attribute "
                    f"'{attribute}'" + (f" ({hint})" if hint else "")
                )
            obj = getattr(obj, attribute)
        return obj
    raise StepError(f"{key} '{path}' does not import: No module named '{parts[0]}'")


def build(choice: EstimatorChoice, task: str) -> Any:
    """An unfitted estimator from a choice in params.yaml, checked against the task."""
    key = f"{choice.origin}.estimator"
    target = resolve(choice.path, key)
    params = dict(choice.params)
    if inspect.isclass(target):
        _check_params(choice, _init_parameters(target), params)
        estimator = _call(choice, target, params)
    elif _looks_like_estimator(target):
        accepted = target.get_params(deep=True)  # type: ignore[attr-defined]
        _check_params(choice, accepted, params)
        estimator = clone(target)
        estimator.set_params(**params)
    elif callable(target):
        _check_params(choice, _signature_parameters(target), params)
        try:
            estimator = target(**params)
        except (TypeError, ValueError) as exc:
            raise StepError(
                f"{key} '{choice.path}' is not an estimator class, instance or factory: "
                f"calling it with {choice.origin}.params failed: {exc}"
            ) from None
    else:
        raise StepError(
            f"{key} '{choice.path}' is a {type(target).__name__}, not a scikit-learn estimator"
        )
    if not _looks_like_estimator(estimator):
        raise StepError(
            f"{key} '{choice.path}' is not a scikit-learn estimator: "
            f"it gives a {type(estimator).__name__} without fit() and get_params()"
        )
    _check_task(choice, estimator, task)
    return estimator


def seed_unset(estimator: Any, seed: int) -> list[str]:
    """Give every ``random_state`` left unset (None), nested ones too, ``seed``.

    Without it an estimator with randomness trains a different model on every run
    of one commit (``dvc repro -f``, ``dvc exp run``). A set value is kept. Returns
    the parameters seeded.
    """
    unset = [
        key
        for key, value in estimator.get_params(deep=True).items()
        if (key == "random_state" or key.endswith("__random_state")) and value is None
    ]
    if unset:
        estimator.set_params(**dict.fromkeys(unset, seed))
    return unset


def _looks_like_estimator(obj: object) -> bool:
    return (
        not inspect.isclass(obj)
        and callable(getattr(obj, "fit", None))
        and callable(getattr(obj, "get_params", None))
    )


def _init_parameters(cls: type) -> Iterable[str] | None:
    return _signature_parameters(cls)


def _signature_parameters(func: Any) -> list[str] | None:
    """Keyword parameters ``func`` accepts; None when it takes ``**kwargs`` (any name goes)."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    names: list[str] = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        if parameter.name != "self" and parameter.kind in {
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        }:
            names.append(parameter.name)
    return names


def _check_params(
    choice: EstimatorChoice, accepted: Iterable[str] | None, params: dict[str, Any]
) -> None:
    if accepted is None:
        return
    known = sorted(accepted)
    unknown = sorted(name for name in params if name not in known)
    if not unknown:
        return
    hints = [_hint(name, known) for name in unknown]
    described = ", ".join(
        f"'{name}'" + (f" ({hint})" if hint else "")
        for name, hint in zip(unknown, hints, strict=True)
    )
    shown = ", ".join(known) if len(known) <= 40 else ", ".join(known[:40]) + ", ..."
    noun = "parameter" if len(unknown) == 1 else "parameters"
    drop = " ".join(f"-S '~{choice.origin}.params.{name}'" for name in unknown)
    raise StepError(
        f"{choice.origin}.params: {choice.path} does not accept {noun} {described}; "
        f"accepted: {shown}",
        # An experiment that swaps the estimator keeps the spec's parameters of the old one;
        # `-S key=null` sets None, only Hydra's `~key` removes a key from params.yaml.
        f"in an experiment, remove {'it' if len(unknown) == 1 else 'them'} with "
        f"`dvc exp run {drop} ...`; else fix the estimator's params in the spec",
    )


def _hint(name: str, known: list[str]) -> str | None:
    same = [k for k in known if k.lower() == name.lower()]
    return f"did you mean '{same[0]}'?" if same else did_you_mean(name, known)


def _call(choice: EstimatorChoice, factory: Any, params: dict[str, Any]) -> Any:
    try:
        return factory(**params)
    except (TypeError, ValueError) as exc:
        raise StepError(
            f"{choice.origin}.estimator '{choice.path}' cannot be built with "
            f"{choice.origin}.params: {exc}"
        ) from None


def _check_task(choice: EstimatorChoice, estimator: Any, task: str) -> None:
    if not callable(getattr(estimator, "predict", None)):
        raise StepError(
            f"{choice.origin}.estimator '{choice.path}' has no predict(): "
            "it is a transformer, not a model"
        )
    if not isinstance(estimator, BaseEstimator):
        return  # third-party API look-alikes: trust them, fit will tell
    classification = task != "regression"
    if classification and is_regressor(estimator) and not is_classifier(estimator):
        raise StepError(
            f"{choice.origin}.estimator '{choice.path}' is a regressor but the task is {task}"
        )
    if not classification and is_classifier(estimator):
        raise StepError(
            f"{choice.origin}.estimator '{choice.path}' is a classifier but the task is regression"
        )

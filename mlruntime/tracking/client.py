"""Runtime: the connection to the MLflow tracking server the spec names (``mlflow:``).

MLflow is a mirror: git, DVC and GTO stay the source of truth. Every call to
MLflow goes through :func:`call`, which turns whatever MLflow or the network
raises into one :class:`TrackingError` saying what was attempted, against which
server, and what to do. Credentials are never in the compiled configuration:
it names environment variables (CI secrets passed under their own name), and
:func:`connect` hands their values to MLflow through MLflow's own variables
(``MLFLOW_TRACKING_TOKEN``, ``MLFLOW_TRACKING_USERNAME``/``PASSWORD``).

MLflow retries a failed HTTP request 7 times with exponential backoff (about
two minutes against a server that is down). Unless the environment says
otherwise, a step here retries 3 times within a few seconds, so an outage
fails the step quickly with a clear message instead of hanging a pipeline.

The client is ``mlflow-skinny`` (the ``mlflow`` extra): MLflow's full package
pins older versions of packages MLServer's environment needs, so the server
runs from its own environment (see the extra's comment in pyproject.toml).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from mlcontract import ir
from mlcontract.errors import MlprojectError
from mlcontract.pipeline_layout import MLFLOW_SWITCH

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

T = TypeVar("T")

# MLflow's own knobs, with the defaults a pipeline step wants (an explicit value wins).
_HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.5",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}
_CREDENTIALS = (
    ("token_secret", "MLFLOW_TRACKING_TOKEN"),
    ("username_secret", "MLFLOW_TRACKING_USERNAME"),
    ("password_secret", "MLFLOW_TRACKING_PASSWORD"),
)
_INSTALL_HINT = "pip install 'mlproject-gitops[mlflow]' (the MLflow client, mlflow-skinny)"


class TrackingError(MlprojectError):
    """MLflow could not be reached, refused a call, or is not installed."""


@dataclass(frozen=True)
class Connection:
    """A client bound to the spec's server, and what the messages may say about it."""

    client: MlflowClient
    uri: str  # shown in messages: without credentials (see shown_uri)
    config: ir.Mlflow

    def call(self, what: str, action: Callable[[], T]) -> T:
        return call(self, what, action)


def mirrored(project: ir.Project) -> ir.Mlflow | None:
    """The spec's ``mlflow:`` section, unless ``MLPROJECT_MLFLOW=off`` switches logging off."""
    if os.environ.get(MLFLOW_SWITCH, "").strip().lower() in {"off", "0", "false", "no"}:
        return None
    return project.mlflow


def tracking_uri(config: ir.Mlflow, environ: dict[str, str] | None = None) -> str:
    """The server's URL: the spec's literal, or the value of the secret it names."""
    env = os.environ if environ is None else environ
    if config.tracking_uri is not None:
        return config.tracking_uri
    name = str(config.tracking_uri_secret)
    value = env.get(name, "").strip()
    if not value:
        raise TrackingError(
            f"mlflow.tracking_uri names the secret {name}, but the environment variable {name} "
            "is not set",
            f"export {name}=https://your-mlflow-server (in CI: pass secrets.{name} in env:)",
        )
    return value


def _credentials(config: ir.Mlflow) -> None:
    for field_name, mlflow_variable in _CREDENTIALS:
        name = getattr(config, field_name)
        if name is None:
            continue
        value = os.environ.get(name)
        if not value:
            raise TrackingError(
                f"mlflow.{field_name.removesuffix('_secret')} names the secret {name}, but the "
                f"environment variable {name} is not set",
                f"export {name}=... (in CI: pass secrets.{name} in env:)",
            )
        os.environ[mlflow_variable] = value


def connect(config: ir.Mlflow) -> Connection:
    """A client for the spec's server (no request is made yet)."""
    uri = tracking_uri(config)
    _credentials(config)
    for key, value in _HTTP_DEFAULTS.items():
        os.environ.setdefault(key, value)
    try:
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise TrackingError(f"the spec names an MLflow server, but {exc}", _INSTALL_HINT) from None
    return Connection(MlflowClient(tracking_uri=uri, registry_uri=uri), shown_uri(uri), config)


def shown_uri(uri: str) -> str:
    """``uri`` fit for a message or a report: any user:password@ part left out."""
    scheme, sep, rest = uri.partition("://")
    host, slash, path = rest.partition("/")
    if sep and "@" in host:
        host = host.rsplit("@", 1)[1]
    return f"{scheme}{sep}{host}{slash}{path}" if sep else uri


def call(connection: Connection, what: str, action: Callable[[], T]) -> T:
    """``action()``; anything MLflow or the network raises becomes a :class:`TrackingError`."""
    from mlflow.exceptions import MlflowException

    try:
        return action()
    except MlflowException as exc:
        raise _error(connection, what, exc) from None
    except OSError as exc:  # requests' ConnectionError and timeouts are OSErrors
        raise _error(connection, what, exc) from None


def _error(connection: Connection, what: str, exc: Exception) -> TrackingError:
    text = " ".join(str(exc).split())
    if len(text) > 400:
        text = text[:397] + "..."
    code = getattr(exc, "error_code", None)
    status = _status(exc)
    if status in {401, 403} or code in {"UNAUTHENTICATED", "PERMISSION_DENIED"}:
        hint = "check the token or user/password secrets named in the spec's mlflow: section"
    elif status is None and code in {None, "INTERNAL_ERROR"} and "Max retries" in text:
        hint = "is the MLflow server running and reachable from here? (MLflow is down)"
    else:
        hint = "see the MLflow server's log"
    return TrackingError(f"MLflow at {connection.uri}: {what} failed: {text}", hint)


def _status(exc: Exception) -> int | None:
    value: Any = getattr(exc, "get_http_status_code", None)
    if callable(value):
        try:
            status = int(value())
        except (TypeError, ValueError):
            return None
        return status if status != 500 or "Max retries" not in str(exc) else None
    return None


def flat_params(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``params.yaml`` as MLflow params: dotted keys, string values (MLflow stores strings)."""
    out: dict[str, str] = {}
    for key in sorted(params, key=str):
        value = params[key]
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out.update(flat_params(value, name))
        else:
            out[name] = str(value)[:6000]
    return out

"""Target ``github``: the security rules every generated workflow follows (target: pure IR → files).

- Actions are pinned to full commit SHAs, one table here, with the release each
  SHA is (written beside it as a ``# vX.Y.Z`` comment).
- Only validated identifiers (slugs, identifiers, secret names) are ever built
  into a ``run:`` script, an expression or a key. Free spec text (paths, issue
  labels, ...) travels as :class:`SpecText`: it lands only in ``env:``/``with:``
  values and ``working-directory``, is serialised double-quoted on one line, and
  :func:`literal` neutralises ``${{`` so GitHub evaluates no expression hidden in it.
- Each job's ``permissions`` entry carries the reason it is needed
  (:class:`Permission`), written as a comment beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SLUG = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
SECRET_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,99}")
NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


@dataclass
class PinnedAction:
    """An action at one reviewed commit."""

    repository: str
    sha: str
    version: str

    @property
    def ref(self) -> str:
        return f"{self.repository}@{self.sha}"


# How each SHA was confirmed: README.md beside this module (checkout and setup-python
# are mlproject's own CI pins; upload-artifact from a Dependabot compare link).
CHECKOUT = PinnedAction("actions/checkout", "08c6903cd8c0fde910a37f88322edcfb5dd907a8", "v5.0.0")
SETUP_PYTHON = PinnedAction(
    "actions/setup-python", "a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"
)
UPLOAD_ARTIFACT = PinnedAction(
    "actions/upload-artifact", "330a01c490aca151604b8cf639adc76d48f6c5d4", "v5.0.0"
)
PINNED: tuple[PinnedAction, ...] = (CHECKOUT, SETUP_PYTHON, UPLOAD_ARTIFACT)


class SpecText(str):
    """Free text that came from the spec: data for ``env:``/``with:`` values, never code."""

    __slots__ = ()


class Permission(str):
    """A ``permissions`` level (``read``/``write``) with the reason the job needs it."""

    __slots__ = ("why",)
    why: str

    def __new__(cls, level: str, why: str) -> Permission:
        if level not in ("read", "write"):
            raise ValueError(f"permission level must be read or write, not {level!r}")
        if "\n" in why or not why:
            raise ValueError("a permission's reason is one non-empty line")
        self = super().__new__(cls, level)
        self.why = why
        return self


def literal(text: str) -> SpecText:
    """``text`` as a value GitHub will not evaluate: each ``${{`` becomes an expression
    that yields the two characters back (``${{ '${{' }}``), so spec text never opens one."""
    return SpecText(text.replace("${{", "${{ '${{' }}"))


_GLOB_SPECIAL = re.compile(r"([*?+\[\]!\\])")
_EXPRESSION_CHARACTERS = re.compile(r"[${}]+")


def glob_literal(path: str) -> str:
    """``path`` as an ``on.<event>.paths`` pattern that matches it: glob characters
    escaped, and any run of ``$``, ``{``, ``}`` (which could spell ``${{``) widened to
    ``*``, so the filter matches a little more rather than carry an expression."""
    escaped = _GLOB_SPECIAL.sub(r"\\\1", path)
    return _EXPRESSION_CHARACTERS.sub("*", escaped)


def _checked(pattern: re.Pattern[str], value: str, what: str) -> str:
    if not pattern.fullmatch(value):
        # The spec's validation guarantees these shapes; reaching here is a bug.
        raise ValueError(f"{what} {value!r} is not safe to build into a workflow")
    return value


def slug(value: str) -> str:
    return _checked(SLUG, value, "name")


def identifier(value: str) -> str:
    return _checked(IDENTIFIER, value, "identifier")


def namespace(value: str) -> str:
    return _checked(NAMESPACE, value, "namespace")


def secret(name: str) -> str:
    """``${{ secrets.NAME }}`` for a validated secret name: secrets only by reference."""
    return "${{ secrets." + _checked(SECRET_NAME, name, "secret name") + " }}"


def secret_name_for(prefix: str, environment: str) -> str:
    """``KUBECONFIG_STAGING`` from ``KUBECONFIG`` and the environment slug ``staging``."""
    return _checked(SECRET_NAME, f"{prefix}_{slug(environment).upper().replace('-', '_')}", "")

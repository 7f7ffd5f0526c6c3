"""Check stage: literal credentials anywhere in the document (MLP217).

Secrets are referenced by name (``{secret: NAME}``), never written in a spec
that lives in git. This rule reads the raw document rather than the models, so
it sees every string value and key, free-form ``params`` and descriptions
included. A finding never repeats the secret: it names its kind and at most a
well-known, non-secret prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from compiler.checks.examples import spec
from compiler.checks.rule import CheckContext, Rule
from compiler.diagnostics import Diagnostic, Pointer
from compiler.load import Document
from compiler.spec.validate import dotted


@dataclass
class SecretPattern:
    """A kind of credential, and how to show that it was found without showing it."""

    kind: str
    pattern: re.Pattern[str]
    shown: str  # what the message may print; ``{0}`` is the pattern's first group


# A placeholder is not a secret: $VAR, ${VAR}, ${{ secrets.X }}, <password>, ***.
_PLACEHOLDER_START = ("$", "<", "{", "*")
_NOT_PLACEHOLDER = f"(?![{re.escape(''.join(_PLACEHOLDER_START))}])"

SECRET_PATTERNS = (
    SecretPattern("a GitHub token", re.compile(r"\b(gh[pousr]_)[A-Za-z0-9]{36,}"), "{0}…"),
    SecretPattern("a GitHub token", re.compile(r"\b(github_pat_)[A-Za-z0-9_]{22,}"), "{0}…"),
    SecretPattern("a Databricks token", re.compile(r"\b(dapi)[0-9a-f]{32}"), "{0}…"),
    SecretPattern("an AWS access key", re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"), "{0}…"),
    SecretPattern("a Slack token", re.compile(r"\b(xox[abpr]-)[A-Za-z0-9-]{10,}"), "{0}…"),
    SecretPattern(
        "a Slack webhook URL",
        re.compile(r"(hooks\.slack\.com/services/)[A-Za-z0-9_/-]{8,}"),
        "{0}…",
    ),
    SecretPattern(
        "a private key",
        re.compile(r"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----)"),
        "{0}",
    ),
    SecretPattern(
        "a JSON Web Token",
        re.compile(r"\b(eyJ)[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        "{0}…",
    ),
    SecretPattern(
        "a URL with a password",
        re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:" + _NOT_PLACEHOLDER + r"[^/\s@]+@"),
        "{0}…:…@",
    ),
    SecretPattern(
        "an Azure SAS token",
        re.compile(r"(?i)(?:^|[?&\s])(sig=)[A-Za-z0-9%+/=]{16,}"),
        "{0}…",
    ),
    SecretPattern(
        "an Azure storage key",
        re.compile(r"(?i)\b(AccountKey=)[A-Za-z0-9+/=]{20,}"),
        "{0}…",
    ),
    SecretPattern("a Google API key", re.compile(r"\b(AIza)[0-9A-Za-z_-]{35}"), "{0}…"),
    SecretPattern("a Google OAuth token", re.compile(r"\b(ya29\.)[0-9A-Za-z_-]{20,}"), "{0}…"),
    SecretPattern(
        "a Google service account key",
        re.compile(r'("type"\s*:\s*"service_account")'),
        "{0}",
    ),
    SecretPattern(
        "a credential assignment",
        re.compile(
            r"(?i)\b(password|passwd|pwd|secret|token|api_?key|access_?key|"
            r"secret_?access_?key|client_?secret|auth)\s*=\s*"
            + _NOT_PLACEHOLDER
            + r"[^\s&;,'\"]{4,}"
        ),
        "{0}=…",
    ),
    SecretPattern(
        "a credential assignment",
        # `password: hunter22` in prose: the value must hold a digit, so that
        # "token: rotate it weekly" is not taken for one.
        re.compile(
            r"(?i)\b(password|passwd|pwd|secret|token|api_?key|access_?key|client_?secret)"
            r"\s*:\s*" + _NOT_PLACEHOLDER + r"(?=[^\s&;,'\"]*[0-9])[^\s&;,'\"]{6,}"
        ),
        "{0}: …",
    ),
    SecretPattern(
        "an AWS secret access key",
        # 40 characters of base64 alone in a value, mixed case and a digit (a hex hash has
        # no upper case; a name has no digits in every class).
        re.compile(
            r"^(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[0-9])"
            r"()[A-Za-z0-9/+]{40}$"
        ),
        "40 characters",
    ),
)


def _strings(node: Any, pointer: Pointer = ()) -> Iterator[tuple[Pointer, str, bool]]:
    """Every string in the document, keys included: pointer, text, whether it is a key."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = (*pointer, key)
            yield child, key, True
            yield from _strings(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*pointer, index))
    elif isinstance(node, str):
        yield pointer, node, False


# A mapping key that names a credential: its string value is one (unless a placeholder).
_CREDENTIAL_KEY = re.compile(
    r"(?i)(password|passwd|secret|token|api_?key|access_?key|private_?key|credential|sas)"
)
_NAME_ONLY = re.compile(r"^[A-Z][A-Z0-9_]*$")  # a secret's name (SLACK_URL), not its value


def _under_credential_key(pointer: Pointer, text: str) -> bool:
    key = pointer[-1] if pointer else None
    return (
        isinstance(key, str)
        and _CREDENTIAL_KEY.search(key) is not None
        and len(text) >= 8
        and not text.startswith(_PLACEHOLDER_START)
        and _NAME_ONLY.fullmatch(text) is None
    )


def _classify(text: str) -> tuple[str, str] | None:
    """The kind of credential in ``text`` and a masked form of it, or None."""
    if len(text) < 8:
        return None
    for secret in SECRET_PATTERNS:
        match = secret.pattern.search(text)
        if match is not None:
            return secret.kind, secret.shown.format(match.group(1))
    return None


def find_literal_secrets(doc: Document) -> list[Diagnostic]:
    """MLP217: literal credentials in a document.

    It needs no spec models, so the pipeline may also run it on a document
    that failed schema validation: a leaked token is worth reporting anyway.
    """
    found: list[Diagnostic] = []
    for pointer, text, key in _strings(doc.data):
        secret = _classify(text)
        if secret is None and not key and _under_credential_key(pointer, text):
            secret = (f"a value under the key '{pointer[-1]}'", "not shown")
        if secret is not None:
            kind, shown = secret
            # A key can be the secret itself: the reported path must not repeat it either.
            masked = tuple(_mask(part) for part in pointer)
            found.append(
                Diagnostic(
                    "MLP217",
                    f"{dotted(masked)}: literal credential: {kind} ({shown})",
                    doc.file,
                    doc.position_of(pointer, key=key),
                    "remove it and rotate it (it is in the git history now); "
                    "where the spec takes a secret, name it: {secret: NAME}",
                    pointer=masked,
                )
            )
    return found


def _mask(part: str | int) -> str | int:
    if isinstance(part, str) and (secret := _classify(part)) is not None:
        return f"<{secret[1]}>"
    return part


def _literal_secrets(ctx: CheckContext) -> list[Diagnostic]:
    return find_literal_secrets(ctx.doc)


RULES = [
    Rule(
        "MLP217",
        "no-literal-secrets",
        "literal secret in the spec",
        "The spec lives in git: tokens, keys, passwords and webhook URLs written in it are "
        "leaked. Every string (and key) is scanned for GitHub, AWS (access key ids and secret "
        "keys), Azure (SAS tokens, storage keys), Google (API keys, OAuth tokens, service "
        "account keys), Slack and Databricks credentials, private keys, JSON Web Tokens, "
        "`password=`/`token: ...`-style text, values under keys such as `password` or "
        "`secret_access_key`, and URLs with a password. Refer to secrets by name "
        "(`{secret: NAME}`) instead; the message never repeats the secret.",
        spec("registry:\n  remote: https://ml:hunter22@dvc.example.com/iris\n"),
        spec("registry:\n  remote: s3://ml-models/iris\n"),
        _literal_secrets,
    ),
]

"""Check stage: building blocks for the rules' documented examples.

Every rule documents itself with a failing and a passing spec (shown in
``docs/diagnostics.md`` and by ``mlproject explain``). They are complete files
that start from the smallest valid spec, so a reader can paste one and run it.
"""

from __future__ import annotations

from compiler.spec.validate import _MINIMAL

# The smallest valid spec (the schema codes' examples start from it too).
MINIMAL = _MINIMAL

IRIS_SOURCE = "    - {name: iris, path: data/iris.csv, target: species}\n"

# The iris source with its schema declared, for the rules about columns.
IRIS_COLUMNS = """\
    - name: iris
      path: data/iris.csv
      target: species
      columns:
        - {name: sepal_length, type: float, min: 0}
        - {name: petal_length, type: float, min: 0}
        - {name: species, type: category, categories: [setosa, versicolor, virginica]}
"""


# A spec that deploys names a remote the generated CI can reach (else MLP232 warns).
DEPLOYED_REGISTRY = "registry:\n  remote: s3://ml-artifacts/iris\n"


def spec(*sections: str, source: str = IRIS_SOURCE, replace: tuple[str, str] = ("", "")) -> str:
    """The minimal spec with ``source`` as its data, optionally one edit, then ``sections``;
    with :data:`DEPLOYED_REGISTRY` when a section declares environments and none names
    the registry."""
    text = MINIMAL.replace(IRIS_SOURCE, source)
    old, new = replace
    if old:
        if old not in text:
            raise ValueError(f"example edit {old!r} does not apply")
        text = text.replace(old, new)
    body = "".join(sections)
    if "environments:" in body and "\nregistry:" not in f"\n{body}":
        body += DEPLOYED_REGISTRY
    return text + body

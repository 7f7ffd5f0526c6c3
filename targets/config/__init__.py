"""Target ``config``: the compiled project configuration the runtime steps read.

The built-in steps (``mlproject step ...``) never parse the YAML spec: they read
this file (``mlproject.compiled.json`` beside the spec), the IR serialised as
JSON, so the pipeline runs exactly what was compiled and reviewed.
"""

from __future__ import annotations

import json

from compiler.generated import GeneratedFile
from mlcontract import ir, ir_codec
from mlcontract.pipeline_layout import CONFIG

NAME = "config"
DESCRIPTION = "resolved project configuration the built-in steps read (mlproject.compiled.json)"


def render(project: ir.Project) -> list[GeneratedFile]:
    payload = ir_codec.dump(project)
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return [
        GeneratedFile(
            path=project.layout.in_project(CONFIG),
            content=text.encode(),
            comment="none",
        )
    ]

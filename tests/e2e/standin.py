#!/usr/bin/env python3
"""A recording stand-in for commands that would talk to GitHub or a cluster.

Installed on the job's PATH as ``gh``, ``curl`` and ``kubectl`` (launchers
that run this file with ``STANDIN_AS`` set to the command's name). Each call
appends one JSON line to ``$STANDIN_RECORD``: the command's name, its argv,
what it read on stdin (when stdin was not a terminal), and the content of the
files it was given (``--input``, ``--body-file``, ``--filename``, ...), so a
test can assert what would have been posted or applied. It answers what the
workflows read back: no existing comments or issues, ``main`` as the default
branch, a pull-request URL; for kubectl, a cluster that accepts what is applied
and reports it Ready (the manifests themselves are what the tests check).
Stdlib only.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
from pathlib import Path

FILE_OPTIONS = ("--input", "--body-file", "--filename", "-f", "--config")


MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def _files(argv: list[str]) -> dict[str, str]:
    """The files an option names; a folder (kubectl --filename DIR) gives its manifests."""
    files: dict[str, str] = {}
    for option, value in itertools.pairwise(argv):
        if option not in FILE_OPTIONS or value == "-":
            continue
        path = Path(value)
        if path.is_file():
            files[value] = path.read_text(errors="replace")
        elif path.is_dir():  # kubectl reads the folder's manifests, not its subfolders
            for child in sorted(path.iterdir()):
                if child.is_file() and child.suffix in MANIFEST_SUFFIXES:
                    files[str(child)] = child.read_text(errors="replace")
    return files


def _object_names(files: dict[str, str]) -> str:
    """``kubectl get --output name`` for the objects in ``files``: kind.group/name lines.

    A cluster that accepted the apply has them; the manifests are JSON or YAML whose
    top-level kind, apiVersion and metadata.name a line scan finds (stdlib only).
    """
    names = []
    for text in files.values():
        for document in text.split("\n---"):
            kind = re.search(r"^kind: *(\S+)", document, re.MULTILINE)
            api = re.search(r"^apiVersion: *(\S+)", document, re.MULTILINE)
            name = re.search(r"^metadata:\n(?:  .*\n)*?  name: *(\S+)", document, re.MULTILINE)
            if kind and api and name:
                group = api.group(1).rpartition("/")[0]
                names.append(f"{kind.group(1).lower()}.{group}/{name.group(1)}".replace("./", "/"))
    return "".join(f"{n}\n" for n in names)


def _answer(command: str, argv: list[str], files: dict[str, str]) -> str:
    if command == "gh" and argv[:1] == ["api"] and "--jq" in argv:
        query = argv[argv.index("--jq") + 1]
        return "main\n" if "default_branch" in query else ""
    if command == "gh" and argv[:2] == ["pr", "create"]:
        return "https://github.invalid/owner/repo/pull/1\n"
    if command == "kubectl" and argv[:2] == ["version", "--client"]:
        return "Client Version: stand-in (no cluster here)\n"
    if command == "kubectl" and argv[:1] == ["get"] and "name" in argv:
        return _object_names(files)
    if command == "kubectl" and argv[:1] == ["wait"]:
        return f"{argv[-1]} condition met\n"
    return ""


def main() -> int:
    command = os.environ.get("STANDIN_AS") or Path(sys.argv[0]).name
    argv = sys.argv[1:]
    stdin = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    files = _files(argv)
    record = {"command": command, "argv": argv, "stdin": stdin, "files": files}
    with open(os.environ["STANDIN_RECORD"], "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
    sys.stdout.write(_answer(command, argv, files))
    return 0


if __name__ == "__main__":
    sys.exit(main())

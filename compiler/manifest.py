"""Emit stage, on disk: the manifest, the journal and the atomic commit.

Part of emit (load → validate → check → lower → targets → **emit**).
:mod:`compiler.emit` decides what each file needs; this module does the disk
work and owns the formats.

- The manifest, ``<spec dir>/.mlproject/manifest.json``, records every file emit
  wrote for one spec with the sha256 and size of the bytes written. It is how emit
  tells its own unmodified output (safe to update or delete) from a hand edit
  (MLP301) or from a file it never wrote (MLP302). It is meant to be committed.
- The journal, ``<spec dir>/.mlproject/journal.json``, exists only while files are
  renamed into place. It lists the pending steps in order, the manifest last;
  replaying it finishes an interrupted apply. Every step is idempotent.
- :func:`commit` writes each file to a temp file beside its target, syncs once,
  writes the journals, syncs, renames, then drops the journals. Until the journals exist a
  failure undoes everything; after, every temp file is named in a journal.

Manifest and journal are untrusted when read back: every path in them is checked
before emit acts on it (a tampered manifest must not make emit delete ``../x``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import posixpath
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler.diagnostics import Diagnostic, DiagnosticError

STATE_DIR = ".mlproject"
TEMP_PREFIX = ".mlproject-tmp-"
FORMAT_VERSION = 1

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def state_dir(spec_path: str) -> str:
    """The directory holding one spec's manifest and journal, relative to the root."""
    parent = posixpath.dirname(spec_path)
    return posixpath.join(parent, STATE_DIR) if parent else STATE_DIR


def manifest_path(spec_path: str) -> str:
    return posixpath.join(state_dir(spec_path), "manifest.json")


def journal_path(spec_path: str) -> str:
    return posixpath.join(state_dir(spec_path), "journal.json")


def is_sha256(text: str) -> bool:
    return _SHA256.fullmatch(text) is not None


def unsafe_path_reason(path: str, *, allow_state: bool = False) -> str | None:
    """Why ``path`` cannot be an output path relative to the root, or None if it can.

    Symlinks are not judged here (that needs the disk); this is the lexical part.
    """
    if not path:
        return "is empty"
    if _CONTROL.search(path):
        return "contains a control character"
    if "\\" in path:
        return "contains a backslash (paths use '/')"
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return "is absolute"
    parts = path.split("/")
    if ".." in parts:
        return "contains '..'"
    if "" in parts or "." in parts:
        return "is not normalised (empty or '.' segment)"
    if not allow_state and STATE_DIR in parts:
        return f"is inside a {STATE_DIR}/ directory, which mlproject reserves for its manifest"
    return None


def _corrupt(where: str, what: str) -> DiagnosticError:
    return DiagnosticError(
        [
            Diagnostic(
                code="MLP306",
                message=f"unreadable {what}",
                file=where,
                hint="restore it from version control; if it is lost, delete it and "
                "run `mlproject compile --force` to adopt the files on disk",
            )
        ]
    )


def _load_object(data: bytes, where: str, what: str) -> dict[str, object]:
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _corrupt(where, f"{what}: {exc}") from exc
    if not isinstance(value, dict) or value.get("version") != FORMAT_VERSION:
        raise _corrupt(where, f"{what}: not a version {FORMAT_VERSION} {what}")
    return value


def _dumps(value: object) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


@dataclass(frozen=True)
class FileRecord:
    """What emit wrote at one path: enough to recognise those bytes later."""

    sha256: str
    size: int
    executable: bool


@dataclass(frozen=True)
class Manifest:
    """Every file emit wrote for one spec, and the hash of the spec it came from."""

    spec: str
    spec_sha256: str
    files: Mapping[str, FileRecord]
    fingerprint: str = ""  # mlproject version + targets: what produced the files
    project: str = ""  # the project name (unique in a repository)

    def to_bytes(self) -> bytes:
        """Sorted-key JSON, one line per file (a changed file is a one-line diff).

        Built line by line: ``json.dumps(indent=...)`` falls back to the pure-Python
        encoder, which alone would cost a no-op compile of 1,000 specs 0.2 s.
        """
        lines = [
            f"    {_json(path)}: "
            + _json({"executable": r.executable, "sha256": r.sha256, "size": r.size})
            for path, r in sorted(self.files.items())
        ]
        files = "{\n" + ",\n".join(lines) + "\n  }" if lines else "{}"
        return (
            f'{{\n  "files": {files},\n  "fingerprint": {_json(self.fingerprint)},\n'
            '  "generator": "mlproject",\n'
            f'  "project": {_json(self.project)},\n'
            f'  "spec": {_json(self.spec)},\n  "spec_sha256": {_json(self.spec_sha256)},\n'
            f'  "version": {FORMAT_VERSION}\n}}\n'
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes, where: str) -> Manifest:
        raw = _load_object(data, where, "manifest")
        spec, spec_sha256, files = raw.get("spec"), raw.get("spec_sha256"), raw.get("files")
        if not isinstance(spec, str) or not isinstance(spec_sha256, str):
            raise _corrupt(where, "manifest: 'spec' and 'spec_sha256' must be strings")
        if not isinstance(files, dict):
            raise _corrupt(where, "manifest: 'files' must be a mapping")
        records: dict[str, FileRecord] = {}
        for path, entry in files.items():
            reason = unsafe_path_reason(path)
            if reason is not None:
                raise _corrupt(where, f"manifest: path {path!r} {reason}")
            if not isinstance(entry, dict):
                raise _corrupt(where, f"manifest: entry for {path!r} must be a mapping")
            sha, size, executable = entry.get("sha256"), entry.get("size"), entry.get("executable")
            if (
                not isinstance(sha, str)
                or not is_sha256(sha)
                or type(size) is not int
                or size < 0
                or not isinstance(executable, bool)
            ):
                raise _corrupt(where, f"manifest: malformed entry for {path!r}")
            records[path] = FileRecord(sha, size, executable)
        fingerprint = raw.get("fingerprint", "")
        if not isinstance(fingerprint, str):
            raise _corrupt(where, "manifest: 'fingerprint' must be a string")
        project = raw.get("project", "")
        if not isinstance(project, str):
            raise _corrupt(where, "manifest: 'project' must be a string")
        return cls(spec, spec_sha256, records, fingerprint, project)


@dataclass(frozen=True)
class Replace:
    """Journal step: rename the (synced) temp file onto its final path."""

    temp: str
    path: str


@dataclass(frozen=True)
class Delete:
    """Journal step: remove a stale generated file, if it still holds what we wrote."""

    path: str
    sha256: str


JournalStep = Replace | Delete


def journal_to_bytes(steps: tuple[JournalStep, ...]) -> bytes:
    return _dumps(
        {
            "version": FORMAT_VERSION,
            "steps": [
                {"op": "replace", "temp": s.temp, "path": s.path}
                if isinstance(s, Replace)
                else {"op": "delete", "path": s.path, "sha256": s.sha256}
                for s in steps
            ],
        }
    )


def journal_from_bytes(data: bytes, where: str) -> tuple[JournalStep, ...]:
    raw = _load_object(data, where, "journal")
    items = raw.get("steps")
    if not isinstance(items, list):
        raise _corrupt(where, "journal: 'steps' must be a list")
    steps: list[JournalStep] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise _corrupt(where, "journal: malformed step")
        path: str = item["path"]
        if unsafe_path_reason(path, allow_state=True) is not None:
            raise _corrupt(where, f"journal: unsafe path {path!r}")
        op, temp, sha = item.get("op"), item.get("temp"), item.get("sha256")
        if op == "replace" and isinstance(temp, str):
            # A temp file always sits beside its target: anything else was not written by us.
            directory, _, name = temp.rpartition("/")
            if directory != posixpath.dirname(path) or not name.startswith(TEMP_PREFIX):
                raise _corrupt(where, f"journal: unexpected temp file {temp!r}")
            steps.append(Replace(temp, path))
        elif op == "delete" and isinstance(sha, str) and is_sha256(sha):
            steps.append(Delete(path, sha))
        else:
            raise _corrupt(where, "journal: malformed step")
    return tuple(steps)


class OutputTree:
    """The output root as emit sees it; pending journal steps can be replayed virtually."""

    def __init__(self, root: Path) -> None:
        self.root = os.path.abspath(root)
        self._prefix = self.root.rstrip("/" + os.sep) + "/"
        self._real_root = os.path.realpath(self.root)
        self._inside: dict[str, bool] = {"": True}
        self._redirect: dict[str, str] = {}
        self._gone: set[str] = set()

    def abs(self, rel: str) -> str:
        return self._prefix + rel if rel else self.root

    def lstat(self, rel: str) -> os.stat_result | None:
        if rel in self._gone:
            return None
        try:
            return os.lstat(self.abs(self._redirect.get(rel, rel)))
        except (FileNotFoundError, NotADirectoryError):
            return None

    def read(self, rel: str) -> bytes:
        with open(self.abs(self._redirect.get(rel, rel)), "rb") as fh:
            return fh.read()

    def holds(self, rel: str, sha256: str) -> bool:
        try:
            return hashlib.sha256(self.read(rel)).hexdigest() == sha256
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return False

    def inside(self, rel: str) -> bool:
        """Whether ``rel``'s directory, symlinks resolved, is still under the root."""
        return self._directory_inside(rel.rpartition("/")[0])

    def _directory_inside(self, directory: str) -> bool:
        # By induction from the root: one lstat per directory, a full resolve only at a
        # symlink (os.path.realpath would lstat every component of every path).
        ok = self._inside.get(directory)
        if ok is None:
            ok = self._directory_inside(directory.rpartition("/")[0])
            if ok and os.path.islink(self.abs(directory)):
                real = os.path.realpath(self.abs(directory))
                prefix = self._real_root.rstrip(os.sep) + os.sep
                ok = real == self._real_root or real.startswith(prefix)
            self._inside[directory] = ok
        return ok

    def relative(self, path: object) -> str:
        if not isinstance(path, str) or not path:
            return "."
        rel = os.path.relpath(path, self.root)
        return path if rel.startswith("..") else rel.replace(os.sep, "/")

    def replay_virtually(self, steps: Iterable[JournalStep]) -> None:
        """Read the tree from now on as if ``steps`` had been carried out."""
        for step in steps:
            if isinstance(step, Replace):
                if os.path.lexists(self.abs(step.temp)):
                    self._redirect[step.path] = step.temp
            elif self.holds(step.path, step.sha256):
                self._gone.add(step.path)


def os_error(tree: OutputTree, exc: OSError, *, pending: bool = False) -> DiagnosticError:
    """MLP304, quoting the operating system's error."""
    name = errno.errorcode.get(exc.errno or 0, "?")
    hint = (
        "the remaining renames are recorded in the journal; fix the cause and run "
        "`mlproject compile` again to finish them"
        if pending
        else "nothing was changed; fix the cause and run `mlproject compile` again"
    )
    message = f"cannot read or write: {exc.strerror or exc} ({name})"
    return DiagnosticError(
        [Diagnostic(code="MLP304", message=message, file=tree.relative(exc.filename), hint=hint)]
    )


Pending = tuple[str, str, tuple[JournalStep, ...]]  # spec path, journal path, steps


def pending_journals(tree: OutputTree, spec_paths: Iterable[str]) -> list[Pending]:
    """Journals left by an interrupted apply, for the given specs."""
    found: list[Pending] = []
    seen: set[str] = set()
    for spec_path in spec_paths:
        if unsafe_path_reason(spec_path) is not None:
            continue  # emit reports it (MLP305)
        path = journal_path(spec_path)
        if path in seen or not tree.inside(path) or tree.lstat(path) is None:
            continue
        seen.add(path)
        try:
            steps = journal_from_bytes(tree.read(path), path)
        except OSError as exc:
            raise os_error(tree, exc) from exc
        if not all(tree.inside(step.path) for step in steps):
            raise _corrupt(path, "journal: a step leads outside the output root")
        found.append((spec_path, path, steps))
    return found


def _sync() -> None:
    """Make every write so far durable: one ``sync`` for a whole compile.

    One call instead of an fsync per file and directory: a 1,000-spec monorepo
    writes ~25,000 files, and per-file fsyncs dominated its compile time.
    """
    sync = getattr(os, "sync", None)
    if sync is not None:
        sync()


def replay(tree: OutputTree, steps: Sequence[JournalStep], *, sync: bool = True) -> None:
    """Carry out journal steps. Each is idempotent, so a replay may repeat any of them."""
    for step in steps:
        if isinstance(step, Replace):
            if os.path.lexists(tree.abs(step.temp)):
                os.replace(tree.abs(step.temp), tree.abs(step.path))
        elif tree.holds(step.path, step.sha256):
            os.unlink(tree.abs(step.path))
    if sync:
        _sync()


def roll_forward(tree: OutputTree, spec_paths: Iterable[str]) -> list[tuple[str, str]]:
    """Finish every interrupted apply; return (spec path, journal path) of each."""
    done: list[tuple[str, str]] = []
    for spec_path, path, steps in pending_journals(tree, spec_paths):
        try:
            replay(tree, steps)
            os.unlink(tree.abs(path))
        except OSError as exc:
            raise os_error(tree, exc, pending=True) from exc
        done.append((spec_path, path))
    return done


@dataclass(frozen=True)
class PendingWrite:
    path: str
    data: bytes
    mode: int


@dataclass(frozen=True)
class Transaction:
    """What one spec's apply changes; the manifest is renamed after everything else."""

    spec_path: str
    writes: tuple[PendingWrite, ...]
    deletes: tuple[Delete, ...]
    manifest: PendingWrite | None


def _write_temp(tree: OutputTree, write: PendingWrite, made: list[str]) -> str:
    """Write a new temp file beside ``write.path`` (made durable by the caller's sync)."""
    parent = posixpath.dirname(write.path)
    directory = tree.abs(parent)
    missing: list[str] = []
    probe = directory
    while not os.path.isdir(probe):
        missing.append(probe)
        probe = os.path.dirname(probe)
    for new in reversed(missing):
        os.mkdir(new)
        made.append(new)
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(write.data)
            fh.flush()
            os.fchmod(fh.fileno(), write.mode)  # explicit, so the umask does not matter
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return posixpath.join(parent, os.path.basename(temp))


def commit(tree: OutputTree, transactions: Sequence[Transaction]) -> None:
    """Write every transaction atomically and durably, or raise MLP304."""
    journals: list[tuple[str, tuple[JournalStep, ...]]] = []
    undo: list[str] = []
    made: list[str] = []
    for txn in transactions:
        for write in txn.writes:
            target = tree.abs(write.path)
            if os.path.isdir(target) and not os.path.islink(target):
                # os.replace cannot overwrite a directory: fail before touching anything.
                error = errno.EISDIR
                raise os_error(tree, IsADirectoryError(error, os.strerror(error), target))
    try:
        for txn in transactions:
            steps: list[JournalStep] = []
            for write in txn.writes:
                undo.append(_write_temp(tree, write, made))
                steps.append(Replace(undo[-1], write.path))
            steps.extend(txn.deletes)
            if txn.manifest is not None:
                undo.append(_write_temp(tree, txn.manifest, made))
                steps.append(Replace(undo[-1], txn.manifest.path))
            if steps:
                journals.append((journal_path(txn.spec_path), tuple(steps)))
        _sync()  # every temp file is on disk before a journal names it
        for path, steps_ in journals:
            journal = PendingWrite(path, journal_to_bytes(steps_), 0o644)
            undo.append(_write_temp(tree, journal, made))
            os.replace(tree.abs(undo[-1]), tree.abs(path))
            undo[-1] = path
        _sync()  # the journals are durable before the first rename
    except BaseException as exc:
        # Nothing is renamed into place yet: undo all of it, leave the tree as it was.
        for path in undo:
            with contextlib.suppress(OSError):
                os.unlink(tree.abs(path))
        for directory in reversed(made):
            with contextlib.suppress(OSError):
                os.rmdir(directory)
        if isinstance(exc, OSError):
            raise os_error(tree, exc) from exc
        raise
    # From here on every temp file is named in a journal: a failure leaves a replayable state.
    try:
        for _, steps_ in journals:
            replay(tree, steps_, sync=False)
        _sync()  # one sync for every rename, before any journal is dropped
        for path, _ in journals:
            os.unlink(tree.abs(path))
    except OSError as exc:
        raise os_error(tree, exc, pending=True) from exc

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
- A kill -9 before the journals exist would strand temp files no journal names:
  commit first leaves an in-flight marker (in the git directory, else the root)
  naming the directories it writes temp files into, and drops it when done. The
  next apply sweeps the temp files listed by the marker of a process that is gone
  (:func:`recover_orphans`); a live compile's files are left alone.

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
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler.diagnostics import Diagnostic, DiagnosticError
from compiler.generated import MANIFEST_FILE, STATE_DIR

TEMP_PREFIX = ".mlproject-tmp-"
FORMAT_VERSION = 1

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def state_dir(spec_path: str) -> str:
    """The directory holding one spec's manifest and journal, relative to the root."""
    parent = posixpath.dirname(spec_path)
    return posixpath.join(parent, STATE_DIR) if parent else STATE_DIR


def manifest_path(spec_path: str) -> str:
    return posixpath.join(state_dir(spec_path), MANIFEST_FILE)


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


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def _json(value: object) -> str:
    return _ENCODER.encode(value)  # one encoder: json.dumps(**options) builds one per call


@dataclass
class FileRecord:
    """What emit wrote at one path: enough to recognise those bytes later."""

    sha256: str
    size: int
    executable: bool


@dataclass
class Manifest:
    """Every file emit wrote for one spec, and the hash of the spec it came from."""

    spec: str
    spec_sha256: str
    files: Mapping[str, FileRecord]
    fingerprint: str = ""  # mlproject version + targets: what produced the files
    project: str = ""  # the project name (unique in a repository)
    requirement: str = ""  # what the generated jobs install (compiler.install)

    def to_bytes(self) -> bytes:
        """Sorted-key JSON, one line per file (a changed file is a one-line diff).

        Built line by line: ``json.dumps(indent=...)`` falls back to the pure-Python
        encoder (what that would cost a no-op compile: docs/benchmarks.md).
        """
        # The record is spelled out: the same bytes as _json(record) (sha256 is hex, size an
        # int), cheaper for the 25,000 files of a 1,000-spec monorepo.
        lines = [
            f"    {_json(path)}: "
            f'{{"executable": {"true" if r.executable else "false"}, '
            f'"sha256": "{r.sha256}", "size": {int(r.size)}}}'
            for path, r in sorted(self.files.items())
        ]
        files = "{\n" + ",\n".join(lines) + "\n  }" if lines else "{}"
        return (
            f'{{\n  "files": {files},\n  "fingerprint": {_json(self.fingerprint)},\n'
            '  "generator": "mlproject",\n'
            f'  "project": {_json(self.project)},\n'
            f'  "requirement": {_json(self.requirement)},\n'
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
        requirement = raw.get("requirement", "")
        if not isinstance(requirement, str):
            raise _corrupt(where, "manifest: 'requirement' must be a string")
        return cls(spec, spec_sha256, records, fingerprint, project, requirement)


@dataclass
class Replace:
    """Journal step: rename the (synced) temp file onto its final path."""

    temp: str
    path: str


@dataclass
class Delete:
    """Journal step: remove a stale generated file, if it still holds what we wrote."""

    path: str
    sha256: str


JournalStep = Replace | Delete


def journal_to_bytes(steps: tuple[JournalStep, ...]) -> bytes:
    """One step per line (``json.dumps(indent=...)`` would use the pure-Python encoder)."""
    lines = [
        _json({"op": "replace", "temp": s.temp, "path": s.path})
        if isinstance(s, Replace)
        else _json({"op": "delete", "path": s.path, "sha256": s.sha256})
        for s in steps
    ]
    body = "[\n    " + ",\n    ".join(lines) + "\n  ]" if lines else "[]"
    return f'{{\n  "steps": {body},\n  "version": {FORMAT_VERSION}\n}}\n'.encode()


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
    """The output root as emit sees it; pending journal steps can be replayed virtually.

    It remembers which directories exist, learnt once per directory (by :meth:`inside`,
    or when it creates them), so that a 1,000-spec compile neither looks up a file in a
    directory known to be missing nor probes every file's parents before a write.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = os.path.abspath(root)
        self._prefix = self.root.rstrip("/" + os.sep) + "/"
        self._real_root = os.path.realpath(self.root)
        self._inside: dict[str, bool] = {"": True}
        self._redirect: dict[str, str] = {}
        self._gone: set[str] = set()
        self._present: set[str] = set()  # directories known to exist
        self._absent: set[str] = set()  # directories known to be missing (or not directories)
        self.temp_token = f"{os.getpid():x}{os.urandom(3).hex()}-"
        self._temp_count = 0

    def abs(self, rel: str) -> str:
        return self._prefix + rel if rel else self.root

    def lstat(self, rel: str) -> os.stat_result | None:
        if rel in self._gone or rel.rpartition("/")[0] in self._absent:
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
            parent = directory.rpartition("/")[0]
            ok = self._directory_inside(parent)
            if parent in self._absent:
                self._absent.add(directory)  # nothing exists below a missing directory
            else:
                try:
                    st = os.lstat(self.abs(directory))
                except (FileNotFoundError, NotADirectoryError):
                    self._absent.add(directory)
                except OSError:
                    pass  # e.g. EACCES: unknown, every lookup below asks the disk
                else:
                    if stat.S_ISLNK(st.st_mode):
                        if ok:
                            real = os.path.realpath(self.abs(directory))
                            prefix = self._real_root.rstrip(os.sep) + os.sep
                            ok = real == self._real_root or real.startswith(prefix)
                    elif stat.S_ISDIR(st.st_mode):
                        self._present.add(directory)
                    else:
                        self._absent.add(directory)  # a file where a directory would be
            self._inside[directory] = ok
        return ok

    def make_directory(self, rel: str, made: list[str]) -> None:
        """Create directory ``rel`` and its missing parents; each is looked up once per tree.

        Every directory created is appended to ``made`` (absolute paths, parents first).
        """
        if rel in self._present:
            return
        path = self.abs(rel)
        if rel not in self._absent and os.path.isdir(path):
            self._present.add(rel)
            return
        if rel:
            self.make_directory(rel.rpartition("/")[0], made)
        else:  # the root itself is missing: create it and its missing parents
            missing: list[str] = []
            probe = os.path.dirname(path)
            while probe and not os.path.isdir(probe):
                missing.append(probe)
                probe = os.path.dirname(probe)
            for new in reversed(missing):
                os.mkdir(new)
                made.append(new)
        try:
            os.mkdir(path)
        except FileExistsError:
            if not os.path.isdir(path):  # a file in the way: the caller reports it (MLP304)
                raise
        else:
            made.append(path)
        self._absent.discard(rel)
        self._present.add(rel)

    def create_temp(self, directory: str) -> tuple[int, str]:
        """A new, empty temp file in ``directory`` (relative): its descriptor and path."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        prefix = f"{directory}/{TEMP_PREFIX}" if directory else TEMP_PREFIX
        for _ in range(100):
            self._temp_count += 1
            rel = f"{prefix}{self.temp_token}{self._temp_count}"
            try:
                return os.open(self.abs(rel), flags, 0o600), rel
            except FileExistsError:
                continue  # left by another process or an earlier crash: take the next name
        error = errno.EEXIST
        raise FileExistsError(error, os.strerror(error), self.abs(prefix))

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


KILL_HOOK = "MLPROJECT_TEST_KILL_AT"  # tests: SIGKILL this process at the named point


def _crash_point(name: str) -> None:
    """Where the crash tests kill a compile (a real SIGKILL, never in normal runs)."""
    if os.environ.get(KILL_HOOK) == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _temp_owner_alive(name: str) -> bool:
    """Whether the process that created temp file ``name`` may still be writing it.

    Temp names carry the creator's pid in hex (``.mlproject-tmp-<pid><6 hex>-<n>``); a
    temp file whose creator is gone was left by a crash and is not named by any journal
    once the journals are replayed. A live or unknown owner keeps its file.
    """
    token = name.removeprefix(TEMP_PREFIX).partition("-")[0]
    try:
        pid = int(token[:-6], 16)
    except ValueError:
        return True
    return pid != os.getpid() and _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (an unknown answer counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by another user
    return True


def sweep_orphans(tree: OutputTree, directories: Iterable[str]) -> list[str]:
    """Remove temp files a killed compile left in ``directories``; their relative paths.

    Call after :func:`roll_forward`: every temp file a journal names is renamed by then.
    """
    removed: list[str] = []
    for directory in sorted(set(directories)):
        if not tree.inside(f"{directory}/x" if directory else "x"):
            continue
        try:
            with os.scandir(tree.abs(directory)) as entries:
                names = [e.name for e in entries if e.name.startswith(TEMP_PREFIX)]
        except OSError:
            continue  # missing or unreadable: nothing of ours to sweep
        for name in names:
            rel = f"{directory}/{name}" if directory else name
            if _temp_owner_alive(name):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tree.abs(rel))
                removed.append(rel)
    return removed


INFLIGHT_PREFIX = "mlproject-inflight-"


def _inflight_dir(tree: OutputTree) -> str:
    """Where commit leaves its in-flight marker: the git directory, else the root."""
    git_dir = _git_dir(tree.root)
    return os.path.join(git_dir, "mlproject") if git_dir is not None else tree.root


def _write_marker(tree: OutputTree, directories: Iterable[str]) -> str:
    """Record where this commit creates temp files, until it is done (see :func:`recover`)."""
    folder = _inflight_dir(tree)
    if not os.path.isdir(folder):
        os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f".{INFLIGHT_PREFIX}{tree.temp_token}json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(sorted(set(directories)), handle)
    return path


def recover_orphans(tree: OutputTree) -> list[str]:
    """Sweep the temp files of compiles killed before their journals were written.

    Each commit leaves a marker naming the directories it writes temp files into and
    removes it when done; a marker whose process is gone means a crash. Costs one
    directory listing when there is none (the usual case). Call after
    :func:`roll_forward`: by then every temp file a journal names has been renamed.
    """
    folder = _inflight_dir(tree)
    prefix = f".{INFLIGHT_PREFIX}"
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix)]
    except OSError:
        return []
    removed: list[str] = []
    for name in names:
        if _temp_owner_alive(TEMP_PREFIX + name.removeprefix(prefix)):
            continue
        marker = os.path.join(folder, name)
        try:
            with open(marker, encoding="utf-8") as handle:
                listed = json.load(handle)
        except (OSError, ValueError):
            listed = []
        if not isinstance(listed, list):
            listed = []
        directories = [
            d
            for d in listed
            if isinstance(d, str) and (d == "" or unsafe_path_reason(d, allow_state=True) is None)
        ]
        removed += sweep_orphans(tree, directories)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(marker)
    return removed


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
            try:
                os.replace(tree.abs(step.temp), tree.abs(step.path))
            except FileNotFoundError:
                if os.path.lexists(tree.abs(step.temp)):
                    raise  # the temp file is there: the error is about something else
                # already renamed by an earlier (interrupted) replay
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


@dataclass
class PendingWrite:
    """A file a transaction will write: its path, bytes and mode."""

    path: str
    data: bytes
    mode: int
    checked: bool = False  # the planner saw no directory at ``path``: commit need not look


@dataclass
class Transaction:
    """What one spec's apply changes; the manifest is renamed after everything else."""

    spec_path: str
    writes: tuple[PendingWrite, ...]
    deletes: tuple[Delete, ...]
    manifest: PendingWrite | None


def _write_temp(tree: OutputTree, write: PendingWrite, made: list[str]) -> str:
    """Write a new temp file beside ``write.path`` (made durable by the caller's sync).

    Plain descriptors: one open, write, fchmod and close per file, no buffered file object.
    """
    parent = write.path.rpartition("/")[0]
    tree.make_directory(parent, made)
    fd, temp = tree.create_temp(parent)
    try:
        try:
            view = memoryview(write.data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, write.mode)  # explicit, so the umask does not matter
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tree.abs(temp))
        raise
    return temp


def commit(tree: OutputTree, transactions: Sequence[Transaction]) -> None:
    """Write every transaction atomically and durably, or raise MLP304."""
    if not transactions:
        return  # nothing to write: no marker, no sync
    journals: list[tuple[str, tuple[JournalStep, ...]]] = []
    undo: list[str] = []
    made: list[str] = []
    for txn in transactions:
        for write in txn.writes:
            target = tree.abs(write.path)
            if not write.checked and os.path.isdir(target) and not os.path.islink(target):
                # os.replace cannot overwrite a directory: fail before touching anything.
                error = errno.EISDIR
                raise os_error(tree, IsADirectoryError(error, os.strerror(error), target))
    directories = {w.path.rpartition("/")[0] for t in transactions for w in t.writes}
    directories.update(journal_path(t.spec_path).rpartition("/")[0] for t in transactions)
    try:
        marker = _write_marker(tree, directories)
    except OSError as exc:
        raise os_error(tree, exc) from exc
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
        _crash_point("temps-written")
        _sync()  # every temp file is on disk before a journal names it
        for path, steps_ in journals:
            journal = PendingWrite(path, journal_to_bytes(steps_), 0o644)
            undo.append(_write_temp(tree, journal, made))
            os.replace(tree.abs(undo[-1]), tree.abs(path))
            undo[-1] = path
            _crash_point("journal-written")
        _sync()  # the journals are durable before the first rename
    except BaseException as exc:
        # Nothing is renamed into place yet: undo all of it, leave the tree as it was.
        for path in undo:
            with contextlib.suppress(OSError):
                os.unlink(tree.abs(path))
        for directory in reversed(made):
            with contextlib.suppress(OSError):
                os.rmdir(directory)
        with contextlib.suppress(OSError):
            os.unlink(marker)
        if isinstance(exc, OSError):
            raise os_error(tree, exc) from exc
        raise
    # From here on every temp file is named in a journal: a failure leaves a replayable state.
    try:
        for _, steps_ in journals:
            replay(tree, steps_, sync=False)
            _crash_point("renamed-one")
        _sync()  # one sync for every rename, before any journal is dropped
        _crash_point("renamed-all")
        for path, _ in journals:
            os.unlink(tree.abs(path))
    except OSError as exc:
        raise os_error(tree, exc, pending=True) from exc
    finally:
        # Every temp file left is named in a journal now: the marker has done its job.
        with contextlib.suppress(OSError):
            os.unlink(marker)


# ── stat cache ──────────────────────────────────────────────────────────────

STAT_CACHE = "mlproject/stat-cache.json"  # inside the git directory, like git's own index


def _git_dir(root: str) -> str | None:
    """The git directory of the work tree at ``root``: ``.git``, or where a ``.git`` file points."""
    dot_git = os.path.join(root, ".git")
    try:
        st = os.stat(dot_git)
        if stat.S_ISDIR(st.st_mode):
            return dot_git
        if not stat.S_ISREG(st.st_mode) or st.st_size > 4096:
            return None
        with open(dot_git, encoding="utf-8") as fh:
            line = fh.readline().strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not line.startswith("gitdir:"):
        return None
    target = os.path.join(root, line.removeprefix("gitdir:").strip())  # absolute stays absolute
    return target if os.path.isdir(target) else None


class StatCache:
    """Which stat of each generated file was last seen holding which bytes.

    Git's index and DVC's state do the same: a file whose size, mtime, ctime and inode
    are what they were when its bytes were last hashed (or written) is not read again.
    A hand edit changes the ctime even when the size is kept and the mtime is put back
    with ``touch``/``os.utime`` (only the kernel sets the ctime), so the entry no longer
    matches and the file is hashed. Racy entries, whose ctime is not older than the
    cache file itself, are always hashed: an edit in the same clock tick as the cache
    was written could otherwise keep every stat field. Left open, as in git: a file
    changed during a compile, in the clock tick in which the compile recorded it.

    The cache is machine-local, so it lives in the git directory, never in the tree or
    the committed manifest: it exists only when the output root is a git work tree on
    the same file system. Unreadable, foreign or missing means empty: every file is hashed.

    It also records which specs' files were last built here by which generator
    (:mod:`compiler.generator_digest`): the no-op cache trusts a manifest only then.
    """

    VERSION = 1

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._entries: dict[str, list[object]] = {}
        self._written_ns = 0  # the cache file's mtime: entries changed at or after it are racy
        self._loaded: set[str] = set()
        self._dirty = False
        self._generator = ""  # the generator digest the specs in _built were built by
        self._built: set[str] = set()

    @classmethod
    def open(cls, root: Path | str) -> StatCache:
        """The cache of the work tree at ``root``; empty and never saved outside git."""
        root = os.path.abspath(root)
        git_dir = _git_dir(root)
        if git_dir is None:
            return cls()
        try:
            if os.stat(git_dir).st_dev != os.stat(root).st_dev:
                return cls()  # one clock for the ctimes and the cache's mtime
        except OSError:
            return cls()
        path = os.path.join(git_dir, *STAT_CACHE.split("/"))
        cache = cls(path)
        try:
            with open(path, "rb") as fh:
                written = os.fstat(fh.fileno()).st_mtime_ns
                raw = json.loads(fh.read())
        except (OSError, ValueError):
            return cache
        if not isinstance(raw, dict) or raw.get("version") != cls.VERSION:
            return cache
        files = raw.get("files")
        if not isinstance(files, dict):
            return cache
        cache._entries = files
        cache._loaded = set(files)
        cache._written_ns = written
        built = raw.get("built")
        if isinstance(built, dict):
            generator, specs = built.get("generator"), built.get("specs")
            if isinstance(generator, str) and isinstance(specs, list):
                cache._generator = generator
                cache._built = {spec for spec in specs if isinstance(spec, str)}
        return cache

    def built_by(self, spec: str, generator: str) -> bool:
        """Whether the files of ``spec`` were last built here by the code digested ``generator``."""
        return bool(generator) and generator == self._generator and spec in self._built

    def record_build(self, spec: str, generator: str) -> None:
        """The files of ``spec`` were just built (or found identical) by ``generator``."""
        if self.path is None or self.built_by(spec, generator):
            return
        if generator != self._generator:
            self._generator, self._built = generator, set()
        self._built.add(spec)
        self._dirty = True

    def fresh(self, rel: str, st: os.stat_result, sha256: str) -> bool:
        """Whether ``rel``, stat'ed as ``st``, still holds the bytes hashing to ``sha256``."""
        entry = self._entries.get(rel)
        return (
            entry is not None
            and entry == [sha256, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
            and st.st_ctime_ns < self._written_ns
        )

    def record(self, rel: str, st: os.stat_result, sha256: str) -> None:
        """``rel`` held the bytes hashing to ``sha256`` when it was stat'ed as ``st``."""
        if self.path is None:
            return
        self._entries[rel] = [sha256, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        self._loaded.discard(rel)
        self._dirty = True

    def forget(self, rel: str) -> None:
        if self._entries.pop(rel, None) is not None:
            self._dirty = True

    def save(self) -> None:
        """Write the cache if it changed. It only saves work: a failure is ignored."""
        if self.path is None or not self._dirty:
            return
        # A racy entry carried over from the file read must not become trusted just
        # because the file is now newer (git "smudges" such entries the same way).
        entries = {
            rel: entry
            for rel, entry in self._entries.items()
            if rel not in self._loaded or _ctime_of(entry) < self._written_ns
        }
        built = {"generator": self._generator, "specs": sorted(self._built)}
        data = _json({"built": built, "files": entries, "version": self.VERSION}).encode()
        directory = os.path.dirname(self.path)
        temp = f"{self.path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, exist_ok=True)
            _sweep_cache_temps(self.path)
            with open(temp, "wb") as fh:
                fh.write(data)
            _crash_point("stat-cache-written")
            os.replace(temp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            return
        self._dirty = False


def _sweep_cache_temps(path: str) -> None:
    """Remove the temp files (``<path>.<pid>.<hex>.tmp``) of writers killed before their rename."""
    directory, prefix = os.path.dirname(path), os.path.basename(path) + "."
    with os.scandir(directory) as entries:
        names = [e.name for e in entries if e.name.startswith(prefix)]
    for name in names:
        pid, _, rest = name.removeprefix(prefix).partition(".")
        if rest.endswith(".tmp") and pid.isdigit() and not _pid_alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(directory, name))


def _ctime_of(entry: object) -> int:
    if isinstance(entry, list) and len(entry) == 5 and type(entry[3]) is int:
        return entry[3]
    return 1 << 62  # malformed: treated as racy, so dropped

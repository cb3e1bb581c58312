"""Writing files so that nothing is lost: checked paths, a temporary file, then a rename.

Every file glassnet writes (models, predictions, plots, exported data) goes
through ``write_atomically``. It refuses a path that is not a place for a
regular file (``glassnet.checks.output_file``) or that is one of the files the
current command reads (``protected``), writes through a symbolic link to the
file it points to, keeps an existing file's permission bits, and replaces the
target only once the new content is complete and on disk.

Temporary files are named ``.{target}.glassnet-tmp-{pid}-{random}`` next to
the target. They are removed on any error and on SIGINT/SIGTERM; one left
behind by a writer that was killed outright (kill -9, a power cut) is removed
by the next write to the same target, once its process is gone.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import hashlib
import os
import re
import secrets
import signal
import stat
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from glassnet.checks import output_file, path_text

TMP_MARK = ".glassnet-tmp-"
# A temporary file whose writer still runs (or whose pid was reused) is removed only when nothing has been written
# to it for this long: no write of glassnet's takes minutes between two changes to the file.
STALE_AFTER_S = 15 * 60
_MAX_NAME_BYTES = 200  # room for the mark, pid and random part within the usual 255-byte limit


@dataclass
class _Command:
    inputs: dict = field(default_factory=dict)  # argument name -> path read
    outputs: dict = field(default_factory=dict)  # resolved path -> (argument name, path as given)


_command: contextvars.ContextVar[_Command | None] = contextvars.ContextVar("glassnet_command", default=None)


@contextlib.contextmanager
def protected(inputs):
    """Within this block no file is written over one of ``inputs`` (``{argument name: path}``).

    The CLI runs each command inside it with the files the command reads, so
    that ``glassnet train --data data.csv --out data.csv`` is refused instead of
    destroying the data. Names given to ``check_output`` inside the block are
    remembered, so a later write to the same path names the same argument.
    """
    token = _command.set(_Command({name: os.fspath(p) for name, p in inputs.items() if p is not None}))
    try:
        yield
    finally:
        _command.reset(token)


def check_output(name: str, path, suffix: str | None = None) -> Path:
    """``glassnet.checks.output_file``, and not one of the files being read nor another output of the command.

    Raises ``ValueError`` naming both arguments when ``path`` is the same
    file (``os.path.samefile``: through links too) as an input given to
    ``protected``, or the same path as another output checked in that block.
    """
    path = output_file(name, path, suffix)
    command = _command.get()
    if command is None:
        return path
    shown = repr(os.fspath(path))
    try:
        st = os.stat(path)
    except OSError:  # output_file let it through: it does not exist yet
        st = None
    for flag, source in command.inputs.items():
        with contextlib.suppress(OSError):
            if st is not None and os.path.samestat(st, os.stat(source)):
                raise ValueError(f"{name} {shown} is the same file as {flag} {source!r}, which this command reads; "
                                 "give another output path")
    other, given = command.outputs.setdefault(os.path.realpath(path), (name, os.fspath(path)))
    if other != name:
        raise ValueError(f"{name} {shown} is the same file as {other} {given!r}; give each output its own path")
    return path


def write_atomically(path, data: bytes, name: str | None = None) -> str:
    """Write ``data`` to ``path`` atomically and return ``path`` as a string.

    ``path`` is checked again as ``check_output`` does (``name`` is the
    argument named in errors: by default the one the path was checked under,
    else "path"). The bytes go to a temporary file next to the file ``path``
    names (the file a symbolic link points to: the link stays a link), with the
    permission bits of the file they replace, are synced to disk, and the
    temporary file is then renamed onto it (``os.replace`` is atomic): readers
    see the old file or the complete new one, never a part. On any error,
    SIGINT or SIGTERM before the rename the temporary file is removed and the
    old file is left as it was; the signal then goes to the handler it had
    before (SIGINT raises ``KeyboardInterrupt``, SIGTERM ends the process).
    """
    check_output(output_name(path) if name is None else name, path)
    path = os.fspath(path)
    target = os.path.realpath(path)
    folder, base = os.path.split(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    remove_leftovers(target)
    tmp = os.path.join(folder, f"{_tmp_prefix(base)}{os.getpid()}-{secrets.token_hex(8)}")
    renamed = False
    with _SignalsHeld() as signals:
        try:
            # A new file gets 0o666 less the umask, as open() would give it (tempfile.mkstemp would make it
            # private); a replaced one its own bits, and never wider ones in between.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666 if mode is None else mode)
            with os.fdopen(fd, "wb") as f:
                if mode is not None and hasattr(os, "fchmod"):
                    os.fchmod(f.fileno(), mode)  # the umask may have cleared some of them
                f.write(data)
                signals.check()
                f.flush()
                os.fsync(f.fileno())
            signals.check()
            os.replace(tmp, target)
            renamed = True
            _sync_folder(folder)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
            raise
    if signals.signum is not None:
        signals.deliver()
        if not renamed:  # the handler from before let the program go on
            raise InterruptedError(errno.EINTR,
                                   f"writing {path_text(path)} was stopped by a signal; the file is as it was")
    return path


def output_name(path, default="path") -> str:
    """The argument ``path`` was checked under in this command (``check_output``), else ``default``."""
    command = _command.get()
    if command is None or not isinstance(path, (str, os.PathLike)):
        return default
    return command.outputs.get(os.path.realpath(path), (default,))[0]


def _tmp_prefix(base: str) -> str:
    """``.{base}.glassnet-tmp-``, with a long ``base`` cut and made unique again by a hash of it."""
    if len(os.fsencode(base)) > _MAX_NAME_BYTES:
        digest = hashlib.sha256(os.fsencode(base)).hexdigest()[:12]
        cut = os.fsencode(base)[: _MAX_NAME_BYTES - 20].decode(sys.getfilesystemencoding(), "ignore")
        base = f"{cut}~{digest}"
    return f".{base}{TMP_MARK}"


def remove_leftovers(target) -> list[str]:
    """Remove what killed writers left next to ``target``; return the paths removed.

    Only regular files named as ``write_atomically`` names its temporary files
    for this very target, owned by this user, and whose writer is no longer
    running (or that nothing has written to for ``STALE_AFTER_S`` seconds).
    """
    target = os.path.realpath(os.fspath(target))
    folder, base = os.path.split(target)
    pattern = re.compile(re.escape(_tmp_prefix(base)) + r"([1-9][0-9]{0,9})-[0-9a-f]{16}")
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    removed = []
    for entry in names:
        found = pattern.fullmatch(entry)
        if not found:
            continue
        leftover = os.path.join(folder, entry)
        try:
            st = os.lstat(leftover)
            if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
                continue
            if _process_alive(int(found.group(1))) and time.time() - st.st_mtime < STALE_AFTER_S:
                continue
            os.remove(leftover)
            removed.append(leftover)
        except OSError:  # gone already, or not ours to remove
            continue
    return removed


def _process_alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows; there only the age counts
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError as exc:  # EPERM: alive, another user's
        return exc.errno != errno.ESRCH
    return True


def _sync_folder(folder):
    """Sync the folder too, so the rename survives a power cut (where the system allows it)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _Signalled(BaseException):
    """Raised by ``_SignalsHeld.check`` inside the write, so that its cleanup runs."""


class _SignalsHeld:
    """Within the block SIGINT and SIGTERM are only noted; ``check()`` (between the steps of the write) raises
    ``_Signalled`` once one came. After the block the handlers from before are back, and ``deliver()`` hands
    them the signal.

    The handler itself never raises, so the block's cleanup and the restoring of the handlers cannot be cut
    short. Only in the main thread (the only one Python lets set handlers), and not for an ignored signal.
    """

    def __init__(self):
        self.signum = None
        self.before = {}

    def handler(self, signum, frame):
        if self.signum is None:
            self.signum = signum

    def check(self):
        if self.signum is not None:
            raise _Signalled

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                if signal.getsignal(sig) not in (signal.SIG_IGN, None):
                    self.before[sig] = signal.signal(sig, self.handler)
        return self

    def __exit__(self, kind, exc, tb):
        for sig, old in self.before.items():
            signal.signal(sig, old)
        return kind is _Signalled

    def deliver(self):
        signal.raise_signal(self.signum)

"""Writing files so that nothing is lost: a temporary file, then a rename."""

from __future__ import annotations

import os
import secrets

from glassnet.checks import output_file


def write_atomically(path, data: bytes) -> str:
    """Write ``data`` to ``path`` atomically and return ``path`` as a string.

    The bytes go to a temporary file in the same folder, are synced to disk,
    and the file is then renamed onto ``path`` (``os.replace`` is atomic), so
    readers see either the old file or the complete new one, never half of it.
    On any error the temporary file is removed and an existing ``path`` is
    left untouched.
    """
    output_file("path", path)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    # Mode 0o666 lets the umask decide the permissions, as open() would
    # (tempfile.mkstemp would make the file readable by its owner only).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path

"""Opening files safely: regular files only, never blocking, never reading past a size limit.

A FIFO named `pipe.txt` blocks the reader forever, a link to /dev/zero never ends, a
symlink loop or an unreadable file raises; each of these becomes a one-line reason
instead. The type is checked with os.stat before opening (a FIFO is never opened) and
again on the open descriptor, which is opened non-blocking, so a file swapped in between
cannot block either.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ingest.article import ReadError
from ingest.limits import megabytes

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def real_path(path: Path | str) -> str:
    """The absolute path with symlinks resolved as far as they go (a loop does not raise)."""
    return os.path.realpath(path)


def not_regular(path: Path, mode: int) -> str | None:
    """Why a file of this st_mode is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    via = " (through a symbolic link)" if os.path.islink(path) else ""
    return f"{kind}{via}, not a regular file - skipped; only regular files are read"


def stat_problem(path: Path) -> str | None:
    """Why `path` can't be read as an article file (missing, loop, no permission, not a
    regular file), or None. Never opens the file."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return os_error_reason(path, exc)
    except ValueError:  # an embedded NUL byte
        return "the path contains a NUL character - rename it"
    return not_regular(path, st.st_mode)


def os_error_reason(path: Path, exc: OSError) -> str:
    """A one-line reason for an OSError met while looking at or reading `path`."""
    code = exc.errno
    if code == errno.ELOOP:
        return "a symbolic link loop - fix or remove the link"
    if code == errno.ENOENT:
        if os.path.islink(path):
            return "a broken symbolic link (its target does not exist) - fix or remove the link"
        return "no such file or folder - check the path"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied - make the file readable"
    if code == errno.ENAMETOOLONG:
        return "the path is too long for the file system - rename or move the file"
    if code == errno.EISDIR:
        return "a folder, not a file"
    return f"cannot read the file ({exc.strerror or type(exc).__name__}) - check it exists and is readable"


def read_bytes(path: Path, limit: int) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them; raises ReadError
    (one line) for anything else: not regular, too big, unreadable."""
    problem = stat_problem(path)
    if problem:
        raise ReadError(problem)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        raise ReadError(os_error_reason(path, exc)) from None
    try:
        st = os.fstat(fd)
        problem = not_regular(path, st.st_mode)
        if problem:
            raise ReadError(problem)
        if st.st_size > limit:
            raise ReadError(_too_big(st.st_size, limit))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            data = handle.read(limit + 1)  # a file that grows while read still stops here
    except OSError as exc:
        raise ReadError(os_error_reason(path, exc)) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise ReadError(_too_big(len(data), limit))
    return data


def _too_big(size: int, limit: int) -> str:
    return f"the file is {megabytes(size)}, over the {megabytes(limit)} limit for its type - split it into smaller files"

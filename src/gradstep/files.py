"""Writing files so that a crash or a full disk never costs a person their previous file."""

import os
import tempfile
from pathlib import Path

from gradstep.errors import GradstepError


def writable_path(text, suffix=""):
    """The path a person named for a file to write, checked before any work is done:
    GradstepError saying what is wrong (no name, a folder, no such folder, no permission).
    With a suffix (".gradstep.npz"), a name without its last part gets the whole suffix."""
    text = str(text).strip()
    if not text or "\0" in text:
        raise GradstepError(f"{text!r} is not a file name")
    path = Path(text).expanduser()
    if path.is_dir():
        raise GradstepError(f"{path} is a folder: add a file name")
    if suffix and not path.name.endswith("." + suffix.rsplit(".", 1)[-1]):
        path = path.with_name(path.name + suffix)
    folder = path.parent
    if not folder.is_dir():
        raise GradstepError(f"the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise GradstepError(f"cannot write in the folder {folder}")
    return path


def atomic_write(path, write):
    """Call write(binary file) on a temporary file in the same folder, flush and fsync it, then
    rename it over `path`. Interrupted at any point, `path` keeps its old content whole."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise GradstepError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), _mode_for(path))  # mkstemp makes 0600; a saved file is not secret
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise GradstepError(f"cannot write {path}: {e.strerror or e}") from None
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def _mode_for(path):
    """The mode the file has now, or what a plain open() would give it under the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(path, text):
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))

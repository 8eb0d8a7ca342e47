"""The one gate for every path a person names, and writes that never cost the previous file;
where a person may read files from (Reads: anywhere in a terminal, under one folder in a
browser); names for files sent to a browser (download_name).

Reading: `readable_path` checks a name before any work, `open_regular` and `read_bytes` open
it without following it into a device (O_NONBLOCK, so a FIFO cannot block), check the opened
file itself (a regular file, at most the size its kind may have) and read at most that much.
Writing: `writable_path` checks a name before any work; `atomic_write` writes a temporary file
in the same folder, fsyncs it and renames it over the name, and only ever replaces a regular
file: never a device, a FIFO, a socket, a folder or a symbolic link, and a read-only file
only when asked (`force`). The temporary file is removed on any exit, a signal included
(`remove_pending` is for a signal handler).

Every OS error becomes one GradstepError line naming the path and the reason.
"""

from __future__ import annotations

import io
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gradstep.budget import memory_budget, size_text
from gradstep.errors import GradstepError
from gradstep.text import printable

MAX_NAME = 4096          # characters in a typed path (PATH_MAX)
SHOWN_NAME = 160         # characters of a path shown in a message
LIMITS = {               # the largest file of each kind that is read at all
    "scenario": 1_000_000,
    "weights": 64_000_000,
    "csv": 256_000_000,
    "session": None,     # the memory budget: a session's arrays are what it holds
}
KIND_NAMES = {"scenario": "a scenario file", "weights": "a weights file", "csv": "a CSV file",
              "session": "a session file"}


class FileError(GradstepError):
    """A path that cannot be used. `reason` follows "path: "; `missing` when nothing is there."""

    def __init__(self, path, reason: str, *, missing: bool = False) -> None:
        super().__init__(f"{shown(path)}: {reason}", reason=reason)
        self.path = path
        self.missing = missing


class ReadOnlyError(FileError):
    """A read-only file that would be replaced; `force` replaces it."""


def shown(path) -> str:
    """A path as a message shows it: control characters visible, at most SHOWN_NAME
    characters (the end kept: it holds the file's name)."""
    text = printable(os.fsdecode(path) if isinstance(path, bytes) else str(path))
    if len(text) > SHOWN_NAME:
        text = "…" + text[-(SHOWN_NAME - 1):]
    return text


def os_reason(error: OSError) -> str:
    """An OSError as a few words ("Permission denied", "the name is too long")."""
    import errno
    if error.errno == errno.ENAMETOOLONG:
        return "the name is too long for this file system"
    if error.errno == errno.ELOOP:
        return "too many levels of symbolic links"
    return printable(error.strerror or str(error) or type(error).__name__, 120)


def limit_of(kind: str) -> int:
    cap = LIMITS[kind]
    return memory_budget() if cap is None else cap


def _name(text) -> Path:
    """A typed name as a Path: not empty, no NUL, not absurdly long, `~` expanded."""
    raw = os.fsdecode(text) if isinstance(text, bytes) else str(text)
    stripped = raw.strip()
    if not stripped or "\0" in stripped:
        raise GradstepError(f"{printable(raw, 40)!r} is not a file name; type a file name")
    if len(stripped) > MAX_NAME:
        raise GradstepError(f"a file name of {len(stripped):,} characters is too long (at most "
                            f"{MAX_NAME:,})")
    try:
        return Path(stripped).expanduser()
    except RuntimeError:  # ~nosuchuser
        user = stripped.split("/", 1)[0]
        raise GradstepError(f"{shown(stripped)}: cannot expand {shown(user)}: no such "
                            f"user") from None


def _kind_of(mode: int) -> str:
    for test, words in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                        (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                        (stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return words
    return "not a regular file"


# --- reading ------------------------------------------------------------------------------------


def _check_read(path, st: os.stat_result, kind: str | None) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise FileError(path, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise FileError(path, f"is {_kind_of(st.st_mode)}, not a regular file: gradstep reads "
                              f"only regular files")
    if kind is not None and st.st_size > limit_of(kind):
        raise FileError(path, f"is {size_text(st.st_size)}; {KIND_NAMES[kind]} may be at most "
                              f"{size_text(limit_of(kind))}")


def readable_path(text, kind: str | None = None) -> Path:
    """The path a person named for a file to read, checked before any work: FileError saying
    what is wrong (no name, a folder, no such file, a device, too large for its kind)."""
    path = _name(text)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileError(path, "does not exist", missing=True) from None
    except OSError as error:
        raise FileError(path, os_reason(error)) from None
    except ValueError:
        raise FileError(path, "is not a file name") from None
    _check_read(path, st, kind)
    return path


def open_regular(path, kind: str):
    """A binary file object for reading `path`, opened without blocking (a FIFO would) and
    checked as opened: a regular file within its kind's size. FileError otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileError(path, "does not exist", missing=True) from None
    except IsADirectoryError:
        raise FileError(path, "is a folder, not a file") from None
    except OSError as error:
        raise FileError(path, os_reason(error)) from None
    except ValueError:  # a NUL byte
        raise FileError(path, "is not a file name") from None
    try:
        _check_read(path, os.fstat(fd), kind)
        # O_NONBLOCK stays: a regular file ignores it, and a file that is regular only in name
        # (some of /proc) then says "would block" instead of blocking
        return _Capped(os.fdopen(fd, "rb", buffering=0), limit_of(kind), path, kind)
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path, kind: str) -> bytes:
    """The whole of a regular file of this kind, read through `open_regular`."""
    with open_regular(path, kind) as f:
        try:
            return f.read()
        except OSError as error:  # EIO, a read that would block
            raise FileError(path, os_reason(error)) from None


class _Capped(io.BufferedReader):
    """A file that refuses to be read past its kind's limit (a file may grow after the check)."""

    def __init__(self, raw, cap: int, path, kind: str) -> None:
        super().__init__(raw, buffer_size=1 << 16)
        self._cap, self._path, self._kind, self._read = cap, path, kind, 0

    def _count(self, data) -> None:
        if data is None:  # a non-blocking read that would have waited
            raise FileError(self._path, "cannot be read without waiting: not an ordinary file")
        n = data if isinstance(data, int) else len(data)
        self._read += n
        if self._read > self._cap:
            raise FileError(self._path, f"grew past {size_text(self._cap)} while it was read; "
                                        f"{KIND_NAMES[self._kind]} may be at most that")

    def read(self, size: int | None = -1) -> bytes:
        room = max(0, self._cap + 1 - self._read)  # a byte past the cap says it is larger
        data = super().read(room if size is None or size < 0 else min(size, room))
        self._count(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        data = super().read1(size if size >= 0 else 1 << 16)
        self._count(data)
        return data

    def readinto(self, buffer) -> int:
        n = super().readinto(buffer)
        self._count(n)
        return n

    def readline(self, size: int | None = -1) -> bytes:
        data = super().readline(size if size is not None else -1)
        self._count(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        position = super().seek(offset, whence)
        self._read = position  # a reader that seeks (a zip) is bounded by the file's size
        return position


# --- writing ------------------------------------------------------------------------------------


def _check_replaceable(path, force: bool = False) -> None:
    """FileError unless `path` is free or a regular file that may be replaced."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise FileError(path, "a part of the path before the name is a file, not a folder") \
            from None
    except OSError as error:
        raise FileError(path, os_reason(error)) from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise FileError(path, "is a folder: add a file name")
    if stat.S_ISLNK(mode):
        raise FileError(path, "is a symbolic link: gradstep replaces only regular files "
                              "(name the file it points to)")
    if not stat.S_ISREG(mode):
        raise FileError(path, f"is {_kind_of(mode)}, not a regular file: gradstep never "
                              f"replaces one")
    if not force and not mode & 0o222:
        raise ReadOnlyError(path, "is read-only: kept as it is")


def writable_path(text, suffix: str = "", force: bool = False) -> Path:
    """The path a person named for a file to write, checked before any work is done:
    FileError saying what is wrong (no name, a folder, no such folder, no permission, a
    device, a link, a read-only file unless `force`). With a suffix (".gradstep.npz"), a name
    without its last part gets the whole suffix."""
    path = _name(text)
    if suffix and path.name and not path.name.endswith("." + suffix.rsplit(".", 1)[-1]) \
            and not os.path.isdir(path):
        path = path.with_name(path.name + suffix)
    _check_replaceable(path, force)
    folder = path.parent
    try:
        folder_mode = os.stat(folder).st_mode
    except FileNotFoundError:
        raise FileError(folder, "the folder does not exist") from None
    except NotADirectoryError:
        raise FileError(folder, "is not a folder") from None
    except OSError as error:
        raise FileError(folder, os_reason(error)) from None
    if not stat.S_ISDIR(folder_mode):
        raise FileError(folder, "is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FileError(folder, "cannot write in this folder")
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    if len(os.fsencode(path.name)) + len(".tmp") + 10 > name_max:
        raise FileError(path, f"the file name is too long (at most about {name_max - 14} "
                              f"bytes here)")
    return path


_PENDING: set[str] = set()   # temporary files being written now


def remove_pending() -> None:
    """Remove every temporary file being written (from a signal handler, before exiting)."""
    for tmp in list(_PENDING):
        try:
            os.unlink(tmp)
        except OSError:
            pass
        _PENDING.discard(tmp)


def atomic_write(path, write, force: bool = False) -> None:
    """Call write(binary file) on a temporary file in the same folder, flush and fsync it, then
    rename it over `path`, which must be free or a regular file (see writable_path).
    Interrupted at any point, `path` keeps its old content whole and no temporary file stays."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    _check_replaceable(path, force)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise GradstepError(f"cannot write {shown(path)}: {os_reason(e)}") from None
    _PENDING.add(tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), _mode_for(path))  # mkstemp makes 0600; a saved file is not secret
            write(f)
            f.flush()
            os.fsync(f.fileno())
        _check_replaceable(path, True)  # again: something may have taken the name meanwhile
        os.replace(tmp, path)
        _PENDING.discard(tmp)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        _PENDING.discard(tmp)
        if isinstance(e, GradstepError):
            raise
        if isinstance(e, OSError):
            raise GradstepError(f"cannot write {shown(path)}: {os_reason(e)}") from None
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


def atomic_write_text(path, text, force: bool = False):
    atomic_write(path, lambda f: f.write(text.encode("utf-8")), force)


@dataclass(frozen=True)
class Reads:
    """Where a person may open files from. In a terminal, anywhere they can read (ANYWHERE).
    In a browser (gradstep serve) the files are the server's and the person is someone else:
    only files under the folder the server named with --root, or none at all.

    Under a root, a name is relative to the root. `..`, absolute paths and links that lead out
    of the root are refused, and so is anything that is not a regular file (a FIFO would
    block). Messages name files relative to the root: the server's own paths stay hidden.
    """

    root: Path | None = None
    confined: bool = False

    @classmethod
    def under(cls, root) -> "Reads":
        """Only files under root (an existing folder); None: no file at all."""
        return cls(None if root is None else Path(root).resolve(strict=True), True)

    @property
    def refusal(self) -> str | None:
        """Why no file may be opened, or None."""
        if self.confined and self.root is None:
            return ("opening files is off in the browser; whoever runs the server can allow a "
                    "folder with gradstep serve --root DIR")
        return None

    def path(self, text, kind: str | None = None) -> Path:
        """The file a person named, checked (a regular file within its kind's size):
        GradstepError saying what is wrong."""
        if not self.confined:
            return readable_path(text, kind)
        if self.refusal:
            raise GradstepError(self.refusal)
        text = str(text).strip()
        if not text or "\0" in text:
            raise GradstepError("type a file name (relative to the served folder)")
        given = Path(text)
        if given.is_absolute() or given.drive:
            raise GradstepError(f"{text}: name a file inside the served folder, relative to it")
        if ".." in given.parts:
            raise GradstepError(f"{text}: '..' is not allowed; name a file inside the served "
                                "folder")
        try:
            real = (self.root / given).resolve(strict=True)
        except FileNotFoundError:
            raise GradstepError(f"{text} does not exist in the served folder") from None
        except (OSError, RuntimeError) as e:  # a loop of links, a name too long
            raise GradstepError(f"{text} cannot be opened ({getattr(e, 'strerror', None) or e})"
                                ) from None
        if not real.is_relative_to(self.root):
            raise GradstepError(f"{text} leads outside the served folder")
        if real.is_dir():
            raise GradstepError(f"{text} is a folder, not a file")
        if not real.is_file():
            raise GradstepError(f"{text} is not a regular file")
        try:
            _check_read(real, os.stat(real), kind)
        except FileError as e:
            raise GradstepError(f"{printable(text, SHOWN_NAME)}: {e.reason}") from None
        return real

    def shown(self, path) -> str:
        """A path as the person may see it: relative to the root when there is one."""
        if self.root is not None and Path(path).is_relative_to(self.root):
            return str(Path(path).relative_to(self.root))
        return str(path)

    def hide(self, message: str) -> str:
        """A message with the root's own path taken out."""
        if self.root is None:
            return message
        return message.replace(f"{self.root}{os.sep}", "").replace(str(self.root), ".")


ANYWHERE = Reads()

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def download_name(text, suffix="") -> str:
    """The name of a file sent to a browser: the last part of what a person typed, in ASCII
    letters, digits, `.`, `_` and `-` (anything else becomes `_`), not hidden, at most 120
    characters. A name without the suffix's last part gets the whole suffix, as writable_path
    does. GradstepError when nothing usable is left."""
    name = re.split(r"[/\\]", str(text).strip())[-1]
    name = _UNSAFE.sub("_", name).lstrip("._-")[:120]
    if not name.strip("_"):
        raise GradstepError(f"{str(text).strip()!r} is not a file name")
    if suffix and not name.endswith(suffix.rsplit(".", 1)[-1]):
        name += suffix
    return name

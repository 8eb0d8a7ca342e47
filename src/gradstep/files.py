"""Writing files so that a crash or a full disk never costs a person their previous file;
where a person may read files from (Reads); names for files sent to a browser (download_name).
"""

import os
import re
import tempfile
from dataclasses import dataclass
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


def readable_path(text):
    """The path a person named for a file to read: GradstepError saying what is wrong (no name,
    a folder, no such file)."""
    text = str(text).strip()
    if not text or "\0" in text:
        raise GradstepError("type a file name")
    path = Path(text).expanduser()
    if path.is_dir():
        raise GradstepError(f"{path} is a folder, not a file")
    if not path.exists():
        raise GradstepError(f"{path} does not exist")
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

    def path(self, text) -> Path:
        """The file a person named, checked: GradstepError saying what is wrong."""
        if not self.confined:
            return readable_path(text)
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

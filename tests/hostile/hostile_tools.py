"""Shared tools of the hostile-input suite. Everything it makes (devices, FIFOs, sockets,
huge sparse files, crafted archives) is made inside pytest's tmp_path; no test ever points
gradstep at a real device or at a file outside its temp folder."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gradstep import cli

# Devices made with mknod in the temp folder: the kernel's null, zero and full devices,
# under new names. Reading or writing them is harmless; replacing the node would be the bug.
DEVICES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "urandom": (1, 9)}


def one_error_line(status: int, out: str, err: str) -> str:
    """The single `gradstep: error: ...` line of a refusal (exit 2, nothing on stdout)."""
    assert status == 2, (status, out, err)
    assert out == "", out
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradstep: error: "), err
    assert "Traceback" not in err and "\x1b" not in err and "\x07" not in err
    return lines[0]


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def make_device(folder: Path, name: str, kind: str = "null") -> Path:
    """A character device node in `folder` (root only); skips the test where not permitted."""
    path = folder / name
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(*DEVICES[kind]))
    except (PermissionError, OSError) as error:
        pytest.skip(f"cannot make a device node here ({error.strerror})")
    return path


def make_fifo(folder: Path, name: str) -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


def make_socket(folder: Path, name: str) -> tuple[Path, socket.socket]:
    path = folder / name
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
    except OSError as error:  # a path longer than a socket address takes
        sock.close()
        pytest.skip(f"cannot bind a socket here ({error})")
    return path, sock


def node_kind(path: Path) -> str:
    mode = os.lstat(path).st_mode
    for test, name in ((stat.S_ISCHR, "char"), (stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket"),
                       (stat.S_ISLNK, "link"), (stat.S_ISREG, "file"), (stat.S_ISDIR, "dir")):
        if test(mode):
            return name
    return "other"


def temp_files(folder: Path) -> list[str]:
    """Temporary files an atomic write left behind."""
    return sorted(p.name for p in folder.rglob(".*.tmp"))


def sparse(path: Path, size: int, head: bytes = b"") -> Path:
    """A file of `size` bytes that takes no disk space (a hole after `head`)."""
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)
    return path


CHILD = textwrap.dedent("""
    import resource, sys
    limit = int(sys.argv[1])
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from gradstep.cli import main
    try:
        code = main(sys.argv[2:])
    finally:
        status = open("/proc/self/status").read()
        peak = [l for l in status.splitlines() if l.startswith("VmHWM")][0].split()[1]
        print(f"VmHWM {int(peak) * 1024}", file=sys.stderr)
    sys.exit(code)
""")


def run_measured(*argv, address_space: int = 2_000_000_000, env=None, timeout=300):
    """Run the command line in a child under an address-space limit (a safety net: a failed
    check meets MemoryError instead of taking the machine's memory); (status, stdout, stderr
    without the measurement, peak resident bytes)."""
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                   **(env or {})}
    result = subprocess.run([sys.executable, "-c", CHILD, str(address_space),
                             *map(str, argv)], capture_output=True, text=True,
                            timeout=timeout, env=environment)
    lines = result.stderr.splitlines()
    peak = int(lines[-1].split()[1]) if lines and lines[-1].startswith("VmHWM") else -1
    return result.returncode, result.stdout, "\n".join(lines[:-1]), peak


def scenario(folder: Path, text: str, name: str = "s.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


PLANE = """
    title = "t"
    [data]
    kind = "plane"
    samples = 40
    [network]
    layers = [2, 1]
    [training]
    epochs = 2
"""

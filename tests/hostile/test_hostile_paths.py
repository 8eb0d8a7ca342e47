"""Every path a person names, hostile: devices, FIFOs, sockets, links, read-only files, names
too long, users that do not exist. Writing never replaces anything but a regular file;
reading never reads anything but a regular file within its kind's size; each refusal is one
line (exit 2) and leaves no temporary file."""

from __future__ import annotations

import os
import signal
import stat

import numpy as np
import pytest

from gradstep.errors import GradstepError
from gradstep.files import LIMITS, atomic_write, readable_path, writable_path
from gradstep.scenarios import load_scenario
from gradstep.session import load_session, save_session
from gradstep.workspace import Workspace
from hostile_tools import (PLANE, make_device, make_fifo, make_socket, node_kind, scenario,
                           sparse, temp_files)

OPTIONS = {  # how each output option names its file
    "--save": lambda out: ["train", "plane", "--epochs", "1", "--save", out],
    "--csv": lambda out: ["train", "plane", "--epochs", "1", "--csv", out],
    "export": lambda out: ["export", "plane", out],
}
SUFFIX = {"--save": ".npz", "--csv": ".csv", "export": ".json"}


# --- writing: only a regular file is ever replaced -----------------------------------------------


def _special(tmp_path, kind: str, suffix: str):
    """A node of the given kind named like an output file; (path, what it must stay)."""
    name = f"target{suffix}"
    if kind in ("null", "full", "zero"):
        return make_device(tmp_path, name, kind), "char"
    if kind == "fifo":
        return make_fifo(tmp_path, name), "fifo"
    if kind == "socket":
        path, sock = make_socket(tmp_path, name)
        return path, "socket"
    if kind == "link-to-file":
        (tmp_path / "real").write_text("keep me")
        os.symlink(tmp_path / "real", tmp_path / name)
        return tmp_path / name, "link"
    if kind == "link-to-device":
        device = make_device(tmp_path, "dev", "null")
        os.symlink(device, tmp_path / name)
        return tmp_path / name, "link"
    if kind == "dangling-link":
        os.symlink(tmp_path / "nowhere", tmp_path / name)
        return tmp_path / name, "link"
    raise AssertionError(kind)


SPECIALS = ["null", "full", "fifo", "socket", "link-to-file", "link-to-device", "dangling-link"]


@pytest.mark.parametrize("kind", SPECIALS)
@pytest.mark.parametrize("option", list(OPTIONS))
def test_an_output_over_a_special_file_is_refused_and_it_stays(tmp_path, refuse, option, kind):
    path, stays = _special(tmp_path, kind, SUFFIX[option])
    line = refuse(*OPTIONS[option](path))
    assert "regular file" in line or "symbolic link" in line
    assert node_kind(path) == stays
    assert temp_files(tmp_path) == []
    if kind == "link-to-file":
        assert (tmp_path / "real").read_text() == "keep me"


@pytest.mark.parametrize("option", list(OPTIONS))
def test_a_read_only_file_is_kept_unless_forced(tmp_path, refuse, capsys, option):
    from hostile_tools import run_cli
    path = tmp_path / f"locked{SUFFIX[option]}"
    path.write_text("old")
    path.chmod(0o444)
    line = refuse(*OPTIONS[option](path))
    assert "read-only" in line and "--force" in line
    assert path.read_text() == "old"
    status, out, err = run_cli(capsys, *OPTIONS[option](path), "--force")
    assert status == 0, err
    assert path.read_bytes() != b"old" and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert temp_files(tmp_path) == []


NAMES = {
    "300 characters": lambda t: t / ("x" * 300 + ".npz"),
    "5000 characters": lambda t: "y" * 5000,
    "no such user": lambda t: "~nosuchuser-gradstep/x.npz",
    "through a file": lambda t: t / "plain" / "x.npz",
    "a NUL byte": lambda t: f"{t}/a\0b.npz",
    "empty": lambda t: "  ",
    "a folder": lambda t: t,
    "no such folder": lambda t: t / "no" / "such" / "x.npz",
    "escape codes": lambda t: t / "no\x1b]0;PWNED\x07" / "x.npz",
}


@pytest.mark.parametrize("name", list(NAMES))
@pytest.mark.parametrize("option", list(OPTIONS))
def test_bad_output_names_are_one_line(tmp_path, refuse, option, name):
    (tmp_path / "plain").write_text("a file, not a folder")
    refuse(*OPTIONS[option](NAMES[name](tmp_path)))
    assert temp_files(tmp_path) == []


def test_a_folder_without_permission(tmp_path, refuse, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() == 0:  # root writes anywhere: the OS refusal is simulated
        def denied(*args, **kwargs):
            raise PermissionError(13, "Permission denied")
        monkeypatch.setattr("gradstep.files.tempfile.mkstemp", denied)
    line = refuse("train", "plane", "--epochs", "1", "--save", locked / "s.npz")
    assert "ermission" in line or "cannot write" in line
    assert list(locked.iterdir()) == []


def test_the_gate_itself(tmp_path):
    device = make_device(tmp_path, "d.npz")
    with pytest.raises(GradstepError, match="character device"):
        writable_path(device)
    with pytest.raises(GradstepError, match="character device"):
        atomic_write(device, lambda f: f.write(b"x"))
    assert node_kind(device) == "char"
    assert writable_path(tmp_path / "new", ".gradstep.npz") == tmp_path / "new.gradstep.npz"


def test_something_taking_the_name_during_the_write_is_not_replaced(tmp_path):
    path = tmp_path / "s.json"

    def write(f):
        f.write(b"new")
        os.mkfifo(path)  # another program makes a FIFO of that name meanwhile

    with pytest.raises(GradstepError, match="FIFO"):
        atomic_write(path, write)
    assert node_kind(path) == "fifo" and temp_files(tmp_path) == []


# --- reading: only a regular file within its kind's size ------------------------------------------


def _reader_source(tmp_path, kind: str, suffix: str):
    name = f"source{suffix}"
    if kind in ("zero", "urandom", "null"):
        return make_device(tmp_path, name, kind)
    if kind == "fifo":
        return make_fifo(tmp_path, name)
    if kind == "socket":
        return make_socket(tmp_path, name)[0]
    if kind == "link-to-device":
        os.symlink(make_device(tmp_path, "dev", "zero"), tmp_path / name)
        return tmp_path / name
    if kind == "link-loop":
        os.symlink(tmp_path / name, tmp_path / name)
        return tmp_path / name
    if kind == "folder":
        (tmp_path / name).mkdir()
        return tmp_path / name
    if kind == "missing":
        return tmp_path / name
    raise AssertionError(kind)


@pytest.fixture(autouse=True)
def no_hang():
    """A read that blocks (a FIFO without a writer) fails the test instead of hanging it."""
    def hung(signum, frame):
        raise AssertionError("gradstep blocked on a read")
    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


SOURCES = ["zero", "urandom", "null", "fifo", "socket", "link-to-device", "link-loop", "folder",
           "missing"]


@pytest.mark.parametrize("kind", SOURCES)
def test_a_scenario_that_is_no_regular_file(tmp_path, refuse, kind):
    path = _reader_source(tmp_path, kind, ".toml")
    line = refuse("train", path)
    assert "source.toml" in line


@pytest.mark.parametrize("kind", SOURCES)
def test_a_session_that_is_no_regular_file(tmp_path, refuse, kind):
    path = _reader_source(tmp_path, kind, ".npz")
    refuse("train", path)
    refuse(path)  # the app refuses it before it starts
    with pytest.raises(GradstepError):
        readable_path(path, "session")


@pytest.mark.parametrize("kind", SOURCES)
def test_a_csv_that_is_no_regular_file(tmp_path, refuse, kind):
    _reader_source(tmp_path, kind, ".csv")
    path = scenario(tmp_path, """
        [data]
        kind = "csv"
        path = "source.csv"
        features = ["a"]
        target = "b"
        [network]
        layers = [1, 1]
    """)
    line = refuse("train", path)
    assert "[data] path" in line


@pytest.mark.parametrize("kind", SOURCES)
def test_weights_that_are_no_regular_file(tmp_path, kind):
    path = _reader_source(tmp_path, kind, ".json")
    workspace = Workspace(load_scenario("plane").build())
    before = workspace.trainer.network.params.copy()
    with pytest.raises(GradstepError) as info:
        workspace.load_weights(str(path))
    assert "\n" not in str(info.value)
    assert np.array_equal(workspace.trainer.network.params, before)


@pytest.mark.parametrize("kind, suffix", [("scenario", ".toml"), ("weights", ".json"),
                                          ("csv", ".csv")])
def test_files_past_their_kind_cap_are_not_read(tmp_path, kind, suffix):
    path = sparse(tmp_path / f"big{suffix}", LIMITS[kind] + 1)
    with pytest.raises(GradstepError, match="may be at most"):
        readable_path(path, kind)


def test_a_session_past_the_memory_budget_is_not_read(tmp_path, refuse, monkeypatch):
    monkeypatch.setenv("GRADSTEP_MEMORY_BUDGET", "200MB")
    path = sparse(tmp_path / "big.npz", 200_000_001, b"PK\x03\x04")
    assert "may be at most 200 MB" in refuse("train", path)


def test_a_scenario_past_the_cap_says_so(tmp_path, refuse):
    path = sparse(tmp_path / "big.toml", LIMITS["scenario"] + 1, b"title = 'x'\n#")
    assert "may be at most 1 MB" in refuse("train", path)


def test_a_csv_past_the_cap_says_so(tmp_path, refuse):
    sparse(tmp_path / "big.csv", LIMITS["csv"] + 1, b"a,b\n1,2\n")
    path = scenario(tmp_path, """
        [data]
        kind = "csv"
        path = "big.csv"
        features = ["a"]
        target = "b"
        [network]
        layers = [1, 1]
    """)
    assert "may be at most 256 MB" in refuse("train", path)


def test_names_for_reading(tmp_path, refuse):
    for name in ["x" * 300 + ".npz", "~nosuchuser-gradstep/s.npz", f"{tmp_path}/f/s.npz",
                 "z" * 5000 + ".npz"]:
        (tmp_path / "f").write_text("a file")
        refuse("train", name)
        with pytest.raises(GradstepError):
            Workspace(load_scenario("plane").build()).open_session(name)


def test_a_plain_session_still_round_trips(tmp_path, capsys):
    from hostile_tools import run_cli
    path = tmp_path / "s.npz"
    assert run_cli(capsys, "train", "plane", "--epochs", "1", "--save", path)[0] == 0
    trainer, lesson = load_session(path)
    assert lesson.name == "plane" and trainer.epoch_count == 1
    save_session(path, trainer, lesson)
    assert temp_files(tmp_path) == []
    scenario(tmp_path, PLANE, "p.toml")
    assert run_cli(capsys, "train", tmp_path / "p.toml")[0] == 0

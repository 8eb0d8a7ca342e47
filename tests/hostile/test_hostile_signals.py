"""Signals: Ctrl-C (SIGINT) and SIGTERM during a headless run stop it between two steps, print
its summary, write --save and --csv, and exit 130 or 143 without a traceback; during a save
they leave no temporary file. A long run shows its progress on a terminal, and only there."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from gradstep.session import load_session
from hostile_tools import temp_files

ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}


def gradstep(*argv, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "gradstep", *map(str, argv)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=ENV, **kwargs)


def wait_for(condition, timeout=60.0, what="a condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # polling a child process: there is no event to wait on


@pytest.mark.parametrize("signum, status, words", [(signal.SIGINT, 130, "Ctrl-C (SIGINT)"),
                                                   (signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_stops_a_run_keeps_it_and_exits(tmp_path, signum, status, words):
    save, csv = tmp_path / "s.npz", tmp_path / "h.csv"
    child = gradstep("train", "circle", "--steps", "100000000", "--save", save, "--csv", csv)
    time.sleep(3)  # let it import and train a while
    child.send_signal(signum)
    out, err = child.communicate(timeout=120)
    assert child.returncode == status, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert f"stopped by {words} after" in out and "accuracy" in out
    assert err.strip().startswith(f"gradstep: stopped by {words}") and len(err.splitlines()) == 1
    steps = int(out.split("steps")[1].split()[0])
    trainer, _ = load_session(save)
    assert trainer.step_count == steps > 0
    assert csv.read_text().startswith("step,train_loss,test_loss")
    assert temp_files(tmp_path) == []


SLOW_SAVE = textwrap.dedent("""
    import sys, time
    import numpy as np
    import gradstep.session as session
    real = np.savez
    def slow(f, **arrays):
        real(f, **arrays)
        f.flush()
        print("writing", flush=True)
        time.sleep(60)
    session.np.savez = slow
    from gradstep.cli import main
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_the_save_leaves_the_old_file_and_no_temporary_file(tmp_path, signum,
                                                                          status):
    save = tmp_path / "s.npz"
    save.write_bytes(b"the previous session")
    child = subprocess.Popen([sys.executable, "-c", SLOW_SAVE, "train", "plane", "--epochs",
                              "1", "--save", save], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=ENV)
    assert child.stdout.readline().strip() == "writing"
    assert len(temp_files(tmp_path)) == 1
    child.send_signal(signum)
    out, err = child.communicate(timeout=60)
    assert child.returncode == status, err
    assert "Traceback" not in err and err.startswith("gradstep: interrupted by")
    assert save.read_bytes() == b"the previous session"
    assert temp_files(tmp_path) == []


def test_progress_shows_on_a_terminal_and_not_elsewhere(tmp_path):
    master, slave = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "gradstep", "train", "circle", "--steps",
                              "100000000"], stdout=subprocess.DEVNULL, stderr=slave, env=ENV)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    while b"steps/s" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
    child.send_signal(signal.SIGINT)
    child.wait(timeout=60)
    os.close(master)
    text = seen.decode("utf-8", "replace")
    assert "steps/s" in text and "of 100,000,000" in text and "left" in text
    assert child.returncode == 130
    quiet = gradstep("train", "circle", "--steps", "3000", "--quiet")
    out, err = quiet.communicate(timeout=120)
    assert quiet.returncode == 0 and err == ""  # stderr is a pipe here: no progress either way


def test_quiet_on_a_terminal(tmp_path):
    master, slave = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "gradstep", "train", "circle", "--steps",
                              "20000", "--quiet"], stdout=subprocess.DEVNULL, stderr=slave,
                             env=ENV)
    os.close(slave)
    child.wait(timeout=120)
    ready, _, _ = select.select([master], [], [], 0.5)
    try:
        seen = os.read(master, 4096) if ready else b""
    except OSError:  # EIO: the terminal's other end closed with nothing written
        seen = b""
    os.close(master)
    assert child.returncode == 0 and b"steps/s" not in seen

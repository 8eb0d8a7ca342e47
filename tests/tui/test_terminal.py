"""The installed `gradstep` console script in a real terminal (tmux): it draws, steps, quits.

Without tmux (or without the installed script) this test FAILS, so that CI cannot pass without
ever running it. Set GRADSTEP_SKIP_TMUX=1 to skip it on purpose on a machine without tmux.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

TMUX = shutil.which("tmux") or ("/usr/bin/tmux" if os.path.exists("/usr/bin/tmux") else None)
SKIP = "GRADSTEP_SKIP_TMUX"


def missing(what: str) -> None:
    """Fail (or skip, when asked to by GRADSTEP_SKIP_TMUX=1) for want of `what`."""
    message = f"{what}, so the terminal test cannot run"
    if os.environ.get(SKIP) == "1":
        pytest.skip(f"{message} ({SKIP}=1)")
    pytest.fail(f"{message}: install it, or set {SKIP}=1 to skip this test on purpose",
                pytrace=False)


def tmux_binary() -> str:
    if TMUX is None:
        missing("tmux is not installed")
    return TMUX


def gradstep_script() -> str:
    found = shutil.which("gradstep")
    if found:
        return found
    script = Path(sys.executable).parent / "gradstep"
    if not script.exists():
        missing("the gradstep console script is not installed")
    return str(script)


class Tmux:
    def __init__(self):
        self.binary = tmux_binary()
        self.socket = f"gradstep-test-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, "-L", self.socket, *args], capture_output=True,
                              text=True, timeout=10)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "gs").stdout

    def wait_for(self, condition, timeout: float = 20.0, what: str = "the screen") -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if condition(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{text}")
            time.sleep(0.1)  # polling a terminal: there is no event to wait on

    def kill(self):
        self.run("kill-server")


def test_gradstep_steps_and_quits_in_a_terminal(tmp_path):
    tmux = Tmux()
    script = gradstep_script()
    marker = tmp_path / "exit-status"
    command = f"{script} circle; echo $? > {marker}; sleep 30"
    try:
        started = tmux.run("new-session", "-d", "-s", "gs", "-x", "120", "-y", "36",
                           "-e", "TERM=xterm-256color", command)
        assert started.returncode == 0, started.stderr
        tmux.wait_for(lambda s: "step 0 " in s and "weights W0" in s, what="the first screen")
        tmux.run("send-keys", "-t", "gs", "Space")
        tmux.wait_for(lambda s: "step 1 " in s, what="step 1")
        tmux.run("send-keys", "-t", "gs", "q")
        tmux.wait_for(lambda s: "unsaved changes" in s, what="the unsaved-changes question")
        tmux.run("send-keys", "-t", "gs", "d")  # quit without saving
        deadline = time.monotonic() + 20
        while not marker.exists() or not marker.read_text().strip():
            assert time.monotonic() < deadline, f"gradstep did not exit:\n{tmux.screen()}"
            time.sleep(0.1)
        assert marker.read_text().strip() == "0"
    finally:
        tmux.kill()

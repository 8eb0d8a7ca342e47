"""A `gradstep serve` process, and a headless Chromium that reads its screen (tests and
docs/browser_costs.py).

The page draws the terminal with xterm.js on a canvas, so there is no text in the DOM to read.
The test serves textual-serve's own textual.js with one statement added that keeps its xterm.js
Terminal in `window.gradstepTerminal`; the screen is then read from the terminal's buffer,
which holds exactly what the canvas shows. If textual-serve's script changes shape, the hook
says so instead of timing out.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"  # Debian's chromium; never a browser playwright downloads
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
HOOK_AFTER = "const t=new w(e,{ping:r});"  # in textual.js, where the page makes its terminal
HOOK = "window.gradstepTerminal=t.terminal;"
SCREEN_JS = """() => {
    const t = window.gradstepTerminal, b = t.buffer.active, rows = [];
    for (let y = 0; y < t.rows; y++) rows.push(b.getLine(b.viewportY + y).translateToString(true));
    return rows.join("\\n");
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """`python -m gradstep serve ARGS --port N`, started and waited for its announcement."""

    def __init__(self, *args: str, cwd: Path | None = None, timeout: float = 30.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gradstep", "serve", *args, "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd,
            start_new_session=True)  # its own process group, as in a terminal
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_output(lambda line: line.startswith("gradstep serve: http://"), timeout,
                         "the announcement")

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_output(self, condition, timeout: float = 20.0, what: str = "a line") -> str:
        deadline = time.monotonic() + timeout
        while True:
            for line in list(self.lines):
                if condition(line):
                    return line
            if self.process.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"gradstep serve ended ({self.process.returncode}) "
                                     f"before {what}:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}:\n{self.output}")
            time.sleep(0.02)

    def tabs(self) -> list[int]:
        """The pids of the app processes the server started (one per tab)."""
        return children(self.process.pid)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0,
             group: bool = False) -> tuple[int, float]:
        """Send sig to the server (kill -INT), or to its whole process group as Ctrl+C in a
        terminal does (group=True); (exit status, seconds it took to end)."""
        started = time.monotonic()
        if group:
            os.killpg(self.process.pid, sig)
        else:
            self.process.send_signal(sig)
        status = self.process.wait(timeout)
        self._reader.join(5)
        return status, time.monotonic() - started

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def ends(pid: int, timeout: float = 5.0) -> bool:
    """Whether the process ends within timeout seconds."""
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Browser:
    """Headless Chromium on a fresh profile, through playwright's sync API."""

    def __init__(self, playwright, profile: Path, size=(1280, 800)) -> None:
        self.context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True,
            accept_downloads=True, viewport={"width": size[0], "height": size[1]})
        self.downloads = []  # textual-serve opens each download in a new tab: watch them all
        self.context.on("page", lambda page: page.on("download", self._downloaded))
        self.hook_missing = False

    def open(self, url: str):
        page = self.context.pages[0] if self.context.pages else self.context.new_page()
        page.on("download", self._downloaded)
        page.route("**/static/js/textual.js", self._hook)
        page.goto(url)
        return page

    def _downloaded(self, download) -> None:
        self.downloads.append(download)

    def _hook(self, route) -> None:
        response = route.fetch()
        script = response.text()
        self.hook_missing = HOOK_AFTER not in script
        route.fulfill(response=response, body=script.replace(HOOK_AFTER, HOOK_AFTER + HOOK))

    def screen(self, page) -> str:
        if self.hook_missing:
            raise AssertionError("textual-serve's textual.js changed: HOOK_AFTER is not in it, "
                                 "so the test cannot read the terminal (update tests/web/"
                                 "served.py)")
        if not page.evaluate("() => window.gradstepTerminal !== undefined"):
            return ""
        return page.evaluate(SCREEN_JS)

    def wait_screen(self, page, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen(page)
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {text!r}; the screen:\n{screen}")
            page.wait_for_timeout(20)

    def wait_download(self, page, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        while not self.downloads:
            if time.monotonic() > deadline:
                raise AssertionError(f"no download arrived; the screen:\n{self.screen(page)}")
            page.wait_for_timeout(20)
        return self.downloads.pop(0)

    def close(self) -> None:
        self.context.close()


def have_chromium() -> bool:
    return os.access(CHROMIUM, os.X_OK)

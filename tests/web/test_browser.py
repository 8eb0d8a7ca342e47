"""gradstep serve in a real browser: Debian's chromium, headless, driven by playwright.

It opens the page, sees the lesson, presses space and sees the step change, presses ctrl+s and
receives the session as a download, then stops the server with Ctrl+C while the tab is open.
.ci/run installs chromium; without it (a machine where it cannot be installed) this skips.
"""

from __future__ import annotations

import signal
import sys
import urllib.request

import pytest
from playwright.sync_api import sync_playwright

from gradstep.session import load_session
from served import CHROMIUM, Browser, Served, ends, have_chromium

pytestmark = pytest.mark.skipif(
    not have_chromium(),
    reason=f"no browser: {CHROMIUM} is missing (apt-get install chromium; .ci/run does)")

TITLE = "gradstep — Circle: TensorFlow Playground's defaults"


def test_a_browser_sees_the_lesson_steps_and_downloads_the_session(tmp_path):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    with Served("circle", cwd=cwd) as served, sync_playwright() as playwright:
        html = urllib.request.urlopen(served.url, timeout=10).read().decode()
        for secret in (sys.executable, "-m gradstep", "--web", str(cwd)):
            assert secret not in html  # the page never shows the server's command
        browser = Browser(playwright, tmp_path / "profile")
        try:
            page = browser.open(served.url)
            assert page.title() == TITLE
            browser.wait_screen(page, "lesson: Circle: TensorFlow Playground's defaults")
            browser.wait_screen(page, "step 0")
            page.focus(".xterm-helper-textarea")  # keys go to the terminal
            page.keyboard.press("Space")
            browser.wait_screen(page, "step 1")

            page.keyboard.press("Control+s")
            browser.wait_screen(page, "Download the session as")
            page.keyboard.press("Enter")
            download = browser.wait_download(page)
            assert download.suggested_filename == "circle.gradstep.npz"
            saved = tmp_path / "downloaded.gradstep.npz"
            download.save_as(saved)
            trainer, lesson = load_session(saved)
            assert trainer.step_count == 1 and lesson.name == "circle"
            browser.wait_screen(page, "saved circle.gradstep.npz")

            tabs = served.tabs()
            assert len(tabs) == 1
            status, seconds = served.stop(signal.SIGINT, group=True)  # Ctrl+C, tab open
        finally:
            browser.close()
    assert status == 0 and seconds < 10, served.output
    assert "Traceback" not in served.output and served.output.endswith("gradstep serve: stopped")
    assert ends(tabs[0])  # the tab's app process ended with the server
    assert not list(cwd.iterdir())  # nothing written on the server

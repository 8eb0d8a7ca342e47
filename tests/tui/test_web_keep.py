"""The app in browser mode (a tab of gradstep serve), driven by Pilot: saves and exports are
sent to the browser (App.deliver_binary) and never written; files are opened only under the
server's --root. The real browser is in tests/web/test_browser.py; here deliver_binary is
replaced by a recorder, and the browser's arrival is the DeliveryComplete Textual would post."""

from __future__ import annotations

import json

import pytest
from textual import events
from textual.widgets import Input

from gradstep.files import Reads
from gradstep.scenarios import load_scenario
from gradstep.session import load_session, save_session
from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.export_menu import ExportMenu
from gradstep.tui.screens.prompt import TextPrompt
from gradstep.tui.screens.unsaved import UnsavedChanges
from gradstep.workspace import Workspace

from test_app import SIZE, wait_for
from test_keep import main_screen, modal_error, press_in, submit


class Browser:
    """Stands in for the browser: records what the app sends, and says when it arrived."""

    def __init__(self, app: GradstepApp) -> None:
        self.app = app
        self.sent: list[tuple[str, str, bytes, str]] = []  # (key, name, data, mime)
        self.notes: list[str] = []
        app.deliver_binary = self.deliver
        notify = app.notify
        app.notify = lambda message, **kw: (self.notes.append(message), notify(message, **kw))

    def deliver(self, file, *, save_filename=None, mime_type=None, **_):
        key = f"key{len(self.sent)}"
        self.sent.append((key, save_filename, file.read(), mime_type))
        return key

    def arrive(self, index: int = -1) -> None:
        self.app.post_message(events.DeliveryComplete(key=self.sent[index][0]))

    def fail(self, index: int = -1) -> None:
        self.app.post_message(events.DeliveryFailed(key=self.sent[index][0],
                                                    exception=OSError("connection lost")))


def choose(app, kind: str) -> None:
    """Highlight an entry of the export menu (Enter then chooses it)."""
    choices = app.screen.query_one("#choices")
    choices.highlighted = [choices.get_option_at_index(i).id
                           for i in range(choices.option_count)].index(kind)


def web_app(name="circle", root=None) -> tuple[GradstepApp, Browser]:
    workspace = Workspace.from_scenario(load_scenario(name))
    workspace.reads = Reads.under(root)
    app = GradstepApp(workspace, web=True)
    return app, Browser(app)


@pytest.fixture(autouse=True)
def in_empty_folder(tmp_path, monkeypatch):
    """Every test runs in an empty folder, with HOME there too: nothing may appear in it."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(work))
    yield work
    assert not list(work.iterdir()), "the app wrote on the server"


async def test_ctrl_s_sends_the_session_and_it_counts_as_saved_once_it_arrived(tmp_path):
    app, browser = web_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "space")
        prompt = await press_in(pilot, TextPrompt, "ctrl+s")
        assert prompt.query_one(Input).value == "circle.gradstep.npz"
        await submit(pilot, "../../etc/my run")
        await main_screen(pilot)
        (key, name, data, mime), = browser.sent
        assert name == "my_run.gradstep.npz" and mime == "application/octet-stream"
        assert app.workspace.unsaved  # not until the browser has it
        browser.arrive()
        await wait_for(pilot, lambda: not app.workspace.unsaved, what="saved")
        assert "saved my_run.gradstep.npz (in your browser's downloads)" in browser.notes
        await press_in(pilot, TextPrompt, "ctrl+s")  # asks again: there is no file to reuse
        await pilot.press("escape")
    (tmp_path / "got.npz").write_bytes(data)
    trainer, lesson = load_session(tmp_path / "got.npz")
    assert trainer.step_count == 2 and lesson.name == "circle"


async def test_a_failed_download_says_so_and_stays_unsaved():
    app, browser = web_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await press_in(pilot, TextPrompt, "ctrl+s")
        await submit(pilot, "x")
        await main_screen(pilot)
        browser.fail()
        await wait_for(pilot, lambda: any("did not reach" in n for n in browser.notes),
                       what="the failure")
        assert app.workspace.unsaved


async def test_quitting_after_save_waits_for_the_download():
    app, browser = web_app("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await press_in(pilot, UnsavedChanges, "q")
        await press_in(pilot, TextPrompt, "s")
        await submit(pilot, "before-quit")
        await main_screen(pilot)
        await pilot.pause(0.2)
        assert app.is_running and browser.sent[0][1] == "before-quit.gradstep.npz"
        browser.arrive()
        await wait_for(pilot, lambda: app.return_code == 0, what="exit")


@pytest.mark.parametrize("kind, typed, name, mime, check", [
    ("weights", "w", "w.json", "application/json",
     lambda data: json.loads(data)["layers"] == [2, 4, 2, 1]),
    ("loss", "curve.csv", "curve.csv", "text/csv; charset=utf-8",
     lambda data: data.startswith(b"step,")),
    ("screenshot", "look", "look.svg", "image/svg+xml",
     lambda data: b"<svg" in data and b"step" in data),
])
async def test_every_export_is_sent_to_the_browser(kind, typed, name, mime, check):
    app, browser = web_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await press_in(pilot, ExportMenu, "e")
        choose(app, kind)
        prompt = await press_in(pilot, TextPrompt, "enter")
        assert prompt.query_one(Input).value.startswith("circle")
        await submit(pilot, typed)
        await main_screen(pilot)
        (_, sent_name, data, sent_mime), = browser.sent
        assert (sent_name, sent_mime) == (name, mime) and check(data)
        browser.arrive()
        await wait_for(pilot, lambda: f"exported {name} (in your browser's downloads)"
                       in browser.notes, what="the note")


async def test_a_name_with_nothing_usable_is_refused_in_the_prompt():
    app, browser = web_app()
    async with app.run_test(size=SIZE) as pilot:
        await press_in(pilot, TextPrompt, "ctrl+s")
        await submit(pilot, "///")
        assert "not a file name" in modal_error(app) and not browser.sent


async def test_without_a_root_opening_files_is_refused_at_once():
    app, browser = web_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")  # unsaved: still no question, just the refusal
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert len(app.screen_stack) == 1
        assert any("--root" in n for n in browser.notes)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportMenu), what="the menu")
        choose(app, "load_weights")
        await pilot.press("enter")
        await main_screen(pilot)
        assert sum("--root" in n for n in browser.notes) == 2


async def test_with_a_root_sessions_open_from_inside_it_only(tmp_path):
    root = tmp_path / "shared"
    root.mkdir()
    other = Workspace.from_scenario(load_scenario("xor"))
    other.step()
    save_session(root / "xor.gradstep.npz", other.trainer, other.lesson)
    save_session(tmp_path / "outside.gradstep.npz", other.trainer, other.lesson)
    (root / "link.gradstep.npz").symlink_to(tmp_path / "outside.gradstep.npz")
    served = (root / "xor.gradstep.npz").read_bytes()
    app, browser = web_app(root=root)
    async with app.run_test(size=SIZE) as pilot:
        for bad, words in [("../outside.gradstep.npz", "'..' is not allowed"),
                           ("link.gradstep.npz", "leads outside"),
                           (str(tmp_path / "outside.gradstep.npz"), "relative to it")]:
            await press_in(pilot, TextPrompt, "ctrl+o")
            await submit(pilot, bad)
            assert words in modal_error(app)
            assert str(root) not in modal_error(app).replace(bad, "")  # only what was typed
            await pilot.press("escape")
            await main_screen(pilot)
        await press_in(pilot, TextPrompt, "ctrl+o")
        await submit(pilot, "xor.gradstep.npz")
        await main_screen(pilot)
        assert app.workspace.lesson.name == "xor" and app.trainer.step_count == 1
        assert "opened xor.gradstep.npz: step 1" in browser.notes
        prompt = await press_in(pilot, TextPrompt, "ctrl+s")  # a download, named as opened
        assert prompt.query_one(Input).value == "xor.gradstep.npz"
        await submit(pilot, "xor.gradstep.npz")
        await main_screen(pilot)
        assert browser.sent[0][1] == "xor.gradstep.npz"
    assert (root / "xor.gradstep.npz").read_bytes() == served  # never written over

"""The app never dies on input: markup and escapes in titles, lessons and statuses are shown
as text; every prompt turns a bad name, a device, a crafted file or an unexpected failure into
a message and keeps the work; long pastes are refused at once; a huge layer never makes a
redraw allocate more than the screen needs. Pilot tests wait on conditions, not sleeps."""

from __future__ import annotations

import json
import time
import tracemalloc

import numpy as np
import pytest
from rich.text import Text
from textual import events
from textual.widgets import Input, Label

from gradstep.lesson import Lesson
from gradstep.scenarios import load_scenario
from gradstep.session import save_session
from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.prompt import MAX_LENGTH, TextPrompt
from gradstep.tui.screens.unsaved import UnsavedChanges
from gradstep.tui.screens.value_editor import ValueEditor
from gradstep.tui.widgets.lesson import Lesson as LessonWidget
from gradstep.tui.widgets.status_line import StatusLine
from gradstep.workspace import Workspace
from hostile_tools import make_device, make_fifo, scenario, temp_files

SIZE = (120, 36)
HOSTILE_TITLE = "[/bold] closing [link=file:///etc/passwd]x \x1b]0;PWNED\x07\x1b[2J"
HOSTILE_STATUS = "\x1b]0;PWNED\x07\x1b[2J\x1b]52;c;SGVsbG8=\x07 [red]diverged"


async def wait_for(pilot, condition, timeout: float = 20.0, what: str = "a condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.01)


async def press_in(pilot, screen_type, *keys):
    await pilot.press(*keys)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, screen_type),
                   what=screen_type.__name__)
    return pilot.app.screen


async def submit(pilot, text: str) -> str:
    """Put text in the modal's field, press Enter; the modal's error (empty when it closed)."""
    await wait_for(pilot, lambda: pilot.app.screen.query(Input), what="a text field")
    field = pilot.app.screen.query_one(Input)
    field.value = text
    field.focus()
    await pilot.press("enter")
    await pilot.pause()
    if isinstance(pilot.app.screen, TextPrompt):
        return str(pilot.app.screen.query_one("#error", Label).render())
    return ""


def hostile_session(tmp_path, name="hostile.npz"):
    trainer = load_scenario("circle").build()
    trainer.run(steps=5)
    trainer.diverged, trainer.status = True, HOSTILE_STATUS
    path = tmp_path / name
    save_session(path, trainer, Lesson("n\x1b[2J", HOSTILE_TITLE, "lesson [b]text\x1b]0;X\x07"))
    return path


def assert_no_escapes(app):
    lesson = app.query_one(LessonWidget)
    title = Text.from_markup(lesson.border_title).plain  # the getter gives the title as markup
    shown = [str(lesson.render()), title, app.sub_title,
             str(app.query_one(StatusLine).render())]
    for text in shown:
        assert "\x1b" not in text and "\x07" not in text, text
    return shown


async def test_markup_and_escapes_in_a_scenario_are_shown_as_text(tmp_path):
    path = scenario(tmp_path, f"""
        name = "x\\u001b[2J"
        title = {json.dumps(HOSTILE_TITLE)}
        description = "[bold]lesson[/] \\u001b]52;c;SGVsbG8=\\u0007"
        [data]
        kind = "xor"
        [network]
        layers = [2, 3, 1]
    """)
    app = GradstepApp(Workspace.from_scenario(load_scenario(path)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        body, title, sub_title, _ = assert_no_escapes(app)
        assert "[/bold] closing [link=file:///etc/passwd]x" in title
        assert "\\x1b]0;PWNED\\x07" in title and "[bold]lesson[/]" in body
        assert sub_title == "x\\x1b[2J"
        await pilot.press("space")
        assert app.is_running


async def test_a_hostile_session_opens_at_launch_and_on_ctrl_o(tmp_path):
    path = hostile_session(tmp_path)
    app = GradstepApp(Workspace.from_session(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        *_, status = assert_no_escapes(app)
        assert "\\x1b]0;PWNED\\x07" in status and "[red]diverged" in status
    app = GradstepApp(Workspace.from_scenario(load_scenario("xor")))
    async with app.run_test(size=SIZE) as pilot:
        await press_in(pilot, TextPrompt, "ctrl+o")
        assert await submit(pilot, str(path)) == ""
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="the main screen")
        assert_no_escapes(app)
        assert "PWNED" in Text.from_markup(app.query_one(LessonWidget).border_title).plain


BAD_NAMES = {
    "300 characters": lambda t: str(t / ("x" * 300 + ".npz")),
    "no such user": lambda t: "~nosuchuser-gradstep/x.npz",
    "a NUL byte": lambda t: f"{t}/a\0b",
    "through a file": lambda t: str(t / "plain" / "x.npz"),
    "a device": lambda t: str(make_device(t, "dev.gradstep.npz")),
    "a FIFO": lambda t: str(make_fifo(t, "fifo.gradstep.npz")),
    "escapes": lambda t: str(t / "\x1b]0;PWNED\x07" / "x.npz"),
}


@pytest.mark.parametrize("kind", ["save", "weights", "loss", "open", "load_weights"])
async def test_bad_names_in_every_file_prompt_are_messages(tmp_path, kind):
    (tmp_path / "plain").write_text("a file")
    app = GradstepApp(Workspace.from_scenario(load_scenario("xor")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        before = app.trainer.network.params.copy()
        if kind == "save":
            await press_in(pilot, TextPrompt, "ctrl+s")
        elif kind == "open":
            await pilot.press("ctrl+o")
            await press_in(pilot, UnsavedChanges)
            await press_in(pilot, TextPrompt, "d")  # don't save: go on to the prompt
        elif kind == "load_weights":
            app.action_export_kind("load_weights")
            await press_in(pilot, UnsavedChanges)
            await press_in(pilot, TextPrompt, "d")
        else:
            app.action_export_kind(kind)
            await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        for name, make in BAD_NAMES.items():
            error = await submit(pilot, make(tmp_path))
            assert error and "\x1b" not in error, name
            assert isinstance(app.screen, TextPrompt) and app.is_running
        assert np.array_equal(app.trainer.network.params, before)
        assert app.workspace.unsaved and temp_files(tmp_path) == []


async def test_a_folder_without_permission_is_a_message(tmp_path, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("gradstep.files.tempfile.mkstemp", denied)
    app = GradstepApp(Workspace.from_scenario(load_scenario("xor")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await press_in(pilot, TextPrompt, "ctrl+s")
        assert "Permission denied" in await submit(pilot, str(tmp_path / "s.npz"))
        assert app.workspace.unsaved


async def test_an_unexpected_failure_in_a_prompt_is_a_message(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something nobody expected")
    monkeypatch.setattr("gradstep.workspace.save_session", broken)
    app = GradstepApp(Workspace.from_scenario(load_scenario("xor")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await press_in(pilot, TextPrompt, "ctrl+s")
        assert "something nobody expected" in await submit(pilot, str(tmp_path / "s.npz"))
        assert app.is_running and app.workspace.unsaved


async def test_crafted_sessions_and_weights_in_the_prompts(tmp_path):
    from test_hostile_sessions import header_only, pack
    crafted = {
        "huge header": pack(tmp_path / "huge.npz", {"params": header_only((10**12,))}),
        "not a zip": tmp_path / "text.npz",
        "deep json weights": tmp_path / "deep.json",
    }
    crafted["not a zip"].write_text("just text")
    crafted["deep json weights"].write_text('{"weights": ' + "[" * 100_000 + "}")
    app = GradstepApp(Workspace.from_scenario(load_scenario("xor")))
    async with app.run_test(size=SIZE) as pilot:
        before = app.trainer.network.params.copy()
        await press_in(pilot, TextPrompt, "ctrl+o")
        for path in (crafted["huge header"], crafted["not a zip"]):
            assert await submit(pilot, str(path))
        await pilot.press("escape")
        app.action_export_kind("load_weights")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        assert "deep" in await submit(pilot, str(crafted["deep json weights"]))
        assert np.array_equal(app.trainer.network.params, before)


async def test_a_long_paste_is_refused_at_once(tmp_path):
    app = GradstepApp(Workspace.from_scenario(load_scenario("xor")))
    async with app.run_test(size=SIZE) as pilot:
        prompt = await press_in(pilot, TextPrompt, "ctrl+s")
        field = prompt.query_one(Input)
        start = time.perf_counter()
        field.post_message(events.Paste("x" * 100_000))
        await pilot.pause()
        assert time.perf_counter() - start < 5
        assert len(field.value) <= MAX_LENGTH
        field.value = ""
        field.insert_text_at_cursor("y" * (MAX_LENGTH + 1))
        assert field.value == ""
        await pilot.press("escape")
        await pilot.press("down", "right")  # a weight cell
        editor = await press_in(pilot, ValueEditor, "enter")
        editor.query_one(Input).insert_text_at_cursor("9" * 5000)
        assert len(editor.query_one(Input).value) <= 64


async def test_load_weights_asks_about_unsaved_work_first(tmp_path):
    app = GradstepApp(Workspace.from_scenario(load_scenario("xor")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        app.action_export_kind("load_weights")
        await wait_for(pilot, lambda: isinstance(app.screen, UnsavedChanges))
        await pilot.press("escape")
        await pilot.press("p")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, UnsavedChanges))


async def test_a_huge_layer_redraws_within_a_fixed_amount_of_memory():
    """`z` to 100,000 neurons on circle: the heatmap predicted every pixel through the wide
    layer (6.8 GB at 330,000 neurons). Now it predicts a coarser grid in chunks."""
    app = GradstepApp(Workspace.from_scenario(load_scenario("circle")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        editor = await press_in(pilot, ValueEditor, "z")
        tracemalloc.start()
        try:
            start = time.perf_counter()
            assert await submit(pilot, "100000") == ""
            await wait_for(pilot, lambda: app.trainer.network.sizes[1] == 100_000)
            app.redraw()
            await pilot.press("space")
            await pilot.pause()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 400_000_000, peak
        assert time.perf_counter() - start < 60
        for size, words in (("399000", "100,000 allowed"),
                            ("1000000000", "GB of memory with this data; the limit is 2,000,000")):
            await press_in(pilot, ValueEditor, "z")
            assert words in await submit(pilot, size)
            await pilot.press("escape")
            await wait_for(pilot, lambda: len(app.screen_stack) == 1)
        assert app.is_running


def test_escapes_in_a_session_never_reach_a_real_terminal(tmp_path):
    """In tmux: a session whose title and status hold OSC and CSI sequences. The pane's title
    stays, the screen is not cleared, and the sequences are shown as text."""
    import sys
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "tui"))
    from test_terminal import TMUX, Tmux, gradstep_script
    if TMUX is None:
        pytest.skip("tmux is not installed")
    script = gradstep_script()
    path = hostile_session(tmp_path)
    tmux = Tmux()
    try:
        started = tmux.run("new-session", "-d", "-s", "gs", "-x", "120", "-y", "36",
                           "-e", "TERM=xterm-256color", f"{script} {path}; sleep 30")
        assert started.returncode == 0, started.stderr
        title_before = tmux.run("display", "-p", "-t", "gs", "#{pane_title}").stdout
        tmux.wait_for(lambda s: "weights W0" in s, what="the first screen")
        if "PWNED" not in tmux.screen():  # the lesson starts hidden on a short terminal
            tmux.run("send-keys", "-t", "gs", "l")
        screen = tmux.wait_for(lambda s: "PWNED" in s, what="the lesson's title")
        assert "\\x1b]0;PWNED\\x07" in screen
        assert "weights W0" in tmux.screen()  # not cleared
        title = tmux.run("display", "-p", "-t", "gs", "#{pane_title}").stdout
        assert "PWNED" not in title and title == title_before
        buffers = tmux.run("list-buffers").stdout  # OSC 52 would have set a paste buffer
        assert "SGVsbG8" not in buffers and "Hello" not in buffers
    finally:
        tmux.kill()

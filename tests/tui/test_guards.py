"""What the app must not do: act on keys behind a modal, keep an undo entry for a run that took
no step, open a session without showing its lesson. Each test fails when its guard is removed."""

from __future__ import annotations

import numpy as np

from gradstep.scenarios import load_scenario
from gradstep.lesson import Lesson
from gradstep.session import save_session
from gradstep.tui.app import GradstepApp
from gradstep.workspace import Workspace
from gradstep.tui.screens.export_menu import ExportMenu
from gradstep.tui.screens.help import HelpScreen
from gradstep.tui.screens.prompt import TextPrompt
from gradstep.tui.screens.unsaved import UnsavedChanges
from gradstep.tui.widgets.lesson import Lesson as LessonPane
from helpers import trainer

from test_app import SIZE, make_app, status_text, wait_for
from test_keep import main_screen, press_in, submit


def notes_of(app) -> list[str]:
    """Every notification the app gives from now on (its own notify, recorded on the way)."""
    notes = []
    notify = app.notify

    def recording(message, **kwargs):
        notes.append(message)
        notify(message, **kwargs)

    app.notify = recording
    return notes


def view(app):
    """What a key on the main screen could change."""
    t = app.trainer
    return (t.network.params.tobytes(), list(t.network.sizes), list(t.network.activations),
            t.settings, t.network.constraint, t.step_count, t.epoch_count, app.layer,
            app.query_one(LessonPane).display, app.query_one("#loss").log_scale,
            [None if f is None else f.tobytes() for f in t.network.frozen])


# ---- keys behind a modal -----------------------------------------------------------------

async def test_no_command_key_acts_behind_a_modal():
    app = make_app("circle")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "right", "f")  # something to undo, a frozen weight
        await pilot.pause()
        before = view(app)
        keys = [k.split(",")[0] for k, *_ in app.COMMAND_TABLE if k]
        # the help closes on ? and q itself, so those two are pressed behind another modal
        help_screen = await press_in(pilot, HelpScreen, "question_mark")
        for key in keys:
            if key in ("question_mark", "q"):
                continue
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is help_screen, key
            assert view(app) == before, key
        await pilot.press("escape")
        await main_screen(pilot)
        menu = await press_in(pilot, ExportMenu, "e")
        for key in ("question_mark", "q", "space", "x"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is menu and app.is_running, key
            assert view(app) == before, key
        await pilot.press("escape")
        await main_screen(pilot)
        await pilot.press("space")  # and on the main screen the keys work again
        assert app.trainer.step_count == 2


# ---- a run that takes no step ------------------------------------------------------------

def diverged_session(path):
    t = trainer((3, 8, 1), activations="relu", learning_rate=1e5, batch_size=40)
    t.run(steps=100)
    assert t.diverged
    save_session(path, t, Lesson("blown", "Blown up", "A run that went too far."))
    return t.step_count


async def test_a_run_that_takes_no_step_leaves_nothing_to_undo(tmp_path):
    path = tmp_path / "d.gradstep.npz"
    steps = diverged_session(path)
    app = GradstepApp(Workspace.from_session(path))
    notes = notes_of(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.trainer.diverged and app.trainer.step_count == steps
        await pilot.press("r", "r")  # a diverged trainer takes no step: the run is empty
        await wait_for(pilot, lambda: not app.running and "running" not in status_text(app),
                       what="the run to stop")
        await pilot.pause(0.1)  # let the worker's stop message arrive
        assert app.trainer.step_count == steps
        await pilot.press("u")
        await pilot.pause()
        assert notes[-1] == "nothing to undo", notes
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert notes[-1] == "nothing to redo", notes
        await pilot.press("q")  # nothing happened to save: q quits without asking
        await wait_for(pilot, lambda: app.return_code == 0 or isinstance(app.screen,
                                                                         UnsavedChanges),
                       what="quit or a question")
        assert not isinstance(app.screen, UnsavedChanges)
    assert app.return_code == 0


async def test_a_run_that_steps_is_one_undo_entry():
    app = make_app("circle")
    notes = notes_of(app)
    async with app.run_test(size=SIZE) as pilot:
        start = app.trainer.network.params.copy()
        await pilot.press("r")
        await wait_for(pilot, lambda: app.trainer.step_count > 20, what="steps")
        await pilot.press("r")
        await wait_for(pilot, lambda: not app.running, what="pause")
        await pilot.press("u")
        assert notes[-1].startswith("undone: training run")
        assert app.trainer.step_count == 0
        np.testing.assert_array_equal(app.trainer.network.params, start)
        await pilot.press("u")
        assert notes[-1] == "nothing to undo"


# ---- ctrl+o shows the session's lesson ---------------------------------------------------

async def test_ctrl_o_shows_the_opened_sessions_lesson(tmp_path):
    path = tmp_path / "xor.gradstep.npz"
    t = load_scenario("xor").build()
    t.run(steps=3)
    save_session(path, t, Lesson("xor", "An opened lesson", "Read this after ctrl+o."))
    app = make_app("circle")
    async with app.run_test(size=SIZE) as pilot:
        lesson = app.query_one(LessonPane)
        assert "Circle" in str(lesson.border_title) and lesson.display
        await press_in(pilot, TextPrompt, "ctrl+o")
        await submit(pilot, str(path))
        await main_screen(pilot)
        await pilot.pause()
        assert app.trainer.step_count == 3
        assert str(lesson.border_title) == "lesson: An opened lesson"
        assert "Read this after ctrl+o." in str(lesson.render())
        assert "circle" not in str(lesson.render()).lower()
        assert lesson.display


async def test_a_session_opened_at_launch_shows_its_lesson(tmp_path):
    path = tmp_path / "xor.gradstep.npz"
    save_session(path, load_scenario("xor").build(), Lesson("xor", "At launch", "Launch lesson."))
    app = GradstepApp(Workspace.from_session(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lesson = app.query_one(LessonPane)
        assert str(lesson.border_title) == "lesson: At launch" and lesson.display
        assert "Launch lesson." in str(lesson.render())

"""Keeping the work: undo/redo by key, sessions saved and opened, exports, questions before
unsaved work is lost, divergence, bad input of every kind, and a long random monkey run.
Pilot tests wait on conditions, not sleeps."""

from __future__ import annotations

import errno
import math
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from textual.widgets import Input, Label

from gradstep.errors import ScenarioError
from gradstep.scenarios import load_scenario
from gradstep.session import save_session
from gradstep.lesson import Lesson
from gradstep.tui.app import GradstepApp
from gradstep.workspace import Workspace
from gradstep.tui.screens.export_menu import ExportMenu
from gradstep.tui.screens.prompt import TextPrompt
from gradstep.tui.screens.settings import SettingsScreen
from gradstep.tui.screens.unsaved import UnsavedChanges
from gradstep.tui.screens.value_editor import ValueEditor
from gradstep.tui.widgets.status_line import StatusLine
from gradstep.tui.widgets.weights_grid import WeightsGrid

from test_app import SIZE, grid_lines, make_app, status_text, wait_for

PRESETS = Path(__file__).resolve().parents[2] / "presets"


def state(app):
    t = app.trainer
    return (t.network.params.tobytes(), list(t.network.sizes), list(t.network.activations),
            t.settings, t.network.constraint, [None if f is None else f.tobytes()
                                               for f in t.network.frozen],
            t.step_count, t.epoch_count)


def params(app):
    return app.trainer.network.params.copy()


async def press_in(pilot, screen_type, *keys):
    """Press keys, wait until screen_type is on top."""
    await pilot.press(*keys)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, screen_type),
                   what=screen_type.__name__)
    return pilot.app.screen


async def main_screen(pilot):
    await wait_for(pilot, lambda: len(pilot.app.screen_stack) == 1, what="the main screen")


async def submit(pilot, text: str) -> None:
    """Replace the modal's text field with text and press Enter."""
    await wait_for(pilot, lambda: pilot.app.screen.query(Input), what="a text field")
    field = pilot.app.screen.query_one(Input)
    field.value = text
    field.focus()
    await pilot.press("enter")
    await pilot.pause()


def modal_error(app) -> str:
    return str(app.screen.query_one("#error", Label).render())


async def save_as(pilot, path) -> None:
    await press_in(pilot, TextPrompt, "ctrl+s")
    await submit(pilot, str(path))
    await main_screen(pilot)


# ---- sessions -----------------------------------------------------------------------------

async def test_save_then_open_in_a_new_app_continues_the_same(tmp_path):
    path = tmp_path / "mine.gradstep.npz"
    app = make_app("circle")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "space", "down", "plus", "right_square_bracket", "f", "n")
        prompt = await press_in(pilot, TextPrompt, "ctrl+s")
        assert prompt.query_one(Input).value == "circle.gradstep.npz"  # the default name
        await submit(pilot, str(path))
        await main_screen(pilot)
        assert path.exists() and not app.workspace.unsaved
        saved = params(app)
        await pilot.press("space", "space", "space")
        continued = params(app), app.trainer.step_count
        await pilot.press("ctrl+s")  # later saves: the same file, no question
        await pilot.pause()
        assert isinstance(app.screen, type(app.screen_stack[0])) and not app.workspace.unsaved
    again = GradstepApp(Workspace.from_session(path))
    assert again.trainer.step_count == continued[1]  # the second save
    first = GradstepApp(Workspace.from_session(path))
    async with first.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert first.sub_title == "circle" and "Circle" in first.workspace.lesson.title
        assert first.workspace.path == path and not first.workspace.unsaved
        np.testing.assert_array_equal(params(first), continued[0])
    # the first save, stepped on in a new app, takes the same steps as the original did
    app2 = make_app("circle")
    async with app2.run_test(size=SIZE) as pilot:
        await pilot.press("space", "space", "down", "plus", "right_square_bracket", "f", "n")
        np.testing.assert_array_equal(params(app2), saved)
        await save_as(pilot, tmp_path / "second.gradstep.npz")
    opened = GradstepApp(Workspace.from_session(tmp_path / "second.gradstep.npz"))
    async with opened.run_test(size=SIZE) as pilot:
        np.testing.assert_array_equal(params(opened), saved)
        await pilot.press("space", "space", "space")
        assert opened.trainer.step_count == continued[1]
        np.testing.assert_array_equal(params(opened), continued[0])


async def test_ctrl_o_opens_a_session_and_refuses_bad_files(tmp_path):
    good = tmp_path / "xor.gradstep.npz"
    trainer = load_scenario("xor").build()
    trainer.run(steps=7)
    save_session(good, trainer, Lesson("xor", "XOR title", "the lesson"))
    foreign = tmp_path / "notes.npz"
    foreign.write_text("just some text")
    truncated = tmp_path / "cut.npz"
    truncated.write_bytes(good.read_bytes()[:300])
    app = make_app("circle")
    async with app.run_test(size=SIZE) as pilot:
        await press_in(pilot, TextPrompt, "ctrl+o")
        before = state(app)
        for bad, words in [("", "file name"), (str(tmp_path), "folder"),
                           (str(tmp_path / "none.npz"), "does not exist"),
                           (str(foreign), "not a readable"), (str(truncated), "cut.npz")]:
            await submit(pilot, bad)
            assert isinstance(app.screen, TextPrompt), bad
            assert words in modal_error(app), (bad, modal_error(app))
            assert state(app) == before
        await submit(pilot, str(good))
        await main_screen(pilot)
        assert app.trainer.step_count == 7 and app.workspace.lesson.title == "XOR title"
        assert app.workspace.path == good and not app.workspace.unsaved
        await pilot.press("space")
        assert app.workspace.unsaved
        await press_in(pilot, UnsavedChanges, "ctrl+o")  # unsaved work: asks first
        await pilot.press("escape")
        await main_screen(pilot)
        assert app.trainer.step_count == 8


async def test_quit_with_unsaved_changes_asks_and_after_saving_does_not(tmp_path):
    app = make_app("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")  # nothing changed yet: quits at once
        await pilot.pause()
    assert app.return_code == 0
    app = make_app("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await press_in(pilot, UnsavedChanges, "q")
        await pilot.press("escape")  # cancel: still here
        await main_screen(pilot)
        assert app.is_running and app.trainer.step_count == 1
        await press_in(pilot, UnsavedChanges, "q")
        await press_in(pilot, TextPrompt, "s")  # save: asks for a name, then quits
        await submit(pilot, str(tmp_path / "x.gradstep.npz"))
        await wait_for(pilot, lambda: app.return_code == 0, what="exit")
    assert (tmp_path / "x.gradstep.npz").exists()
    app = make_app("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u")  # nothing to undo: a note, no change
        await pilot.press("space", "c")
        await save_as(pilot, tmp_path / "y.gradstep.npz")
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code == 0, what="exit without a question")


async def test_loading_another_scenario_with_unsaved_work_asks():
    app = make_app("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await press_in(pilot, UnsavedChanges, "p", "enter")
        await pilot.press("escape")
        await main_screen(pilot)
        assert app.trainer.step_count == 1
        await press_in(pilot, UnsavedChanges, "p", "enter")
        await pilot.press("d")
        await wait_for(pilot, lambda: app.trainer.step_count == 0, what="the scenario reloaded")
        assert not app.workspace.unsaved and not app.workspace.undo_stack.can_undo


async def test_a_full_disk_is_a_message_and_the_old_file_stays(tmp_path, monkeypatch):
    path = tmp_path / "s.gradstep.npz"
    app = make_app("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await save_as(pilot, path)
        old = path.read_bytes()
        await pilot.press("space")

        def full(_fd):
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr("gradstep.files.os.fsync", full)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("No space" in n.message for n in app._notifications),
                       what="the error")
        assert app.workspace.unsaved and app.is_running
        assert path.read_bytes() == old and [p.name for p in tmp_path.iterdir()] == [path.name]
        await press_in(pilot, ExportMenu, "e")
        await pilot.press("enter")  # weights JSON
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="the prompt")
        await submit(pilot, str(tmp_path / "w.json"))
        assert "No space" in modal_error(app) and not (tmp_path / "w.json").exists()


# ---- exports ------------------------------------------------------------------------------

async def test_exports_write_files_and_load_weights_is_undoable(tmp_path):
    app = make_app("circle")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        for kind, name in [("weights", "w.json"), ("loss", "loss.csv"), ("onnx", "n.onnx"),
                           ("safetensors", "s.safetensors"), ("screenshot", "screen.svg")]:
            menu = await press_in(pilot, ExportMenu, "e")
            options = menu.query_one("OptionList")
            options.highlighted = [options.get_option_at_index(k).id
                                   for k in range(options.option_count)].index(kind)
            await pilot.press("enter")
            prompt = await press_in(pilot, TextPrompt)
            assert prompt.query_one(Input).value.startswith("circle")
            await submit(pilot, str(tmp_path / "missing" / name))
            assert "does not exist" in modal_error(app)
            await submit(pilot, str(tmp_path / name))
            await main_screen(pilot)
        assert '"weights"' in (tmp_path / "w.json").read_text()
        assert (tmp_path / "n.onnx").stat().st_size > 0
        assert (tmp_path / "s.safetensors").stat().st_size > 0
        assert (tmp_path / "loss.csv").read_text().startswith("step,train_loss")
        svg = (tmp_path / "screen.svg").read_text()
        assert svg.startswith("<svg") and "Export" not in svg  # the screen, not the menu
        exported = params(app)
        await pilot.press("x")
        assert not np.array_equal(params(app), exported)
        reset = state(app)
        await app.run_action("export_kind('load_weights')")  # the palette command: unsaved work, so it asks
        await press_in(pilot, UnsavedChanges)
        await press_in(pilot, TextPrompt, "d")
        (tmp_path / "bad.json").write_text('{"weights": [[1, 2]]}')
        await submit(pilot, str(tmp_path / "bad.json"))
        assert "shapes" in modal_error(app) and state(app) == reset
        await submit(pilot, str(tmp_path / "w.json"))
        await main_screen(pilot)
        np.testing.assert_array_equal(params(app), exported)
        await pilot.press("u")
        assert state(app) == reset
        await pilot.press("ctrl+y")
        np.testing.assert_array_equal(params(app), exported)


# ---- undo and redo by key -----------------------------------------------------------------

async def edit_weight(pilot):
    await press_in(pilot, ValueEditor, "enter")
    await submit(pilot, "2.5")


async def edit_bias(pilot):
    await pilot.press(*["down"] * 3)  # circle W0 is 2×4: rows i=0, i=1, then the bias row
    await press_in(pilot, ValueEditor, "enter")
    await submit(pilot, "-1.5")


async def edit_size(pilot):
    await press_in(pilot, ValueEditor, "z")
    await submit(pilot, "7")


async def edit_setting(pilot):
    screen = await press_in(pilot, SettingsScreen, "s")
    screen.query_one("#set-learning_rate", Input).value = "0.2"
    screen.query_one("#set-learning_rate", Input).focus()
    await pilot.press("enter")


async def run_a_while(pilot):
    app = pilot.app
    start = app.trainer.step_count
    await pilot.press("r")
    await wait_for(pilot, lambda: app.trainer.step_count > start + 20, what="steps")
    await pilot.press("r")
    await wait_for(pilot, lambda: not app.running, what="pause")


def keys(*k):
    async def press(pilot):
        await pilot.press(*k)
    return press


EDITS = {
    "weight": edit_weight, "bias": edit_bias, "nudge": keys("plus"), "nudge_down": keys("minus"),
    "add_neuron": keys("a"), "remove_neuron": keys("d"), "size": edit_size,
    "insert_layer": keys("i"), "remove_layer": keys("delete"), "activation": keys("c"),
    "setting": edit_setting, "freeze": keys("f"), "reset": keys("x"), "step": keys("space"),
    "epoch": keys("n"), "run": run_a_while,
}


@pytest.mark.parametrize("kind", EDITS)
async def test_u_undoes_and_ctrl_y_redoes(kind):
    app = make_app("circle")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "space")
        before = state(app)
        await EDITS[kind](pilot)
        await main_screen(pilot)
        after = state(app)
        assert after != before
        await pilot.press("u")
        assert state(app) == before
        assert any(n.message.startswith("undone") for n in app._notifications)
        assert app.trainer.step_count in app.trainer.history.edits  # marked on the loss curve
        await pilot.press("ctrl+y")
        assert state(app) == after
        await pilot.press("u", "space")
        twin = make_app("circle")
        twin.trainer.run(steps=3)
        np.testing.assert_array_equal(params(app), twin.trainer.network.params)


# ---- divergence ---------------------------------------------------------------------------

async def test_divergence_stops_the_run_and_keeps_finite_weights():
    app = make_app("plane")
    async with app.run_test(size=SIZE) as pilot:
        screen = await press_in(pilot, SettingsScreen, "s")
        screen.query_one("#set-learning_rate", Input).value = "10"
        screen.query_one("#set-learning_rate", Input).focus()
        await pilot.press("enter")
        await main_screen(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: not app.running and app.trainer.diverged, what="divergence")
        await pilot.pause()
        text = status_text(app)
        assert "diverged" in text and "smaller learning rate" in text
        assert np.all(np.isfinite(app.trainer.network.params))
        for layer in range(app.trainer.network.depth):
            app.layer = layer
            app.redraw()
            shown = " ".join(grid_lines(app)).lower()
            assert "nan" not in shown and "inf" not in shown
        await pilot.press("u")  # back before the run
        assert not app.trainer.diverged and app.trainer.step_count == 0
        assert app.trainer.settings.learning_rate == 10


# ---- bad input ----------------------------------------------------------------------------

def expected_float(text):
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) <= 1e9 else None


def expected_int(text):
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if value <= 1_000_000 else None  # the largest batch


NUMBERS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["abc", "", "1e999", "-1e999", "nan", "inf", "-inf", "1e300", "1e9",
                     "0", "-1", "1000000000", " 3 ", "1_0", "0x10", "+2", "١٢"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**12, 10**12).map(str),
)
FAST = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


async def test_random_text_in_every_numeric_field_changes_only_what_is_valid():
    app = make_app("circle")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        editor = await press_in(pilot, ValueEditor, "enter")

        @FAST
        @given(NUMBERS)
        def weight(text):
            before = state(app)
            error = editor.apply(text)
            value = expected_float(text)
            if value is None:
                assert error and state(app) == before
            else:
                assert error is None and app.trainer.network.weights[0][0, 0] == value
        weight()
        await pilot.press("escape")
        await main_screen(pilot)
        await pilot.press("right_square_bracket", "left_square_bracket")
        sizer = await press_in(pilot, ValueEditor, "z")

        @FAST
        @given(NUMBERS)
        def size(text):
            before = state(app)
            error = sizer.apply(text)
            n = expected_int(text)
            if error is None:
                assert n is not None and app.trainer.network.sizes[1] == n
                app.action_undo()
            else:
                assert state(app) == before
                assert n is None or n < 1 or n > 1000
        size()
        error = sizer.apply("1000000000")
        assert "GB" in error and "parameters" in error
        await pilot.press("escape")
        await main_screen(pilot)
        form = await press_in(pilot, SettingsScreen, "s")
        good = form.values()

        @FAST
        @given(st.sampled_from(["learning_rate", "batch_size", "l1", "l2"]), NUMBERS)
        def setting(name, text):
            before = state(app)
            error = app.apply_settings({**good, name: text})
            if name == "batch_size":
                n = expected_int(text)
                valid = n is not None and n >= 1
            else:
                v = expected_float(text)
                if v is None:
                    try:
                        v = float(text.strip())
                    except ValueError:
                        v = math.nan
                valid = math.isfinite(v) and (0 < v <= 1e6 if name == "learning_rate"
                                              else v >= 0)
            assert (error is None) == valid, (name, text, error)
            if state(app) != before:
                assert error is None
                app.action_undo()
            assert state(app) == before
        setting()
        await pilot.press("escape")
        assert app.is_running


async def test_file_names_that_cannot_be_written_are_refused(tmp_path):
    app = make_app("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await press_in(pilot, TextPrompt, "ctrl+s")
        for bad, words in [("", "file name"), ("  ", "file name"), (str(tmp_path), "folder"),
                           (str(tmp_path / "no" / "x.npz"), "does not exist")]:
            await submit(pilot, bad)
            assert words in modal_error(app), bad
        await submit(pilot, str(tmp_path / "plain"))  # no .npz: the suffix is added
        await main_screen(pilot)
        assert (tmp_path / "plain.gradstep.npz").exists()


# ---- scenario files, mutated --------------------------------------------------------------

@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(p.name for p in PRESETS.glob("*.toml"))), st.data())
def test_mutated_scenario_files_fail_only_with_scenario_errors(tmp_path_factory, name, data):
    folder = tmp_path_factory.mktemp("mut")
    shutil.copy(PRESETS / "houses.csv", folder / "houses.csv")
    raw = bytearray((PRESETS / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        kind = data.draw(st.sampled_from(["flip", "byte", "cut", "dup"]))
        if kind == "flip":
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "byte":
            raw[at] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del raw[at:at + data.draw(st.integers(1, 20))]
        else:
            raw[at:at] = raw[at:at + data.draw(st.integers(1, 20))]
        if not raw:
            raw = bytearray(b"x")
    path = folder / name
    path.write_bytes(bytes(raw))
    try:
        trainer = load_scenario(path).build()
    except ScenarioError as error:
        message = str(error)
        assert message and "\n" not in message, message
        assert str(path) in message, message  # it names the file
        event("refused")
        return
    event("built")
    # a mutation that still makes a scenario: it builds a trainer that trains
    assert np.all(np.isfinite(trainer.network.params))
    steps = trainer.run(steps=3)
    assert steps == 3 or trainer.diverged
    assert trainer.step_count == steps
    assert np.all(np.isfinite(trainer.network.params))


# ---- the monkey ---------------------------------------------------------------------------

MONKEY_KEYS = (["space"] * 4 + ["n", "r", "u", "u", "ctrl+y", "plus", "minus", "f", "a", "d",
                                "i", "c", "left_square_bracket", "right_square_bracket",
                                "up", "down", "left", "right", "delete", "x", "g", "l", "z",
                                "enter", "enter", "p", "s", "e", "question_mark"])
TEXTS = ["0.5", "-3", "abc", "", "1e999", "nan", "7", "0", "2", "1e300", "-1e-3", "inf", "3"]


async def monkey(pilot, rng: random.Random, presses: int) -> None:
    """Random keys on the main screen, random text or Escape in modals."""
    app = pilot.app

    async def press(key):
        if app.running:  # Pilot waits up to 2 s for an idle CPU: send the key and go on
            app.simulate_key(key)
            await pilot.pause(0.02)
        else:
            await pilot.press(key)

    run_left = 0
    for _ in range(presses):
        screen = app.screen
        if app.running:
            run_left -= 1
            if run_left <= 0 and len(app.screen_stack) == 1:
                await press("r")  # runs last a few keys
                continue
        if isinstance(screen, (ValueEditor, TextPrompt)):
            if rng.random() < 0.6:
                screen.query_one(Input).value = rng.choice(TEXTS)
                await press("enter")
            await press("escape")
        elif len(app.screen_stack) > 1:
            await press("escape" if rng.random() < 0.8 else "enter")
        else:
            key = rng.choice(MONKEY_KEYS)
            if key == "r" and not app.running:
                run_left = rng.randint(1, 4)
            await press(key)
    await pilot.pause(0.05)
    while len(app.screen_stack) > 1:
        await pilot.press("escape")
    if app.running:
        await pilot.press("r")
    await wait_for(pilot, lambda: not app.running, what="pause")


def check_alive_and_consistent(app) -> None:
    app.redraw()
    t, grid = app.trainer, app.query_one(WeightsGrid)
    assert app.is_running
    assert grid.dims == t.network.weights[app.layer].shape
    assert np.all(np.isfinite(t.network.params))
    for w, (a, b) in zip(t.network.weights, zip(t.network.sizes, t.network.sizes[1:])):
        assert w.shape == (a, b)
    steps = t.history.column("step")
    assert np.all(np.diff(steps) >= 0) and (not len(steps) or steps[-1] <= t.step_count)
    shown = " ".join(grid_lines(app)).lower()
    assert "nan" not in shown and "inf" not in shown
    assert f"step {t.step_count}" in str(app.query_one(StatusLine).render())


async def test_monkey(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # save and export prompts write into the current folder
    rng = random.Random(20240611)
    app = make_app("circle")
    async with app.run_test(size=SIZE) as pilot:
        for name in ("circle", "softmax-outputs", "plane"):
            app.open_scenario(name)
            await monkey(pilot, rng, presses=25)
            check_alive_and_consistent(app)

"""Pilot tests: every key and pane of the app, against real scenarios. Waits are on conditions."""

from __future__ import annotations

import time

import numpy as np
import pytest
from textual.widgets import Input, OptionList, Select

from gradstep.scenarios import load_scenario
from gradstep.edits import Freeze
from gradstep.tui.app import GradstepApp
from gradstep.workspace import Workspace
from gradstep.tui.screens.help import HelpScreen
from gradstep.tui.screens.picker import ScenarioPicker
from gradstep.tui.screens.settings import SettingsScreen
from gradstep.tui.screens.value_editor import ValueEditor
from gradstep.tui.widgets.lesson import Lesson
from gradstep.tui.widgets.network_pane import NetworkPane
from gradstep.tui.widgets.status_line import StatusLine
from gradstep.tui.widgets.weights_grid import WeightsGrid

SIZE = (120, 36)


def make_app(name: str = "circle") -> GradstepApp:
    return GradstepApp(Workspace.from_scenario(load_scenario(name)))


async def wait_for(pilot, condition, timeout: float = 10.0, what: str = "condition") -> None:
    """Let the app run until condition() holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.01)


def status_text(app) -> str:
    return str(app.query_one(StatusLine).render())


def grid_lines(app) -> list[str]:
    grid = app.query_one(WeightsGrid)
    return [grid.render_line(y).text for y in range(grid.scrollable_content_region.height)]


def assert_grid_matches_model(app) -> None:
    grid, net = app.query_one(WeightsGrid), app.trainer.network
    assert grid.weight_layer == app.layer
    assert grid.dims == net.weights[app.layer].shape
    np.testing.assert_array_equal(grid._w, net.weights[app.layer])


async def open_editor(pilot) -> Input:
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ValueEditor), what="editor")
    return pilot.app.screen.query_one(Input)


async def type_value(pilot, text: str) -> None:
    field = pilot.app.screen.query_one(Input)
    field.value = ""
    if text:
        await pilot.press(*text)
    await pilot.press("enter")
    await pilot.pause()


# ---- the screen -------------------------------------------------------------------------

async def test_starts_with_every_pane():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for selector in ("#network", "#weights", "#readouts", "#loss", "#output", "#status"):
            assert app.query_one(selector).display
        network = str(app.query_one(NetworkPane).render())
        assert "input" in network and "hidden" in network and "tanh" in network
        assert "learning rate" in network or "lr" in network
        assert "step 0" in status_text(app)
        assert_grid_matches_model(app)
        assert app.focused is app.query_one(WeightsGrid)


async def test_small_terminal_does_not_crash():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("space", "n", "right_square_bracket", "a", "question_mark", "escape", "l",
                    "down", "right", "plus", "f"):
            await pilot.press(key)
            await pilot.pause()
        assert app.trainer.step_count > 1
        assert_grid_matches_model(app)


# ---- training keys ----------------------------------------------------------------------

async def test_space_steps_once_and_changes_the_weights_shown():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = grid_lines(app)
        await pilot.press("space")
        await wait_for(pilot, lambda: "step 1 " in status_text(app), what="step 1 shown")
        assert app.trainer.step_count == 1
        assert grid_lines(app) != before
        assert_grid_matches_model(app)


async def test_n_trains_one_epoch():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert app.trainer.epoch_count == 1
        assert app.trainer.step_count == app.trainer.steps_per_epoch
        assert "epoch 1" in status_text(app)


async def test_r_runs_then_pauses():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        assert app.running
        await wait_for(pilot, lambda: app.trainer.step_count > 200, what="training to run")
        await wait_for(pilot, lambda: "running" in status_text(app), what="running shown")
        await pilot.press("r")
        await wait_for(pilot, lambda: not app.workspace.live.running, what="the run to stop")
        assert not app.running
        stopped = app.trainer.step_count
        await pilot.pause(0.1)
        assert app.trainer.step_count == stopped
        await wait_for(pilot, lambda: f"step {stopped} " in status_text(app), what="final step")
        assert "running" not in status_text(app)


async def test_x_resets_weights_and_counters():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        trained = app.trainer.network.weights[0].copy()
        await pilot.press("x")
        await pilot.pause()
        assert app.trainer.step_count == 0 and app.trainer.epoch_count == 0
        assert not np.array_equal(app.trainer.network.weights[0], trained)
        assert "step 0 " in status_text(app)
        assert_grid_matches_model(app)


async def test_divergence_is_reported_in_the_status_line():
    app = make_app("grades")
    async with app.run_test(size=SIZE) as pilot:
        app.apply_settings({**settings_values(app), "learning_rate": "1e6"})
        await pilot.press("n")
        await wait_for(pilot, lambda: app.trainer.diverged, what="divergence")
        await wait_for(pilot, lambda: "diverged" in status_text(app), what="message shown")
        assert app.trainer.status in status_text(app)


async def test_training_keys_do_nothing_behind_a_modal():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")  # step 1, so that neither a step nor a reset goes unseen
        await pilot.pause()
        params = app.trainer.network.params.copy()
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        for key in ("space", "n", "x"):
            await pilot.press(key)
            await pilot.pause()
            assert app.trainer.step_count == 1 and app.trainer.epoch_count == 0, key
            np.testing.assert_array_equal(app.trainer.network.params, params)
            assert isinstance(app.screen, HelpScreen)


# ---- the weights grid -------------------------------------------------------------------

async def test_enter_type_enter_sets_the_weight():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "right")
        await open_editor(pilot)
        await type_value(pilot, "0.75")
        await wait_for(pilot, lambda: not isinstance(app.screen, ValueEditor), what="close")
        assert app.trainer.network.weights[0][1, 1] == 0.75
        assert "+0.750" in grid_lines(app)[2]


@pytest.mark.parametrize("text", ["abc", "", "nan", "inf", "1e999", "-inf", "1,5"])
async def test_bad_values_show_an_error_and_change_nothing(text):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        before = [w.copy() for w in app.trainer.network.weights]
        version = app.trainer.network.version
        await open_editor(pilot)
        await type_value(pilot, text)
        assert isinstance(app.screen, ValueEditor)
        error = str(app.screen.query_one("#error").render())
        assert "number" in error
        assert app.trainer.network.version == version
        for old, new in zip(before, app.trainer.network.weights):
            np.testing.assert_array_equal(old, new)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ValueEditor), what="close")


async def test_bias_row_edits_the_bias():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        n_in = app.trainer.network.sizes[0]
        await pilot.press(*["down"] * (n_in + 5))  # the cursor stops on the bias row
        assert app.query_one(WeightsGrid).cursor == (n_in, 0)
        await open_editor(pilot)
        await type_value(pilot, "-2")
        assert app.trainer.network.biases[0][0] == -2.0


async def test_plus_minus_nudge_the_selected_weight():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        w = app.trainer.network.weights[0]
        start = float(w[0, 0])
        await pilot.press("plus")
        await pilot.pause()
        assert app.trainer.network.weights[0][0, 0] == pytest.approx(start + 0.1)
        await pilot.press("minus", "minus")
        await pilot.pause()
        assert app.trainer.network.weights[0][0, 0] == pytest.approx(start - 0.1)
        assert_grid_matches_model(app)


async def test_f_freezes_and_the_weight_stays_while_training():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "f")
        await pilot.pause()
        net = app.trainer.network
        assert net.is_frozen(0, 0, 1)
        assert "*" in grid_lines(app)[1]
        held, free = float(net.weights[0][0, 1]), float(net.weights[0][0, 0])
        await pilot.press("n")
        assert float(net.weights[0][0, 1]) == held
        assert float(net.weights[0][0, 0]) != free
        await pilot.press("f")
        await pilot.pause()
        assert not net.is_frozen(0, 0, 1)
        assert "*" not in grid_lines(app)[1]


async def test_edits_while_running_apply_without_a_race():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: app.trainer.step_count > 50, what="running")
        await pilot.press("f")  # freeze W0[0,0] while the worker steps
        await pilot.pause()
        held = float(app.trainer.network.weights[0][0, 0])
        steps = app.trainer.step_count
        await wait_for(pilot, lambda: app.trainer.step_count > steps + 200, what="more steps")
        assert float(app.trainer.network.weights[0][0, 0]) == held
        await pilot.press("a")  # a structural edit under the lock while running
        await wait_for(pilot, lambda: app.trainer.step_count > steps + 400, what="more steps")
        await pilot.press("r")
        await wait_for(pilot, lambda: not app.running, what="pause")
        await pilot.pause()
        assert app.trainer.network.sizes == [2, 5, 2, 1]
        assert_grid_matches_model(app)


# ---- network edits ----------------------------------------------------------------------

async def test_layer_keys_select_the_weight_layer():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        depth = app.trainer.network.depth
        for k in range(1, depth + 2):
            await pilot.press("right_square_bracket")
            await pilot.pause()
            assert app.layer == min(k, depth - 1)
            assert_grid_matches_model(app)
        await pilot.press(*["left_square_bracket"] * (depth + 1))
        await pilot.pause()
        assert app.layer == 0
        assert_grid_matches_model(app)


async def test_add_and_remove_neuron_keep_the_grid_consistent():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        net = app.trainer.network
        assert net.sizes == [2, 4, 2, 1]
        await pilot.press("a")
        await pilot.pause()
        assert net.sizes == [2, 5, 2, 1]
        assert_grid_matches_model(app)
        await pilot.press("d", "d")
        await pilot.pause()
        assert net.sizes == [2, 3, 2, 1]
        assert_grid_matches_model(app)
        await pilot.press("right_square_bracket", "right_square_bracket", "a")  # ▸ output
        await pilot.pause()
        assert net.sizes == [2, 3, 2, 1]
        assert_grid_matches_model(app)


async def test_insert_and_remove_layer_keep_the_grid_consistent():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        net = app.trainer.network
        await pilot.press("i")
        await pilot.pause()
        assert net.sizes == [2, 4, 4, 2, 1]
        assert_grid_matches_model(app)
        await pilot.press("delete")
        await pilot.pause()
        assert net.sizes == [2, 4, 2, 1]
        assert_grid_matches_model(app)
        await pilot.press("delete", "delete")
        await pilot.pause()
        assert net.sizes == [2, 1]
        assert_grid_matches_model(app)
        await pilot.press("delete")  # no hidden layer left: refused, nothing changed
        await pilot.pause()
        assert net.sizes == [2, 1]
        await pilot.press("i")
        await pilot.pause()
        assert net.sizes == [2, 4, 1]
        assert_grid_matches_model(app)
        await pilot.press("space")
        await pilot.pause()
        assert app.trainer.step_count == 1


async def test_c_cycles_the_activation():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        net = app.trainer.network
        seen = {net.activations[0]}
        for _ in range(5):
            await pilot.press("c")
            await pilot.pause()
            seen.add(net.activations[0])
            assert net.activations[0] in str(app.query_one(NetworkPane).render())
        assert seen == {"linear", "relu", "leaky-relu", "tanh", "sigmoid"}
        assert net.activations[0] == "tanh"  # round the cycle
        assert_grid_matches_model(app)


# ---- settings ---------------------------------------------------------------------------

def settings_values(app) -> dict:
    s, net = app.trainer.settings, app.trainer.network
    return {"learning_rate": f"{s.learning_rate:g}", "batch_size": str(s.batch_size),
            "l1": f"{s.l1:g}", "l2": f"{s.l2:g}", "optimizer": s.optimizer, "loss": s.loss,
            "constraint": net.constraint, "standardize": s.standardize}


async def open_settings(pilot) -> SettingsScreen:
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen), what="settings")
    return pilot.app.screen


async def test_settings_form_changes_settings():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        screen.query_one("#set-learning_rate", Input).value = "0.1"
        screen.query_one("#set-batch_size", Input).value = "25"
        screen.query_one("#set-optimizer", Select).value = "adam"
        screen.query_one("#set-l2", Input).value = "0.001"
        screen.query_one("#set-constraint", Select).value = "nonnegative"
        await pilot.click("#apply")
        await wait_for(pilot, lambda: not isinstance(app.screen, SettingsScreen), what="close")
        s = app.trainer.settings
        assert (s.learning_rate, s.batch_size, s.optimizer, s.l2) == (0.1, 25, "adam", 0.001)
        assert app.trainer.network.constraint == "nonnegative"
        assert all((w >= 0).all() for w in app.trainer.network.weights)
        network = str(app.query_one(NetworkPane).render())
        assert "0.1" in network and "adam" in network and "nonnegative" in network
        assert_grid_matches_model(app)


@pytest.mark.parametrize("field,text", [("learning_rate", "abc"), ("learning_rate", "-1"),
                                        ("learning_rate", "nan"), ("batch_size", "0"),
                                        ("batch_size", "2.5"), ("l1", "-0.1"), ("l2", "")])
async def test_bad_settings_show_an_error_and_change_nothing(field, text):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        settings = app.trainer.settings
        screen = await open_settings(pilot)
        screen.query_one("#set-optimizer", Select).value = "adam"  # a good change alongside
        screen.query_one(f"#set-{field}", Input).value = text
        screen.query_one(f"#set-{field}", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert str(screen.query_one("#error").render()).strip()
        assert app.trainer.settings == settings
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SettingsScreen), what="close")


async def test_a_refused_constraint_rolls_back_the_other_settings():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        net = app.trainer.network
        assert net.weights[0][0, 0] < 0
        assert app.try_apply(Freeze(0, 0, 0, True)) is None
        settings = app.trainer.settings
        # a frozen negative weight cannot lie on the simplex: the whole form is refused
        error = app.apply_settings({**settings_values(app), "learning_rate": "0.1",
                                    "constraint": "simplex"})
        await pilot.pause()
        assert error and "simplex" in error
        assert app.trainer.settings.learning_rate == settings.learning_rate
        assert net.constraint == "none"


# ---- screens ----------------------------------------------------------------------------

async def test_picker_loads_a_scenario():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioPicker), what="picker")
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(k).id for k in range(options.option_count)]
        assert {"grades", "circle", "plane", "softmax-outputs"} <= set(ids)
        options.highlighted = ids.index("grades")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.workspace.lesson.name == "grades", what="grades loaded")
        await pilot.pause()
        assert app.trainer.network.sizes[0] == 5
        assert_grid_matches_model(app)
        assert "Grades" in app.query_one(Lesson).border_title or "grade" in \
            app.query_one(Lesson).border_title.lower()
        await pilot.press("space")
        await pilot.pause()
        assert app.trainer.step_count == 1


async def test_picker_escape_keeps_the_scenario():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        trainer = app.trainer
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioPicker), what="picker")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ScenarioPicker), what="close")
        assert app.trainer is trainer


async def test_question_mark_shows_help():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        rows = [row for _, section in app.screen.sections for row in section]
        described = " ".join(description for _, description in rows).lower()
        for word in ("step", "epoch", "freeze", "scenario", "leave", "lesson", "nudge"):
            assert word in described
        keys = {key for key, _ in rows}
        for _, action, _, _ in app.COMMAND_TABLE:
            assert any(k == key for k, a, _, _ in app.COMMAND_TABLE if a == action
                       for key in keys)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="close")


@pytest.mark.parametrize("size, whole", [((120, 36), True), ((200, 60), True),
                                         ((80, 24), False)])
async def test_the_lesson_shows_whole_when_it_fits_and_l_switches_to_one_line(size, whole):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        lesson = app.query_one(Lesson)
        assert lesson.display and lesson.short == (not whole)  # a newcomer starts by reading it
        text = str(lesson.render())
        assert ("circle" in text.lower()) or ("Circle" in text)
        assert lesson.region.height == (lesson.rows_needed(size[0]) if whole else 1)
        await pilot.press("l")
        await pilot.pause()
        assert lesson.short == whole and lesson.region.height == (1 if whole else
                                                                   lesson.rows_needed(size[0]))
        await pilot.press("l")
        await pilot.pause()
        assert lesson.short == (not whole)


async def test_g_toggles_the_loss_scale():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        plot = app.query_one("#loss")
        assert not plot.log_scale
        await pilot.press("g")
        await pilot.pause()
        assert plot.log_scale


async def test_command_palette_runs_an_action():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Epoch")
        await wait_for(pilot, lambda: "Epoch (n)" in str(app.screen.query("OptionList")
                                                           .first().get_option_at_index(0)
                                                           .prompt)
                       if app.screen.query("OptionList") and
                       app.screen.query("OptionList").first().option_count else False,
                       what="palette hit")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.trainer.epoch_count == 1, what="epoch via palette")


async def test_q_quits_with_status_zero():
    from gradstep.tui.screens.unsaved import UnsavedChanges
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: app.trainer.step_count > 0, what="a step")
        await pilot.press("q")
        # the run is unsaved work: q pauses it and asks first
        await wait_for(pilot, lambda: isinstance(app.screen, UnsavedChanges), what="the question")
        assert not app.running and app.return_code is None
        assert "unsaved changes" in str(app.screen.query_one("Label").render())
        await pilot.press("d")  # d quits without saving
        await wait_for(pilot, lambda: app.return_code is not None, what="the exit")
    assert app.return_code == 0


async def test_the_loss_shown_follows_an_edit_at_the_same_step():
    app = make_app("plane")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await pilot.pause()
        before = status_text(app)
        for _ in range(5):
            await pilot.press("plus")
        await pilot.pause()
        assert app.trainer.step_count == 1
        loss = app.trainer.evaluate().train_loss
        assert status_text(app) != before
        assert f"train loss {loss:.4g}" in status_text(app)

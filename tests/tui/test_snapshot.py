"""Whole-screen snapshots (pytest-textual-snapshot). Plain def: snap_compare runs the app.

Deterministic: a shipped scenario with its fixed seeds, a fixed number of steps, no running
worker (so no steps/s text) and no blinking cursor on the main screen."""

from gradstep.scenarios import load_scenario
from gradstep.tui.app import GradstepApp
from gradstep.workspace import Workspace


def test_main_screen_after_three_steps(snap_compare):
    app = GradstepApp(Workspace.from_scenario(load_scenario("circle")))
    assert snap_compare(app, terminal_size=(120, 36),
                        press=["space", "space", "space", "down", "right"])


def test_lesson_hidden_second_layer_and_a_frozen_weight(snap_compare):
    app = GradstepApp(Workspace.from_scenario(load_scenario("circle")))
    assert snap_compare(app, terminal_size=(120, 36),
                        press=["n", "right_square_bracket", "l", "f"])

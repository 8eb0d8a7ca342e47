"""Whole-screen snapshots (pytest-textual-snapshot) at the three sizes we design for: 80×24,
120×36 and 200×60. Plain def: snap_compare runs the app.

Deterministic: shipped scenarios with their fixed seeds, a fixed number of steps, no run going
(so no steps/s text) and no blinking cursor on the main screen."""

import pytest

from gradstep.scenarios import load_scenario
from gradstep.tui.app import GradstepApp
from gradstep.workspace import Workspace

SIZES = [(80, 24), (120, 36), (200, 60)]


def app_on(name: str) -> GradstepApp:
    return GradstepApp(Workspace.from_scenario(load_scenario(name)))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_circle_after_two_epochs(snap_compare, size):
    assert snap_compare(app_on("circle"), terminal_size=size, press=["n", "n", "down", "right"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_plane_after_three_epochs_its_proof_in_view(snap_compare, size):
    assert snap_compare(app_on("plane"), terminal_size=size, press=["n", "n", "n"])


def test_lesson_one_line_second_layer_and_a_frozen_weight(snap_compare):
    assert snap_compare(app_on("circle"), terminal_size=(120, 36),
                        press=["n", "right_square_bracket", "l", "f"])

"""The settings form's dtype choice: a network edit through the app, float64 by default."""

from __future__ import annotations

import time

import numpy as np
from textual.containers import Vertical
from textual.widgets import Button, Select

from gradstep.scenarios import load_scenario
from gradstep.tui.app import GradstepApp
from gradstep.workspace import Workspace
from gradstep.tui.screens.settings import SettingsScreen


async def wait_for(pilot, condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.01)


async def test_settings_switch_the_network_to_float32_and_back():
    app = GradstepApp(Workspace.from_scenario(load_scenario("circle")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), "settings")
        screen = app.screen
        assert screen.query_one("#set-dtype", Select).value == "float64"
        form = screen.query_one(Vertical)
        assert form.content_region.contains_region(screen.query_one("#apply", Button).region)
        screen.query_one("#set-dtype", Select).value = "float32"
        await pilot.click("#apply")
        await wait_for(pilot, lambda: not isinstance(app.screen, SettingsScreen), "close")
        t = app.trainer
        assert t.network.params.dtype == t.x_train.dtype == np.float32
        await pilot.press("space")
        await wait_for(pilot, lambda: t.step_count == 1, "a step")
        assert t.network.params.dtype == np.float32

        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), "settings")
        assert app.screen.query_one("#set-dtype", Select).value == "float32"
        app.screen.query_one("#set-dtype", Select).value = "float64"
        await pilot.click("#apply")
        await wait_for(pilot, lambda: not isinstance(app.screen, SettingsScreen), "close")
        assert t.network.params.dtype == t.x_train.dtype == np.float64

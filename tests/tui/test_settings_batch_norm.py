"""The settings form's batch norm choice: on and off through the app, undone by `u`, and a form
that still fits 80×24."""

from __future__ import annotations

import time

from textual.containers import Vertical
from textual.widgets import Button, Select

from gradstep.scenarios import load_scenario
from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.settings import SettingsScreen
from gradstep.workspace import Workspace


async def wait_for(pilot, condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.01)


async def open_settings(pilot, app) -> SettingsScreen:
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), "settings")
    return app.screen


async def test_batch_norm_toggles_on_undoes_and_the_form_fits_80x24():
    app = GradstepApp(Workspace.from_scenario(load_scenario("circle")))
    async with app.run_test(size=(80, 24)) as pilot:
        t = app.trainer
        screen = await open_settings(pilot, app)
        choice = screen.query_one("#set-batch_norm", Select)
        assert choice.value == "no"
        form = screen.query_one(Vertical)
        assert screen.region.contains_region(form.region)
        for field in [*screen.query(Select), screen.query_one("#apply", Button)]:
            assert form.content_region.contains_region(field.region), field.id
        choice.value = "yes"
        await pilot.click("#apply")
        await wait_for(pilot, lambda: not isinstance(app.screen, SettingsScreen), "close")
        assert t.network.batch_norm == [True, True]
        await pilot.press("space")
        await wait_for(pilot, lambda: t.step_count == 1, "a step")
        assert t.network.tracked.tolist() == [1, 1]

        screen = await open_settings(pilot, app)
        assert screen.query_one("#set-batch_norm", Select).value == "yes"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SettingsScreen), "close")
        await pilot.press("u")  # the step
        await wait_for(pilot, lambda: t.step_count == 0, "the step undone")
        await pilot.press("u")  # the settings
        await wait_for(pilot, lambda: t.network.batch_norm == [False, False], "batch norm off")


async def test_some_layers_is_offered_only_when_some_layers_have_it():
    app = GradstepApp(Workspace.from_scenario(load_scenario("circle")))
    async with app.run_test(size=(80, 24)) as pilot:
        app.trainer.network.set_batch_norm([True, False])
        screen = await open_settings(pilot, app)
        choice = screen.query_one("#set-batch_norm", Select)
        assert choice.value == "some layers"
        await pilot.click("#apply")  # nothing changed: the layers keep theirs
        await wait_for(pilot, lambda: not isinstance(app.screen, SettingsScreen), "close")
        assert app.trainer.network.batch_norm == [True, False]

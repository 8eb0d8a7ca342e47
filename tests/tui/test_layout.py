"""The layout at the three sizes we design for, on every shipped scenario: nothing overlaps or
falls off the screen, the plots keep room, the heatmap keeps the data's aspect, and what the
lesson is about is in view while the lesson is shown."""

from __future__ import annotations

import numpy as np
import pytest

from gradstep.scenarios import list_presets, load_scenario
from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets.heatmap import HeatmapCanvas
from gradstep.tui.widgets.lesson import Lesson
from gradstep.tui.widgets.readouts_view import ReadoutsView
from gradstep.workspace import Workspace

SIZES = [(80, 24), (120, 36), (200, 60)]
NAMES = [s.name for s in list_presets()]
PANES = ("#weights", "#readouts", "#loss", "#output", "#status")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
async def test_every_scenario_fits_every_size(name, size):
    app = GradstepApp(Workspace.from_scenario(load_scenario(name)))
    width, height = size
    async with app.run_test(size=size) as pilot:
        await pilot.press("n")
        await pilot.pause()
        for selector in PANES:
            region = app.query_one(selector).region
            assert region.width > 0 and region.height > 0, selector
            assert region.right <= width and region.bottom <= height, selector
        plot = app.query_one("#loss").region
        assert plot.height >= (9 if height < 32 else 12)          # the curve has room
        lesson = app.query_one(Lesson)
        assert lesson.region.height >= 1 and lesson.region.bottom <= app.query_one("#top").region.y
        canvas = app.query_one(HeatmapCanvas)
        if app.trainer.on_plane:
            view = canvas.view
            data = np.concatenate([app.trainer.raw_train.points, app.trainer.raw_test.points])
            span = np.ptp(data, axis=0)
            # square pixels: the plane's width over its height, within one pixel
            assert abs(view.width / view.height - span[0] / span[1]) <= 2 / min(view.width,
                                                                                view.height)


@pytest.mark.parametrize("name", NAMES)
async def test_what_the_lesson_is_about_is_in_view_at_120x36(name):
    scenario = load_scenario(name)
    app = GradstepApp(Workspace.from_scenario(scenario))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        readouts = app.query_one(ReadoutsView)
        top, bottom = readouts.region.y, readouts.region.bottom
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        screen = "\n".join(lines[top:bottom])  # the sums pane's rows on screen
        headers = {"sum": "Σw", "abs_sum": "Σ|w|", "sq_sum": "Σw²", "bias_sum": "Σb",
                   "grad_norm": "‖∇‖", "mean_abs_activation": "mean|a|",
                   "signal_mean": "mean z", "signal_var": "var z"}
        for focus in scenario.lesson.focus:
            if focus in headers:
                assert headers[focus] in screen, (focus, screen)
        if app.trainer.least_squares_applies:
            assert "learned vs least squares" in screen
        if app.trainer.network.output == "softmax":
            assert "Σp = 1.000" in screen

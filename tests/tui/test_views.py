"""The views inside the network, by key: w (Σw over time), v (neuron pictures), the probe on
the heatmap, b and B (two networks side by side), < and > (the pace)."""

from __future__ import annotations

import numpy as np
import pytest

from gradstep.live import PACES
from gradstep.scenarios import load_scenario
from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets.heatmap import PROBE_COLOR, HeatmapCanvas
from gradstep.tui.widgets.neuron_map import NeuronMap
from gradstep.tui.widgets.output_view import OutputView
from gradstep.tui.widgets.sums_plot import SumsPlot
from gradstep.workspace import Workspace
from test_app import wait_for


def app_on(name: str) -> GradstepApp:
    return GradstepApp(Workspace.from_scenario(load_scenario(name)))


async def test_w_switches_the_loss_plot_for_the_sums_over_time_and_both_show_when_wide():
    app = app_on("circle")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("n", "n")
        loss, sums = app.query_one("#loss"), app.query_one(SumsPlot)
        assert loss.display and not sums.display
        await pilot.press("w")
        await pilot.pause()
        assert sums.display and not loss.display
        text = str(sums.render())
        assert "Σw" in text and "dotted: 1" in text
        assert "W0 blue" in str(sums.border_subtitle)
    wide = app_on("circle")
    async with wide.run_test(size=(200, 60)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert wide.query_one("#loss").display and wide.query_one(SumsPlot).display


async def test_v_draws_a_picture_per_neuron_and_bars_for_other_data():
    app = app_on("circle")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("n", "v")
        await pilot.pause()
        pictures = app.query_one(NeuronMap)
        assert pictures.display and not app.query_one("#network").display
        text = "\n".join(s.text for s in pictures._strips)
        assert "layer 1" in text and "layer 3" in text and "h4 Σ" in text and "y Σ" in text
        assert "▀" in text
        await pilot.press("v")
        await pilot.pause()
        assert not pictures.display and app.query_one("#network").display
    other = app_on("grades")
    async with other.run_test(size=(120, 36)) as pilot:
        await pilot.press("n", "v")  # grades starts at zero: one epoch gives it activations
        await pilot.pause()
        text = "\n".join(s.text for s in other.query_one(NeuronMap)._strips)
        assert "mean|a|" in text and "█" in text


async def test_the_probe_reads_softmax_outputs_summing_to_one_everywhere():
    app = app_on("softmax-outputs")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("n", "n")
        canvas = app.query_one(HeatmapCanvas)
        await pilot.click(HeatmapCanvas, offset=(3, 2))
        await pilot.pause()
        assert canvas.has_focus and canvas.probe is not None
        output = app.query_one(OutputView)
        seen = set()
        for key in ["right"] * 6 + ["down"] * 6 + ["shift+left"] * 3:
            await pilot.press(key)
            await pilot.pause()
            caption = str(output.query_one("#output-caption").render())
            assert "Σp = 1.000" in caption and "probe x1" in caption
            seen.add(caption.splitlines()[0])
        assert len(seen) > 5                      # the inputs read follow the probe
        magenta = tuple((PROBE_COLOR >> k) & 255 for k in (16, 8, 0))
        colours = {tuple(c.triplet) for strip in canvas._strips for seg in strip
                   for c in (seg.style.color, seg.style.bgcolor) if c is not None}
        assert magenta in colours                 # the probe is drawn
        assert PROBE_COLOR not in set(canvas.pixels.ravel().tolist())  # but not painted in
        await pilot.press("tab")                  # the focus leaves: the probe goes
        await pilot.pause()
        assert output.probe is None


async def test_b_and_shift_b_compare_a_copy_and_switch_what_the_keys_edit():
    app = app_on("circle")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("b")                   # no B yet: a warning, nothing changes
        await pilot.pause()
        assert not app.workspace.comparing
        await pilot.press("B")
        await wait_for(pilot, lambda: app.workspace.comparing, what="B")
        await pilot.press("b", "plus")           # edit B only
        await pilot.pause()
        a, b = app.workspace.trainers
        assert b.network.weights[0][0, 0] == pytest.approx(a.network.weights[0][0, 0] + 0.1)
        assert app.query_one("#weights").border_title.startswith("B:")
        await pilot.press("n")
        await pilot.pause()
        assert a.step_count == b.step_count == 25
        output = app.query_one(OutputView)
        assert output.query_one("#output-heatmap-b").display
        caption = str(output.query_one("#output-caption").render())
        assert "A accuracy" in caption and "B accuracy" in caption
        assert "A:" in str(app.query_one("#status").render())


async def test_when_a_diverges_b_goes_on_and_the_status_counts_b_s_steps():
    app = app_on("standardize")               # A raw diverges at step 2; B standardized trains
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("n", "n")
        await pilot.pause()
        a, b = app.workspace.trainers
        assert a.diverged and a.step_count == 1 and b.step_count == 2 * b.steps_per_epoch
        status = str(app.query_one("#status").render())
        assert f"step {b.step_count}  epoch 2" in status and "diverged at step 2" in status


async def test_a_resize_keeps_both_networks_in_the_output_caption():
    app = app_on("l1-sparsity")               # six inputs: a table of predictions, resized
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        output = app.query_one(OutputView)
        assert output.mode == "table"
        caption = lambda: str(output.query_one("#output-caption").render())  # noqa: E731
        assert "A mse" in caption() and "B mse" in caption()
        await pilot.press("l")                # the lesson whole: the panes below resize
        await pilot.pause()
        await pilot.resize_terminal(110, 34)
        await pilot.pause()
        assert "A mse" in caption() and "B mse" in caption()


async def test_a_resize_or_g_keeps_both_networks_in_the_plots():
    app = app_on("sum-to-one")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("n", "bracketright")
        await pilot.pause()
        loss, sums = app.query_one("#loss"), app.query_one(SumsPlot)
        assert loss.pair and loss.title_text().startswith("A")
        await pilot.press("l")                # the lesson whole: the plots resize
        await pilot.pause()
        await pilot.resize_terminal(110, 34)
        await pilot.pause()
        assert loss.pair and loss.title_text().startswith("A")
        await pilot.press("g")                # another scale, drawn again
        await pilot.pause()
        assert loss.pair
        await pilot.press("w")
        await pilot.pause()
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        assert sums.pair and "A: lines · B: dots" in sums.title_text()


async def test_less_and_greater_walk_the_pace_ladder():
    app = app_on("circle")
    async with app.run_test(size=(120, 36)) as pilot:
        start = app.workspace.pace
        await pilot.press("greater_than_sign")
        assert app.workspace.pace == next(p for p in PACES[:-1] if p > start)
        for _ in range(len(PACES)):
            await pilot.press("greater_than_sign")
        assert app.workspace.pace is None
        await pilot.pause()
        assert "r runs at max" in str(app.query_one("#status").render())
        await pilot.press("less_than_sign")
        assert app.workspace.pace == PACES[-2]


async def test_shift_d_opens_the_data_form_and_features_change_the_inputs():
    from textual.widgets import Checkbox, Input

    from gradstep.tui.screens.data_form import DataScreen, _id

    app = app_on("circle")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, DataScreen), what="the form")
        form = app.screen
        assert form.query_one("#apply").region.bottom <= 24     # it fits 80×24
        form.query_one(f"#{_id('x1^2')}", Checkbox).value = True
        form.query_one("#data-noise", Input).value = "abc"
        await pilot.click("#apply")
        await pilot.pause()
        assert "number" in str(form.query_one("#data-error").render())
        assert app.trainer.network.sizes[0] == 2                  # nothing changed
        noise = form.query_one("#data-noise", Input)
        noise.value = "0.1"
        noise.focus()
        await pilot.press("enter")                                # Enter in a field applies
        await wait_for(pilot, lambda: not isinstance(app.screen, DataScreen), what="applied")
        assert app.trainer.network.sizes[0] == 3
        assert app.trainer.raw_train.feature_names == ("x1", "x2", "x1^2")
        await pilot.press("u")
        await pilot.pause()
        assert app.trainer.network.sizes[0] == 2


async def test_a_click_on_the_heatmap_adds_a_point_and_t_and_o_change_the_picture():
    app = app_on("xor")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("n")
        n = len(app.trainer.raw_train)
        canvas = app.query_one(HeatmapCanvas)
        await pilot.click(HeatmapCanvas, offset=(canvas.size.width // 2, canvas.size.height // 2))
        await pilot.pause()
        assert len(app.trainer.raw_train) == n + 1 and app.trainer.raw_train.y[-1] == 1
        await pilot.click(HeatmapCanvas, offset=(2, 2), button=3)
        await pilot.pause()
        assert len(app.trainer.raw_train) == n + 2 and app.trainer.raw_train.y[-1] == 0
        before = canvas.pixels.copy()
        app.query_one("#weights").focus()
        await pilot.press("o")
        await pilot.pause()
        plain = canvas.pixels.copy()
        assert canvas.discrete and not np.array_equal(before, plain)
        assert len(np.unique(plain)) < len(np.unique(before))    # decisions, no shades
        await pilot.press("t")
        await pilot.pause()
        assert canvas.show_test and 0 in set(canvas.pixels.ravel().tolist())  # the marks

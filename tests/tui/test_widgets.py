"""The three read-only widgets: LossPlot, OutputView, ReadoutsView.

Each is mounted alone in a tiny App and fed real trainers; assertions read what reached the
screen (the compositor's strips) or the widget's own drawn data.
"""

import math
import time

import numpy as np
import pytest
from textual.app import App

from helpers import trainer
from gradstep.model import Network
from gradstep.scenarios.data import load_data
from gradstep.training import Trainer, TrainingSettings
from gradstep.tui.widgets.loss_plot import LossPlot, downsample, nice_ticks, short_number
from gradstep.targets import class_confidence
from gradstep.tui.widgets.colors import diverging, domain
from gradstep.tui.widgets.heatmap import HeatmapCanvas, half_block_strips
from gradstep.tui.widgets.output_view import OutputView
from gradstep.tui.widgets.readouts_view import ReadoutsView, number
from gradstep.edits import SetWeight
from gradstep.history import History


# ---- trainers --------------------------------------------------------------------------------

def one_input():
    return trainer(sizes=(1, 6, 1), learning_rate=0.05)


def two_class():
    train, test = load_data({"kind": "xor", "samples": 200, "seed": 0}, None, "test")
    return Trainer(Network([2, 4, 1], "tanh", "tanh", seed=0), train, test,
                   TrainingSettings(loss="mse", learning_rate=0.05))


def spiral3(**settings):
    train, test = load_data({"kind": "spiral", "classes": 3, "samples": 300, "seed": 0}, None,
                            "test")
    return Trainer(Network([2, 8, 3], "tanh", "softmax", seed=0), train, test,
                   TrainingSettings(loss="cross-entropy", learning_rate=0.1, **settings))


def grades():
    train, test = load_data({"kind": "grades", "samples": 100, "seed": 0}, None, "test")
    return Trainer(Network([5, 1], output="linear", seed=0), train, test,
                   TrainingSettings(loss="mse", learning_rate=1e-5))


class One(App):
    def __init__(self, widget):
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())




# ---- pure functions --------------------------------------------------------------------------

def test_downsample_keeps_ends_and_extremes_and_is_fast():
    n = 1_000_000
    x = np.arange(n, dtype=float)
    y = np.sin(x / 5000) + 1e-3 * np.random.default_rng(0).normal(size=n)
    y[123_457] = 50.0
    y[876_543] = -50.0
    start = time.perf_counter()
    xs, ys = downsample(x, y, 240)
    elapsed = time.perf_counter() - start
    assert len(xs) <= 240 and len(xs) == len(ys)
    assert xs[0] == 0 and xs[-1] == n - 1
    assert ys.max() == 50.0 and ys.min() == -50.0
    assert np.all(np.diff(xs) > 0)
    assert elapsed < 0.1


def test_downsample_leaves_short_series_alone():
    x, y = np.arange(5.0), np.array([3.0, 1, 4, 1, 5])
    xs, ys = downsample(x, y, 100)
    assert list(ys) == list(y)
    for n in range(5, 40):   # every length near the bucket size keeps the bound and the ends
        xs, ys = downsample(np.arange(float(n)), np.arange(float(n)) % 7, 10)
        assert len(xs) <= 10 and xs[0] == 0 and xs[-1] == n - 1


def test_ticks_and_short_numbers():
    assert nice_ticks(0, 1_000_000, 5) == [0, 250_000, 500_000, 750_000, 1_000_000]
    assert nice_ticks(3, 3) == [3]
    assert nice_ticks(0, 2, 5) == [0, 1, 2]     # steps are whole numbers
    assert short_number(250_000) == "250k" and short_number(3e6) == "3M"
    assert short_number(42) == "42"


def test_number_format_has_stable_width():
    values = [0, 1, -1, 1 / 3, -2 / 3, 12.3456, 99_999, 123_456, -6.5e-15, 6.45e-3, 1e300,
              math.nan, None, math.inf]
    assert {len(number(v)) for v in values} == {8}
    assert number(1 / 3).strip() == "0.3333"
    assert number(None).strip() == "—"


def test_colour_helpers():
    lo, hi = domain(np.array([[0.0, 5.0], [10.0, 5.0]]))
    assert lo[0] < 0 and hi[0] > 10 and lo[1] == 4 and hi[1] == 6   # constant column: ±1
    colours = diverging(np.array([-1.0, 0.0, 1.0, np.nan]))
    assert colours[0][0] > colours[0][2]   # orange: red over blue
    assert colours[2][2] > colours[2][0]   # blue
    assert np.allclose(colours[1], colours[3])   # nan is drawn as 0
    labels, confidence = class_confidence(np.array([[0.2, 0.7, 0.1], [1 / 3, 1 / 3, 1 / 3]]), True)
    assert list(labels) == [1, 0] and confidence[1] == pytest.approx(0)
    top = np.array([[0xFF0000, 0xFF0000, 0x00FF00]])
    strips = half_block_strips(top, top, {})
    assert strips[0].text == "▀▀▀" and len(list(strips[0])) == 2   # equal cells merged


# ---- LossPlot --------------------------------------------------------------------------------

async def test_loss_plot_draws_history_and_toggles_log():
    t = spiral3()
    t.run(steps=120)
    t.evaluate()
    t.apply(SetWeight(0, 0, 0, 0.5))
    t.run(steps=30)
    t.evaluate()
    plot = LossPlot()
    async with One(plot).run_test(size=(80, 20)) as pilot:
        plot.update_from(t)
        await pilot.pause()
        text = screen_text(pilot.app)
        assert "linear y (auto)" in text and "step" in text
        assert any(c in text for c in "⠁⠂⠄⡀⣀⠤⠒⠉")   # braille curve drawn
        plot.toggle_log()
        await pilot.pause()
        assert "· log y" in screen_text(pilot.app) and "(auto)" not in screen_text(pilot.app)
        plot.toggle_log()
        await pilot.pause()
        assert "· linear y" in screen_text(pilot.app)
        plot.toggle_log()
        await pilot.pause()
        assert "y (auto)" in screen_text(pilot.app)


async def test_loss_plot_grows_from_zero_and_goes_log_by_itself():
    t = trainer(sizes=(3, 4, 1), batch_size=8)   # 40 rows: 5 steps an epoch
    plot = LossPlot()
    async with One(plot).run_test(size=(60, 14)) as pilot:
        plot.update_from(t)                       # step 0: x from 0 to one epoch
        await pilot.pause()
        text = screen_text(pilot.app)
        assert "linear y (auto)" in text
        ticks = [line for line in text.splitlines() if "┬" in line]
        assert ticks and text.splitlines()[text.splitlines().index(ticks[0]) + 1].split()[:2] \
            == ["0", "2"]  # the axis runs from step 0 over the first epoch
        t.run(steps=12)
        t.history.add_loss(1e-6)                  # a span of more than two decades
        plot.update_from(t)
        await pilot.pause()
        assert "log y (auto)" in screen_text(pilot.app) and plot.log_scale
        assert ticks


async def test_loss_plot_survives_degenerate_histories():
    plot = LossPlot()
    async with One(plot).run_test(size=(38, 8)) as pilot:
        fresh = trainer(sizes=(3, 4, 1))          # one evaluation, no test split (all nan)
        plot.update_from(fresh)
        await pilot.pause()
        fresh.history.size = 0                    # an empty history
        plot.update_from(fresh)
        plot.toggle_log()
        await pilot.pause()
        flat = trainer(sizes=(3, 4, 1))           # a zero loss cannot go on a log axis
        flat.history.record(1, 0, 0.0, math.nan, math.nan)
        plot.update_from(flat)
        await pilot.pause()
        assert "y" in screen_text(pilot.app)


async def test_loss_plot_million_step_history_is_fast():
    t = trainer(sizes=(3, 4, 1))
    n = 1_000_000
    steps = np.arange(n, dtype=float)
    t.history = History(np.vstack([steps, steps // 100, 1 / (1 + steps / 1e4),
                                   1.1 / (1 + steps / 1e4), np.full(n, np.nan)]),
                        edits=range(0, n, 1000))
    plot = LossPlot()
    async with One(plot).run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        plot.update_from(t)
        plot.render()                             # the plotext build happens on render
        elapsed = time.perf_counter() - start
        await pilot.pause()
        assert "500k" in screen_text(pilot.app)
    assert elapsed < 0.25


# ---- OutputView ------------------------------------------------------------------------------

async def test_output_view_one_input_draws_curve():
    view = OutputView()
    async with One(view).run_test(size=(80, 24)) as pilot:
        view.update_from(one_input())
        await pilot.pause()
        assert view.mode == "curve"
        text = screen_text(pilot.app)
        assert "•" in text and "x0" in text


async def test_output_view_heatmap_changes_with_training():
    t = two_class()
    view = OutputView()
    async with One(view).run_test(size=(60, 20)) as pilot:
        view.update_from(t)
        await pilot.pause()
        canvas = view.query_one(HeatmapCanvas)
        assert view.mode == "heatmap"
        before = canvas.pixels.copy()
        assert before.shape == (2 * canvas.size.height, canvas.size.width)
        assert len(np.unique(before)) > 4
        t.run(steps=200)
        t.evaluate()
        view.update_from(t)
        await pilot.pause()
        assert (canvas.pixels != before).mean() > 0.05
        text = screen_text(pilot.app)
        assert "▀" in text and "accuracy" in text and "(test)" in text


async def test_output_view_softmax_colours_by_class_and_reports_accuracy():
    t = spiral3()
    t.run(steps=300)
    t.evaluate()
    view = OutputView()
    async with One(view).run_test(size=(60, 20)) as pilot:
        view.update_from(t)
        await pilot.pause()
        accuracy = t.history.last("accuracy")
        assert f"accuracy {100 * accuracy:.1f}%" in screen_text(pilot.app)
        pixels = view.query_one(HeatmapCanvas).pixels
        assert len(np.unique(pixels)) > 6          # several classes × brightness levels


async def test_output_view_more_inputs_shows_rows():
    t = grades()
    view = OutputView()
    async with One(view).run_test(size=(60, 16)) as pilot:
        view.update_from(t)
        await pilot.pause()
        text = screen_text(pilot.app)
        assert view.mode == "table"
        assert "the heatmap needs 2 inputs" in text and "predicted" in text
        target = float(t.raw_train.y[0, 0]) if not len(t.raw_test) else float(t.raw_test.y[0, 0])
        assert f"{target:.4g}" in text


async def test_output_view_small_and_degenerate():
    view = OutputView()
    async with One(view).run_test(size=(38, 8)) as pilot:
        for make in (one_input, two_class, spiral3, grades):
            view.update_from(make())
            await pilot.pause()
        constant = two_class()                      # constant output: all weights zero
        for w in constant.network.weights:
            w[...] = 0
        view.update_from(constant)
        await pilot.pause()
        canvas = view.query_one(HeatmapCanvas)
        v = canvas.view                             # the plane's rectangle, without the margin
        plane = canvas.pixels[v.top:v.top + v.height, v.left:v.left + v.width]
        assert len(np.unique(plane)) <= 3  # field + 2 point colours
        huge = two_class()                          # outputs overflowing to inf/nan
        huge.network.weights[0][...] = 1e200
        huge.network.weights[1][...] = 1e200
        view.update_from(huge)
        await pilot.pause()
        assert "accuracy" in screen_text(pilot.app)


# ---- ReadoutsView ----------------------------------------------------------------------------

async def test_readouts_show_sums_and_gradient_after_a_step():
    t = trainer(sizes=(2, 4, 1))
    view = ReadoutsView()
    async with One(view).run_test(size=(100, 24)) as pilot:
        view.update_from(t)
        await pilot.pause()
        text = screen_text(pilot.app)
        r = t.readouts()
        assert "Σw" in text and "W0 2→4" in text and "W1 4→1" in text and "total" in text
        assert number(r.layers[0].sum).strip() in text
        assert number(r.sum).strip() in text
        assert "‖∇‖" in text and "—" in text       # no gradient before the first step
        t.run(steps=1)
        view.update_from(t, layer=1)
        await pilot.pause()
        text = screen_text(pilot.app)
        assert number(t.readouts().layers[1].grad_norm).strip() in text
        assert "Σ in, W1:" in text
        neuron = float(t.network.weights[1][:, 0].sum())
        assert f"y0 {number(neuron, 0)}" in text  # the target is called y0


def test_readouts_narrow_pane_keeps_layer_labels_whole():
    """Beside B a half of the sums pane is about 20 cells: the bars shorten, the labels stay
    whole (they were cut to "W0 …", and the vanishing could not be read layer by layer)."""
    from rich.console import Console

    t = trainer(sizes=(2, 8, 8, 1))
    t.run(steps=2)
    for width in (20, 24, 60):
        body = ReadoutsView.render_readouts(t, 0, width, focus=("mean_abs_activation",))
        lines = Console(width=width, color_system=None).render_lines(body, pad=False)
        text = "\n".join("".join(seg.text for seg in line) for line in lines)
        assert all(f"W{l} " in text for l in range(3)) and "W0 2→8" in text, text
        assert "…" not in text.split("mean|a|")[1].split("\n")[1], text


async def test_readouts_softmax_probability_sum_against_weight_sum():
    t = spiral3(l2=0.01)
    t.run(steps=5)
    view = ReadoutsView()
    async with One(view).run_test(size=(100, 24)) as pilot:
        view.update_from(t)
        await pilot.pause()
        text = screen_text(pilot.app)
        assert "Σp = 1.000 softmax outputs, always; Σw = " in text
        assert f"Σw = {number(t.readouts().layers[-1].sum, 0)}" in text
        assert "penalty 0.01·Σw² = " in text and number(t.penalty(), 0) in text


async def test_readouts_least_squares_for_linear_regression():
    t = grades()
    t.run(steps=300)
    view = ReadoutsView()
    async with One(view).run_test(size=(80, 30)) as pilot:
        view.update_from(t)
        await pilot.pause()
        text = screen_text(pilot.app)
        weights, _ = t.least_squares()
        assert "learned vs least squares" in text and "homework" in text
        assert number(float(weights[:, 0].sum())).strip() in text


async def test_readouts_small_pane_and_diverged_trainer():
    view = ReadoutsView()
    async with One(view).run_test(size=(38, 8)) as pilot:
        for make in (one_input, two_class, spiral3, grades):
            view.update_from(make(), layer=5)       # an out-of-range layer is clamped
            await pilot.pause()
        t = trainer(sizes=(3, 4, 1), learning_rate=1e5)
        t.run(steps=50)
        assert t.diverged
        view.update_from(t)
        await pilot.pause()
        text = screen_text(pilot.app)
        assert "Σw" in text and "W0 3→4" in text


async def test_loss_plot_labels_stay_short_for_huge_losses():
    t = trainer(sizes=(3, 4, 1))
    for step, loss in ((1, 3.0486865155796048e16), (2, 1.2e15), (3, 5.0)):
        t.history.record(step, 0, loss, math.nan, math.nan)
    async with One(LossPlot()).run_test(size=(60, 16)) as pilot:
        plot = pilot.app.query_one(LossPlot)
        plot.update_from(t)
        await pilot.pause()
        text = screen_text(pilot.app)
        assert "3.05e+16" in text and "30486865155796048" not in text


def test_tick_labels_are_short_but_distinct():
    from gradstep.tui.widgets.loss_plot import distinct_labels
    assert distinct_labels([1.0, 2.0, 3.0]) == ["1", "2", "3"]
    assert distinct_labels([1.0081, 1.0084, 1.0087]) == ["1.0081", "1.0084", "1.0087"]
    assert distinct_labels([3.0486865155796048e16, 1e15]) == ["3.05e+16", "1e+15"]


async def test_log_scale_after_linear_ticks_draws():
    t = trainer(sizes=(3, 4, 1))
    for step, loss in ((1, 0.5), (2, 0.3), (3, 0.2)):
        t.history.record(step, 0, loss, math.nan, math.nan)
    async with One(LossPlot()).run_test(size=(60, 16)) as pilot:
        plot = pilot.app.query_one(LossPlot)
        plot.update_from(t)
        await pilot.pause()
        plot.toggle_log()  # the linear axis's ticks (below 1) must not reach the log axis
        await pilot.pause()
        plot.update_from(t)  # a second build: plotext would take the log of the logged ticks
        await pilot.pause()
        assert "log y" in screen_text(pilot.app)


# ---- the status line ----------------------------------------------------------------------

async def test_status_line_shows_the_rate_only_while_running():
    from gradstep.tui.widgets.status_line import StatusLine
    t = trainer()
    line = StatusLine()
    async with One(line).run_test(size=(120, 3)) as pilot:
        line.update_from(t, running=True, rate=12345.6)
        await pilot.pause()
        assert "▶ running  · 12,346 steps/s" in str(line.render())
        line.update_from(t, running=True, rate=None)  # no rate measured yet
        await pilot.pause()
        assert "running" in str(line.render()) and "steps/s" not in str(line.render())
        line.update_from(t, running=False, rate=12345.6)
        await pilot.pause()
        assert "running" not in str(line.render()) and "steps/s" not in str(line.render())

"""What the view keys do: which panes show what (w, v, t, o, g), the pace (< >), the second
network (B, b), the data form (D), and what opening a scenario shows. They change what is shown, or hand a change to the
workspace; the app's handlers are one line each."""

from __future__ import annotations

from gradstep.edits import AddPoint
from gradstep.errors import GradstepError
from gradstep.live import next_pace, pace_words
from gradstep.text import printable
from gradstep.tui import layout
from gradstep.tui.screens.prompt import failure
from gradstep.tui.screens.data_form import DataScreen
from gradstep.tui.widgets.heatmap import HeatmapCanvas
from gradstep.tui.widgets.lesson import Lesson
from gradstep.tui.widgets.loss_plot import LossPlot
from gradstep.tui.widgets.sums_plot import SumsPlot


def toggle(app, view: str) -> None:
    """w: Σw over time for the loss; v: neuron pictures for the network list; t: the test
    points on the heatmap; o: the heatmap as decisions; g: the plots' y scale."""
    if view == "sums":
        app.show_sums = not app.show_sums
    elif view == "neurons":
        app.show_neurons = not app.show_neurons
    elif view in ("test", "discrete"):
        canvases = list(app.query(HeatmapCanvas))
        now = not getattr(canvases[0], "show_test" if view == "test" else "discrete")
        for canvas in canvases:
            setattr(canvas, "show_test" if view == "test" else "discrete", now)
        if view == "test":
            app.notify("test points " + ("shown (a dark mark under each)" if now else "hidden"))
    elif view == "scale":
        for plot in (app.query_one(LossPlot), app.query_one(SumsPlot)):
            if plot.display:
                plot.toggle_log()
    layout.arrange(app)
    app.redraw()


def pace(app, step: int) -> None:
    """< and >: one rung down or up the ladder of paces."""
    chosen = next_pace(app.workspace.pace, step)
    app.workspace.set_pace(chosen)
    app.notify(f"pace: {pace_words(chosen)}" + (" (as fast as it goes)" if chosen is None
                                                else ""))
    app.redraw()


def compare(app) -> None:
    """B: a copy of A beside it, or B removed."""
    app.notify(app.workspace.toggle_compare())
    app.redraw()


def switch(app) -> None:
    """b: the grid and the edit keys act on the other network."""
    try:
        app.notify(app.workspace.switch())
    except GradstepError as e:
        app.notify(str(e), severity="warning")
    app.redraw()


def data(app) -> None:
    """D: the data form."""
    app.push_screen(DataScreen(app.trainer, app.try_apply),
                    lambda changed: app.notify("new data: the network kept what still fits "
                                               "(u undoes it)") if changed else None)


def add_point(app, message: HeatmapCanvas.PointAdded) -> None:
    """A click on the heatmap: a training point there."""
    app.apply(AddPoint(message.point, message.target))


def open_scenario(app, name: str) -> None:
    """A scenario from the picker, in place of what is open (its unsaved work was asked about)."""
    try:
        app.workspace.open_scenario(name)
    except GradstepError as e:
        app.notify(str(e), severity="error", title="not loaded")
        return
    except Exception as e:  # noqa: BLE001 - a scenario file never takes the app down
        app.notify(failure(e), severity="error", title="not loaded")
        return
    opened(app, f"loaded {name}: {printable(app.workspace.lesson.title, 200)}")


def opened(app, message: str) -> None:
    """Something new is open: select its first layer, redraw, show its lesson (whole when it
    fits beside the new panes: measured with the new lesson, as at launch)."""
    app.layer = 0
    app.query_one(Lesson).show(app.workspace.lesson, short=True)
    app.redraw()
    app.show_lesson()
    app.notify(message, title="opened")

"""The gradstep app: a small numpy network, edited by keyboard, trained by keypress.

A thin face over the workspace (gradstep/workspace.py), which owns what is open and makes
every change under the live trainer's lock. A key's handler here builds an edit (or asks
selection.py which edit the key means), hands it to the workspace, and marks the screen dirty;
the next frame reads the trainer (painter.py draws the frames).
"""

from __future__ import annotations

import asyncio
import signal

from textual import events, on
from textual.app import App, ComposeResult
from textual.containers import Container, Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer

from gradstep import selection
from gradstep.edits import Reinitialize
from gradstep.errors import GradstepError
from gradstep.files import Reads
from gradstep.text import printable
from gradstep.tui import editing, keep, layout, views
from gradstep.tui.commands import GradstepCommands
from gradstep.tui.keys import ACTIONS, COMMAND_TABLE, bindings
from gradstep.tui.messages import TrainingStopped
from gradstep.tui.painter import REDRAW_HZ, Painter
from gradstep.tui.screens.help import HelpScreen, help_sections
from gradstep.tui.screens.picker import ScenarioPicker
from gradstep.tui.screens.prompt import failure
from gradstep.tui.screens.settings import SettingsScreen
from gradstep.tui.widgets.heatmap import HeatmapCanvas
from gradstep.tui.widgets.lesson import Lesson
from gradstep.tui.widgets.loss_plot import LossPlot
from gradstep.tui.widgets.network_pane import NetworkPane
from gradstep.tui.widgets.neuron_map import NeuronMap
from gradstep.tui.widgets.output_view import OutputView
from gradstep.tui.widgets.readouts_view import ReadoutsView
from gradstep.tui.widgets.status_line import StatusLine
from gradstep.tui.widgets.sums_plot import SumsPlot
from gradstep.tui.widgets.weights_grid import WeightsGrid
from gradstep.workspace import Workspace

TALL = layout.TALL


class GradstepApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "gradstep"
    COMMANDS = App.COMMANDS | {GradstepCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (TALL, "-tall")]
    COMMAND_TABLE = COMMAND_TABLE
    BINDINGS = bindings()

    def __init__(self, workspace: Workspace, driver_class=None, web: bool = False,
                 handle_signals: bool = False) -> None:
        super().__init__(driver_class=driver_class)
        self.workspace = workspace
        self.downloads = keep.Downloads() if web else None  # web: files go to the browser
        self.layer = 0        # the selected weight layer
        self.show_sums = False  # w: the sums plot in the loss plot's place (when one fits)
        self.show_neurons = False  # v: neuron pictures in the network list's place
        self.painter = Painter(self)
        self.handle_signals = handle_signals
        self.sub_title = printable(workspace.lesson.name, 60)

    def on_mount(self) -> None:
        if self.handle_signals:  # SIGTERM ends the app as `q` would, between two events
            try:
                asyncio.get_running_loop().add_signal_handler(
                    signal.SIGTERM, lambda: self.exit(128 + signal.SIGTERM))
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        self.workspace.on_run_stopped = lambda diverged: self.post_message(
            TrainingStopped(diverged))
        for pane, title in (("#network", "network"), ("#readouts", "weight sums"),
                            ("#loss", "loss"), ("#sums", "Σw over time (w)"),
                            ("#output", "output")):
            self.query_one(pane).border_title = title
        self.query_one(Lesson).show(self.workspace.lesson, short=True)
        self.query_one(ReadoutsView).focus = self.workspace.lesson.focus
        self.query_one(WeightsGrid).focus()
        self.redraw()
        self.show_lesson()  # whole, when it fits beside the panes (they are drawn now)
        self.set_interval(1 / REDRAW_HZ, self.painter.tick)

    def compose(self) -> ComposeResult:
        yield Lesson(id="lesson")  # shown at launch: a newcomer starts by reading it
        with Horizontal(id="top"):
            with VerticalScroll(id="network"):
                yield NetworkPane()
            yield NeuronMap(id="neurons")
            yield WeightsGrid(id="weights")
            yield ReadoutsView(id="readouts")
        with Horizontal(id="bottom"):
            with Container(id="plots"):
                yield LossPlot(id="loss")
                yield SumsPlot(id="sums")
            yield OutputView(id="output")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    @property
    def trainer(self):
        return self.workspace.trainer

    @property
    def running(self) -> bool:
        return self.workspace.running

    @property
    def grid(self) -> WeightsGrid:
        return self.query_one(WeightsGrid)

    def notify(self, message: str, *, title: str = "", severity="information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Model messages hold brackets ("shape [5, 1]"): not markup; they may quote a file's
        text: control characters made visible. One at a time."""
        self.clear_notifications()
        super().notify(printable(message, 600), title=printable(title, 60), severity=severity,
                       timeout=timeout, markup=markup)

    def show_lesson(self, short: bool | None = None) -> None:
        """The lesson, whole when it fits beside the panes (or as asked), else one line."""
        if short is None:
            short = not layout.lesson_fits(self, *self.size)
        self.query_one(Lesson).show(self.workspace.lesson, short=short)
        self.query_one(ReadoutsView).focus = self.workspace.lesson.focus
        self.sub_title = printable(self.workspace.lesson.name, 60)
        layout.arrange(self)

    def on_resize(self) -> None:
        if self.is_mounted:
            layout.arrange(self)

    def redraw(self, costly: bool = True) -> None:
        self.painter.redraw(costly)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The app's keys act on the main screen only, not behind a modal screen."""
        return not (action in ACTIONS and isinstance(self.screen, ModalScreen))

    # ---- training ----------------------------------------------------------------------
    def action_step(self) -> None:
        self.workspace.step()
        self._after_training()

    def action_epoch(self) -> None:
        self.workspace.epoch()
        self._after_training()

    def _after_training(self) -> None:
        if self.trainer.diverged:
            self.notify(self.trainer.status, severity="error", title="diverged")
        self.redraw()

    def action_run(self) -> None:
        if self.running:
            self.workspace.pause()
        else:
            self.workspace.run()
        self.redraw()

    def action_pace(self, step: int) -> None:
        views.pace(self, step)

    def on_training_stopped(self, message: TrainingStopped) -> None:
        self.workspace.run_stopped()
        self._after_training()

    def action_reset(self) -> None:
        if self.apply(Reinitialize()):
            self.notify("new random weights; step, epoch and history start again", title="reset")

    # ---- edits -------------------------------------------------------------------------
    def try_apply(self, edit) -> str | None:
        """Hand an edit to the workspace; the error message, or None when it was made."""
        try:
            self.workspace.apply(edit)
        except GradstepError as e:
            return str(e)
        except Exception as e:  # noqa: BLE001 - an edit never takes the app down
            return failure(e)
        finally:
            self.redraw()
        return None

    def apply(self, edit, done: str | None = None) -> bool:
        error = self.try_apply(edit)
        if error:
            self.notify(error, severity="error", title="not changed")
        elif done:
            self.notify(done)
        return error is None

    def _selected(self, choose, *args) -> None:
        """The edit a structural key means for the selected layer (selection.py), made."""
        try:
            edit, done = choose(*args)
        except GradstepError as e:
            self.notify(str(e), severity="warning", title="not changed")
            return
        self.apply(edit, done)

    def action_layer(self, delta: int) -> None:
        self.layer = max(0, min(self.trainer.network.depth - 1, self.layer + delta))
        self.redraw()

    def action_structure(self, name: str) -> None:
        """a, d, i, delete, c: the edit selection.py says the key means for the layer ▸."""
        network = self.trainer if name == "next_activation" else self.trainer.network
        self._selected(getattr(selection, name), network, self.layer)

    def action_resize_layer(self) -> None:
        editing.prompt_size(self)

    @on(WeightsGrid.Open)
    def open_editor(self, message: WeightsGrid.Open) -> None:
        editing.prompt_value(self, message.layer, message.row, message.col)

    @on(WeightsGrid.Nudge)
    def nudge(self, message: WeightsGrid.Nudge) -> None:
        editing.nudge(self, message)

    @on(WeightsGrid.ToggleFreeze)
    def toggle_freeze(self, message: WeightsGrid.ToggleFreeze) -> None:
        editing.toggle_freeze(self, message)

    def action_settings(self) -> None:
        self.push_screen(SettingsScreen(self.trainer, self.apply_settings))

    def apply_settings(self, values: dict) -> str | None:
        return editing.apply_settings(self, values)

    # ---- panes and screens (views.py) ------------------------------------------------
    def action_view(self, view: str) -> None:
        views.toggle(self, view)

    def action_data(self) -> None:
        views.data(self)

    @on(HeatmapCanvas.PointAdded)
    def add_point(self, message: HeatmapCanvas.PointAdded) -> None:
        views.add_point(self, message)

    def action_compare(self) -> None:
        views.compare(self)

    def action_switch(self) -> None:
        views.switch(self)

    def action_lesson(self) -> None:
        self.show_lesson(short=not self.query_one(Lesson).short)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(help_sections(self.COMMAND_TABLE, WeightsGrid.NUDGE)))

    def action_pick(self) -> None:
        self.push_screen(ScenarioPicker.of_presets(self.workspace.lesson.name), self.pick)

    def pick(self, name: str | None) -> None:
        if name:
            keep.ask_unsaved(self, "load another scenario", lambda: self.open_scenario(name))

    def open_scenario(self, name: str) -> None:
        views.open_scenario(self, name)

    # ---- keeping the work (the prompts are in keep.py) ---------------------------------
    def action_undo(self) -> None:
        keep.move(self, self.workspace.undo, "undone", "nothing to undo")

    def action_redo(self) -> None:
        keep.move(self, self.workspace.redo, "redone", "nothing to redo")

    def action_save(self) -> None:
        keep.save_then(self, lambda: None)

    def action_open(self) -> None:
        keep.prompt_open(self)

    def action_export(self) -> None:
        keep.export_menu(self)

    def action_export_kind(self, kind: str) -> None:
        keep.prompt_export(self, kind)

    def on_delivery_complete(self, event: events.DeliveryComplete) -> None:
        keep.arrived(self, event.key)

    def on_delivery_failed(self, event: events.DeliveryFailed) -> None:
        keep.failed(self, event.key, event.exception)

    def action_quit(self) -> None:
        self.workspace.pause()
        keep.ask_unsaved(self, "quit", lambda: self.exit(0))


def launch_app(scenario=None, *, session=None, pace="lesson", web=False, root=None) -> int:
    """Run the app on a scenario, or on a saved session file (a path), until the person quits;
    the exit code. A bad session file raises SessionError before the app starts. pace: epochs
    per second for `r`, None for max, "lesson" for the scenario's own. web: in a browser
    (gradstep serve), where files are downloads and reads stay under root."""
    workspace = Workspace.from_session(session, pace) if session is not None else \
        Workspace.from_scenario(scenario, pace)
    if web:
        workspace.reads = Reads.under(root)
    app = GradstepApp(workspace, web=web, handle_signals=not web)  # serve manages its tabs
    result = app.run()
    workspace.pause()
    return result if isinstance(result, int) else app.return_code or 0

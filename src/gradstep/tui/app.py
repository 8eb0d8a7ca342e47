"""The gradstep app: a small numpy network, edited by keyboard, trained by keypress.

A thin face over the workspace (gradstep/workspace.py), which owns what is open and makes
every change under the live trainer's lock. A key's handler here builds an edit (or asks
selection.py which edit the key means), hands it to the workspace, and marks the screen dirty;
the next frame reads the trainer (painter.py draws the frames).
"""

from __future__ import annotations

import asyncio
import signal

from textual import on
from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer

from gradstep import selection
from gradstep.edits import Freeze, Nudge, Reinitialize
from gradstep.errors import GradstepError
from gradstep.text import printable
from gradstep.tui import editing, keep
from gradstep.tui.commands import GradstepCommands
from gradstep.tui.keys import ACTIONS, COMMAND_TABLE, bindings
from gradstep.tui.messages import TrainingStopped
from gradstep.tui.painter import REDRAW_HZ, Painter
from gradstep.tui.screens.help import HelpScreen, help_sections
from gradstep.tui.screens.picker import ScenarioPicker
from gradstep.tui.screens.prompt import failure
from gradstep.tui.screens.settings import SettingsScreen
from gradstep.tui.widgets.lesson import Lesson
from gradstep.tui.widgets.loss_plot import LossPlot
from gradstep.tui.widgets.network_pane import NetworkPane
from gradstep.tui.widgets.output_view import OutputView
from gradstep.tui.widgets.readouts_view import ReadoutsView
from gradstep.tui.widgets.status_line import StatusLine
from gradstep.tui.widgets.weights_grid import WeightsGrid
from gradstep.workspace import Workspace

TALL = 32  # rows from which the lesson shows at launch and the panes take their full size


class GradstepApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "gradstep"
    COMMANDS = App.COMMANDS | {GradstepCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (TALL, "-tall")]
    COMMAND_TABLE = COMMAND_TABLE
    BINDINGS = bindings()

    def __init__(self, workspace: Workspace, driver_class=None,
                 handle_signals: bool = False) -> None:
        super().__init__(driver_class=driver_class)
        self.workspace = workspace
        self.layer = 0        # the selected weight layer
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
                            ("#loss", "loss"), ("#output", "output")):
            self.query_one(pane).border_title = title
        self.show_lesson(shown=self.size.height >= TALL)  # no room beside the panes: `l` shows it
        self.query_one(WeightsGrid).focus()
        self.redraw()
        self.set_interval(1 / REDRAW_HZ, self.painter.tick)

    def compose(self) -> ComposeResult:
        yield Lesson(id="lesson")  # shown at launch: a newcomer starts by reading it
        with Horizontal(id="top"):
            with VerticalScroll(id="network"):
                yield NetworkPane()
            yield WeightsGrid(id="weights")
            yield ReadoutsView(id="readouts")
        with Horizontal(id="bottom"):
            yield LossPlot(id="loss")
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

    def show_lesson(self, shown: bool = True) -> None:
        lesson = self.query_one(Lesson)
        lesson.show(self.workspace.lesson)
        lesson.set_class(not shown, "-hidden")
        self.sub_title = printable(self.workspace.lesson.name, 60)

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

    def action_add_neuron(self) -> None:
        self._selected(selection.add_neuron, self.trainer.network, self.layer)

    def action_remove_neuron(self) -> None:
        self._selected(selection.remove_neuron, self.trainer.network, self.layer)

    def action_insert_layer(self) -> None:
        self._selected(selection.insert_layer, self.trainer.network, self.layer)

    def action_remove_layer(self) -> None:
        self._selected(selection.remove_layer, self.trainer.network, self.layer)

    def action_cycle_activation(self) -> None:
        self._selected(selection.next_activation, self.trainer, self.layer)

    def action_resize_layer(self) -> None:
        editing.prompt_size(self)

    @on(WeightsGrid.Open)
    def open_editor(self, message: WeightsGrid.Open) -> None:
        editing.prompt_value(self, message.layer, message.row, message.col)

    @on(WeightsGrid.Nudge)
    def nudge(self, message: WeightsGrid.Nudge) -> None:
        l, i, j = message.layer, message.row, message.col
        self.apply(Nudge(l, None if i >= self.trainer.network.sizes[l] else i, j, message.delta))

    @on(WeightsGrid.ToggleFreeze)
    def toggle_freeze(self, message: WeightsGrid.ToggleFreeze) -> None:
        l, i, j, net = message.layer, message.row, message.col, self.trainer.network
        if i >= net.sizes[l]:
            self.notify("biases cannot be frozen, only weights", severity="warning")
        else:
            self.apply(Freeze(l, i, j, not net.is_frozen(l, i, j)))

    def action_settings(self) -> None:
        self.push_screen(SettingsScreen(self.trainer, self.apply_settings))

    def apply_settings(self, values: dict) -> str | None:
        return editing.apply_settings(self, values)

    # ---- panes and screens -------------------------------------------------------------
    def action_toggle_log(self) -> None:
        self.query_one(LossPlot).toggle_log()
        self.redraw()

    def action_lesson(self) -> None:
        self.query_one(Lesson).toggle_class("-hidden")

    def action_help(self) -> None:
        self.push_screen(HelpScreen(help_sections(self.COMMAND_TABLE, WeightsGrid.NUDGE)))

    def action_pick(self) -> None:
        self.push_screen(ScenarioPicker.of_presets(self.workspace.lesson.name), self.pick)

    def pick(self, name: str | None) -> None:
        if name:
            keep.ask_unsaved(self, "load another scenario", lambda: self.open_scenario(name))

    def open_scenario(self, name: str) -> None:
        try:
            self.workspace.open_scenario(name)
        except GradstepError as e:
            self.notify(str(e), severity="error", title="not loaded")
            return
        except Exception as e:  # noqa: BLE001 - a scenario file never takes the app down
            self.notify(failure(e), severity="error", title="not loaded")
            return
        self.opened(f"loaded {name}: {printable(self.workspace.lesson.title, 200)}")

    def opened(self, message: str) -> None:
        """Something new is open: select its first layer, show its lesson, redraw."""
        self.layer = 0
        self.show_lesson()
        self.notify(message, title="opened")
        self.redraw()

    # ---- keeping the work (the prompts are in keep.py) ---------------------------------
    def action_undo(self) -> None:
        keep.move(self, self.workspace.undo, "undone", "nothing to undo")

    def action_redo(self) -> None:
        keep.move(self, self.workspace.redo, "redone", "nothing to redo")

    def action_save(self) -> None:
        keep.save_then(self, lambda: None)

    def action_open(self) -> None:
        keep.ask_unsaved(self, "open another session", lambda: keep.prompt_open(self))

    def action_export(self) -> None:
        keep.export_menu(self)

    def action_export_weights(self) -> None:
        keep.prompt_export(self, "weights")

    def action_export_loss(self) -> None:
        keep.prompt_export(self, "loss")

    def action_export_screenshot(self) -> None:
        keep.prompt_export(self, "screenshot")

    def action_load_weights(self) -> None:
        keep.prompt_export(self, "load_weights")

    def action_quit(self) -> None:
        self.workspace.pause()
        keep.ask_unsaved(self, "quit", lambda: self.exit(0))


def launch_app(scenario=None, *, session=None) -> int:
    """Run the app on a scenario, or on a saved session file (a path), until the person quits;
    the exit code. A bad session file raises SessionError before the app starts."""
    workspace = Workspace.from_session(session) if session is not None else \
        Workspace.from_scenario(scenario)
    app = GradstepApp(workspace, handle_signals=True)
    result = app.run()
    workspace.pause()
    return result if isinstance(result, int) else app.return_code or 0

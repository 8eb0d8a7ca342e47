"""The gradstep app: a small numpy network, edited by keyboard, trained by keypress.

The trainer is the one source of truth. Every change to it (a step, an edit, a settings
change, a reset) happens while holding `self.lock`, which the training worker also holds for
each chunk of steps, so an edit never races a step. The UI takes the lock through `locked()`,
which asks the worker to end its chunk after the current step, so a key or a redraw waits
for one step at most, not a whole chunk. The screen is redrawn from a timer
(12 Hz) only when the network's version, the step or the selection changed, and at once
after a key. While training runs, the costly panes (loss plot, output, weight sums: a plotext
build, a grid of predictions, Rich tables) redraw on every third tick only, and no extra
evaluation is made per frame (the trainer evaluates at each epoch's end): rendering shares
the GIL with the worker, so what the screen costs is taken from the steps per second.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer
from textual.worker import Worker, get_current_worker

from gradstep.errors import GradstepError
from gradstep.model.activations import HIDDEN, OUTPUT
from gradstep.tui.commands import GradstepCommands
from gradstep.tui.keep import RUN, KeepMixin, edit_label
from gradstep.tui.messages import TrainerChanged, TrainingStopped
from gradstep.tui.screens.help import HelpScreen
from gradstep.tui.screens.picker import ScenarioPicker
from gradstep.tui.screens.settings import SettingsScreen
from gradstep.tui.screens.value_editor import ValueEditor
from gradstep.tui.widgets.lesson import Lesson
from gradstep.tui.widgets.loss_plot import LossPlot
from gradstep.tui.widgets.network_pane import NetworkPane
from gradstep.tui.widgets.output_view import OutputView
from gradstep.tui.widgets.readouts_view import ReadoutsView
from gradstep.tui.widgets.status_line import StatusLine
from gradstep.tui.widgets.weights_grid import WeightsGrid

if TYPE_CHECKING:
    from gradstep.training import Trainer

CHUNK_SECONDS = 0.02   # the worker holds the lock for about this long per chunk
MAX_CHUNK_STEPS = 10**9  # a chunk ends on time, on a waiting UI or on divergence, not on count
REDRAW_HZ = 12
PANES_EVERY = 3        # while running, the costly panes redraw every 3rd tick (4 Hz)
CHEAP_PANES = ("NetworkPane", "#weights")
COSTLY_PANES = ("#readouts", "#loss", "#output")
NEW_LAYER_SIZE = 4


def parse_number(text: str, what: str) -> float:
    """A float from what a person typed; GradstepError with a plain message otherwise.
    (Non-finite values parse here and are refused by the trainer, which says why.)"""
    try:
        return float(text.strip())
    except ValueError:
        shown = text.strip() or "(empty)"
        raise GradstepError(f"{what} must be a number like 0.25 or -1e-3, not {shown!r}") from None


def parse_whole(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        shown = text.strip() or "(empty)"
        raise GradstepError(f"{what} must be a whole number, not {shown!r}") from None


# (keys, action, title, description): the key table, the help screen and the palette
COMMAND_TABLE = [
    ("space", "step", "Step", "one training step (one mini-batch)"),
    ("n", "epoch", "Epoch", "train to the end of the epoch"),
    ("r", "run", "Run", "run training continuously, or pause it"),
    ("x", "reset", "Reset", "new random weights; step and history start again"),
    ("left_square_bracket", "layer(-1)", "◂ Layer", "select the previous weight layer"),
    ("right_square_bracket", "layer(1)", "Layer ▸", "select the next weight layer"),
    ("a", "add_neuron", "Add neuron", "add a neuron to the selected hidden layer (▸)"),
    ("d", "remove_neuron", "Remove neuron", "remove the last neuron of the selected hidden "
                                            "layer (▸)"),
    ("i", "insert_layer", "Insert layer", "insert a hidden layer after the grid's input "
                                          "layer"),
    ("delete,backspace", "remove_layer", "Remove layer", "remove the selected hidden "
                                                         "layer (▸)"),
    ("c", "cycle_activation", "Activation", "cycle the activation of the selected layer (▸)"),
    ("z", "resize_layer", "Size", "type the number of neurons of the selected hidden layer (▸)"),
    ("s", "settings", "Settings", "learning rate, batch size, optimizer, loss, L1, L2, "
                                  "constraint, standardize"),
    ("g", "toggle_log", "Log loss", "loss plot: linear or log scale"),
    ("p", "pick", "Scenarios", "load another scenario"),
    ("l", "lesson", "Lesson", "show or hide the scenario's lesson"),
    ("u", "undo", "Undo", "undo the last change or block of training steps"),
    ("ctrl+y", "redo", "Redo", "redo what u undid"),
    ("ctrl+s", "save", "Save", "save the session (a .npz file); asks for a name the first time"),
    ("ctrl+o", "open", "Open", "open a saved session file"),
    ("e", "export", "Export", "export the weights (JSON), the loss (CSV) or a screenshot (SVG); "
                            "load weights"),
    ("", "export_weights", "Export weights", "write the weights as JSON"),
    ("", "export_loss", "Export loss", "write the loss history as CSV"),
    ("", "export_screenshot", "Screenshot", "write the screen as SVG"),
    ("", "load_weights", "Load weights", "read weights from a JSON file (u undoes it)"),
    ("question_mark", "help", "Help", "all keys"),
    ("q", "quit", "Quit", "leave gradstep"),
]
FOOTER_KEYS = {"space", "n", "r", "left_square_bracket", "right_square_bracket", "s",
               "p", "u", "ctrl+s", "question_mark", "q"}  # l: the lesson box names it


TALL = 32  # rows from which the lesson shows at launch and the panes take their full size


class GradstepApp(KeepMixin, App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "gradstep"
    COMMANDS = App.COMMANDS | {GradstepCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (TALL, "-tall")]

    COMMAND_TABLE = COMMAND_TABLE
    BINDINGS = [Binding(keys, action, title, show=keys in FOOTER_KEYS, priority=True,
                        id=f"gradstep.{keys.split(',')[0]}")
                for keys, action, title, _ in COMMAND_TABLE if keys]  # "": palette only

    def __init__(self, scenario=None, *, trainer: Trainer | None = None,
                 title: str | None = None, description: str = "", session=None) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self._ui_waiting = threading.Event()  # the UI wants the lock: the worker yields it
        self.layer = 0
        self.running = False
        self.rate: float | None = None  # steps per second while running
        self.training_worker: Worker | None = None
        self.redraw_count = 0        # frames drawn (the status line is in every one)
        self.pane_redraw_count = 0   # frames that also redrew the costly panes
        self._ticks = 0
        self._drawn = None
        if session is not None:  # a session file: its trainer, lesson, and the file for ctrl+s
            self.open_at_launch(session)
        else:
            self._set_scenario(scenario, trainer, title, description)
            self.init_keep()

    def notify(self, message: str, *, title: str = "", severity="information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications carry model messages like "shape [5, 1]": not markup by default."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _set_scenario(self, scenario, trainer, title, description) -> None:
        self.scenario = scenario
        self.trainer = trainer if trainer is not None else scenario.build()
        self.lesson_title = title or (scenario.title if scenario else "gradstep")
        self.lesson_text = description or (scenario.description if scenario else "")
        self.sub_title = getattr(scenario, "name", "") or ""

    @contextmanager
    def locked(self):
        """Hold the training lock on the UI thread (the worker hands it over after one step)."""
        self._ui_waiting.set()
        try:
            with self.lock:
                self._ui_waiting.clear()
                yield
        finally:
            self._ui_waiting.clear()

    # ---- layout ------------------------------------------------------------------------
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

    def on_mount(self) -> None:
        self.query_one("#network").border_title = "network"
        self.query_one("#readouts").border_title = "weight sums"
        self.query_one("#loss").border_title = "loss"
        self.query_one("#output").border_title = "output"
        lesson = self.query_one(Lesson)
        lesson.show(self.lesson_title, self.lesson_text)
        if self.size.height < TALL:  # no room to read it beside the panes; `l` shows it
            lesson.add_class("-hidden")
        self.query_one(WeightsGrid).focus()
        self.redraw()
        self.set_interval(1 / REDRAW_HZ, self._tick)

    @property
    def grid(self) -> WeightsGrid:
        return self.query_one(WeightsGrid)

    # ---- drawing -----------------------------------------------------------------------
    def _signature(self):
        t = self.trainer
        return (id(t), t.network.version, t.step_count, self.layer, t.settings, t.diverged,
                self.running)

    def _tick(self) -> None:
        if self.running:
            self._ticks += 1
            self.redraw(costly=self._ticks % PANES_EVERY == 0)
        elif self._signature() != self._drawn:
            self.redraw()

    def redraw(self, costly: bool = True) -> None:
        """The panes from the trainer, now (under the lock, so no step is half seen); the
        costly ones only when `costly`. Paused, the losses shown are evaluated at this step."""
        with self.locked():
            t = self.trainer
            self.layer = max(0, min(self.layer, t.network.depth - 1))
            if not self.running and not t.evaluation_current:  # a step, an edit, a setting
                t.evaluate()
            for selector in CHEAP_PANES + (COSTLY_PANES if costly else ()):
                self.query_one(selector).update_from(t, self.layer)
            self.query_one(StatusLine).update_from(t, self.layer, running=self.running,
                                                   rate=self.rate)
            self._drawn = self._signature()
        self.redraw_count += 1
        self.pane_redraw_count += costly

    def on_trainer_changed(self, _: TrainerChanged) -> None:
        self.redraw()

    # ---- guarding keys -----------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The app's keys act on the main screen only, not behind a modal screen."""
        names = {a.split("(")[0] for _, a, _, _ in self.COMMAND_TABLE}
        if action in names and isinstance(self.screen, ModalScreen):
            return False
        return True

    # ---- training ----------------------------------------------------------------------
    def action_step(self) -> None:
        with self.locked(), self.recording_steps("a step"):
            stepped = self.trainer.step()
        if not stepped:
            self.notify(self.trainer.status, severity="error", title="diverged")
        self.redraw()

    def action_epoch(self) -> None:
        with self.locked(), self.recording_steps("an epoch"):
            self.trainer.epoch()
        if self.trainer.diverged:
            self.notify(self.trainer.status, severity="error", title="diverged")
        self.redraw()

    def action_run(self) -> None:
        if self.running:
            self.pause()
            with self.locked():
                self.end_run_entry()  # a run that took no step leaves nothing to undo
        else:
            with self.locked():
                self.undo_stack.record(self.trainer, RUN)  # the whole run is one undo entry
            self.running = True
            self.rate = None
            self.training_worker = self.train()
        self.redraw()

    def pause(self) -> None:
        if self.training_worker is not None:
            self.training_worker.cancel()
        self.running = False
        self.rate = None

    @work(thread=True, exclusive=True, group="train")
    def train(self) -> None:
        """Steps in chunks of about CHUNK_SECONDS, each under the lock, until cancelled."""
        worker = get_current_worker()
        diverged = False
        window_start, window_steps = time.perf_counter(), 0
        while not worker.is_cancelled:
            with self.lock:
                if worker.is_cancelled:  # paused while waiting for the lock
                    break
                end = time.perf_counter() + CHUNK_SECONDS
                window_steps += self.trainer.run(
                    steps=MAX_CHUNK_STEPS,
                    stop=lambda: self._ui_waiting.is_set() or time.perf_counter() >= end)
                diverged = self.trainer.diverged
            now = time.perf_counter()
            if now - window_start >= 0.5:
                self.rate = window_steps / (now - window_start)
                window_start, window_steps = now, 0
            if diverged:
                break
            while self._ui_waiting.is_set() and not worker.is_cancelled:
                time.sleep(0.0002)  # until the UI thread has taken the lock
        self.post_message(TrainingStopped(diverged, worker))

    def on_training_stopped(self, message: TrainingStopped) -> None:
        if message.worker is not self.training_worker:
            return
        self.running = False
        self.rate = None
        with self.locked():
            self.end_run_entry()
        if message.diverged:
            self.notify(self.trainer.status, severity="error", title="diverged")
        self.redraw()

    def action_reset(self) -> None:
        with self.locked(), self.recording("reset"):
            self.trainer.reset()
        self.notify("new random weights; step, epoch and history start again", title="reset")
        self.redraw()

    # ---- edits -------------------------------------------------------------------------
    def apply_edit(self, method: str, *args) -> str | None:
        """Apply a network edit under the lock; the error message, or None when it was made."""
        try:
            with self.locked(), self.recording(edit_label(method, args)):
                self.trainer.edit(method, *args)
        except GradstepError as e:
            return str(e)
        finally:
            self.redraw()
        return None

    def edit_or_notify(self, method: str, *args, done: str | None = None) -> bool:
        error = self.apply_edit(method, *args)
        if error:
            self.notify(error, severity="error", title="not changed")
            return False
        if done:
            self.notify(done)
        return True

    def action_layer(self, delta: int) -> None:
        self.layer = max(0, min(self.trainer.network.depth - 1, self.layer + delta))
        self.redraw()

    def _hidden_target(self, doing: str) -> int | None:
        """Neuron layer layer+1 (▸) if it is hidden; None (and a note) otherwise."""
        k, net = self.layer + 1, self.trainer.network
        if k >= net.depth:
            self.notify(f"cannot {doing}: ▸ is the output layer, its size is set by the data; "
                        f"select the weights into a hidden layer with [ or ]",
                        severity="warning", title="not changed")
            return None
        return k

    def action_add_neuron(self) -> None:
        k = self._hidden_target("add a neuron")
        if k is not None:
            size = self.trainer.network.sizes[k]
            self.edit_or_notify("resize", k, size + 1,
                                done=f"layer {k}: {size + 1} neurons; the new neuron's weights "
                                     f"(column j={size} here, row i={size} in W{k}) are new "
                                     f"random draws")

    def action_remove_neuron(self) -> None:
        k = self._hidden_target("remove a neuron")
        if k is not None:
            size = self.trainer.network.sizes[k]
            self.edit_or_notify("resize", k, size - 1,
                                done=f"layer {k}: {size - 1} neurons; neuron {size - 1} and its "
                                     f"weights are gone")

    def action_resize_layer(self) -> None:
        k = self._hidden_target("set a size")
        if k is None:
            return

        def apply(text: str) -> str | None:
            try:
                size = parse_whole(text, "the number of neurons")
            except GradstepError as e:
                return str(e)
            return self.apply_edit("resize", k, size)

        self.push_screen(ValueEditor(f"the number of neurons of layer {k}",
                                     self.trainer.network.sizes[k], apply))

    def action_insert_layer(self) -> None:
        k = self.layer + 1
        if self.edit_or_notify("insert_layer", k, NEW_LAYER_SIZE,
                               done=f"new hidden layer {k} of {NEW_LAYER_SIZE} neurons: W{k - 1} "
                                    f"and W{k} are new random weights"):
            self.redraw()

    def action_remove_layer(self) -> None:
        k = self._hidden_target("remove a layer")
        if k is not None:
            self.edit_or_notify("remove_layer", k,
                                done=f"layer {k} removed: new random weights W{k - 1} join "
                                     f"layers {k - 1} and {k}")

    def action_cycle_activation(self) -> None:
        k, net = self.layer + 1, self.trainer.network
        choices = OUTPUT if k == net.depth else HIDDEN
        current = net.activation_of(k)
        start = choices.index(current) if current in choices else -1
        errors = []
        for step in range(1, len(choices)):
            name = choices[(start + step) % len(choices)]
            error = self.apply_edit("set_activation", k, name)
            if error is None:
                self.notify(f"layer {k} activation: {name} (weights kept, optimizer memory "
                            f"reset)")
                return
            errors.append(error)
        self.notify(errors[0] if errors else "no other activation", severity="error",
                    title="not changed")

    # ---- grid messages -----------------------------------------------------------------
    def _cell_what(self, layer: int, row: int, col: int) -> tuple[str, tuple]:
        if row >= self.trainer.network.sizes[layer]:
            return f"bias b{layer}[{col}]", ("set_bias", layer, col)
        return f"weight W{layer}[i={row}, j={col}]", ("set_weight", layer, row, col)

    @on(WeightsGrid.Open)
    def open_editor(self, message: WeightsGrid.Open) -> None:
        what, (method, *index) = self._cell_what(message.layer, message.row, message.col)
        current = self.grid.value_at(message.row, message.col)

        def apply(text: str) -> str | None:
            try:
                value = parse_number(text, "the value")
            except GradstepError as e:
                return str(e)
            return self.apply_edit(method, *index, value)

        self.push_screen(ValueEditor(what, current, apply))

    @on(WeightsGrid.Nudge)
    def nudge(self, message: WeightsGrid.Nudge) -> None:
        what, (method, *index) = self._cell_what(message.layer, message.row, message.col)
        net = self.trainer.network
        try:
            with self.locked():
                if method == "set_bias":
                    value = float(net.biases[message.layer][message.col])
                else:
                    value = float(net.weights[message.layer][message.row, message.col])
                with self.recording(f"nudge {what} by {message.delta:+g}"):
                    self.trainer.edit(method, *index, value + message.delta)
        except GradstepError as e:
            self.notify(str(e), severity="error", title="not changed")
        self.redraw()

    @on(WeightsGrid.ToggleFreeze)
    def toggle_freeze(self, message: WeightsGrid.ToggleFreeze) -> None:
        l, i, j = message.layer, message.row, message.col
        net = self.trainer.network
        if i >= net.sizes[l]:
            self.notify("biases cannot be frozen, only weights", severity="warning")
            return
        self.edit_or_notify("set_frozen", l, i, j, not net.is_frozen(l, i, j))

    # ---- settings ----------------------------------------------------------------------
    def action_settings(self) -> None:
        self.push_screen(SettingsScreen(self.trainer.settings, self.trainer.network.constraint,
                                        self.apply_settings))

    def apply_settings(self, values: dict) -> str | None:
        """Validate and apply the settings form; an error message and nothing changed, or None."""
        t = self.trainer
        try:
            changes = {
                "learning_rate": parse_number(values["learning_rate"], "the learning rate"),
                "batch_size": parse_whole(values["batch_size"], "the batch size"),
                "l1": parse_number(values["l1"], "L1"),
                "l2": parse_number(values["l2"], "L2"),
                "optimizer": values["optimizer"],
                "loss": values["loss"],
                "standardize": bool(values["standardize"]),
            }
        except GradstepError as e:
            return str(e)
        changes = {k: v for k, v in changes.items() if getattr(t.settings, k) != v}
        constraint, old_constraint = values["constraint"], t.network.constraint
        if not changes and constraint == old_constraint:
            return None
        try:
            with self.locked(), self.recording("settings: " + ", ".join(
                    [*changes, *(["constraint"] if constraint != old_constraint else [])])):
                old = t.settings
                if changes:
                    t.change_settings(**changes)
                if constraint != t.network.constraint:
                    try:
                        t.edit("set_constraint", constraint)
                    except GradstepError:
                        if changes:
                            t.change_settings(**{k: getattr(old, k) for k in changes})
                        raise
        except GradstepError as e:
            return str(e)
        finally:
            self.redraw()
        notes = []
        if "standardize" in changes:
            notes.append("inputs standardized" if changes["standardize"] else
                         "inputs no longer standardized")
        if "optimizer" in changes:
            notes.append("new optimizer memory")
        if constraint != old_constraint:
            notes.append(f"weights moved onto the {constraint} constraint")
        if changes or notes:
            self.notify("settings changed" + (": " + "; ".join(notes) if notes else ""))
        return None

    # ---- panes and screens -------------------------------------------------------------
    def action_toggle_log(self) -> None:
        plot = self.query_one("#loss")
        if hasattr(plot, "toggle_log"):
            plot.toggle_log()
            self.redraw()

    def action_lesson(self) -> None:
        self.query_one(Lesson).toggle_class("-hidden")

    def action_help(self) -> None:
        grid_keys = [("up,down,left,right", "move the cursor (rows i, columns j, the bias row)"),
                     ("enter", "type a new value for the weight or bias"),
                     ("plus,equals_sign", f"nudge it by +{WeightsGrid.NUDGE}"),
                     ("minus", f"nudge it by -{WeightsGrid.NUDGE}"),
                     ("f", "freeze or unfreeze the weight (* marks it; training leaves it)")]
        self.push_screen(HelpScreen([
            ("Training and network", [(k, d) for k, _, _, d in self.COMMAND_TABLE if k]),
            ("Weights grid", grid_keys),
            ("Anywhere", [("ctrl+p", "command palette: every action above by name")]),
            ("In the command palette only", [(k, f"{t}: {d}") for k, _, t, d in self.COMMAND_TABLE
                                             if not k]),
        ]))

    def action_pick(self) -> None:
        try:
            from gradstep.scenarios import list_presets
            presets, error = list_presets(), None
        except (ImportError, GradstepError) as e:
            presets, error = [], f"no scenarios to list: {e}"
        current = getattr(self.scenario, "name", None)
        self.push_screen(ScenarioPicker(presets, current, error), self.pick_scenario)

    def load_scenario(self, name: str | None) -> None:
        if not name:
            return
        from gradstep.scenarios import load_scenario
        try:
            scenario = load_scenario(name)
            trainer = scenario.build()
        except GradstepError as e:
            self.notify(str(e), severity="error", title="not loaded")
            return
        self.pause()
        with self.locked():
            self._set_scenario(scenario, trainer, None, "")
            self.layer = 0
            self.scenario_loaded()
        lesson = self.query_one(Lesson)
        lesson.show(self.lesson_title, self.lesson_text)
        lesson.remove_class("-hidden")  # a new scenario, a new lesson to read
        self.notify(f"loaded {scenario.name}: {scenario.title}")
        self.redraw()

    def action_quit(self) -> None:
        self.pause()
        self.quit_asking()  # keep.py: asks first when there are unsaved changes


def launch_app(scenario=None, *, session=None) -> int:
    """Run the app on a scenario, or on a saved session file (a path), until the person quits;
    the exit code. A bad session file raises SessionError before the app starts."""
    app = GradstepApp(scenario, session=session)
    result = app.run()
    if isinstance(result, int):
        return result
    return app.return_code or 0

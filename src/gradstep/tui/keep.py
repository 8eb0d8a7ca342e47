"""Keeping a person's work: undo and redo, session files, exports, and asking before unsaved
work would be lost (quit, open, another scenario).

A mixin for GradstepApp: it uses the app's trainer, lock (`locked()`), `pause()`, `redraw()`
and `running`. Every change is recorded on `self.undo_stack` just before it is made, while the
lock is held; a block of training steps (a step, an epoch, a whole run) is one entry. "Unsaved"
means the trainer changed since the last save or load: its network version, step count,
settings or edits differ from what they were then.

Every file is written atomically (files.atomic_write); a failure is a message and changes
nothing.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from gradstep.errors import GradstepError
from gradstep.export import history_csv, load_weights, weights_json
from gradstep.files import atomic_write_text, writable_path
from gradstep.session import SUFFIX, load_session, save_session
from gradstep.tui.screens.export_menu import ExportMenu
from gradstep.tui.screens.prompt import TextPrompt
from gradstep.tui.screens.unsaved import UnsavedChanges
from gradstep.undo import UndoStack

RUN = "training run"


def _target(text: str, suffix: str = "") -> tuple[Path | None, str | None]:
    """(a path to write, None) or (None, what is wrong with the name typed)."""
    try:
        return writable_path(text, suffix), None
    except GradstepError as error:
        return None, str(error)


def _source(text: str) -> tuple[Path | None, str | None]:
    """(a path to read, None) or (None, what is wrong with the name typed)."""
    text = text.strip()
    if not text:
        return None, "type a file name"
    path = Path(text).expanduser()
    if path.is_dir():
        return None, f"{path} is a folder, not a file"
    if not path.exists():
        return None, f"{path} does not exist"
    return path, None


class KeepMixin:
    undo_stack: UndoStack
    session_path: Path | None

    def init_keep(self, session_path=None, name: str = "") -> None:
        self.undo_stack = UndoStack()
        self.session_path = None if session_path is None else Path(session_path)
        self.session_name = name
        self.mark_saved()

    # ---- unsaved -----------------------------------------------------------------------
    def _fingerprint(self):
        t = self.trainer
        return (id(t), id(t.network), t.network.version, t.step_count, t.settings,
                len(t.history.edits), t.diverged)

    def mark_saved(self) -> None:
        self._saved = self._fingerprint()

    @property
    def unsaved(self) -> bool:
        return self.running or self._fingerprint() != self._saved

    @property
    def file_stem(self) -> str:
        return getattr(self.scenario, "name", "") or self.session_name or "gradstep"

    def ask_unsaved(self, doing: str, then) -> None:
        """Call then() now, or after asking whether to save the unsaved changes first."""
        if not self.unsaved:
            then()
            return

        def chosen(choice: str | None) -> None:
            if choice == "save":
                self.save_then(then)
            elif choice == "discard":
                then()

        self.push_screen(UnsavedChanges(doing), chosen)

    # ---- recording ---------------------------------------------------------------------
    @contextmanager
    def recording(self, label: str):
        """Record before a change (call it holding the lock); no entry if the change raises.
        While a run goes on, the steps after the change start a new run entry."""
        with self.undo_stack.change(self.trainer, label):
            yield
        if self.running:
            self.undo_stack.record(self.trainer, RUN)

    @contextmanager
    def recording_steps(self, label: str):
        """Record before a block of steps; no entry if it took none (already diverged)."""
        t = self.trainer
        before = (t.step_count, t.diverged)
        self.undo_stack.record(t, label)
        yield
        if (t.step_count, t.diverged) == before:
            self.undo_stack.drop_last()

    def end_run_entry(self) -> None:
        """A run stopped: forget its entry if it took no step (hold the lock)."""
        last, t = self.undo_stack.last, self.trainer
        if last is not None and last.label == RUN and last.snapshot.step_count == t.step_count \
                and last.snapshot.diverged == t.diverged:
            self.undo_stack.drop_last()

    # ---- undo and redo -----------------------------------------------------------------
    def action_undo(self) -> None:
        self._move(self.undo_stack.undo, "undone", "nothing to undo")

    def action_redo(self) -> None:
        self._move(self.undo_stack.redo, "redone", "nothing to redo")

    def _move(self, move, done: str, nothing: str) -> None:
        if self.running:
            self.pause()
        with self.locked():
            self.end_run_entry()
            label = move(self.trainer)
            if label is not None:  # mark the loss curve where the undo or redo landed
                self.trainer.history.edits.append(self.trainer.step_count)
        if label is None:
            self.notify(nothing, severity="warning")
        else:
            self.notify(f"{done}: {label} (now at step {self.trainer.step_count})")
        self.redraw()

    # ---- sessions ----------------------------------------------------------------------
    def action_save(self) -> None:
        self.save_then(lambda: None)

    def save_then(self, then) -> None:
        """Save (asking for a file name the first time), then call then() if it was saved."""
        if self.session_path is not None:
            error = self.save_to(str(self.session_path))
            if error:
                self.notify(error, severity="error", title="not saved")
            else:
                then()
            return
        self.push_screen(TextPrompt("Save the session as (a .npz file; the folder must exist)",
                                    f"{self.file_stem}{SUFFIX}", self.save_to),
                         lambda saved: then() if saved else None)

    def save_to(self, text: str) -> str | None:
        """Save the session to a file; None when saved (and notified), else the error."""
        path, error = _target(text, SUFFIX)
        if error:
            return error
        scenario = (self.file_stem, self.lesson_title, self.lesson_text)
        try:
            with self.locked():
                save_session(path, self.trainer, scenario)
                self.mark_saved()
        except (GradstepError, OSError, ValueError) as e:
            return str(e) if isinstance(e, GradstepError) else f"cannot write {path}: {e}"
        self.session_path = path
        self.notify(f"saved {path}", title="saved")
        return None

    def action_open(self) -> None:
        self.ask_unsaved("open another session", lambda: self.push_screen(
            TextPrompt("Open a session file (.npz)", str(self.session_path or ""),
                       self.open_session)))

    def open_session(self, text: str) -> str | None:
        """Load a session file into the app; None when loaded, else the error."""
        path, error = _source(text)
        if error:
            return error
        try:
            trainer, (name, title, description) = load_session(path)
        except GradstepError as e:
            return str(e)
        self.pause()
        with self.locked():
            self.use_session(trainer, name, title, description, path)
        self.notify(f"opened {path}: step {trainer.step_count}", title="opened")
        self.redraw()
        return None

    def open_at_launch(self, path) -> None:
        """The app starts on a session file (SessionError if it is not one)."""
        trainer, (name, title, description) = load_session(path)
        self.use_session(trainer, name, title, description, path)

    def use_session(self, trainer, name, title, description, path) -> None:
        self._set_scenario(None, trainer, title or name or "gradstep", description)
        self.sub_title = name
        self.layer = 0
        self.init_keep(path, name)
        if self.is_running:  # ctrl+o; at launch, on_mount shows the lesson
            self.query_one("#lesson").show(self.lesson_title, self.lesson_text)

    def scenario_loaded(self) -> None:
        """Another scenario replaced the trainer: a fresh start, nothing to undo or save."""
        self.init_keep(None, "")

    def pick_scenario(self, name: str | None) -> None:
        """The picker's choice: load it, after asking about unsaved changes."""
        if name:
            self.ask_unsaved("load another scenario", lambda: self.load_scenario(name))

    def quit_asking(self) -> None:
        self.ask_unsaved("quit", lambda: self.exit(0))

    # ---- exports -----------------------------------------------------------------------
    def action_export(self) -> None:
        svg = self.export_screenshot()  # what is on screen now, before the menu covers it
        self.push_screen(ExportMenu(), lambda choice: self.export(choice, svg) if choice else None)

    def action_export_weights(self) -> None:
        self.export("weights")

    def action_export_loss(self) -> None:
        self.export("loss")

    def action_export_screenshot(self) -> None:
        self.export("screenshot")

    def action_load_weights(self) -> None:
        self.export("load_weights")

    def export(self, kind: str, svg: str | None = None) -> None:
        stem = self.file_stem
        if kind == "load_weights":
            self.push_screen(TextPrompt("Load weights from a JSON file (same layer sizes)",
                                        f"{stem}-weights.json", self.load_weights_from))
            return
        if kind == "screenshot" and svg is None:
            svg = self.export_screenshot()
        question, default = {
            "weights": ("Export the weights as JSON to", f"{stem}-weights.json"),
            "loss": ("Export the loss history as CSV to", f"{stem}-loss.csv"),
            "screenshot": ("Save a screenshot (SVG) to", f"{stem}.svg"),
        }[kind]
        self.push_screen(TextPrompt(question, default,
                                    lambda text: self.write_export(kind, text, svg)))

    def write_export(self, kind: str, text: str, svg: str | None = None) -> str | None:
        """Write one export atomically; None when written (and notified), else the error."""
        path, error = _target(text)
        if error:
            return error
        with self.locked():
            if kind == "weights":
                content = weights_json(self.trainer.network)
            elif kind == "loss":
                content = history_csv(self.trainer.history)
            else:
                content = svg if svg is not None else self.export_screenshot()
        try:
            atomic_write_text(path, content)
        except (GradstepError, OSError) as e:
            return str(e) if isinstance(e, GradstepError) else f"cannot write {path}: {e}"
        self.notify(f"wrote {path}", title="exported")
        return None

    def load_weights_from(self, text: str) -> str | None:
        path, error = _source(text)
        if error:
            return error
        try:
            with self.locked():
                with self.recording(f"load weights from {path.name}"):
                    load_weights(self.trainer, path)
        except GradstepError as e:
            return str(e)
        finally:
            self.redraw()
        self.notify(f"loaded weights from {path} (u undoes it)", title="weights loaded")
        return None


def edit_label(method: str, args: tuple) -> str:
    """What an edit did, in the words the undo notification uses."""
    a = args
    if method == "set_weight":
        return f"W{a[0]}[i={a[1]}, j={a[2]}] = {a[3]:g}"
    if method == "set_bias":
        return f"b{a[0]}[{a[1]}] = {a[2]:g}"
    if method == "set_frozen":
        return f"{'freeze' if a[3] else 'unfreeze'} W{a[0]}[i={a[1]}, j={a[2]}]"
    if method == "resize":
        return f"layer {a[0]}: {a[1]} neurons"
    if method == "insert_layer":
        return f"insert layer {a[0]}"
    if method == "remove_layer":
        return f"remove layer {a[0]}"
    if method == "set_activation":
        return f"layer {a[0]} activation {a[1]}"
    if method == "set_constraint":
        return f"constraint {a[0]}"
    return method.replace("_", " ")

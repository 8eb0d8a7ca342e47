"""What is open: the trainer(s), the lesson, the session file, undo, saved or not (no Textual).

Every change a person makes goes through here: `apply(edit)`, `step()`, `epoch()`, `run()`,
`undo()`, opening a scenario or a session. Each takes the live trainer's lock (so it lands
between two steps of a run), is recorded for undo just before it is made, and is forgotten
again if it was refused. A block of training (a step, an epoch, a whole run from start to
pause) is one undo entry; a run that took no step leaves none.

"Unsaved" means a trainer changed since the last save or load: its network, step count,
settings or edit marks differ from what they were then, or a run is going on.

The workspace holds a list of trainers, stepped together, and `active` says which one edits
act on; today the list holds one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gradstep.errors import GradstepError
from gradstep.export import history_csv, load_weights_edit, weights_json
from gradstep.files import atomic_write_text, readable_path, shown, writable_path
from gradstep.lesson import Lesson
from gradstep.live import LiveTrainer
from gradstep.session import SUFFIX, load_session, save_session
from gradstep.undo import UndoStack

RUN = "training run"


@dataclass(frozen=True)
class State:
    """Everything undo puts back: each trainer's snapshot."""

    snapshots: tuple

    def arrays(self):
        for snapshot in self.snapshots:
            yield from snapshot.arrays()


class Workspace:
    def __init__(self, trainer, lesson: Lesson | None = None, path=None,
                 pace: float | None = None) -> None:
        self.trainers = [trainer]
        self.active = 0
        self.lesson = lesson or Lesson()
        self.path = None if path is None else Path(path)
        self.undo_stack = UndoStack()
        self.on_run_stopped = None   # called from the training thread when a run diverges
        self.live = LiveTrainer(trainer, pace, on_stop=self._stopped_by_itself)
        self.mark_saved()

    @classmethod
    def from_scenario(cls, scenario, pace=None) -> Workspace:
        return cls(scenario.build(), scenario.lesson, None, pace)

    @classmethod
    def from_session(cls, path, pace=None) -> Workspace:
        trainer, lesson = load_session(path)
        return cls(trainer, lesson, path, pace)

    # ---- reading -------------------------------------------------------------------------
    @property
    def trainer(self):
        """The trainer edits act on."""
        return self.trainers[self.active]

    def hold(self):
        """Hold the lock while reading several things that must agree (a frame)."""
        return self.live.hold()

    @property
    def running(self) -> bool:
        return self.live.running

    @property
    def rate(self) -> float | None:
        return self.live.rate

    @property
    def pace(self) -> float | None:
        return self.live.pace

    # ---- undo's view of the workspace ----------------------------------------------------
    def snapshot(self) -> State:
        return State(tuple(t.snapshot() for t in self.trainers))

    def restore(self, state: State) -> None:
        for trainer, snapshot in zip(self.trainers, state.snapshots):
            trainer.restore(snapshot)

    # ---- changes -------------------------------------------------------------------------
    def apply(self, edit) -> None:
        """Make an edit on the active trainer; GradstepError (nothing changed) if refused."""
        with self.hold():
            with self.undo_stack.change(self, edit.label):
                self.trainer.apply(edit)
            if self.running:  # the steps after the change start a new run entry
                self.undo_stack.record(self, RUN)

    def _block(self, label: str, steps) -> int:
        """Steps as one undo entry, none if no step was taken (already diverged)."""
        with self.hold():
            before = self._progress()
            self.undo_stack.record(self, label)
            done = steps()
            if self._progress() == before:
                self.undo_stack.drop_last()
        return done

    def _progress(self):
        return tuple((t.step_count, t.diverged) for t in self.trainers)

    def step(self) -> bool:
        """One step; False when it diverged or had diverged already."""
        return self._block("a step", lambda: self.live.target.run(steps=1)) > 0

    def epoch(self) -> int:
        return self._block("an epoch", lambda: self.live.target.epoch())

    def run(self) -> None:
        """Train continuously at the pace until pause() (the whole run is one undo entry)."""
        if self.running:
            return
        with self.hold():
            self.undo_stack.record(self, RUN)
        self.live.start()

    def pause(self) -> None:
        if self.live.running:
            self.live.stop()
        with self.hold():
            self._end_run_entry()

    def set_pace(self, pace: float | None) -> None:
        self.live.set_pace(pace)

    def _stopped_by_itself(self, diverged: bool) -> None:
        if self.on_run_stopped is not None:
            self.on_run_stopped(diverged)

    def run_stopped(self) -> None:
        """After a run ended by itself (divergence): drop its entry if it took no step."""
        with self.hold():
            self._end_run_entry()

    def _end_run_entry(self) -> None:
        last = self.undo_stack.last
        if last is not None and last.label == RUN and \
                tuple((s.step_count, s.diverged) for s in last.snapshot.snapshots) == \
                self._progress():
            self.undo_stack.drop_last()

    def undo(self) -> str | None:
        """Go back before the last change; its label, or None when there is nothing to undo."""
        return self._move(self.undo_stack.undo)

    def redo(self) -> str | None:
        return self._move(self.undo_stack.redo)

    def _move(self, move) -> str | None:
        self.pause()
        with self.hold():
            label = move(self)
            if label is not None:  # mark the loss curve where the undo or redo landed
                for t in self.trainers:
                    t.history.edits.append(t.step_count)
        return label

    # ---- what is open --------------------------------------------------------------------
    def replace(self, trainer, lesson: Lesson, path=None) -> None:
        """Another scenario or session replaces what is open: nothing to undo, nothing unsaved."""
        self.pause()
        with self.hold():
            self.trainers, self.active = [trainer], 0
            self.live.target = trainer
            self.lesson = lesson
            self.path = None if path is None else Path(path)
            self.undo_stack.clear()
            self.mark_saved()

    def open_scenario(self, name) -> None:
        from gradstep.scenarios import load_scenario
        scenario = load_scenario(name)
        self.replace(scenario.build(), scenario.lesson)

    def open_session(self, text) -> Path:
        path = readable_path(text, "session")
        trainer, lesson = load_session(path)
        self.replace(trainer, lesson, path)
        return path

    # ---- saved or not --------------------------------------------------------------------
    def _fingerprint(self):
        return tuple((id(t), id(t.network), t.network.version, t.step_count, t.settings,
                      len(t.history.edits), t.diverged) for t in self.trainers)

    def mark_saved(self) -> None:
        self._saved = self._fingerprint()

    @property
    def unsaved(self) -> bool:
        return self.running or self._fingerprint() != self._saved

    @property
    def stem(self) -> str:
        return self.lesson.stem

    def save(self, text=None) -> Path:
        """Save the session (to the file it came from, or to `text`); the path written."""
        path = self.path if text is None else writable_path(text, SUFFIX)
        if path is None:
            raise GradstepError("no file name to save to")
        with self.hold():
            save_session(path, self.trainer, self.lesson)
            self.mark_saved()
        self.path = path
        return path

    def export_text(self, kind: str) -> str:
        """The text of an export: "weights" (JSON) or "loss" (CSV)."""
        with self.hold():
            if kind == "weights":
                return weights_json(self.trainer.network)
            if kind == "loss":
                return history_csv(self.trainer.history)
        raise GradstepError(f"unknown export {kind!r}")

    def export(self, kind: str, text, content: str | None = None) -> Path:
        """Write an export atomically; `content` for what only the screen has (a screenshot)."""
        path = writable_path(text)
        atomic_write_text(path, self.export_text(kind) if content is None else content)
        return path

    def load_weights(self, text) -> Path:
        """Weights from an exported JSON file into the active network (one undo entry)."""
        path = readable_path(text, "weights")
        edit = load_weights_edit(path)
        try:
            self.apply(edit)
        except GradstepError as e:
            raise GradstepError(f"{shown(path)}: {e}") from None
        return path

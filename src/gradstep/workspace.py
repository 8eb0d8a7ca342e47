"""What is open: the trainer(s), the lesson, the session file, undo, saved or not (no Textual).

Every change a person makes goes through here: `apply(edit)`, `step()`, `epoch()`, `run()`,
`undo()`, opening a scenario or a session. Each takes the live trainer's lock (so it lands
between two steps of a run), is recorded for undo just before it is made, and is forgotten
again if it was refused. A block of training (a step, an epoch, a whole run from start to
pause) is one undo entry; a run that took no step leaves none.

Files are read where `reads` allows (gradstep/files.py: anywhere in a terminal, under one
folder or nowhere in a browser). `save_bytes` and `export_bytes` render a file without writing
it, for a browser download.

"Unsaved" means a trainer changed since the last save or load: its network, step count,
settings or edit marks differ from what they were then, or a run is going on.

The workspace holds a list of trainers, stepped together, and `active` says which one edits
act on; today the list holds one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gradstep.errors import GradstepError
from gradstep.export import load_weights_edit
from gradstep.files import ANYWHERE, Reads, atomic_write, writable_path
from gradstep.lesson import Lesson
from gradstep.live import LiveTrainer
from gradstep.names import trainer_names
from gradstep.pair import Lockstep, copy_of
from gradstep.session import SUFFIX, load_session, save_session, session_bytes
from gradstep.undo import UndoStack

RUN = "training run"
EXPORT_SUFFIXES = {"weights": ".json", "loss": ".csv", "onnx": ".onnx",
                   "safetensors": ".safetensors"}


@dataclass(frozen=True)
class State:
    """Everything undo puts back: which trainers are open (A, or A and B), each one's
    snapshot, which one edits act on, and what B is called."""

    trainers: tuple
    snapshots: tuple
    active: int = 0
    compare_title: str = ""

    def arrays(self):
        for snapshot in self.snapshots:
            yield from snapshot.arrays()


class Workspace:
    reads: Reads = ANYWHERE  # where open_session and load_weights may read from

    def __init__(self, trainer, lesson: Lesson | None = None, path=None,
                 pace: float | None | str = "lesson", compare=None) -> None:
        """trainer: A; compare: (B, its title) for two networks side by side."""
        self.trainers = [trainer] if compare is None else [trainer, compare[0]]
        self.compare_title = "" if compare is None else compare[1]
        self.active = 0
        self.lesson = lesson or Lesson()
        self.path = None if path is None else Path(path)
        self.undo_stack = UndoStack()
        self.on_run_stopped = None   # called from the training thread when a run diverges
        pace = self.lesson.pace if pace == "lesson" else pace  # the lesson's unless asked
        self.live = LiveTrainer(self._target(), pace, on_stop=self._stopped_by_itself)
        self.mark_saved()

    @classmethod
    def from_scenario(cls, scenario, pace="lesson") -> Workspace:
        trainers = scenario.build_all()
        compare = None if len(trainers) == 1 else (trainers[1], scenario.compare.title)
        return cls(trainers[0], scenario.lesson, None, pace, compare)

    def _target(self):
        """What a run steps: the trainer, or both in lockstep."""
        return self.trainers[0] if len(self.trainers) == 1 else Lockstep(self.trainers)

    @property
    def comparing(self) -> bool:
        return len(self.trainers) > 1

    def name_of(self, index: int) -> str:
        """A or B, as the screen names the two networks."""
        return "AB"[index] if self.comparing else ""

    @classmethod
    def from_session(cls, path, pace="lesson") -> Workspace:
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
        return State(tuple(self.trainers), tuple(t.snapshot() for t in self.trainers),
                     self.active, self.compare_title)

    def restore(self, state: State) -> None:
        for trainer, snapshot in zip(state.trainers, state.snapshots):
            trainer.restore(snapshot)
        self.trainers, self.active = list(state.trainers), state.active
        self.compare_title = state.compare_title
        self.live.target = self._target()

    # ---- two networks --------------------------------------------------------------------
    def toggle_compare(self) -> str:
        """B: a copy of A beside it (change B's settings alone), or B removed again; undoable.
        What happened, in words."""
        with self.hold():
            if self.comparing:
                with self.undo_stack.change(self, "remove B"):
                    self.trainers, self.active, self.compare_title = self.trainers[:1], 0, ""
                    self.live.target = self._target()
                return "B removed: A alone again (u brings B back)"
            with self.undo_stack.change(self, "B: a copy of A"):
                self.trainers = [self.trainers[0], copy_of(self.trainers[0])]
                self.compare_title = "a copy of A: change its settings (b selects it)"
                self.live.target = self._target()
            if self.running:
                self.undo_stack.record(self, RUN)
        return "B is a copy of A, trained in lockstep: b selects B, then change its settings"

    def switch(self) -> str:
        """b: edits and the grid act on the other network."""
        if not self.comparing:
            raise GradstepError("there is no B: B makes one, a copy of A")
        self.active = 1 - self.active
        return f"editing {'AB'[self.active]}"

    # ---- changes -------------------------------------------------------------------------
    def apply(self, edit) -> None:
        """Make an edit on the active trainer; GradstepError (nothing changed) if refused."""
        with self.hold():
            with self.undo_stack.change(self, edit.describe(trainer_names(self.trainer))):
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
    def replace(self, trainer, lesson: Lesson, path=None, compare=None) -> None:
        """Another scenario or session replaces what is open: nothing to undo, nothing unsaved.
        compare: (B, its title) for two networks side by side."""
        self.pause()
        with self.hold():
            self.trainers = [trainer] if compare is None else [trainer, compare[0]]
            self.compare_title = "" if compare is None else compare[1]
            self.active = 0
            self.live.target = self._target()
            self.lesson = lesson
            self.live.set_pace(lesson.pace)
            self.path = None if path is None else Path(path)
            self.undo_stack.clear()
            self.mark_saved()

    def open_scenario(self, name) -> None:
        from gradstep.scenarios import load_scenario
        scenario = load_scenario(name)
        trainers = scenario.build_all()
        compare = None if len(trainers) == 1 else (trainers[1], scenario.compare.title)
        self.replace(trainers[0], scenario.lesson, None, compare)

    def open_session(self, text) -> Path:
        path = self.reads.path(text, "session")
        trainer, lesson = self._read(load_session, path)
        self.replace(trainer, lesson, path)
        return path

    def _read(self, load, path):
        """load(path), its errors without the paths `reads` hides."""
        try:
            return load(path)
        except GradstepError as e:
            if self.reads.root is None:
                raise
            raise type(e)(self.reads.hide(str(e))) from None

    # ---- saved or not --------------------------------------------------------------------
    def _fingerprint(self):
        return tuple((id(t), id(t.network), t.network.version, t.step_count, t.settings,
                      len(t.history.edits), t.diverged) for t in self.trainers) + \
            (self.compare_title,)

    def mark_saved(self, state=None) -> None:
        """What is open now (or what it was when save_bytes gave `state`) counts as saved."""
        self._saved = self._fingerprint() if state is None else state

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

    def save_bytes(self) -> tuple[bytes, object]:
        """The session file's bytes, written nowhere, and the state to hand mark_saved once the
        person has them (a browser download)."""
        with self.hold():
            return session_bytes(self.trainer, self.lesson), self._fingerprint()

    def export_bytes(self, kind: str, content: str | None = None) -> bytes:
        """An export of the active network, rendered, written nowhere: "weights" (JSON),
        "loss" (CSV), "onnx", "safetensors" (interchange/formats.py); `content` for what only
        the screen has (a screenshot)."""
        if content is not None:
            return content.encode("utf-8")
        from gradstep.interchange.formats import FORMATS
        if kind not in EXPORT_SUFFIXES:
            raise GradstepError(f"unknown export {kind!r}")
        fmt = FORMATS[EXPORT_SUFFIXES[kind]]
        fmt.check()  # a missing extra (onnx) is one line, before any work
        with self.hold():
            return fmt.render(self.trainer)

    def export(self, kind: str, text, content: str | None = None) -> Path:
        """Write an export atomically; `content` for what only the screen has (a screenshot)."""
        path = writable_path(text)
        data = self.export_bytes(kind, content)
        atomic_write(path, lambda f: f.write(data))
        return path

    def load_weights(self, text) -> Path:
        """Weights from an exported JSON file into the active network (one undo entry)."""
        path = self.reads.path(text, "weights")
        edit = self._read(load_weights_edit, path)
        try:
            self.apply(edit)
        except GradstepError as e:
            raise GradstepError(f"{self.reads.shown(path)}: {e}") from None
        return path

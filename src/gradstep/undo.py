"""Undo and redo for a trainer: a stack of labelled snapshots (no Textual).

Call `record(trainer, label)` just before a change: an edit, a settings change, a reset, or a
block of training steps (one `space`, one epoch, a whole run from start to pause). `undo`
puts the trainer back as it was before the last recorded change, bit for bit, and keeps the
state it left for `redo`; a new change clears that redo branch.

The stack is bounded by a count and by memory: each entry holds a copy of the parameters
(and the epoch's shuffle and the optimizer's moments, which may be shared between entries),
and the oldest entries are dropped first.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

MAX_ENTRIES = 200
MAX_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Entry:
    label: str
    snapshot: object     # anything with arrays(): a trainer's Snapshot, a workspace's


class UndoStack:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._undo: list[Entry] = []
        self._redo: list[Entry] = []

    # ---- recording ---------------------------------------------------------------------
    def record(self, trainer, label: str) -> None:
        """Remember the trainer as it is now, before a change called `label`."""
        self._undo.append(Entry(label, trainer.snapshot()))
        self._redo.clear()
        self._trim()

    def drop_last(self) -> None:
        """Forget the last record (the change it was taken for did not happen)."""
        if self._undo:
            self._undo.pop()

    @contextmanager
    def change(self, trainer, label: str):
        """Record before the block; forget the record if the block raises (nothing changed)."""
        self.record(trainer, label)
        try:
            yield
        except BaseException:
            self.drop_last()
            raise

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()

    # ---- moving ------------------------------------------------------------------------
    def undo(self, trainer) -> str | None:
        """Go back before the last change; its label, or None when there is nothing to undo."""
        if not self._undo:
            return None
        entry = self._undo.pop()
        self._redo.append(Entry(entry.label, trainer.snapshot()))
        trainer.restore(entry.snapshot)
        return entry.label

    def redo(self, trainer) -> str | None:
        """Make the last undone change again; its label, or None when there is nothing to redo."""
        if not self._redo:
            return None
        entry = self._redo.pop()
        self._undo.append(Entry(entry.label, trainer.snapshot()))
        trainer.restore(entry.snapshot)
        return entry.label

    @property
    def last(self) -> Entry | None:
        """The entry `undo` would go back to, or None."""
        return self._undo[-1] if self._undo else None

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def labels(self) -> list[str]:
        """The undoable changes, oldest first."""
        return [e.label for e in self._undo]

    def __len__(self) -> int:
        return len(self._undo)

    # ---- bounds ------------------------------------------------------------------------
    def memory(self) -> int:
        """Bytes held by every entry, counting each shared array once."""
        seen, total = set(), 0
        for entry in self._undo + self._redo:
            for a in entry.snapshot.arrays():
                if id(a) not in seen:
                    seen.add(id(a))
                    total += a.nbytes
        return total

    def _trim(self) -> None:
        while len(self._undo) > self.max_entries:
            self._undo.pop(0)
        while len(self._undo) > 1 and self.memory() > self.max_bytes:
            self._undo.pop(0)

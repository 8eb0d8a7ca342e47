"""What happened over a run: evaluations, the loss of every mini-batch, and where people edited.

Rows are only ever appended (a training epoch's end, an edit, a settings change), never
replaced, so a snapshot of the history is just its lengths: undo copies the first rows back.

The mini-batch losses are kept one per step up to MAX_BATCH_LOSSES; past that, neighbours are
averaged in pairs and each entry stands for twice as many steps (`stride`), so a run of any
length costs at most a few megabytes and the curve still shows its whole shape. Evaluation
rows are kept up to MAX_HISTORY_ROWS (42 MB); past that every other row is dropped (`thinned`
counts how often), so a run of a billion tiny epochs stays within the same bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_BATCH_LOSSES = 1 << 20
MAX_HISTORY_ROWS = 1 << 20   # evaluations kept; past that every other one is dropped


@dataclass(frozen=True)
class HistoryMark:
    """The lengths of a history at one moment (rows, batch losses, edit marks)."""

    rows: int
    losses: int
    stride: int
    pending: tuple[float, int]
    edits: tuple[int, ...]
    thinned: int = 0


class History:
    """Evaluations over time, in growable arrays (a million rows stays cheap)."""

    COLUMNS = ("step", "epoch", "train_loss", "test_loss", "accuracy")

    def __init__(self, rows: np.ndarray | None = None, losses: np.ndarray | None = None,
                 stride: int = 1, edits=()):
        self._rows = np.full((len(self.COLUMNS), 64), np.nan)
        self.size = 0
        self._losses = np.zeros(1024)
        self.loss_count = 0
        self.stride = stride
        self._pending = (0.0, 0)  # sum and count of losses not yet making a whole stride
        self.edits = list(edits)  # steps at which a person edited the network or the settings
        self.thinned = 0          # times every other row was dropped to stay within the bound
        if rows is not None:
            rows = np.asarray(rows, float).reshape(len(self.COLUMNS), -1)
            self._rows = np.full((len(self.COLUMNS), max(64, rows.shape[1])), np.nan)
            self._rows[:, :rows.shape[1]] = rows
            self.size = rows.shape[1]
        if losses is not None:
            self._extend_losses(np.asarray(losses, float))

    # ---- evaluations ---------------------------------------------------------------------
    def record(self, step, epoch, train_loss, test_loss, accuracy) -> None:
        """Add an evaluation row."""
        if self.size == self._rows.shape[1]:
            if self.size >= MAX_HISTORY_ROWS:
                self._thin()
            else:
                more = min(self.size, MAX_HISTORY_ROWS - self.size)
                self._rows = np.concatenate(
                    [self._rows, np.full((len(self.COLUMNS), more), np.nan)], axis=1)
        self._rows[:, self.size] = (step, epoch, train_loss, test_loss, accuracy)
        self.size += 1

    def _thin(self) -> None:
        """Drop every other row (the first is kept), halving what the history holds."""
        kept = self._rows[:, 0:self.size:2]
        self.size = kept.shape[1]
        self._rows[:, :self.size] = kept
        self._rows[:, self.size:] = np.nan
        self.thinned += 1

    def row(self, index: int) -> np.ndarray:
        return self._rows[:, index].copy()

    def rows(self) -> np.ndarray:
        """Every row as a (columns, n) array (a view: read, don't write)."""
        return self._rows[:, :self.size]

    def column(self, name: str) -> np.ndarray:
        return self._rows[self.COLUMNS.index(name), :self.size]

    def last(self, name: str) -> float:
        return float(self._rows[self.COLUMNS.index(name), self.size - 1]) if self.size else math.nan

    def __len__(self) -> int:
        return self.size

    # ---- mini-batch losses ---------------------------------------------------------------
    def add_loss(self, loss: float) -> None:
        """The loss of one step's mini-batch (steps are counted from 1)."""
        if self.stride == 1:
            if self.loss_count == len(self._losses):
                self._grow()
                if self.stride > 1:
                    self.add_loss(loss)
                    return
            self._losses[self.loss_count] = loss
            self.loss_count += 1
            return
        total, count = self._pending
        total, count = total + loss, count + 1
        if count < self.stride:
            self._pending = (total, count)
            return
        self._pending = (0.0, 0)
        if self.loss_count == len(self._losses):
            self._grow()
        self._losses[self.loss_count] = total / count
        self.loss_count += 1

    def _extend_losses(self, values: np.ndarray) -> None:
        """Losses read back (a session), at most MAX_BATCH_LOSSES of them: as add_loss would
        have kept them, without a Python step per value."""
        values = values[:MAX_BATCH_LOSSES]
        size = len(self._losses)
        while size < self.loss_count + len(values):
            size *= 2
        if size != len(self._losses):
            grown = np.zeros(size)
            grown[:self.loss_count] = self._losses[:self.loss_count]
            self._losses = grown
        self._losses[self.loss_count:self.loss_count + len(values)] = values
        self.loss_count += len(values)

    def _grow(self) -> None:
        if len(self._losses) < MAX_BATCH_LOSSES:
            self._losses = np.concatenate([self._losses, np.zeros(len(self._losses))])
            return
        # full: average neighbours, each entry now stands for twice the steps
        n = self.loss_count - self.loss_count % 2
        halved = np.zeros_like(self._losses)
        halved[:n // 2] = self._losses[:n].reshape(-1, 2).mean(axis=1)
        if self.loss_count % 2:  # an odd last entry goes back to waiting for its pair
            self._pending = (self._losses[n] * self.stride + self._pending[0],
                             self.stride + self._pending[1])
        self._losses, self.loss_count, self.stride = halved, n // 2, self.stride * 2

    def losses(self) -> tuple[np.ndarray, np.ndarray]:
        """(step, loss) of the mini-batch losses: each entry at the middle of its steps."""
        y = self._losses[:self.loss_count]
        x = (np.arange(self.loss_count) + 0.5) * self.stride + 0.5 if self.stride > 1 else \
            np.arange(1, self.loss_count + 1, dtype=float)
        return x, y

    # ---- marks (undo, sessions) ----------------------------------------------------------
    def mark(self) -> HistoryMark:
        return HistoryMark(self.size, self.loss_count, self.stride, self._pending,
                           tuple(self.edits), self.thinned)

    def copy(self, mark: HistoryMark | None = None) -> History:
        """A new History holding what this one held at `mark` (all of it by default)."""
        mark = mark or self.mark()
        new = History(stride=mark.stride, edits=mark.edits)
        rows = mark.rows
        for _ in range(self.thinned - mark.thinned):  # thinned since the mark
            rows = (rows + 1) // 2
        rows = min(rows, self.size)
        new._rows = self._rows[:, :max(rows, 64)].copy()
        new._rows[:, rows:] = np.nan
        new.size = rows
        new.thinned = self.thinned
        if mark.stride == self.stride:
            new._losses = self._losses[:max(mark.losses, 1024)].copy()
            new.loss_count = mark.losses
            new._pending = mark.pending
        else:  # halved since the mark: keep what the coarser record still says
            ratio = self.stride // mark.stride
            new.stride = self.stride
            new.loss_count = min(self.loss_count, mark.losses // ratio)
            new._losses = self._losses[:max(new.loss_count, 1024)].copy()
        return new

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The arrays this history keeps alive (for memory accounting)."""
        return self._rows, self._losses

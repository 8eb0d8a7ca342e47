"""What happened over a run: evaluations, the loss of every mini-batch, and where people edited.

Rows are only ever appended (a training epoch's end, an edit, a settings change), never
replaced, so a snapshot of the history is just its lengths: undo copies the first rows back.

The mini-batch losses are kept one per step up to MAX_BATCH_LOSSES; past that, neighbours are
averaged in pairs and each entry stands for twice as many steps (`stride`), so a run of any
length costs at most a few megabytes and the curve still shows its whole shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_BATCH_LOSSES = 1 << 20
NEURONS = 8  # neuron sums kept per layer and row: each neuron's, or min, median, max past this
PER_LAYER = 1 + NEURONS


def sums_row(weights) -> np.ndarray:
    """A row of the sums over time: for each weight layer Σw, then each neuron's incoming sum
    Σ_i W[i, j] (up to NEURONS of them; a wider layer keeps their min, median and max)."""
    row = np.full(len(weights) * PER_LAYER, np.nan)
    for l, w in enumerate(weights):
        neurons = np.add.reduce(w, 0)
        row[l * PER_LAYER] = float(neurons.sum())
        kept = neurons if len(neurons) <= NEURONS else \
            np.array([neurons.min(), np.median(neurons), neurons.max()])
        row[l * PER_LAYER + 1:l * PER_LAYER + 1 + len(kept)] = kept
    return row


@dataclass(frozen=True)
class HistoryMark:
    """The lengths of a history at one moment (rows, batch losses, edit marks)."""

    rows: int
    losses: int
    stride: int
    pending: tuple[float, int]
    edits: tuple[int, ...]


@dataclass(frozen=True)
class SumsSeries:
    """One weight layer's sums over time: at which history rows (and steps) its Σw and each
    neuron's incoming sum were recorded; spread: the columns are min, median and max."""

    rows: np.ndarray
    steps: np.ndarray
    total: np.ndarray
    neurons: np.ndarray
    spread: bool


class History:
    """Evaluations over time, in growable arrays (a million rows stays cheap)."""

    COLUMNS = ("step", "epoch", "train_loss", "test_loss", "accuracy")

    def __init__(self, rows: np.ndarray | None = None, losses: np.ndarray | None = None,
                 stride: int = 1, edits=(), sums: np.ndarray | None = None, shapes=()):
        self._rows = np.full((len(self.COLUMNS), 64), np.nan)
        self._sums = np.full((64, PER_LAYER), np.nan)   # a row of sums_row per history row
        self._shape_of = np.zeros(64, np.int32)         # which of `shapes` each row was of
        self.shapes: list[tuple[int, ...]] = [tuple(s) for s in shapes]  # layer sizes seen
        self.size = 0
        self._losses = np.zeros(1024)
        self.loss_count = 0
        self.stride = stride
        self._pending = (0.0, 0)  # sum and count of losses not yet making a whole stride
        self.edits = list(edits)  # steps at which a person edited the network or the settings
        if rows is not None:
            rows = np.asarray(rows, float).reshape(len(self.COLUMNS), -1)
            self._rows = np.full((len(self.COLUMNS), max(64, rows.shape[1])), np.nan)
            self._rows[:, :rows.shape[1]] = rows
            self.size = rows.shape[1]
            self._sums = np.full((self._rows.shape[1], PER_LAYER), np.nan)
            self._shape_of = np.zeros(self._rows.shape[1], np.int32)
            if sums is not None:
                sums, ids = sums
                self._widen(sums.shape[1])
                self._sums[:len(sums)] = sums
                self._shape_of[:len(ids)] = ids
        if losses is not None:
            self._extend_losses(np.asarray(losses, float))

    # ---- evaluations ---------------------------------------------------------------------
    def record(self, step, epoch, train_loss, test_loss, accuracy, weights=None) -> None:
        """Add an evaluation row, and the weight sums of that moment when weights are given."""
        if self.size == self._rows.shape[1]:
            self._rows = np.concatenate([self._rows, np.full_like(self._rows, np.nan)], axis=1)
            self._sums = np.concatenate([self._sums, np.full_like(self._sums, np.nan)])
            self._shape_of = np.concatenate([self._shape_of, np.zeros_like(self._shape_of)])
        self._rows[:, self.size] = (step, epoch, train_loss, test_loss, accuracy)
        if weights is not None:
            row = sums_row(weights)
            self._widen(len(row))
            self._sums[self.size, :len(row)] = row
            self._sums[self.size, len(row):] = np.nan
            shape = tuple(w.shape[0] for w in weights) + (weights[-1].shape[1],)
            if shape not in self.shapes:
                self.shapes.append(shape)
            self._shape_of[self.size] = self.shapes.index(shape)
        else:
            self._sums[self.size] = np.nan
        self.size += 1

    def _widen(self, width: int) -> None:
        if width > self._sums.shape[1]:
            wider = np.full((self._sums.shape[0], width), np.nan)
            wider[:, :self._sums.shape[1]] = self._sums
            self._sums = wider

    def sums(self, layer: int, neurons: int) -> SumsSeries:
        """The sums over time of weight layer `layer` (now with `neurons` neurons), over the
        rows recorded with the layer at that size."""
        n, start = self.size, layer * PER_LAYER
        spread = neurons > NEURONS
        k = 3 if spread else neurons
        if start >= self._sums.shape[1] or not n or not self.shapes:
            return SumsSeries(np.zeros(0, int), np.zeros(0), np.zeros(0), np.zeros((0, k)),
                              spread)
        ok = np.array([len(s) > layer + 1 and s[layer + 1] == neurons
                       for s in self.shapes], bool)
        rows = np.flatnonzero(ok[self._shape_of[:n]] & np.isfinite(self._sums[:n, start]))
        return SumsSeries(rows, self._rows[0, rows], self._sums[rows, start],
                          self._sums[rows, start + 1:start + 1 + k], spread)

    def sums_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Every row's sums (rows × width) and which shape each was of (for sessions)."""
        return self._sums[:self.size].copy(), self._shape_of[:self.size].copy()

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
        for value in values:
            if self.loss_count == len(self._losses):
                self._grow()
            self._losses[self.loss_count] = value
            self.loss_count += 1

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
                           tuple(self.edits))

    def copy(self, mark: HistoryMark | None = None) -> History:
        """A new History holding what this one held at `mark` (all of it by default)."""
        mark = mark or self.mark()
        new = History(stride=mark.stride, edits=mark.edits, shapes=self.shapes)
        new._rows = self._rows[:, :max(mark.rows, 64)].copy()
        new._rows[:, mark.rows:] = np.nan
        new._sums = self._sums[:max(mark.rows, 64)].copy()
        new._sums[mark.rows:] = np.nan
        new._shape_of = self._shape_of[:max(mark.rows, 64)].copy()
        new.size = mark.rows
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

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays this history keeps alive (for memory accounting)."""
        return self._rows, self._losses, self._sums

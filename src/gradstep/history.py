"""What happened over a run: evaluations, the loss of every mini-batch, and where people edited.

Rows are only ever appended (a training epoch's end, an edit, a settings change), never
replaced, so a snapshot of the history is just its lengths: undo copies the first rows back.

The mini-batch losses are kept one per step up to MAX_BATCH_LOSSES; past that, neighbours are
averaged in pairs and each entry stands for twice as many steps (`stride`), so a run of any
length costs at most a few megabytes and the curve still shows its whole shape. Evaluation
rows, with their weight sums, are kept up to HISTORY_BYTES (48 MB; at most MAX_HISTORY_ROWS
rows); past that every other row is dropped (`thinned` counts how often), so a run of a
billion tiny epochs stays within the same bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_BATCH_LOSSES = 1 << 20
MAX_HISTORY_ROWS = 1 << 20   # evaluations kept at most; past the cap every other one is dropped
HISTORY_BYTES = 48_000_000   # what the rows and their sums may take: fewer rows when wide
MIN_HISTORY_ROWS = 1024
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


def row_cap(sums_width: int) -> int:
    """Rows of a history whose sums rows are `sums_width` wide: as many as fit HISTORY_BYTES,
    at least MIN_HISTORY_ROWS, at most MAX_HISTORY_ROWS."""
    width = 8 * (len(History.COLUMNS) + sums_width)
    return max(MIN_HISTORY_ROWS, min(MAX_HISTORY_ROWS, HISTORY_BYTES // width))


@dataclass(frozen=True)
class HistoryMark:
    """The lengths of a history at one moment (rows, batch losses, edit marks)."""

    rows: int
    losses: int
    stride: int
    pending: tuple[float, int]
    edits: tuple[int, ...]
    thinned: int = 0


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
        self.thinned = 0          # times every other row was dropped to stay within the bound
        if rows is not None:
            rows = np.asarray(rows, float).reshape(len(self.COLUMNS), -1)
            self._rows = np.full((len(self.COLUMNS), max(64, rows.shape[1])), np.nan)
            self._rows[:, :rows.shape[1]] = rows
            self.size = rows.shape[1]
            self._sums = np.full((self._rows.shape[1], PER_LAYER), np.nan)
            self._shape_of = np.zeros(self._rows.shape[1], np.int32)
            if sums is not None:
                sums, ids = sums
                self._widen(sums.shape[1], thin=False)
                self._sums[:len(sums)] = sums
                self._shape_of[:len(ids)] = ids
        if losses is not None:
            self._extend_losses(np.asarray(losses, float))

    # ---- evaluations ---------------------------------------------------------------------
    def record(self, step, epoch, train_loss, test_loss, accuracy, weights=None) -> None:
        """Add an evaluation row, and the weight sums of that moment when weights are given."""
        if self.size == self._rows.shape[1]:
            cap = self.row_cap()
            if self.size >= cap:
                self._thin()
            else:
                more = min(self.size, cap - self.size)
                self._rows = np.concatenate(
                    [self._rows, np.full((len(self.COLUMNS), more), np.nan)], axis=1)
                self._sums = np.concatenate(
                    [self._sums, np.full((more, self._sums.shape[1]), np.nan)])
                self._shape_of = np.concatenate([self._shape_of, np.zeros(more, np.int32)])
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

    def row_cap(self, sums_width: int | None = None) -> int:
        """The rows this history keeps: as many as fit HISTORY_BYTES with their sums (a deep
        network's rows are wide), at least MIN_HISTORY_ROWS, at most MAX_HISTORY_ROWS."""
        width = self._sums.shape[1] if sums_width is None else sums_width
        return row_cap(width)

    def _thin(self) -> None:
        """Drop every other row (the first is kept), halving what the history holds."""
        n = self.size
        self.size = (n + 1) // 2
        self._rows[:, :self.size] = self._rows[:, 0:n:2]
        self._rows[:, self.size:] = np.nan
        self._sums[:self.size] = self._sums[0:n:2]
        self._sums[self.size:] = np.nan
        self._shape_of[:self.size] = self._shape_of[0:n:2]
        self.thinned += 1

    def _widen(self, width: int, thin: bool = True) -> None:
        """Room for sums rows `width` wide (a deeper network). The rows held shrink to what
        fits HISTORY_BYTES at that width first (thinned), so widening never costs more."""
        if width <= self._sums.shape[1]:
            return
        capacity = self._rows.shape[1]
        if thin:
            cap = self.row_cap(width)
            while self.size >= cap:  # leave room for the row being recorded
                self._thin()
            capacity = max(self.size + 1, min(capacity, cap))
            self._rows = self._rows[:, :capacity].copy()
            self._shape_of = self._shape_of[:capacity].copy()
        wider = np.full((capacity, width), np.nan)
        wider[:, :self._sums.shape[1]] = self._sums[:capacity]
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
        new = History(stride=mark.stride, edits=mark.edits, shapes=self.shapes)
        rows = mark.rows
        for _ in range(self.thinned - mark.thinned):  # thinned since the mark
            rows = (rows + 1) // 2
        rows = min(rows, self.size)
        keep = max(rows, 64)
        new._rows = self._rows[:, :keep].copy()
        new._rows[:, rows:] = np.nan
        new._sums = self._sums[:keep].copy()
        new._sums[rows:] = np.nan
        new._shape_of = self._shape_of[:keep].copy()
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

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays this history keeps alive (for memory accounting)."""
        return self._rows, self._losses, self._sums

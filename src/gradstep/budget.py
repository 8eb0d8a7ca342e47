"""One memory budget for everything a person can make large, checked before anything is
allocated.

Layer sizes, samples, the batch, CSV rows and columns, a session's members: each of these can
ask for gigabytes while staying inside its own limit. So every such request is estimated here,
in bytes, and refused with the estimate when it exceeds MEMORY_BUDGET: 1 GB unless the
environment variable GRADSTEP_MEMORY_BUDGET says otherwise ("2GB", "512MB", or bytes).

The estimates are upper bounds of what gradstep itself holds at its peak (numpy arrays),
not of the interpreter around it (about 60 MB more). Evaluations and predictions are made in
chunks of rows (EVAL_CHUNK_BYTES per layer's activations), so they cost a fixed amount
whatever the number of rows; a training step's batch is never chunked (it would slow the
step), so its activations count in full.
"""

from __future__ import annotations

import math
import os
import re

from gradstep.errors import GradstepError

ENV = "GRADSTEP_MEMORY_BUDGET"
DEFAULT_BUDGET = 1_000_000_000         # 1 GB
MIN_BUDGET = 100_000_000
EVAL_CHUNK_BYTES = 32_000_000          # one layer's activations during an evaluation, at most
MAX_FORWARD_WORK = 20_000_000          # multiply-adds a screen's redraw may ask for (heatmap)

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9,
          "gb": 10**9, "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30,
          "tib": 2**40}


class BudgetError(GradstepError):
    """A request that would take more memory than the budget allows; nothing was allocated."""


def parse_size(text: str) -> int:
    """Bytes from "1GB", "512 MB", "2e9", "1073741824"; ValueError otherwise."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?(?:e[0-9]{1,2})?)\s*([a-z]*)\s*", text.lower())
    if not match or match.group(2) not in _UNITS:
        raise ValueError(text)
    value = float(match.group(1)) * _UNITS[match.group(2)]
    if not math.isfinite(value):
        raise ValueError(text)
    return int(value)


def memory_budget() -> int:
    """The budget in bytes: GRADSTEP_MEMORY_BUDGET, or 1 GB."""
    text = os.environ.get(ENV)
    if text is None or not text.strip():
        return DEFAULT_BUDGET
    try:
        value = parse_size(text[:40])
    except ValueError:
        raise GradstepError(f"{ENV} must be a size like 2GB or 512MB, got "
                            f"{text[:40]!r}") from None
    if value < MIN_BUDGET:
        raise GradstepError(f"{ENV} must be at least {size_text(MIN_BUDGET)}, got {text[:40]!r}")
    return value


def size_text(n_bytes: float) -> str:
    """Bytes in decimal units, 3 significant figures: 37.3 GB, 96 MB, 512 B."""
    n = float(n_bytes)
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


def check(parts: list[tuple[str, int, str | None]], doing: str = "that") -> None:
    """BudgetError naming the total and its largest part when the parts exceed the budget.
    parts: (what, bytes, field the person would change)."""
    budget = memory_budget()
    total = sum(b for _, b, _ in parts)
    if total <= budget:
        return
    what, most, field = max(parts, key=lambda p: p[1])
    reason = (f"needs about {size_text(total)} of memory ({what}: {size_text(most)}); the "
              f"memory budget is {size_text(budget)} (set {ENV} to change it)")
    raise BudgetError(f"{doing} {reason}", field=field, reason=reason)


# --- what a trainer holds ---------------------------------------------------------------------


def parameter_count(sizes, bias: bool = True) -> int:
    """Weights and biases of dense layers of these sizes (batch norm's γ and β not counted)."""
    return sum(a * b + (b if bias else 0) for a, b in zip(sizes, sizes[1:]))


def chunk_rows(widest: int, itemsize: int) -> int:
    """Rows an evaluation forwards at a time, so one layer's activations stay under
    EVAL_CHUNK_BYTES."""
    return max(1, EVAL_CHUNK_BYTES // max(1, widest * itemsize))


def training_parts(sizes, itemsize: int, *, n_train: int, n_test: int, n_inputs: int,
                   raw_targets: int, encoded_targets: int, batch: int, optimizer: str,
                   bias: bool = True) -> list[tuple[str, int, str | None]]:
    """The memory a trainer holds at its peak, in parts (what, bytes, field to change):

    - the parameters: values, gradient, a proposed update, the optimizer's state (and its
      proposal), temporaries, and one undo copy;
    - the data: the raw rows (float64), the inputs and targets as the network takes them,
      and the current epoch's shuffled copy;
    - a training step: every layer's pre-activations and activations for the batch, kept for
      the backward pass, and at the widest layer the backward pass's four temporaries (the
      upstream gradient, and tanh's `da * (1 - a * a)` or sigmoid's `da * a * (1 - a)`);
    - an evaluation: one chunk of rows through the widest layer, and the outputs of every row;
    - the loss history, which stops growing at its cap (history.py).
    """
    sizes = [int(s) for s in sizes]
    params = parameter_count(sizes, bias)
    state = {"sgd": 0, "momentum": 1, "adam": 2}.get(optimizer, 2)
    n = n_train + n_test
    neurons = sum(sizes[1:])
    widest = max(sizes[1:])
    rows = min(n_train, chunk_rows(widest, itemsize))
    step_rows = min(max(batch, 1), max(n_train, 1))
    return [
        ("the parameters, gradients and optimizer state", params * itemsize * (6 + 2 * state),
         "network.layers"),
        (f"{n:,} rows of data", n * (n_inputs + raw_targets) * 8
         + n * (n_inputs + encoded_targets) * itemsize
         + n_train * (n_inputs + encoded_targets) * itemsize, "data"),
        (f"a training step on {step_rows:,} rows through {neurons:,} neurons",
         step_rows * (2 * neurons + 4 * widest + n_inputs) * itemsize, "training.batch_size"),
        ("an evaluation", 3 * rows * widest * itemsize + 4 * n * sizes[-1] * itemsize,
         "network.layers"),
        ("the loss history at its largest", history_bytes(len(sizes) - 1), None),
    ]


def history_bytes(depth: int) -> int:
    """The history at its cap, while it grows (history.py): its rows with their weight sums
    (HISTORY_BYTES, or MIN_HISTORY_ROWS rows of a deep network's wide sums), and the
    mini-batch losses."""
    from gradstep.history import (HISTORY_BYTES, MAX_BATCH_LOSSES, MIN_HISTORY_ROWS,
                                  PER_LAYER)
    rows = max(HISTORY_BYTES, MIN_HISTORY_ROWS * 8 * (5 + PER_LAYER * depth))
    return int(1.5 * (rows + 8 * MAX_BATCH_LOSSES))


def check_training(sizes, itemsize: int, doing: str = "that network", **shape) -> None:
    """BudgetError when a trainer of these sizes on data of this shape would not fit."""
    check(training_parts(sizes, itemsize, **shape), doing)


def trainer_parts(trainer, *, sizes=None, settings=None, itemsize=None, data=None):
    """training_parts of a trainer as it would be after a change of its sizes, settings,
    dtype or data ((train, test); None: as they are)."""
    net = trainer.network
    settings = settings or trainer.settings
    train, test = data or (trainer.raw_train, trainer.raw_test)
    out = (sizes or net.sizes)[-1]
    encoded = out if (train.task == "regression" or settings.loss != "cross-entropy") else 0
    return training_parts(sizes or net.sizes, itemsize or net.dtype.itemsize,
                          n_train=len(train), n_test=len(test), n_inputs=train.x.shape[1],
                          raw_targets=1 if train.y.ndim == 1 else train.y.shape[1],
                          encoded_targets=encoded, batch=settings.batch_size,
                          optimizer=settings.optimizer, bias=net.bias)


def estimate_trainer(trainer, **changes) -> int:
    """Bytes a trainer would hold after the changes (see trainer_parts)."""
    return sum(b for _, b, _ in trainer_parts(trainer, **changes))


def check_trainer(trainer, *, sizes=None, settings=None, itemsize=None, data=None,
                  doing: str = "that change") -> None:
    """BudgetError when a trainer, after a change of its sizes, settings, dtype or data
    (None: as they are), would not fit."""
    check(trainer_parts(trainer, sizes=sizes, settings=settings, itemsize=itemsize, data=data),
          doing)


def forward_points(parameters: int, wanted: int, least: int = 16) -> int:
    """How many inputs a redraw may push through a network of this many parameters: `wanted`
    when that costs at most MAX_FORWARD_WORK multiply-adds, else fewer (at least `least`)."""
    return max(min(least, wanted), min(wanted, MAX_FORWARD_WORK // max(parameters, 1)))

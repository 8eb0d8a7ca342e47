"""The trainer: a network and its data, stepped by an optimizer.

A step is one optimizer update on one mini-batch; an epoch is one pass over the training split,
shuffled anew each epoch from the trainer's seeded generator, so a run is reproducible.
The history holds evaluations (full train and test loss, accuracy) at the end of every epoch
and whenever someone asks (`evaluate`), e.g. a screen about to redraw.

Divergence guard: a step's new weights are built aside (the optimizer proposes, nothing is
changed in place) and committed only if the loss and every new weight are finite.
"""

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from gradstep.errors import EditError, SettingError
from gradstep.model import readouts as readouts_module
from gradstep.model.network import check_seed
from gradstep.model.losses import LOSSES, REQUIRED_OUTPUT, loss_and_grad, loss_value
from gradstep.model.optimizers import OPTIMIZERS, Optimizer

MAX_LEARNING_RATE = 1e6
MAX_NORM = 1e9  # weights past this count as diverged (a person may type up to ±1e9 too)


@dataclass(frozen=True)
class TrainingSettings:
    loss: str = "mse"
    optimizer: str = "sgd"
    learning_rate: float = 0.03
    batch_size: int = 10
    l1: float = 0.0
    l2: float = 0.0
    standardize: bool = False
    epochs: int = 100  # the length of a headless run when none is given

    def checked(self):
        """These settings, or SettingError naming the first bad one."""
        if self.loss not in LOSSES:
            raise SettingError(f"loss must be one of {', '.join(LOSSES)}; got {self.loss!r}")
        if self.optimizer not in OPTIMIZERS:
            raise SettingError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; "
                               f"got {self.optimizer!r}")
        lr = _number(self.learning_rate, "learning_rate")
        if not 0 < lr <= MAX_LEARNING_RATE:
            raise SettingError(f"learning_rate must be above 0 and at most {MAX_LEARNING_RATE:g}, "
                               f"got {lr:g}")
        for name in ("l1", "l2"):
            if _number(getattr(self, name), name) < 0:
                raise SettingError(f"{name} must be 0 or more, got {getattr(self, name)}")
        for name in ("batch_size", "epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise SettingError(f"{name} must be a whole number of at least 1, got {value!r}")
        if not isinstance(self.standardize, bool):
            raise SettingError(f"standardize must be true or false, got {self.standardize!r}")
        return self


def _number(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise SettingError(f"{name} must be a finite number, got {value!r}")
    return float(value)


class History:
    """Evaluations over time, in growable arrays (a million steps stays cheap)."""

    COLUMNS = ("step", "epoch", "train_loss", "test_loss", "accuracy")

    def __init__(self):
        self._data = np.full((len(self.COLUMNS), 64), np.nan)
        self.size = 0
        self.edits = []  # steps at which a person edited the network or the settings

    def record(self, step, *row):
        """Add an evaluation; a second one at the same step (after an edit) replaces the first."""
        if self.size and self._data[0, self.size - 1] == step:
            self.size -= 1
        self.append(step, *row)

    def append(self, *row):
        if self.size == self._data.shape[1]:
            self._data = np.concatenate([self._data, np.full_like(self._data, np.nan)], axis=1)
        self._data[:, self.size] = row
        self.size += 1

    def copy(self, size=None, edits=None, last_row=None):
        """A new History holding the first `size` rows (all by default), the last of them
        replaced by `last_row` when given."""
        size = self.size if size is None else size
        new = History()
        new._data = self._data[:, :max(size, 64)].copy()
        new._data[:, size:] = np.nan
        if last_row is not None and size:
            new._data[:, size - 1] = last_row
        new.size = size
        new.edits = list(self.edits if edits is None else edits)
        return new

    def row(self, index):
        return self._data[:, index].copy()

    def column(self, name):
        return self._data[self.COLUMNS.index(name), :self.size]

    def last(self, name):
        return float(self._data[self.COLUMNS.index(name), self.size - 1]) if self.size else math.nan

    def __len__(self):
        return self.size


@dataclass(frozen=True)
class Snapshot:
    network: dict
    settings: TrainingSettings
    optimizer: tuple
    step_count: int
    epoch_count: int
    position: int
    order: object        # the current epoch's permutation, or None before the first step
    rng_state: dict
    diverged: bool
    status: str
    last_loss: float
    history: "History"
    history_size: int
    edits: tuple
    last_row: object = None  # the history's last row, copied: an evaluation at the same step
                             # replaces that row in place in the shared history


@dataclass(frozen=True)
class Evaluation:
    train_loss: float
    test_loss: float   # nan when there is no test split
    accuracy: float    # nan for regression


def encode_targets(data, network, loss):
    """Targets in the form the output and loss take: labels, one-hot, 0/1 or ±1 columns."""
    if data.task == "regression":
        return data.y.astype(network.dtype)
    labels = data.y
    if loss == "cross-entropy":
        return labels
    k = network.sizes[-1]
    low = 0.0 if network.output in ("sigmoid", "softmax") else -1.0
    if k == 1:
        columns = (labels == 1).reshape(-1, 1)
    else:
        columns = labels.reshape(-1, 1) == np.arange(k)
    return np.where(columns, 1.0, low).astype(network.dtype)


def check_fit(network, data, loss):
    """SettingError unless the network's shape and output suit the data and the loss."""
    n_in, n_out = network.sizes[0], network.sizes[-1]
    if n_in != data.x.shape[1]:
        raise SettingError(f"the data has {data.x.shape[1]} inputs "
                           f"({', '.join(data.feature_names)}) but the first layer has {n_in}")
    needed = REQUIRED_OUTPUT.get(loss)
    if needed and network.output != needed:
        raise SettingError(f"the {loss} loss needs a {needed} output, not {network.output}")
    if data.task == "regression":
        k = data.y.shape[1]
        if n_out != k:
            raise SettingError(f"the data has {k} target(s) but the output layer has {n_out}")
        if loss == "cross-entropy" or network.output == "softmax":
            raise SettingError("softmax and cross-entropy are for classes; this data is regression")
        if loss == "bce" and (data.y.min() < 0 or data.y.max() > 1):
            raise SettingError("the bce loss needs targets between 0 and 1")
        return
    k = data.n_classes
    if network.output == "softmax" or loss == "cross-entropy" or k > 2:
        if n_out != k:
            raise SettingError(f"{k} classes need {k} outputs, the output layer has {n_out}")
    elif n_out not in (1, k):
        raise SettingError(f"2 classes need 1 output (or 2), the output layer has {n_out}")


def divergence_status(step, learning_rate):
    """The status after step `step` diverged. What to try comes first: the status line shows
    only the start of it."""
    return (f"diverged at step {step}: try a smaller learning rate than {learning_rate:g}; the "
            f"loss or the weights blew up (became infinite or grew past {MAX_NORM:g}), the last "
            f"weights before that are kept")


def predict_classes(network, out):
    """Class indices from outputs (..., k): rows, or a stack of them (the sweep)."""
    if out.shape[-1] == 1:
        threshold = 0.5 if network.output == "sigmoid" else 0.0
        return (out[..., 0] > threshold).astype(np.int64)
    return out.argmax(axis=-1)


class Trainer:
    def __init__(self, network, train, test, settings=TrainingSettings(), seed=0):
        self.network = network
        self.raw_train, self.raw_test = train, test
        self.settings = settings.checked()
        check_fit(network, train, settings.loss)
        try:
            self.seed = check_seed(seed)
        except EditError as e:
            raise SettingError(str(e)) from None
        self.rng = np.random.default_rng(self.seed)
        self.optimizer = Optimizer(settings.optimizer)
        self.step_count = 0
        self.epoch_count = 0
        self.history = History()
        self.diverged = False
        self.status = "ready"
        self.last_loss = math.nan
        self.has_gradients = False  # net.grad holds the last step's gradients
        self._prepare_data()
        self.evaluate()

    # ---- data --------------------------------------------------------------------------
    @property
    def is_classification(self):
        return self.raw_train.task == "classification"

    def _prepare_data(self):
        """Standardize (or not) and encode once; reset the position in the epoch."""
        x_train, x_test = self.raw_train.x, self.raw_test.x
        if self.settings.standardize:
            self.mean = x_train.mean(axis=0)
            std = x_train.std(axis=0)
            self.std = np.where(std > 0, std, 1.0)
        else:
            self.mean = np.zeros(x_train.shape[1])
            self.std = np.ones(x_train.shape[1])
        dtype = self.network.dtype
        self.x_train = ((x_train - self.mean) / self.std).astype(dtype)
        self.x_test = ((x_test - self.mean) / self.std).astype(dtype)
        self.y_train = encode_targets(self.raw_train, self.network, self.settings.loss)
        self.y_test = encode_targets(self.raw_test, self.network, self.settings.loss)
        self._position = len(self.x_train)  # the next step starts a new epoch
        self._order = None

    def _shuffle(self):
        self._x_epoch, self._y_epoch = self.x_train[self._order], self.y_train[self._order]
        self._position = 0

    def transform(self, x):
        """Raw inputs as the network sees them (standardized when that is on)."""
        return ((np.asarray(x, float) - self.mean) / self.std).astype(self.network.dtype)

    def predict(self, x):
        """The network's outputs for raw inputs x (n, n_0)."""
        return self.network.forward(self.transform(x))

    @property
    def steps_per_epoch(self):
        return -(-len(self.x_train) // self.settings.batch_size)

    # ---- training ----------------------------------------------------------------------
    def step(self):
        """One optimizer update on the next mini-batch. False when it diverged (nothing changed)."""
        with np.errstate(all="ignore"):  # overflow is caught by the divergence guard, not printed
            return self._step()

    def _step(self):
        if self.diverged:
            return False
        n = len(self.x_train)
        if self._position >= n:
            self._order = self.rng.permutation(n)
            self._shuffle()
        start, end = self._position, self._position + self.settings.batch_size
        loss, grad = self._gradient(self._x_epoch[start:end], self._y_epoch[start:end])
        if not self._commit(loss, grad):
            return False
        self.last_loss = loss
        self.has_gradients = True
        self.step_count += 1
        self._position = min(end, n)
        if end >= n:
            self.epoch_count += 1
            self._evaluate()
        return True

    def gradients(self, x, y):
        """Data loss on a batch and the gradients of the objective (data loss + penalty), as
        per-layer views (gw, gb) of the network's gradient vector (overwritten by the next call)."""
        self._gradient(x, y)
        net = self.network
        return self._last_batch_loss, net.grad_weights, net.grad_biases

    def _gradient(self, x, y):
        net, s = self.network, self.settings
        z, out = net.forward(x, keep=True, logits=True)
        loss, dz = loss_and_grad(s.loss, net.output, z, out, y)
        grad = net.backward(dz)
        if s.l1 or s.l2:  # weights only: they are the first n_weights entries
            w, g = net.params[:net.n_weights], grad[:net.n_weights]
            if s.l1:  # sign(0) = 0, as autograd has it
                g += s.l1 * np.sign(w)
            if s.l2:
                g += (2 * s.l2) * w
        self._last_batch_loss = loss
        return loss, grad

    def _commit(self, loss, grad):
        """Propose the update, apply freezing, L1's stop at zero and the constraint; commit
        only if the loss and every new parameter are finite."""
        net, s = self.network, self.settings
        old = net.params
        new, state = self.optimizer.propose(old, grad, s.learning_rate)
        if net.frozen_mask is not None:
            np.copyto(new, old, where=net.frozen_mask)
        if s.l1:
            self._l1_zeros(old, new, grad)
        if net.constraint != "none":
            net.enforce_flat(new)
        # One BLAS call: non-finite if any parameter is, and above MAX_NORM² once the weights
        # run away (they would overflow a few steps later, and evaluations on them already do).
        norm_sq = np.dot(new, new)
        if not (math.isfinite(loss) and norm_sq <= MAX_NORM**2):
            self.diverged = True
            self.status = divergence_status(self.step_count + 1, s.learning_rate)
            return False
        np.copyto(old, new)  # in place: the per-layer views stay valid
        net.version += 1
        self.optimizer.commit(state)
        return True

    def _l1_zeros(self, old, new, grad):
        """L1's exact zeros: a weight an update carries across zero stops at 0 (as TensorFlow
        Playground does), and a weight at 0 stays there while the data pulls on it less than
        l1 does (the subgradient of l1·|w| at 0 can cancel that pull)."""
        n, l1 = self.network.n_weights, self.settings.l1
        w_old, w_new = old[:n], new[:n]
        w_new[(w_old * w_new < 0) | ((w_old == 0) & (np.abs(grad[:n]) <= l1))] = 0.0

    def run(self, steps=None, epochs=None, stop=None):
        """Take `steps` steps or `epochs` whole epochs; stops early on divergence, or when
        `stop()` (checked after each step) says so. Returns the steps done."""
        if epochs is not None:
            steps = epochs * self.steps_per_epoch
            if self._position < len(self.x_train):  # finish the epoch under way first
                steps += -(-(len(self.x_train) - self._position) // self.settings.batch_size)
        done = 0
        with np.errstate(all="ignore"):
            for _ in range(steps or 0):
                if not self._step():
                    break
                done += 1
                if stop is not None and stop():
                    break
        return done

    def epoch(self):
        """Steps to the end of the current epoch (a whole one if none is under way)."""
        n, b = len(self.x_train), self.settings.batch_size
        left = n if self._position >= n else n - self._position
        return self.run(steps=-(-left // b))

    # ---- evaluation --------------------------------------------------------------------
    def _measure(self, x, y, data):
        """(loss, accuracy) of the network on one split; nan where there is nothing to measure."""
        if len(x) == 0:
            return math.nan, math.nan
        net = self.network
        z, a = net.forward(x, logits=True)
        loss = loss_value(self.settings.loss, z, a, y)
        accuracy = math.nan
        if self.is_classification:
            accuracy = float(np.mean(predict_classes(net, a) == data.y))
        return loss, accuracy

    def evaluate(self):
        """Full train and test loss and accuracy now; recorded in the history once per step.
        Accuracy is on the test split, or on the training split when there is no test split."""
        with np.errstate(all="ignore"):
            return self._evaluate()

    @property
    def evaluation_current(self):
        """Whether the history's last evaluation is of the network and settings as they are now."""
        return self._evaluated == (self.step_count, self.network.version, self.settings)

    def _evaluate(self):
        self._evaluated = (self.step_count, self.network.version, self.settings)
        train_loss, train_accuracy = self._measure(self.x_train, self.y_train, self.raw_train)
        test_loss, accuracy = self._measure(self.x_test, self.y_test, self.raw_test)
        if not len(self.x_test):
            accuracy = train_accuracy
        self.history.record(self.step_count, self.epoch_count, train_loss, test_loss, accuracy)
        return Evaluation(train_loss, test_loss, accuracy)

    def penalty(self):
        """The regularization term l1·Σ|W| + l2·ΣW² (weights only), reported apart from the loss."""
        s = self.settings
        if not (s.l1 or s.l2):
            return 0.0
        return sum(s.l1 * float(np.abs(w).sum()) + s.l2 * float(np.vdot(w, w))
                   for w in self.network.weights)

    def readouts(self):
        net = self.network
        gradients = (net.grad_weights, net.grad_biases) if self.has_gradients else None
        return readouts_module.read(net, gradients)

    def least_squares(self):
        """The exact mse optimum (weights, biases) for a network with no hidden layer and a linear
        output, on the training split as the network sees it; None for any other network."""
        net = self.network
        if net.depth != 1 or net.output != "linear" or self.settings.loss != "mse" \
                or self.is_classification:
            return None
        x = self.x_train.astype(float)
        if net.bias:
            x = np.hstack([x, np.ones((len(x), 1))])
        solution, *_ = np.linalg.lstsq(x, self.y_train.astype(float), rcond=None)
        if net.bias:
            return solution[:-1], solution[-1]
        return solution, np.zeros(solution.shape[1])

    # ---- snapshots (undo, session files) ----------------------------------------------
    def snapshot(self):
        """Everything needed to go on exactly as from now: restoring it and stepping gives the
        same next step, bit for bit. Cheap: the history is shared, not copied, and optimizer
        state arrays are replaced by every step, never changed in place, so they are shared too."""
        return Snapshot(
            network=self.network.snapshot(),
            settings=self.settings,
            optimizer=(self.optimizer.name, self.optimizer.state),
            step_count=self.step_count, epoch_count=self.epoch_count,
            position=self._position,
            order=None if self._order is None else self._order.copy(),
            rng_state=self.rng.bit_generator.state,
            diverged=self.diverged, status=self.status, last_loss=self.last_loss,
            history=self.history, history_size=len(self.history),
            edits=tuple(self.history.edits),
            last_row=self.history.row(len(self.history) - 1) if len(self.history) else None,
        )

    def restore(self, snap):
        """Go back (or forward) to a snapshot of this trainer."""
        self.network.restore_snapshot(snap.network)
        self.settings = snap.settings
        self.optimizer = Optimizer(snap.optimizer[0])
        self.optimizer.state = snap.optimizer[1]
        self.step_count, self.epoch_count = snap.step_count, snap.epoch_count
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = snap.rng_state
        self.diverged, self.status, self.last_loss = snap.diverged, snap.status, snap.last_loss
        self.history = snap.history.copy(snap.history_size, snap.edits, snap.last_row)
        self.has_gradients = False
        self._prepare_data()
        self._order = None if snap.order is None else snap.order.copy()
        if self._order is not None:
            self._shuffle()
        self._position = snap.position

    # ---- changes -----------------------------------------------------------------------
    def _after_change(self, structural=False):
        """Record an edit; a changed shape gives the optimizer fresh memory (as a new torch
        optimizer would have), and a person's change ends a divergence stop."""
        if structural:
            self.optimizer.reset()
            self.has_gradients = False
        self.diverged = False
        self.status = "edited"
        self.history.edits.append(self.step_count)

    def edit(self, method, *args):
        """Apply a Network edit by name (set_weight, resize, ...), keeping the data fit."""
        structural = method in ("resize", "insert_layer", "remove_layer", "set_activation",
                                "reinitialize", "set_dtype")
        snapshot = self._snapshot() if method in ("set_activation", "set_dtype") else None
        getattr(self.network, method)(*args)
        if snapshot is not None:
            try:
                check_fit(self.network, self.raw_train, self.settings.loss)
            except SettingError as e:
                self._restore(snapshot)
                raise EditError(str(e)) from None
            self._prepare_data()
        self._after_change(structural)

    def _snapshot(self):
        net = self.network
        return (net.output, list(net.activations), net.dtype, list(net.sizes),
                [w.copy() for w in net.weights], [b.copy() for b in net.biases], list(net.frozen))

    def _restore(self, snap):
        net = self.network
        net.output, net.activations, net.dtype = snap[0], snap[1], snap[2]
        net.restore(*snap[3:])
        net._bind()

    def reset(self, seed=None):
        """New initial weights; counters and history start again."""
        self.network.reinitialize(seed)
        self.optimizer.reset()
        self.rng = np.random.default_rng(self.seed if seed is None else seed)
        self.step_count = self.epoch_count = 0
        self.history = History()
        self.diverged = False
        self.status = "reset"
        self.last_loss = math.nan
        self.has_gradients = False
        self._prepare_data()
        self.evaluate()

    def change_settings(self, **changes):
        """Change training settings by name; SettingError (and nothing changed) if one is bad."""
        unknown = set(changes) - {f.name for f in fields(TrainingSettings)}
        if unknown:
            raise SettingError(f"unknown setting {sorted(unknown)[0]!r}")
        new = replace(self.settings, **changes).checked()
        check_fit(self.network, self.raw_train, new.loss)
        old = self.settings
        self.settings = new
        if new.optimizer != old.optimizer:
            self.optimizer = Optimizer(new.optimizer)
        if (new.standardize, new.loss, new.batch_size) != (old.standardize, old.loss,
                                                           old.batch_size):
            self._prepare_data()
        self._after_change()

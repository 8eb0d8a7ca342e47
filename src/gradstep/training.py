"""The trainer: a network and its data, stepped by an optimizer.

A step is one optimizer update on one mini-batch; an epoch is one pass over the training split,
shuffled anew each epoch from the trainer's seeded generator, so a run is reproducible.

Reading never writes: `evaluate()` is a pure read (full train and test loss and accuracy),
cached until the network, the step or the settings change, so a screen may ask for it on every
frame. The history gets a row only when something happens: an epoch ends, an edit or a
settings change is made, the trainer starts or is reset.

Divergence guard: a step's new weights are built aside (the optimizer proposes, nothing is
changed in place) and committed only if the loss and every new weight are finite. Batch norm's
running statistics are proposed by the training pass and committed with the weights, so a
dropped step leaves them too as they were.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gradstep.budget import check_trainer
from gradstep.errors import EditError, SettingError
from gradstep.history import History, HistoryMark
from gradstep.metrics import confusion, r2, rmse
from gradstep.model import readouts as readouts_module
from gradstep.model.losses import loss_and_grad, loss_value
from gradstep.model.optimizers import Optimizer
from gradstep.model.spec import check_seed
from gradstep.settings import MAX_LEARNING_RATE, TrainingSettings
from gradstep.targets import check_batches, check_fit, encode_targets, predict_classes

__all__ = ["Trainer", "TrainingSettings", "History", "Snapshot", "Evaluation", "MAX_NORM",
           "MAX_LEARNING_RATE", "encode_targets", "predict_classes", "check_fit"]

MAX_NORM = 1e9  # weights past this count as diverged (a person may type up to ±1e9 too)


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
    history: History     # shared, not copied: rows are only appended, so the mark suffices
    history_mark: HistoryMark
    data: tuple = None   # (raw train, raw test, the [data] table): a person may change the data

    def arrays(self):
        """The arrays this snapshot keeps alive (shared ones may belong to several)."""
        yield self.network["params"]
        yield self.network["running"]
        if self.order is not None:
            yield self.order
        state = self.optimizer[1]
        if isinstance(state, np.ndarray):
            yield state
        elif isinstance(state, tuple):
            yield from (a for a in state if isinstance(a, np.ndarray))
        yield from self.history.arrays()


@dataclass(frozen=True)
class Metrics:
    """Beside the loss: on the test split, or the training split when there is none."""
    split: str                   # "test" or "train"
    confusion: object = None     # (k, k) counts for classes: row = true class, column = predicted
    r2: float = math.nan         # regression
    rmse: float = math.nan       # regression, in the target's units


@dataclass(frozen=True)
class Evaluation:
    train_loss: float
    test_loss: float   # nan when there is no test split
    accuracy: float    # nan for regression; on the test split, or train when there is none
    train_accuracy: float = math.nan


def divergence_status(step, learning_rate):
    """The status after step `step` diverged. What to try comes first: the status line shows
    only the start of it."""
    return (f"diverged at step {step}: try a smaller learning rate than {learning_rate:g}; the "
            f"loss or the weights blew up (became infinite or grew past {MAX_NORM:g}), the last "
            f"weights before that are kept")


class Trainer:
    def __init__(self, network, train, test, settings=TrainingSettings(), seed=0):
        self.network = network
        self.raw_train, self.raw_test = train, test
        self.settings = settings.checked()
        check_fit(network.sizes, network.output, train, settings.loss)
        check_batches(any(network.batch_norm), len(train), settings.batch_size)
        check_trainer(self, doing="this network on this data")
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
        self.data_spec = None  # the [data] table the data came from, when it was generated
        self.data_base = None  # the folder a csv path in it is relative to
        self._cache = (None, None)  # (what it was evaluated on, Evaluation)
        self._metrics_cache = (None, None)
        self._data_version = 0
        self._prepare_data()
        self._record()

    # ---- data --------------------------------------------------------------------------
    @property
    def is_classification(self):
        return self.raw_train.task == "classification"

    def _prepare_data(self):
        """Standardize (or not) and encode once; reset the position in the epoch."""
        x_train, x_test = self.raw_train.x, self.raw_test.x
        if self.settings.standardize:
            with np.errstate(over="ignore", invalid="ignore"):  # inputs near 1e308: no warning
                self.mean = x_train.mean(axis=0)
                std = x_train.std(axis=0)
            self.std = np.where(std > 0, std, 1.0)
        else:
            self.mean = np.zeros(x_train.shape[1])
            self.std = np.ones(x_train.shape[1])
        self.x_train, self.x_test = self._inputs(x_train), self._inputs(x_test)
        self.y_train = encode_targets(self.raw_train, self.network, self.settings.loss)
        self.y_test = encode_targets(self.raw_test, self.network, self.settings.loss)
        self._position = len(self.x_train)  # the next step starts a new epoch
        self._order = None
        self._data_version += 1

    def _inputs(self, x):
        """Inputs as the network takes them: standardized (or not) in its dtype. Raw inputs
        that already are (no standardizing, the same dtype) are used as they are, read-only:
        (x - 0) / 1 is x, and a large data set is not held twice."""
        if not self.settings.standardize and x.dtype == self.network.dtype:
            return x
        return ((x - self.mean) / self.std).astype(self.network.dtype)

    def set_data(self, train, test, spec=None):
        """New data (a changed [data] table, or a point added): the network must already fit
        it, and fit the memory budget; the next step starts a new epoch."""
        check_trainer(self, data=(train, test), doing="that data")
        self.raw_train, self.raw_test = train, test
        if spec is not None:
            self.data_spec = spec
        self._prepare_data()

    def refit(self):
        """The data again as the network and settings now need it (after an output activation,
        dtype or loss change); the next step starts a new epoch."""
        self._prepare_data()

    def _shuffle(self):
        self._x_epoch, self._y_epoch = self.x_train[self._order], self.y_train[self._order]
        self._position = 0

    def transform(self, x):
        """Raw inputs as the network sees them (standardized when that is on)."""
        return ((np.asarray(x, float) - self.mean) / self.std).astype(self.network.dtype)

    def predict(self, x):
        """The network's outputs for raw inputs x (n, n_0)."""
        with np.errstate(all="ignore"):
            return self.network.forward_rows(self.transform(x))

    @property
    def on_plane(self) -> bool:
        """Whether the data lie on a plane the screen can draw (two inputs, or features of
        points of a plane)."""
        return self.raw_train.points is not None

    def plane_inputs(self, points):
        """What the network takes (standardized when that is on) for points of the plane."""
        return self.transform(self.raw_train.on_plane(points))

    def predict_plane(self, points):
        """The network's outputs at points (n, 2) of the plane."""
        with np.errstate(all="ignore"):
            return self.network.forward_rows(self.plane_inputs(points))

    @property
    def steps_per_epoch(self):
        return -(-len(self.x_train) // self.settings.batch_size)

    @property
    def position(self):
        """Training rows of the current epoch already stepped over."""
        return self._position

    # ---- training ----------------------------------------------------------------------
    def step(self):
        """One optimizer update on the next mini-batch. False when it diverged (nothing changed)."""
        with np.errstate(all="ignore"):  # overflow is caught by the divergence guard, not printed
            return self.step_in_errstate()

    def step_in_errstate(self):
        """step() for a caller that has already entered np.errstate (a loop of steps)."""
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
        self.history.add_loss(loss)
        self._position = min(end, n)
        if end >= n:
            self.epoch_count += 1
            self._record()
        return True

    def gradients(self, x, y):
        """Data loss on a batch and the gradients of the objective (data loss + penalty), as
        per-layer views (gw, gb) of the network's gradient vector (overwritten by the next call)."""
        loss, _ = self._gradient(x, y)
        net = self.network
        return loss, net.grad_weights, net.grad_biases

    def _gradient(self, x, y):
        net, s = self.network, self.settings
        z, out = net.forward(x, keep=True, logits=True)
        scratch = net.training_scratch
        loss, dz = loss_and_grad(s.loss, net.output, z, out, y, out=scratch.d[-1],
                                 softmax=scratch.softmax)
        grad = net.backward(dz)
        if s.l1 or s.l2:  # weights only: they are the first n_weights entries
            w, g = net.params[:net.n_weights], grad[:net.n_weights]
            if s.l1:  # sign(0) = 0, as autograd has it
                g += s.l1 * np.sign(w)
            if s.l2:
                g += (2 * s.l2) * w
        return loss, grad

    def _commit(self, loss, grad):
        """Propose the update, apply freezing, L1's stop at zero and the constraint; commit
        only if the loss and every new parameter are finite."""
        net, s = self.network, self.settings
        old = net.params
        new, state = self.optimizer.propose(old, grad, s.learning_rate, out=net.proposal)
        if net.frozen_mask is not None:
            np.copyto(new, old, where=net.frozen_mask)
        if s.l1:
            self._l1_zeros(old, new, grad)
        if net.constraint != "none":
            net.enforce_flat(new)
        # One BLAS call: non-finite if any parameter is, and above MAX_NORM² once the weights
        # run away (they would overflow a few steps later, and evaluations on them already do).
        norm_sq = np.dot(new, new)
        running = net.proposed_running
        if not (math.isfinite(loss) and norm_sq <= MAX_NORM**2) or \
                (running is not None and not np.isfinite(running).all()):
            self.diverged = True
            self.status = divergence_status(self.step_count + 1, s.learning_rate)
            return False
        net.take_proposal()  # new becomes params: two vectors trade places, nothing is copied
        if running is not None:
            net.commit_running()
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

    def steps_to_epoch_end(self):
        """Steps left in the epoch under way (a whole epoch's when none is)."""
        n, b = len(self.x_train), self.settings.batch_size
        left = n if self._position >= n else n - self._position
        return -(-left // b)

    def steps_for(self, epochs):
        """The steps `run(epochs=...)` takes: whole epochs, after finishing the one under way."""
        steps = epochs * self.steps_per_epoch
        if self._position < len(self.x_train):
            steps += self.steps_to_epoch_end()
        return steps

    def run(self, steps=None, epochs=None, stop=None):
        """Take `steps` steps or `epochs` whole epochs; stops early on divergence, or when
        `stop()` (checked after each step) says so. Returns the steps done."""
        if epochs is not None:
            steps = self.steps_for(epochs)
        done = 0
        with np.errstate(all="ignore"):
            for _ in range(steps or 0):
                if not self.step_in_errstate():
                    break
                done += 1
                if stop is not None and stop():
                    break
        return done

    def epoch(self):
        """Steps to the end of the current epoch (a whole one if none is under way)."""
        return self.run(steps=self.steps_to_epoch_end())

    # ---- evaluation (reads only) -------------------------------------------------------
    def _measure(self, x, y, data):
        """(loss, accuracy) of the network on one split; nan where there is nothing to measure."""
        if len(x) == 0:
            return math.nan, math.nan
        net = self.network
        z, a = net.forward_rows(x, logits=True)
        loss = loss_value(self.settings.loss, z, a, y)
        accuracy = math.nan
        if self.is_classification:
            accuracy = float(np.mean(predict_classes(net, a) == data.y))
        return loss, accuracy

    def evaluate(self):
        """Full train and test loss and accuracy of the network as it is now. A pure read,
        cached until the step, the network, the settings or the data change.
        Accuracy is on the test split, or on the training split when there is no test split."""
        key = (self.step_count, self.network.version, self.settings, self._data_version)
        if self._cache[0] == key:
            return self._cache[1]
        with np.errstate(all="ignore"):
            train_loss, train_accuracy = self._measure(self.x_train, self.y_train, self.raw_train)
            test_loss, accuracy = self._measure(self.x_test, self.y_test, self.raw_test)
        if not len(self.x_test):
            accuracy = train_accuracy
        evaluation = Evaluation(train_loss, test_loss, accuracy, train_accuracy)
        self._cache = (key, evaluation)
        return evaluation

    def metrics(self):
        """A confusion matrix (classes) or R² and RMSE (regression) of the network as it is now,
        on the test split (the training split when there is none). A pure read, cached."""
        key = ("metrics", self.step_count, self.network.version, self.settings,
               self._data_version)
        if self._metrics_cache[0] == key:
            return self._metrics_cache[1]
        test = len(self.raw_test) > 0
        data, x = (self.raw_test, self.x_test) if test else (self.raw_train, self.x_train)
        split = "test" if test else "train"
        with np.errstate(all="ignore"):
            out = self.network.forward_rows(x)
        if self.is_classification:
            result = Metrics(split, confusion(data.y, predict_classes(self.network, out),
                                              data.n_classes))
        else:
            result = Metrics(split, None, r2(data.y, out), rmse(data.y, out))
        self._metrics_cache = (key, result)
        return result

    def latest(self):
        """(step, Evaluation): the newest evaluation there is, without computing one; the
        evaluation of now if someone asked for it, else the history's last row."""
        key, evaluation = self._cache
        if evaluation is not None and \
                key == (self.step_count, self.network.version, self.settings, self._data_version):
            return self.step_count, evaluation
        h = self.history
        if not len(h):
            return self.step_count, self.evaluate()
        return int(h.last("step")), Evaluation(h.last("train_loss"), h.last("test_loss"),
                                               h.last("accuracy"))

    def _record(self):
        """A history row: the evaluation now."""
        e = self.evaluate()
        self.history.record(self.step_count, self.epoch_count, e.train_loss, e.test_loss,
                            e.accuracy, self.network.weights)

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

    @property
    def least_squares_applies(self) -> bool:
        """A network with no hidden layer, a linear output, mse and regression: its exact
        optimum can be computed (least_squares)."""
        net = self.network
        return net.depth == 1 and net.output == "linear" and self.settings.loss == "mse" \
            and not self.is_classification

    def least_squares(self):
        """The exact mse optimum (weights, biases) for a network with no hidden layer and a linear
        output, on the training split as the network sees it; None for any other network."""
        net = self.network
        if not self.least_squares_applies:
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
            history=self.history, history_mark=self.history.mark(),
            data=(self.raw_train, self.raw_test, self.data_spec),
        )

    def restore(self, snap):
        """Go back (or forward) to a snapshot of this trainer."""
        if snap.data is not None:
            self.raw_train, self.raw_test, self.data_spec = snap.data
        self.network.restore_snapshot(snap.network)
        self.settings = snap.settings
        self.optimizer = Optimizer(snap.optimizer[0])
        self.optimizer.state = snap.optimizer[1]
        self.step_count, self.epoch_count = snap.step_count, snap.epoch_count
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = snap.rng_state
        self.diverged, self.status, self.last_loss = snap.diverged, snap.status, snap.last_loss
        self.history = snap.history.copy(snap.history_mark)
        self.has_gradients = False
        self._prepare_data()
        self._order = None if snap.order is None else snap.order.copy()
        if self._order is not None:
            self._shuffle()
        self._position = snap.position

    # ---- changes -----------------------------------------------------------------------
    def apply(self, edit):
        """Make an edit (see edits.py); an EditError or SettingError changes nothing."""
        with np.errstate(all="ignore"):
            edit.apply(self)
        if edit.marks_history:
            self.changed(edit.structural)

    def changed(self, structural=False):
        """Record a person's change: a changed shape gives the optimizer fresh memory (as a new
        torch optimizer would have), a change ends a divergence stop, the history gets a row."""
        if structural:
            self.optimizer.reset()
            self.has_gradients = False
        self.diverged = False
        self.status = "edited"
        self.history.edits.append(self.step_count)
        self._record()

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
        self._record()

    def set_settings(self, settings):
        """New checked settings that fit the network and data (the caller checked the fit)."""
        old, self.settings = self.settings, settings
        if settings.optimizer != old.optimizer:
            self.optimizer = Optimizer(settings.optimizer)
        if (settings.standardize, settings.loss, settings.batch_size) != \
                (old.standardize, old.loss, old.batch_size):
            self._prepare_data()

    def change_settings(self, **changes):
        """Change training settings by name; SettingError (and nothing changed) if one is bad."""
        from gradstep.edits import ChangeSettings
        self.apply(ChangeSettings(changes))

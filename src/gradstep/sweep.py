"""Many seeds at once: copies of one network trained side by side, each numpy call serving all.

Why this exists: "do a layer's weights have to add up to 1?" is best answered across many
starts, not one. A Trainer steps one network, and on a small network a step costs numpy's
per-call overhead, not arithmetic: N trainers one after another pay it N times. Here the copies'
parameters are stacked, one row each, so every layer's weights are an (N, n_in, n_out) stack and
a step is one batched matmul over (N, B, n_in) mini-batches, each copy gathering its own batch
from its own shuffle (its own generator, drawn exactly as its Trainer would draw it).

The step is the Trainer's step written over the stack: the same formulas in the same order, and
np.matmul runs the same gemm on each copy. Three things differ, each within rounding: tanh and
sigmoid are computed from exp (twice as fast as np.tanh here), bias gradients are summed by
einsum, and an evaluation runs as (copies, neurons, samples). So each copy ends within rounding
of `Trainer.run` from its seed: within 1e-13 after 100 steps in float64
(tests/test_sweep.py checks every optimizer, constraint, loss, activation and dtype).

A copy that diverges (the trainer's guard: a non-finite loss, or new parameters past MAX_NORM)
keeps its last good state and leaves the stack, exactly as a single trainer stops; the others go
on. `write_back` puts each copy's end state into its own Trainer through `Trainer.restore`, so
summaries, sessions and the app read an ordinary trainer.

A layer is an affine map, a slot for a per-layer normalisation, then the activation: `_forward`
(training), mirrored in `_backward`, and `_outputs` (evaluation). Batch normalization (issue 11)
goes in those slots. Its scale and shift would be parameters: `_layout` reads where parameters
sit from Network.views. Its running statistics would be per-copy state, stacked and handed back
like the optimizer's.
"""

import math
from dataclasses import replace

import numpy as np

from gradstep.errors import SettingError
from gradstep.model.activations import BACKWARD, FORWARD
from gradstep.model.optimizers import BETA1, BETA2, EPS, MOMENTUM
from gradstep.training import MAX_NORM, divergence_status, predict_classes

MAX_COPIES = 1_000
MAX_BYTES = 2_000_000_000  # a sweep that would need more memory than this is refused
EVALUATION_BYTES = 2**21   # an evaluation pass takes as many copies as keep a layer this size
BLOCK_BYTES = 2**20        # train() steps as many copies at once as keep a step's arrays this size


def train(trainers, steps=None, epochs=None):
    """Train trainers that differ only in their seeds, each `steps` steps or `epochs` epochs as
    Trainer.run would, together: in blocks of block_size copies, one Sweep each, written back.
    Returns the trainers."""
    trainers = list(trainers)
    size = block_size(trainers[0]) if trainers else 1
    for start in range(0, len(trainers), size):
        sweep = Sweep(trainers[start:start + size])
        sweep.run(steps=steps, epochs=epochs)
        sweep.write_back()
    return trainers


def block_size(trainer):
    """How many copies of this trainer one Sweep should step: as many as keep the stacked
    parameters, and a layer's stacked mini-batch activations, within BLOCK_BYTES. Past that,
    every fresh array of a step costs page faults here (about 3 µs a 4 KB page): 1,000 copies of
    softmax-outputs train 1.4× as fast in blocks of 100 as in one block."""
    net = trainer.network
    batch = min(trainer.settings.batch_size, len(trainer.x_train))
    per_copy = net.dtype.itemsize * max(net.params.size, batch * max(net.sizes))
    return max(1, BLOCK_BYTES // per_copy)


def estimate_bytes(trainer, copies):
    """Rough peak memory of a sweep of `copies` copies of this trainer. Each copy holds its own
    Trainer (the data as read, prepared and encoded, and the network), its row of the stack
    (parameters, gradients, a proposal, optimizer moments), its shuffled epoch and the
    activations of its mini-batch; the epoch-end evaluation holds the activations over every
    sample of as many copies as one pass takes (see EVALUATION_BYTES)."""
    net = trainer.network
    item = net.dtype.itemsize
    rows = len(trainer.x_train)
    samples = rows + len(trainer.x_test)
    columns = trainer.x_train.shape[1] + net.sizes[-1]
    neurons = sum(net.sizes)
    batch = min(trainer.settings.batch_size, rows)
    per_copy = 3 * 8 * samples * columns + item * (rows * columns + 4 * batch * neurons
                                                    + 12 * net.params.size)
    per_pass = min(copies, _evaluation_chunk(samples, net))
    return copies * per_copy + 4 * item * per_pass * samples * neurons


def _evaluation_chunk(samples, network):
    """How many copies one evaluation pass takes: as many as keep its widest layer within
    EVALUATION_BYTES (at least one)."""
    widest = samples * max(network.sizes) * network.dtype.itemsize
    return max(1, EVALUATION_BYTES // max(widest, 1))


def check_size(trainer, copies):
    """SettingError unless `copies` copies of this trainer fit MAX_COPIES and MAX_BYTES."""
    if isinstance(copies, bool) or not isinstance(copies, (int, np.integer)) \
            or not 1 <= copies <= MAX_COPIES:
        raise SettingError(f"a sweep takes 1 to {MAX_COPIES:,} seeds, got {copies!r}")
    need = estimate_bytes(trainer, copies)
    if need > MAX_BYTES:
        raise SettingError(f"{copies:,} copies of this network and its "
                           f"{len(trainer.x_train) + len(trainer.x_test):,} samples would need "
                           f"about {need / 1e9:,.1f} GB (the limit is {MAX_BYTES / 1e9:g} GB): "
                           f"use fewer seeds")


def _layout(network):
    """Where each weight matrix and bias vector sits in a parameter row, as (columns, shape),
    read off Network.views so that the stack keeps the network's own layout."""
    weights, biases = network.views(np.arange(network.params.size))

    def place(view):
        start = int(view.flat[0]) if view.size else 0
        assert np.array_equal(view.ravel(), np.arange(start, start + view.size))
        return slice(start, start + view.size), view.shape

    return [place(w) for w in weights], [place(b) for b in biases]


def _views(rows, places, bias=False):
    """Per-layer views of stacked rows (M, P): (M, n_in, n_out) weights, or (M, 1, n) biases
    that broadcast over a batch (bias=True)."""
    m = len(rows)
    return [rows[:, columns].reshape((m, 1) + shape if bias else (m,) + shape)
            for columns, shape in places]


def _tanh(z, out=None):
    """tanh(z) as 1 - 2/(exp(2z) + 1), the form Cephes uses for |z| > 0.625: within 4e-16 of
    np.tanh everywhere (relative error grows only where tanh(z) is tiny) and about twice as fast
    here, where numpy's float64 tanh runs at 14-20 ns an element. out=z works in place."""
    e = np.multiply(z, 2.0, out=out)
    np.exp(e, out=e)
    e += 1.0
    np.divide(-2.0, e, out=e)
    e += 1.0
    return e


def _sigmoid(z, out=None):
    """1 / (1 + exp(-z)): within a few ulp of activations.sigmoid, on the same fast exp."""
    e = np.negative(z, out=out)
    np.exp(e, out=e)
    e += 1.0
    return np.divide(1.0, e, out=e)


def _relu(z, out=None):
    return np.maximum(z, 0, out=out)


ACTIVATE = {**FORWARD, "tanh": _tanh, "sigmoid": _sigmoid, "relu": _relu}
IN_PLACE = ("tanh", "sigmoid", "relu")  # these can overwrite z (an evaluation needs no z)


def _log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _project_simplex(v, total=1.0):
    """constraints.project_simplex_columns over a stack: each column of each (n, k) matrix of
    v (M, n, k) onto {w >= 0, sum w = total}, by the same sort-based steps."""
    n = v.shape[1]
    u = -np.sort(-v, axis=1)
    css = np.cumsum(u, axis=1) - total
    ranks = np.arange(1, n + 1).reshape(1, -1, 1)
    positive = u - css / ranks > 0
    rho = np.where(positive.any(axis=1), n - 1 - np.argmax(positive[:, ::-1], axis=1), 0)
    theta = np.take_along_axis(css, rho[:, None, :], axis=1) / (rho[:, None, :] + 1)
    return np.maximum(v - theta, 0)


class Sweep:
    """Trainers of one network (same shape, settings and data; their own seeds), stepped
    together. `run` takes steps as Trainer.run does; `write_back` hands the trainers back."""

    def __init__(self, trainers):
        self._trainers = list(trainers)
        if not self._trainers:
            raise ValueError("a sweep needs at least one trainer")
        starts = [t.snapshot() for t in self._trainers]
        self._starts = starts
        live = [k for k, t in enumerate(self._trainers) if not t.diverged]
        self._ended = {k: None for k in range(len(starts))}  # a diverged copy's end snapshot
        for k, t in enumerate(self._trainers):
            if t.diverged:
                self._ended[k] = starts[k]
        first = self._trainers[live[0] if live else 0]
        self._network, self.settings = first.network, first.settings
        for t in self._trainers:
            _check_alike(first, t)
        self._x_train, self._y_train = first.x_train, first.y_train
        self._x_test, self._y_test = first.x_test, first.y_test
        self._x_all_t = np.ascontiguousarray(np.concatenate([first.x_train, first.x_test]).T)
        self._chunk = _evaluation_chunk(self._x_all_t.shape[1], self._network)
        self._labels = (first.raw_train.y, first.raw_test.y) if first.is_classification else None
        self._weights_at, self._biases_at = _layout(self._network)
        self._n_weights = self._network.n_weights
        self._evaluations = []  # (step, epoch, copies, rows): the epoch ends, for the histories
        self._rngs = []
        for s in starts:
            rng = np.random.default_rng()
            rng.bit_generator.state = s.rng_state
            self._rngs.append(rng)
        self._ids = np.array(live, dtype=np.intp)
        self._start_stack([starts[k] for k in live])

    def _start_stack(self, starts):
        """The live copies' rows, checked to be in lockstep."""
        lead = starts[0] if starts else self._starts[0]
        for s in starts:
            if (s.step_count, s.epoch_count, s.position) != (lead.step_count, lead.epoch_count,
                                                              lead.position):
                raise ValueError("the trainers of a sweep must be at the same step, epoch and "
                                 "place in the epoch")
        self.step_count, self.epoch_count = lead.step_count, lead.epoch_count
        self._position = lead.position
        dtype = self._network.dtype
        self._params = np.array([s.network["params"] for s in starts], dtype).reshape(
            len(starts), self._network.params.size)
        self._grad = np.zeros_like(self._params)
        self._last_loss = np.array([s.last_loss for s in starts], float)
        self._update = _Update(self.settings.optimizer, [s.optimizer[1] for s in starts],
                               self._params.shape, dtype)
        self._orders = None
        if starts and lead.order is not None:
            self._set_orders(np.array([s.order for s in starts]))
        self._bind()

    def _bind(self):
        """The per-layer views of the stacked rows (again after copies leave the stack)."""
        self._weights = _views(self._params, self._weights_at)
        self._biases = _views(self._params, self._biases_at, bias=True)
        self._grad_weights = _views(self._grad, self._weights_at)
        self._grad_biases = [self._grad[:, columns] for columns, _ in self._biases_at]
        names = self._network.activations + [self._network.output]
        self._activate = [ACTIVATE[name] for name in names]
        self._derive = [BACKWARD[name] for name in names]
        m = len(self._params)
        self._copy_index = np.arange(m)[:, None]

    def _set_orders(self, orders):
        self._orders = orders
        self._x_epoch, self._y_epoch = self._x_train[orders], self._y_train[orders]

    # ---- reading ----------------------------------------------------------------------------
    @property
    def copies(self):
        return len(self._trainers)

    @property
    def live(self):
        """The indices of the copies still training (not diverged)."""
        return [int(k) for k in self._ids]

    @property
    def steps_per_epoch(self):
        return -(-len(self._x_train) // self.settings.batch_size)

    def params(self):
        """Every copy's parameter vector now, (copies, P), laid out as Network.params."""
        out = np.array([s.network["params"] for s in self._starts], self._network.dtype)
        for k, end in self._ended.items():
            if end is not None:
                out[k] = end.network["params"]
        out[self._ids] = self._params
        return out

    # ---- training ---------------------------------------------------------------------------
    def run(self, steps=None, epochs=None):
        """Take `steps` steps or `epochs` whole epochs (finishing an epoch under way first), as
        Trainer.run does; a copy that diverges stops there. Returns the steps the stack took."""
        n = len(self._x_train)
        if epochs is not None:
            steps = epochs * self.steps_per_epoch
            if self._position < n:
                steps += -(-(n - self._position) // self.settings.batch_size)
        done = 0
        with np.errstate(all="ignore"):
            for _ in range(steps or 0):
                if not self._step():
                    break
                done += 1
        return done

    def _step(self):
        if not len(self._ids):
            return False
        n, s = len(self._x_train), self.settings
        if self._position >= n:
            self._set_orders(np.array([self._rngs[k].permutation(n) for k in self._ids]))
            self._position = 0
        start, end = self._position, self._position + s.batch_size
        loss = self._gradient(self._x_epoch[:, start:end], self._y_epoch[:, start:end])
        grad = self._grad
        new = self._update.propose(self._params, grad, s.learning_rate)
        if s.l1:
            self._l1_zeros(new, grad)
        if self._network.constraint != "none":
            self._enforce(new)
        norm_sq = np.vecdot(new, new)
        good = np.isfinite(loss) & (norm_sq <= MAX_NORM**2)
        if np.count_nonzero(good) < len(good):
            self._leave(~good, start)
            if not len(self._ids):
                return False
            new, loss = self._update.new, loss[good]
        np.copyto(self._params, new)
        self._update.commit()
        self._last_loss = loss
        self.step_count += 1
        self._position = min(end, n)
        if end >= n:
            self.epoch_count += 1
            self._evaluate()
        return True

    def _forward(self, x, keep=False):
        """(z, a) of the output layer of each copy for its (M, B, n_0) batch. keep=True keeps
        what _backward needs."""
        a, acts, zs = x, [x], []
        for w, b, activate in zip(self._weights, self._biases, self._activate):
            z = np.matmul(a, w)
            if self._network.bias:
                z += b
            # (a per-layer normalisation of z goes here, with its step back in _backward)
            a = activate(z)
            if keep:
                zs.append(z)
                acts.append(a)
        if keep:
            self._acts, self._zs = acts, zs
        return z, a

    def _backward(self, dz):
        """Fill the stacked gradient rows from dL/dz of the output layer (Network.backward)."""
        acts, zs = self._acts, self._zs
        for l in range(len(self._weights) - 1, -1, -1):
            np.matmul(acts[l].transpose(0, 2, 1), dz, out=self._grad_weights[l])
            if self._network.bias:
                np.einsum("mbk->mk", dz, out=self._grad_biases[l])  # add.reduce takes 4x longer
            if l:
                dz = self._derive[l - 1](acts[l], zs[l - 1],
                                         np.matmul(dz, self._weights[l].transpose(0, 2, 1)))

    def _gradient(self, x, y):
        """The batch loss of each copy, (M,); the gradients of the objective in self._grad."""
        s = self.settings
        z, out = self._forward(x, keep=True)
        loss, dz = self._loss_and_grad(z, out, y)
        self._backward(dz)
        if s.l1 or s.l2:
            w, g = self._params[:, :self._n_weights], self._grad[:, :self._n_weights]
            if s.l1:
                g += s.l1 * np.sign(w)
            if s.l2:
                g += (2 * s.l2) * w
        return loss

    def _loss_and_grad(self, z, a, y):
        """losses.loss_and_grad for each copy: (data losses (M,), dL/dz)."""
        loss, output = self.settings.loss, self._network.output
        rows = z.shape[1]
        if loss == "cross-entropy":
            value = -np.take_along_axis(_log_softmax(z), y[..., None], -1)[..., 0].sum(1) / rows
            dz = a.copy()
            dz[self._copy_index, np.arange(rows), y] -= 1.0
            return value, dz / rows
        diff = a - y
        size = rows * diff.shape[2]
        if loss == "bce":
            value = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), axis=(1, 2))
            return value, diff / size
        if loss == "mse":
            flat = diff.reshape(len(diff), -1)
            value = np.vecdot(flat, flat) / size
            da = diff * (2.0 / size)
        elif loss == "mae":
            value = np.mean(np.abs(diff), axis=(1, 2))
            da = np.sign(diff) / size
        else:
            raise ValueError(loss)
        return value, BACKWARD[output](a, z, da)

    def _l1_zeros(self, new, grad):
        """Trainer._l1_zeros over the stack: a weight carried across zero stops at 0, and a
        weight at 0 stays while the data pulls on it less than l1 does."""
        n, l1 = self._n_weights, self.settings.l1
        w_old, w_new = self._params[:, :n], new[:, :n]
        w_new[(w_old * w_new < 0) | ((w_old == 0) & (np.abs(grad[:, :n]) <= l1))] = 0.0

    def _enforce(self, new):
        """constraints.enforce on each layer of each proposed row, in place (no held weights)."""
        kind = self._network.constraint
        for w in _views(new, self._weights_at):
            if kind == "nonnegative":
                w[...] = np.maximum(w, 0)
            elif kind == "sum-to-one":
                w[...] = w + (1.0 - w.sum(axis=1, keepdims=True)) / w.shape[1]
            elif kind == "simplex":
                w[...] = _project_simplex(w)
            elif kind == "layer-simplex":
                flat = w.reshape(len(w), -1, 1)
                w[...] = _project_simplex(flat).reshape(w.shape)
            else:
                raise ValueError(kind)

    def _leave(self, gone, start):
        """Copies whose step diverged keep their state from before it and leave the stack."""
        for i in np.flatnonzero(gone):
            k = int(self._ids[i])
            self._ended[k] = self._end_state(i, k, position=start, diverged=True,
                                             status=divergence_status(self.step_count + 1,
                                                                      self.settings.learning_rate))
        keep = ~gone
        self._ids = self._ids[keep]
        self._params = self._params[keep]
        self._grad = np.zeros_like(self._params)
        self._last_loss = self._last_loss[keep]
        self._update.keep(keep)
        if self._orders is not None:
            self._set_orders(self._orders[keep])
        self._bind()

    # ---- evaluation -------------------------------------------------------------------------
    def _measure(self, z, a, y, labels):
        """(losses, accuracies) of every live copy on one split from its output layer's (z, a),
        as Trainer._measure."""
        m = len(a)
        if a.shape[1] == 0:
            return np.full(m, math.nan), np.full(m, math.nan)
        loss = self.settings.loss
        if loss == "mse":
            value = np.mean((a - y) ** 2, axis=(1, 2))
        elif loss == "mae":
            value = np.mean(np.abs(a - y), axis=(1, 2))
        elif loss == "bce":
            value = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), axis=(1, 2))
        elif loss == "cross-entropy":
            value = -np.mean(_log_softmax(z)[:, np.arange(len(y)), y], axis=1)
        else:
            raise ValueError(loss)
        accuracy = np.full(m, math.nan)
        if labels is not None:
            accuracy = np.mean(predict_classes(self._network, a) == labels, axis=1)
        return value, accuracy

    def _outputs(self, copies):
        """(z, a) of the output layer of some copies over every sample (the training rows, then
        the test rows), (c, n, k). Computed as (c, neurons, samples): the bias and the
        activation then run along the samples, in long inner loops, not a few neurons wide."""
        a = self._x_all_t
        last = len(self._weights) - 1
        names = self._network.activations + [self._network.output]
        for l, (w, b, activate) in enumerate(zip(self._weights, self._biases, self._activate)):
            z = np.matmul(w[copies].transpose(0, 2, 1), a)
            if self._network.bias:
                z += b[copies].transpose(0, 2, 1)
            # (a per-layer normalisation of z goes here, as in _forward)
            if l == last:
                z = z.transpose(0, 2, 1)
                return z, activate(z)  # softmax acts along the last axis
            a = activate(z, out=z) if names[l] in IN_PLACE else activate(z)

    def _evaluate(self):
        """Each live copy's epoch-end row in its history, as Trainer._evaluate records it. One
        forward pass covers both splits (the training rows, then the test rows), for as many
        copies at a time as keep a layer's activations within EVALUATION_BYTES: memory stays
        bounded however many copies there are."""
        n, m = len(self._x_train), len(self._ids)
        train_labels, test_labels = self._labels or (None, None)
        rows = np.empty((3, m))
        for start in range(0, m, self._chunk):
            part = slice(start, start + self._chunk)
            z, a = self._outputs(part)
            train_loss, train_accuracy = self._measure(z[:, :n], a[:, :n], self._y_train,
                                                       train_labels)
            test_loss, accuracy = self._measure(z[:, n:], a[:, n:], self._y_test, test_labels)
            if not len(self._x_test):
                accuracy = train_accuracy
            rows[:, part] = train_loss, test_loss, accuracy
        self._evaluations.append((self.step_count, self.epoch_count, self._ids, rows))

    def _history(self, k):
        """Copy k's history: the one it started with, and a row for each epoch end since."""
        start = self._starts[k]
        history = start.history.copy(start.history_mark)
        for step, epoch, copies, rows in self._evaluations:
            i = np.searchsorted(copies, k)  # copies stay in ascending order
            if i < len(copies) and copies[i] == k:
                history.record(step, epoch, *rows[:, i].tolist())
        return history

    # ---- handing back -----------------------------------------------------------------------
    def _end_state(self, i, k, **changes):
        """Copy k (row i of the stack) as a Trainer snapshot of its state now."""
        start, history = self._starts[k], self._history(k)
        state = self._update.state_of(i)
        now = {
            "network": {**start.network, "params": self._params[i].copy()},
            "optimizer": (self.settings.optimizer, state),
            "step_count": self.step_count, "epoch_count": self.epoch_count,
            "position": self._position,
            "order": None if self._orders is None else self._orders[i].copy(),
            "rng_state": self._rngs[k].bit_generator.state,
            "last_loss": float(self._last_loss[i]),
            "history": history, "history_mark": history.mark(),
        }
        return replace(start, **{**now, **changes})

    def write_back(self):
        """Put each copy's state now into its own Trainer (Trainer.restore) and return the
        trainers, in seed order: each reads, steps and saves as if it had trained alone."""
        for i, k in enumerate(self._ids):
            self._trainers[k].restore(self._end_state(i, int(k)))
        for k, end in self._ended.items():
            if end is not None and end is not self._starts[k]:
                self._trainers[k].restore(end)
        return list(self._trainers)


def _check_alike(first, other):
    """ValueError unless two trainers differ only in their seeds (weights, batch order)."""
    a, b = first.network, other.network
    shape = lambda net: (net.sizes, net.activations, net.output, net.bias, net.constraint,
                         net.dtype, type(net))
    if shape(a) != shape(b) or first.settings != other.settings:
        raise ValueError("the trainers of a sweep must share the network's shape and options "
                         "and the training settings")
    if any(f is not None for f in b.frozen):
        raise ValueError("a sweep does not train networks with frozen weights")
    for name in ("x_train", "y_train", "x_test", "y_test"):
        if not np.array_equal(getattr(first, name), getattr(other, name)):
            raise ValueError(f"the trainers of a sweep must share their data ({name} differs)")
    if first.is_classification != other.is_classification:
        raise ValueError("the trainers of a sweep must share their data")


class _Update:
    """Optimizer.propose and commit over the stack, into arrays kept from step to step: the
    formulas of model/optimizers.py in the same order, element for element. Why not Optimizer:
    each of its temporaries is copies × parameters large, and a fresh array past about 100 KB
    costs page faults here (about 3 µs a 4 KB page). Adam on 50 copies of 1,251 parameters
    spent 2 ms a step in them."""

    def __init__(self, name, states, shape, dtype):
        if any(s is None for s in states) and not all(s is None for s in states):
            raise ValueError("the trainers of a sweep must all have optimizer state, or none")
        self.name, self.started, self.t = name, bool(states) and states[0] is not None, 0
        self.new, self._work = np.empty(shape, dtype), np.empty(shape, dtype)
        self._arrays = ["new", "_work"]
        if name == "momentum":
            self.buf = np.array(states, dtype) if self.started else np.zeros(shape, dtype)
            self._buf = np.empty(shape, dtype)
            self._arrays += ["buf", "_buf"]
        elif name == "adam":
            if self.started:
                if len({s[2] for s in states}) != 1:
                    raise ValueError("the trainers of a sweep must be at the same Adam step")
                self.t = states[0][2]
            self.m, self.v = (np.array([s[k] for s in states], dtype).reshape(shape)
                              if self.started else np.zeros(shape, dtype) for k in (0, 1))
            self._m, self._v = np.empty(shape, dtype), np.empty(shape, dtype)
            self._arrays += ["m", "v", "_m", "_v"]

    def propose(self, params, grad, lr):
        """The proposed parameters (`self.new`), from the state committed so far (zero before
        the first step: the same values as torch's first step)."""
        new, work = self.new, self._work
        if self.name == "sgd":
            np.multiply(grad, lr, out=new)
        elif self.name == "momentum":
            np.multiply(self.buf, MOMENTUM, out=self._buf)
            self._buf += grad
            np.multiply(self._buf, lr, out=new)
        else:
            t = self.t + 1
            np.multiply(self.m, BETA1, out=self._m)
            np.multiply(grad, 1 - BETA1, out=work)
            self._m += work
            np.multiply(grad, grad, out=work)
            work *= 1 - BETA2
            np.multiply(self.v, BETA2, out=self._v)
            self._v += work
            np.divide(self._v, 1 - BETA2**t, out=work)
            np.sqrt(work, out=work)
            work += EPS
            np.multiply(self._m, lr / (1 - BETA1**t), out=new)
            new /= work
        return np.subtract(params, new, out=new)

    def commit(self):
        """The proposal's state becomes the state (the arrays swap: nothing is copied)."""
        if self.name == "momentum":
            self.buf, self._buf = self._buf, self.buf
        elif self.name == "adam":
            self.m, self._m, self.v, self._v = self._m, self.m, self._v, self.v
            self.t += 1
        self.started = True

    def keep(self, rows):
        """Only these rows (a mask) from now on, the proposal's too."""
        for name in self._arrays:
            setattr(self, name, getattr(self, name)[rows])

    def state_of(self, i):
        """Row i's committed state as Optimizer.state holds it."""
        if not self.started or self.name == "sgd":
            return None
        if self.name == "momentum":
            return self.buf[i].copy()
        return (self.m[i].copy(), self.v[i].copy(), self.t)


def distribution(values):
    """min, median and max of the finite values among `values` (None for missing ones); None
    each when there are none."""
    finite = np.array([v for v in values if v is not None and math.isfinite(v)], float)
    if not len(finite):
        return {"min": None, "median": None, "max": None}
    return {"min": float(finite.min()), "median": float(np.median(finite)),
            "max": float(finite.max())}


def summary(results):
    """The distributions across seeds of results as cli.summarize gives them: per layer Σw and
    Σ|w|, then the final train loss, test loss and accuracy, and how many diverged."""
    layers = [{"sum": distribution([r["layers"][l]["sum"] for r in results]),
               "abs_sum": distribution([r["layers"][l]["abs_sum"] for r in results])}
              for l in range(len(results[0]["layers"]))]
    out = {"layers": layers}
    for key in ("train_loss", "test_loss", "accuracy"):
        out[key] = distribution([r[key] for r in results])
    out["diverged"] = sum(bool(r["diverged"]) for r in results)
    return out

"""A dense feed-forward network: its weights, the forward and backward passes, and its edits.

Orientation: weights[l] has shape (n_l, n_{l+1}); weights[l][i, j] joins neuron i of layer l
to neuron j of layer l+1, and a_{l+1} = f(a_l @ W_l + b_l). Neuron layers are numbered
0 (input) to L (output); weight layer l sits between neuron layers l and l+1.

All parameters live in one flat vector, `params` (every weight matrix, then every bias
vector, then the batch-norm scales γ and shifts β of the normalised hidden layers); `weights[l]`,
`biases[l]`, `gammas[l]` and `betas[l]` are views into it (the last two None where layer l is not
normalised), and `grad` is laid out the same way. So an optimizer update, a freeze mask or the
divergence check is one numpy call for the whole network, whatever its depth: on a small
network, per-call overhead is what a step costs. The weights come first: `params[:n_weights]`
is what L1, L2 and the constraints touch. A step is proposed into a second vector laid out the
same way, `proposal`, and `take_proposal` makes it the parameters: the two vectors trade places
and so do their per-layer views, which saves copying every parameter each step. So read
`weights[l]` (or `params`) from the network when you need it; a view kept across a step shows
the parameters before it.

Batch normalization (model/batchnorm.py) sits between a hidden layer's z = a @ W + b and its
activation. Its running statistics are state, not parameters: they live in `running` (every
normalised layer's mean, then every variance; views `running_mean[l]`, `running_var[l]`). A
training pass (forward(keep=True)) only proposes new running statistics; `commit_running` takes
them when the step is committed, so a step the divergence guard drops leaves them as they were.

The training pass (forward(keep=True), then backward) writes into arrays the network keeps
from step to step, one set per batch size (`scratch`): z, the activation and dL/d(activation)
of each layer. On a wide layer a fresh array costs page faults (about 3 µs a 4 KB page here),
and the arithmetic is the same, element for element. So what a training pass returns and
`last_activations` are overwritten by the next training pass; copy what must outlive it.

Every edit checks its input first, builds the new arrays aside, and only then commits,
so a refused edit (EditError) changes nothing.
"""

import numpy as np

from gradstep.budget import chunk_rows
from gradstep.errors import EditError
from gradstep.model import activations as act
from gradstep.model import batchnorm as bn
from gradstep.model import constraints
from gradstep.model.initializers import INITS, init_weights
from gradstep.model.spec import (
    DTYPES,
    MAX_ABS_VALUE,
    MAX_PARAMETERS,
    NetworkSpec,
    check_batch_norm,
    check_norm_values,
    check_sizes,
    check_seed,
    check_size,
    check_value,
    matrices,
    parameter_count,
)
from gradstep.model.batchnorm import Norm

__all__ = ["Network", "DTYPES", "MAX_ABS_VALUE", "MAX_PARAMETERS", "check_seed", "check_value",
           "parameter_count"]


class Scratch:
    """The training pass's arrays for one batch size, per weight layer l (shape (rows,
    n_{l+1})): z[l] = a_l @ W_l + b_l, a[l] its activation, d[l] dL/da[l] (d[-1] takes the
    loss's dL/dz of the output layer). A softmax output also leaves (z - max z, Σ exp(z - max
    z)) per row in `softmax`, for cross-entropy (None after any other pass)."""

    def __init__(self, rows, widths, dtype):
        self.z, self.a, self.d = ([np.empty((rows, n), dtype) for n in widths] for _ in range(3))
        self.shifted = np.empty((rows, widths[-1]), dtype)
        self.softmax = None


def _flags(flags):
    """Batch norm per hidden layer in words: [on, off]."""
    return "[" + ", ".join("on" if f else "off" for f in flags) + "]"


class Network:
    def __init__(self, sizes, activations="tanh", output="linear", *, bias=True, init="xavier",
                 seed=0, constraint="none", dtype="float64", weights=None, biases=None,
                 batch_norm=False):
        self._build(NetworkSpec.checked(sizes, activations, output, bias, init, seed, constraint,
                                        dtype, weights, biases, batch_norm))

    @classmethod
    def from_spec(cls, spec):
        """The network a checked NetworkSpec describes."""
        network = cls.__new__(cls)
        network._build(spec)
        return network

    def _build(self, spec):
        self.activations = list(spec.activation)
        self.output = spec.output
        self.init = spec.init
        self.constraint = spec.constraint
        self.dtype = np.dtype(spec.dtype)
        self.bias = spec.bias
        self.seed = spec.seed
        self.sizes = list(spec.layers)
        self.rng = np.random.default_rng(self.seed)
        weights_, biases_ = self._fresh(self.sizes)
        if spec.weights is not None:
            weights_ = [w.astype(self.dtype) for w in spec.weights]
            if spec.biases is not None:
                biases_ = [b.astype(self.dtype) for b in spec.biases]
        self.frozen = [None] * (len(self.sizes) - 1)  # bool mask per layer, None: none frozen
        self.version = 0  # bumped by every change, so a screen knows when to redraw
        self.last_activations = None
        self.proposed_running = None
        self._assign(self.sizes, [self._enforce(w, None) for w in weights_], biases_,
                     spec.norms())
        self._bind()

    def spec(self, params=True):
        """This network's description (see model/spec.py)."""
        return NetworkSpec.of(self, params)

    def _fresh(self, sizes):
        """New weights from the init, zero biases."""
        return ([self._draw(a, b) for a, b in zip(sizes, sizes[1:])],
                [np.zeros(b, self.dtype) for b in sizes[1:]])

    def _assign(self, sizes, weights, biases, norms=None):
        """Lay out new parameters: one flat vector, weights first, with per-layer views; the
        batch norm of each hidden layer (a Norm, or None) as γ, β in it and its running
        statistics beside it."""
        self.sizes = list(sizes)
        norms = [None] * (len(sizes) - 2) if norms is None else \
            [None if n is None else n.astype(self.dtype) for n in norms]
        self.batch_norm = [n is not None for n in norms]
        self._normed = self.batch_norm + [False]  # per weight layer; the output layer: never
        self._normed_any = any(self.batch_norm)
        on = [n for n in norms if n is not None]
        parts = [np.asarray(w, self.dtype).ravel() for w in weights]
        parts += [np.asarray(b, self.dtype) for b in biases]
        parts += [n.gamma for n in on] + [n.beta for n in on]
        self.params = np.concatenate(parts)
        self.n_weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
        self.weights, self.biases = self.views(self.params)
        self.gammas, self.betas = self.norm_views(self.params)
        self.running = np.concatenate([np.zeros(0, self.dtype)] + [n.mean for n in on] +
                                      [n.var for n in on])
        self.running_mean, self.running_var = self.norm_views(self.running, start=0)
        self.tracked = np.array([0 if n is None else n.tracked for n in norms], np.int64)
        self.proposed_running = None
        self.grad = np.zeros_like(self.params)
        self.grad_weights, self.grad_biases = self.views(self.grad)
        self.grad_gammas, self.grad_betas = self.norm_views(self.grad)
        self._scratch = {}  # batch size -> Scratch
        self.training_scratch = None  # the last training pass's Scratch
        self.proposal = np.empty_like(self.params)  # where the trainer proposes a step's params
        self._proposal_views = (*self.views(self.proposal), *self.norm_views(self.proposal))
        self._update_frozen_mask()

    def take_proposal(self):
        """The proposal becomes the parameters: the two vectors trade places, nothing is
        copied, and the per-layer views trade with them (so hold the network, not its arrays:
        a view of `params` kept across a step shows the parameters before it)."""
        self.params, self.proposal = self.proposal, self.params
        views = self.weights, self.biases, self.gammas, self.betas
        self.weights, self.biases, self.gammas, self.betas = self._proposal_views
        self._proposal_views = views

    def views(self, flat):
        """Per-layer (weights, biases) views of a vector laid out like `params`."""
        weights, biases, start = [], [], 0
        for a, b in zip(self.sizes, self.sizes[1:]):
            weights.append(flat[start:start + a * b].reshape(a, b))
            start += a * b
        for b in self.sizes[1:]:
            biases.append(flat[start:start + b])
            start += b
        return weights, biases

    def norm_views(self, flat, start=None):
        """Per weight layer (γ, β) views of a vector laid out like `params` (None where the
        layer is not normalised); with start=0, the (mean, variance) views of `running`."""
        if start is None:
            start = self.n_weights + sum(self.sizes[1:])
        first, second = [None] * (len(self.sizes) - 1), [None] * (len(self.sizes) - 1)
        for part in (first, second):
            for l, on in enumerate(self.batch_norm):
                if on:
                    part[l] = flat[start:start + self.sizes[l + 1]]
                    start += self.sizes[l + 1]
        return first, second

    def norms(self):
        """Each hidden layer's batch norm (a Norm of copies), or None where it has none."""
        return [Norm(self.gammas[l].copy(), self.betas[l].copy(), self.running_mean[l].copy(),
                     self.running_var[l].copy(), int(self.tracked[l])) if on else None
                for l, on in enumerate(self.batch_norm)]

    def _update_frozen_mask(self):
        """frozen_mask: the frozen marks over `params` (None when nothing is frozen)."""
        if all(f is None for f in self.frozen):
            self.frozen_mask = None
            return
        mask = np.zeros(self.params.shape, bool)
        for view, f in zip(self.views(mask)[0], self.frozen):
            if f is not None:
                view[...] = f
        self.frozen_mask = mask

    # ---- shape -------------------------------------------------------------------------
    @property
    def depth(self):
        """The number of weight layers (L)."""
        return len(self.weights)

    def parameter_count(self):
        """Weights, biases, and each normalised layer's γ and β."""
        return parameter_count(self.sizes, self.bias) + \
            2 * sum(n for n, on in zip(self.sizes[1:-1], self.batch_norm) if on)

    def activation_of(self, layer):
        """The activation of neuron layer 1..L."""
        return self.output if layer == self.depth else self.activations[layer - 1]

    def _bind(self):
        names = self.activations + [self.output]
        self._forward = [act.FORWARD[n] for n in names]
        self._forward_into = [act.FORWARD_INTO[n] for n in names]
        # the training pass's: None for a softmax output (softmax_keeping, for cross-entropy)
        self._training_into = self._forward_into[:-1] + \
            [None if self.output == "softmax" else self._forward_into[-1]]
        self._backward_into = [act.BACKWARD_INTO[n] for n in names]

    def _draw(self, n_in, n_out):
        return init_weights(self.init, n_in, n_out, self.rng, self.dtype)

    def _one_of(self, value, allowed, what):
        if value not in allowed:
            raise EditError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
        return value

    # ---- passes ------------------------------------------------------------------------
    def layer_outputs(self, x, columns=None):
        """Every neuron layer's activations for inputs x: [x, a_1, ..., a_L] (a pure read:
        what a probe or a neuron's picture shows, nothing stored; normalised layers use their
        running statistics). With `columns`, only each layer's first `columns` neurons are
        kept, and the rows go through in chunks: however wide a layer, it costs what one chunk
        of it does (budget.EVAL_CHUNK_BYTES)."""
        if columns is None:
            return self.forward(x, every=True)
        rows = chunk_rows(max(self.sizes[1:]), self.dtype.itemsize)
        kept = [np.empty((len(x), min(columns, n)), self.dtype) for n in self.sizes[1:]]
        for start in range(0, max(len(x), 1), rows):
            a = x[start:start + rows]
            for k, (w, b, f) in enumerate(zip(self.weights, self.biases, self._forward)):
                z = a @ w
                if self.bias:
                    z += b
                if self._normed[k]:
                    z = self._normalise(k, z, None, None)
                a = f(z)
                kept[k][start:start + rows] = a[:, :kept[k].shape[1]]
        return [x, *kept]

    def forward(self, x, keep=False, logits=False, every=False):
        """The output for inputs x (n, n_0); with logits=True, (z, a) of the output layer;
        with every=True, the list of every layer's activations. keep=True is the training
        pass: it stores what backward needs, normalises by the batch's statistics and proposes
        new running statistics (`proposed_running`, taken by commit_running). Without keep,
        normalised layers use the running statistics."""
        if self._normed_any:
            return self._forward_normed(x, keep, logits, every)
        if keep:
            return self._forward_training(x, logits, every)
        # kept only when asked: an evaluation frees each layer as it goes
        a, acts, last = x, [x], self.depth - 1
        for l, (w, b, f) in enumerate(zip(self.weights, self.biases, self._forward)):
            z = a @ w
            if self.bias:
                z += b
            if l < last and not every:  # no one sees this z: its activation goes in place
                a = self._forward_into[l](z, z)
            else:
                a = f(z)
            if every:
                acts.append(a)
        if every:
            return acts
        return (z, a) if logits else a

    def scratch(self, rows):
        """The arrays a training pass over `rows` samples writes into (see Scratch), kept from
        step to step: for the batch size, and for an epoch's shorter last batch."""
        scratch = self._scratch.get(rows)
        if scratch is None:
            if len(self._scratch) >= 2:
                self._scratch.clear()
            scratch = self._scratch[rows] = Scratch(rows, self.sizes[1:], self.dtype)
        return scratch

    def _forward_training(self, x, logits, every):
        """forward(keep=True) without batch norm: the same arithmetic, into the scratch."""
        scratch = self._scratch.get(len(x)) or self.scratch(len(x))
        self.training_scratch, scratch.softmax = scratch, None
        a, acts = x, [x]
        for w, b, f, z, out in zip(self.weights, self.biases, self._training_into, scratch.z,
                                   scratch.a):
            np.matmul(a, w, z)
            if self.bias:
                z += b
            if f is None:
                a, sums = act.softmax_keeping(z, out, scratch.shifted)
                scratch.softmax = scratch.shifted, sums
            else:
                a = f(z, out)
            acts.append(a)
        self.last_activations, self._zs, self._norm_caches = acts, scratch.z, {}
        if every:
            return acts
        return (z, a) if logits else a

    def _forward_normed(self, x, keep, logits, every):
        """forward() for a network with batch norm: the same pass, normalising where it has it
        (kept apart so that a network without batch norm pays nothing for it)."""
        running = proposal = None
        if keep:
            if len(x) < 2:
                raise EditError("batch norm needs at least 2 samples in a training batch (one "
                                "sample has no variance)")
            running = np.empty_like(self.running)
            proposal = self.norm_views(running, start=0)
            self.training_scratch = self.scratch(len(x))
            self.training_scratch.softmax = None
        a, acts, zs, caches = x, [x], [], {}
        for l, (w, b, f) in enumerate(zip(self.weights, self.biases, self._forward)):
            z = a @ w
            if self.bias:
                z += b
            if self._normed[l]:
                z = self._normalise(l, z, proposal, caches)
            a = f(z)
            zs.append(z)
            acts.append(a)
        if keep:
            self.last_activations, self._zs, self._norm_caches = acts, zs, caches
            self.proposed_running = running
        if every:
            return acts
        return (z, a) if logits else a

    def _normalise(self, l, z, proposal, caches):
        """Batch norm of weight layer l's z. In the training pass (proposal: views of the new
        running means and variances) by the batch's statistics, keeping what backward needs in
        caches[l]; otherwise by the running statistics."""
        gamma, beta = self.gammas[l], self.betas[l]
        if proposal is None:
            return bn.evaluate(z, gamma, beta, self.running_mean[l], self.running_var[l])
        y, xhat, inv_std, mean, var = bn.normalize(z, gamma, beta)
        caches[l] = (xhat, inv_std)
        new_mean, new_var = proposal
        new_mean[l][...], new_var[l][...] = bn.running(self.running_mean[l], self.running_var[l],
                                                       mean[0], var[0], len(z))
        return y

    @property
    def last_preactivations(self):
        """What each layer's activation took in the last training pass: z = a @ W + b, or
        γ·ẑ + β in a normalised layer (None before any)."""
        return None if self.last_activations is None else self._zs

    def commit_running(self):
        """Take the running statistics the last training pass proposed (the step committed)."""
        if self.proposed_running is not None:
            np.copyto(self.running, self.proposed_running)
            self.tracked[np.array(self.batch_norm, bool)] += 1
            self.proposed_running = None

    def forward_rows(self, x, logits=False):
        """forward(x) in chunks of rows, so that one layer's activations never take more than
        budget.EVAL_CHUNK_BYTES whatever the number of rows (an evaluation, a heatmap). Each
        row's result is the same as forward's: a small input is one chunk, forward itself."""
        rows = chunk_rows(max(self.sizes[1:]), self.dtype.itemsize)
        if len(x) <= rows:
            return self.forward(x, logits=logits)
        z_all = a_all = None
        for start in range(0, len(x), rows):
            z, a = self.forward(x[start:start + rows], logits=True)
            if z_all is None:
                z_all = np.empty((len(x), z.shape[1]), z.dtype)
                a_all = np.empty((len(x), a.shape[1]), a.dtype)
            z_all[start:start + rows], a_all[start:start + rows] = z, a
        return (z_all, a_all) if logits else a_all

    def backward(self, dz):
        """Fill `grad` (and so grad_weights, grad_biases, grad_gammas, grad_betas) from dL/dz
        of the output layer, after forward(keep=True) on the same rows."""
        acts, zs, gw, gb = self.last_activations, self._zs, self.grad_weights, self.grad_biases
        d = self.training_scratch.d
        for l in range(self.depth - 1, -1, -1):
            cache = self._norm_caches.get(l)
            if cache is not None:  # dz is dL/dy here: back through γ·ẑ + β to dL/dz
                dz, self.grad_gammas[l][...], self.grad_betas[l][...] = \
                    bn.backward(dz, *cache, self.gammas[l])
            np.matmul(acts[l].T, dz, out=gw[l])
            if cache is not None:  # the batch mean takes b away: its gradient is exactly 0
                gb[l][...] = 0     # (summed, dz gives rounding noise that Adam would follow)
            elif self.bias:
                np.add.reduce(dz, 0, out=gb[l])  # ndarray.sum's Python wrapper costs more
            if l:  # dL/da_l into the scratch, then dL/dz_{l-1} in place
                da = np.matmul(dz, self.weights[l].T, out=d[l - 1])
                dz = self._backward_into[l - 1](acts[l], zs[l - 1], da)
        return self.grad

    # ---- constraints -------------------------------------------------------------------
    def _enforce(self, w, hold):
        try:
            return constraints.enforce(w, self.constraint, hold)
        except constraints.Infeasible as e:
            raise EditError(f"the {self.constraint} constraint cannot hold: {e}") from None

    def enforce_flat(self, flat):
        """Put a proposed parameter vector under the constraint in place, holding frozen weights."""
        for l, w in enumerate(self.views(flat)[0]):
            w[...] = constraints.enforce(w, self.constraint, self.frozen[l])

    # ---- edits -------------------------------------------------------------------------
    def _changed(self, structural=False):
        self._update_frozen_mask()
        self.version += 1
        if structural:
            self.last_activations = None
            self._bind()

    def check_weight_index(self, layer, i=None, j=None):
        self._check_index(layer, self.depth, "weight layer")
        if i is not None:
            self._check_index(i, self.sizes[layer], f"input neuron i of layer {layer}")
        if j is not None:
            self._check_index(j, self.sizes[layer + 1], f"neuron j of layer {layer + 1}")

    @staticmethod
    def _check_index(k, n, what):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < n:
            raise EditError(f"{what} must be 0..{n - 1}, got {k!r}")

    def set_weight(self, layer, i, j, value):
        self.check_weight_index(layer, i, j)
        value = check_value(value)
        w = self.weights[layer].copy()
        w[i, j] = value
        if self.constraint != "none":
            hold = self._hold(layer)
            hold[i, j] = True
            try:  # keep the value the person typed, moving the others, when that is possible
                w = constraints.enforce(w, self.constraint, hold)
            except constraints.Infeasible:
                w = self._enforce(w, self.frozen[layer])
        self.weights[layer][...] = w
        self._changed()

    def set_bias(self, layer, j, value):
        self.check_weight_index(layer, None, j)
        if not self.bias:
            raise EditError("this network has no biases")
        value = check_value(value, "a bias")
        self.biases[layer][j] = value
        self._changed()

    def _hold(self, layer):
        f = self.frozen[layer]
        return np.zeros(self.weights[layer].shape, bool) if f is None else f.copy()

    def set_frozen(self, layer, i, j, frozen=True):
        self.check_weight_index(layer, i, j)
        mask = self._hold(layer)
        mask[i, j] = bool(frozen)
        if frozen and self.constraint != "none":
            try:
                constraints.enforce(self.weights[layer], self.constraint, mask)
            except constraints.Infeasible as e:
                raise EditError(f"freezing that weight breaks the {self.constraint} "
                                f"constraint: {e}") from None
        self.frozen[layer] = mask if mask.any() else None
        self._changed()

    def is_frozen(self, layer, i, j):
        f = self.frozen[layer]
        return bool(f is not None and f[i, j])

    def set_activation(self, layer, name):
        """Change the activation of neuron layer 1..L (L is the output)."""
        self._check_index(layer, self.depth + 1, "layer")
        if layer == 0:
            raise EditError("the input layer has no activation")
        if layer == self.depth:
            self.output = self._one_of(name, act.OUTPUT, "the output activation")
        else:
            self.activations[layer - 1] = self._one_of(name, act.HIDDEN, "a hidden activation")
        self._changed(structural=True)

    def set_constraint(self, name):
        self._one_of(name, constraints.CONSTRAINTS, "constraint")
        old = self.constraint
        self.constraint = name
        try:
            new = [self._enforce(w, f) for w, f in zip(self.weights, self.frozen)]
        except EditError:
            self.constraint = old
            raise
        for w, n in zip(self.weights, new):
            w[...] = n
        self._changed()

    def resize(self, layer, size):
        """Give hidden neuron layer 1..L-1 a new size; weights that still exist are kept."""
        self._check_hidden(layer)
        size = check_size(size)
        sizes = self.sizes.copy()
        sizes[layer] = size
        check_sizes(sizes, self.bias, self.dtype.name)
        w_in, w_out = self.weights[layer - 1], self.weights[layer]
        keep = min(size, w_in.shape[1])
        new_in = self._draw(w_in.shape[0], size)
        new_in[:, :keep] = w_in[:, :keep]
        new_out = self._draw(size, w_out.shape[1])
        new_out[:keep] = w_out[:keep]
        bias = np.zeros(size, self.dtype)
        bias[:keep] = self.biases[layer - 1][:keep]
        frozen_in, frozen_out = self._resized_masks(layer, size, keep)
        new_in = self._enforce(new_in, frozen_in)
        new_out = self._enforce(new_out, frozen_out)
        weights, biases, norms = list(self.weights), list(self.biases), self.norms()
        weights[layer - 1], weights[layer] = new_in, new_out
        biases[layer - 1] = bias
        if norms[layer - 1] is not None:
            norms[layer - 1] = norms[layer - 1].resized(size, self.dtype)
        self.frozen[layer - 1], self.frozen[layer] = frozen_in, frozen_out
        self._assign(sizes, weights, biases, norms)
        self._changed(structural=True)

    def reshape_io(self, rows, outputs):
        """New input and output layers for new data: input row i of W0 is the old row rows[i]
        (None: a new draw), and the output layer has `outputs` neurons, the first ones kept.
        Frozen marks of the rows and columns that stay are kept."""
        sizes = [len(rows)] + self.sizes[1:-1] + [check_size(outputs, "the outputs")]
        check_sizes(sizes, self.bias, self.dtype.name)
        weights, biases, frozen = list(self.weights), list(self.biases), list(self.frozen)
        old_first = self.weights[0]
        first = self._draw(len(rows), old_first.shape[1])
        mask = np.zeros(first.shape, bool)
        for i, old in enumerate(rows):
            if old is not None:
                first[i] = old_first[old]
                if self.frozen[0] is not None:
                    mask[i] = self.frozen[0][old]
        weights[0], frozen[0] = first, (mask if mask.any() else None)
        last = weights[-1]
        keep = min(outputs, last.shape[1])
        new_last = self._draw(last.shape[0], outputs)
        new_last[:, :keep] = last[:, :keep]
        last_bias = np.zeros(outputs, self.dtype)
        last_bias[:keep] = biases[-1][:keep]
        weights[-1], biases[-1] = new_last, last_bias
        if frozen[-1] is not None:
            kept = np.zeros(new_last.shape, bool)
            kept[:, :keep] = frozen[-1][:, :keep]
            frozen[-1] = kept if kept.any() else None
        weights = [self._enforce(w, f) for w, f in zip(weights, frozen)]
        self.frozen = frozen
        self._assign(sizes, weights, biases, self.norms())  # hidden layers keep their norms
        self._changed(structural=True)

    def _resized_masks(self, layer, size, keep):
        f_in, f_out = self.frozen[layer - 1], self.frozen[layer]
        new_in = new_out = None
        if f_in is not None:
            new_in = np.zeros((f_in.shape[0], size), bool)
            new_in[:, :keep] = f_in[:, :keep]
            new_in = new_in if new_in.any() else None
        if f_out is not None:
            new_out = np.zeros((size, f_out.shape[1]), bool)
            new_out[:keep] = f_out[:keep]
            new_out = new_out if new_out.any() else None
        return new_in, new_out

    def _check_hidden(self, layer):
        if self.depth < 2:
            raise EditError("this network has no hidden layer")
        self._check_index(layer, self.depth, "hidden layer")
        if layer == 0:
            raise EditError("the input layer's size is set by the data")

    def insert_layer(self, layer, size, activation=None, batch_norm=None):
        """Insert a hidden layer so that it becomes neuron layer `layer` (1..L). Its activation
        and batch norm (None: as the hidden layer before it, else the first hidden layer)."""
        self._check_index(layer, self.depth + 1, "position")
        if layer == 0:
            raise EditError("a hidden layer cannot go before the input layer")
        size = check_size(size)
        activation = activation or (self.activations[layer - 2] if layer >= 2 else
                                    self.activations[0] if self.activations else "tanh")
        if batch_norm is None:
            batch_norm = self.batch_norm[layer - 2] if layer >= 2 else \
                bool(self.batch_norm and self.batch_norm[0])
        self._one_of(activation, act.HIDDEN, "a hidden activation")
        sizes = self.sizes[:layer] + [size] + self.sizes[layer:]
        check_sizes(sizes, self.bias, self.dtype.name)
        w_in = self._enforce(self._draw(sizes[layer - 1], size), None)
        w_out = self._enforce(self._draw(size, sizes[layer + 1]), None)
        weights, biases, norms = list(self.weights), list(self.biases), self.norms()
        weights[layer - 1:layer] = [w_in, w_out]
        biases[layer - 1:layer] = [np.zeros(size, self.dtype), biases[layer - 1]]
        norms.insert(layer - 1, Norm.fresh(size, self.dtype) if batch_norm else None)
        self.frozen[layer - 1:layer] = [None, None]
        self.activations.insert(layer - 1, activation)
        self._assign(sizes, weights, biases, norms)
        self._changed(structural=True)

    def remove_layer(self, layer):
        """Remove hidden neuron layer 1..L-1; the layers either side are joined by new weights."""
        self._check_hidden(layer)
        sizes = self.sizes[:layer] + self.sizes[layer + 1:]
        w = self._enforce(self._draw(sizes[layer - 1], sizes[layer]), None)
        weights, biases, norms = list(self.weights), list(self.biases), self.norms()
        weights[layer - 1:layer + 1] = [w]
        biases[layer - 1:layer + 1] = [biases[layer]]
        del norms[layer - 1]  # the joined layer ends where the removed one's successor did
        self.frozen[layer - 1:layer + 1] = [None]
        del self.activations[layer - 1]
        self._assign(sizes, weights, biases, norms)
        self._changed(structural=True)

    def reinitialize(self, seed=None):
        """Fresh weights from the network's init (a new draw unless a seed is given); biases 0;
        batch norm as a new layer starts it (γ 1, β 0, running mean 0, running variance 1)."""
        if seed is not None:
            self.rng = np.random.default_rng(check_seed(seed))
        weights, biases = self._fresh(self.sizes)
        self.frozen = [None] * self.depth
        self._assign(self.sizes, [self._enforce(w, None) for w in weights], biases,
                     self._fresh_norms(self.batch_norm))
        self._changed(structural=True)

    def check_init(self, init):
        return self._one_of(init, INITS, "init")

    def set_init(self, init):
        """The initialisation the next reset draws from (the weights stay until then)."""
        self.init = self.check_init(init)
        self._changed()

    def check_dtype(self, dtype):
        return self._one_of(str(dtype), DTYPES, "dtype")

    def set_dtype(self, dtype):
        self.dtype = np.dtype(self.check_dtype(dtype))
        self._assign(self.sizes, self.weights, self.biases, self.norms())
        self._changed(structural=True)

    def _fresh_norms(self, flags):
        return [Norm.fresh(n, self.dtype) if on else None
                for n, on in zip(self.sizes[1:-1], flags)]

    def check_batch_norm(self, batch_norm):
        """One flag per hidden layer from True/False (every hidden layer) or a list of them;
        EditError otherwise."""
        return list(check_batch_norm(batch_norm, self.depth - 1))

    def set_batch_norm(self, batch_norm):
        """Turn batch norm on or off (True/False for every hidden layer, or one flag each). A
        layer turned on starts as torch's BatchNorm1d does; a layer that stays on keeps its γ,
        β and running statistics."""
        flags = self.check_batch_norm(batch_norm)
        fresh = self._fresh_norms(flags)
        norms = [old if (on and old is not None) else new
                 for on, old, new in zip(flags, self.norms(), fresh)]
        self._assign(self.sizes, self.weights, self.biases, norms)
        self._changed(structural=True)

    def load_parameters(self, weights, biases=None, norm=None):
        """New values for every weight (and bias), same shapes; the constraint still holds after.
        norm: the keys gamma, beta, running_mean, running_var of a weights file (each a list
        with one vector per normalised hidden layer, or absent), for the layers this network
        normalises, and batch_norm, which must then name those layers."""
        shapes = [w.shape for w in self.weights]
        weights = matrices(weights, shapes, "weights", self.dtype)
        loaded_biases = matrices(biases, [b.shape for b in self.biases], "biases", self.dtype)
        norm = norm or {}
        if "batch_norm" in norm:
            flags = check_batch_norm(norm["batch_norm"], self.depth - 1)
            if list(flags) != self.batch_norm:
                raise EditError(f"its batch norm layers {_flags(flags)} differ from the "
                                f"network's {_flags(self.batch_norm)}")
        loaded_norm = check_norm_values(norm, self.sizes, self.batch_norm, self.dtype)
        new = [self._enforce(w, f) for w, f in zip(weights, self.frozen)]
        for view, w in zip(self.weights, new):
            view[...] = w
        if loaded_biases is not None:
            for view, b in zip(self.biases, loaded_biases):
                view[...] = b
        targets = {"gamma": self.gammas, "beta": self.betas, "running_mean": self.running_mean,
                   "running_var": self.running_var}
        for key, vectors in loaded_norm.items():
            for view, v in zip([t for t in targets[key] if t is not None], vectors):
                view[...] = v
        self._changed()

    def snapshot(self):
        """The network's whole state, copied (see restore_snapshot)."""
        return {
            "sizes": list(self.sizes), "activations": list(self.activations),
            "output": self.output, "bias": self.bias, "init": self.init, "seed": self.seed,
            "constraint": self.constraint, "dtype": self.dtype.name,
            "params": self.params.copy(),
            "frozen": [None if f is None else f.copy() for f in self.frozen],
            "rng_state": self.rng.bit_generator.state,
            "batch_norm": list(self.batch_norm), "running": self.running.copy(),
            "tracked": self.tracked.copy(),
        }

    def restore_snapshot(self, snap):
        self.activations, self.output = list(snap["activations"]), snap["output"]
        self.bias, self.init, self.seed = snap["bias"], snap["init"], snap["seed"]
        self.constraint, self.dtype = snap["constraint"], np.dtype(snap["dtype"])
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = snap["rng_state"]
        self.frozen = [None if f is None else f.copy() for f in snap["frozen"]]
        sizes = list(snap["sizes"])
        self.sizes, self.batch_norm = sizes, list(snap["batch_norm"])
        self.n_weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
        params = np.array(snap["params"], self.dtype)
        running = np.array(snap["running"], self.dtype)
        weights, biases = self.views(params)
        (gammas, betas), (means, variances) = self.norm_views(params), \
            self.norm_views(running, start=0)
        norms = [Norm(gammas[l], betas[l], means[l], variances[l], int(snap["tracked"][l]))
                 if on else None for l, on in enumerate(self.batch_norm)]
        self._assign(sizes, weights, biases, norms)
        self.last_activations = None
        self._changed(structural=True)

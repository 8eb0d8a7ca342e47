"""The lessons tell the truth: every claim a shipped scenario's lesson makes, checked.

Each scenario is trained as `r` trains it, to the end of its run (its [training] epochs), from
the file's own seed and from seeds 0-4: a seed changes the initial weights and the batch order,
the data keep their own seed. Where a lesson gives a number that depends on the seed, it gives a
range that all six runs fall in. The screen's mean|a| and ‖∇‖ are of the last batch; where a
lesson claims something of all the data, it is computed here from all of it. A lesson's "after
five seconds" is an epoch count at the scenario's pace (epochs per second).

A side-by-side scenario ([compare]) is trained as the app and `gradstep train` train it: A and B
in lockstep (`Lockstep([a, b])`), on the same data and batches, and every claim about A and about
B is checked for each seed.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass

import numpy as np
import pytest

from gradstep.edits import ChangeSettings, Reinitialize
from gradstep.model import activations
from gradstep.model.readouts import Readouts
from gradstep.pair import Lockstep
from gradstep.scenarios import list_presets, load_scenario
from gradstep.training import Evaluation

SEEDS = (None, 0, 1, 2, 3, 4)  # None: the file's own seed, what a person sees first
CHECKED: set[str] = set()      # the scenarios with a lesson test below


def seed_id(seed):
    return "file-seed" if seed is None else f"seed{seed}"


def lesson(name):
    """Marks a test as the check of `name`'s lesson, run for every seed."""
    CHECKED.add(name)
    return pytest.mark.parametrize("seed", SEEDS, ids=seed_id)


@dataclass(frozen=True)
class Frame:
    """What the screen reads at the end of one epoch (epoch 0: before training)."""

    epoch: int
    evaluation: Evaluation
    readouts: Readouts
    weights: tuple
    biases: tuple


@dataclass(frozen=True)
class Run:
    trainer: object       # at the end of the run
    frames: tuple         # frames[e]: after epoch e

    @property
    def end(self) -> Frame:
        return self.frames[-1]


def frame(trainer) -> Frame:
    net = trainer.network
    return Frame(trainer.epoch_count, trainer.evaluate(), trainer.readouts(),
                 tuple(w.copy() for w in net.weights), tuple(b.copy() for b in net.biases))


def train(trainer, epochs) -> Run:
    """Train epoch by epoch (the same steps as trainer.run(epochs=epochs)), keeping each frame."""
    frames = [frame(trainer)]
    for _ in range(epochs):
        trainer.run(epochs=1)
        frames.append(frame(trainer))
        if trainer.diverged:
            break
    return Run(trainer, tuple(frames))


def train_side_by_side(trainers, epochs) -> tuple[Run, ...]:
    """Train A and B in lockstep epoch by epoch (the same steps as
    Lockstep(trainers).run(epochs=epochs)), keeping each one's frames; one that diverges keeps
    its frames up to its last epoch, the other goes on."""
    pair = Lockstep(trainers)
    frames = [[frame(t)] for t in trainers]
    for _ in range(epochs):
        going = [not t.diverged for t in trainers]
        pair.run(epochs=1)
        for kept, t, was_going in zip(frames, trainers, going):
            if was_going:
                kept.append(frame(t))
        if pair.diverged:
            break
    return tuple(Run(t, tuple(kept)) for t, kept in zip(trainers, frames))


@functools.cache
def run(name, seed, epochs=None) -> Run:
    """The scenario trained for its epochs (or `epochs`), once per test session: a single
    scenario's network, or A of a side-by-side one trained beside B."""
    scenario = load_scenario(name)
    if scenario.compare is not None:
        return runs(name, seed, epochs)[0]
    return train(scenario.build(seed=seed), epochs or scenario.settings.epochs)


@functools.cache
def runs(name, seed, epochs=None) -> tuple[Run, Run]:
    """A side-by-side scenario's A and B trained in lockstep for its epochs (or `epochs`)."""
    scenario = load_scenario(name)
    assert scenario.compare is not None, f"{name} has no [compare]"
    return train_side_by_side(scenario.build_all(seed=seed), epochs or scenario.settings.epochs)


def full_activations(net, weights, biases, x):
    """Every layer's activations on all of x, for the given weights (the network untouched)."""
    out, a = [], x
    for l, (w, b) in enumerate(zip(weights, biases)):
        z = a @ w + (b if net.bias else 0)
        a = activations.FORWARD[net.activation_of(l + 1)](z)
        out.append(a)
    return out


def weights_of(f: Frame, layer=0):
    return f.weights[layer][:, 0]


def optimum(run: Run):
    weights, biases = run.trainer.least_squares()
    return weights[:, 0], biases[0]


def at(run: Run, seconds, name):
    """The frame `seconds` into `r` at the scenario's pace."""
    epoch = round(seconds * load_scenario(name).lesson.pace)
    return run.frames[epoch]


# --- every lesson ------------------------------------------------------------------------------

PRESETS = list_presets()


def sentences(text):
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"(])", text) if s]


CHECKED_ELSEWHERE = {"digits", "digits-hidden", "features",  # test_digits.py, test_features.py
                     "batch-norm"}                             # test_batch_norm.py


def test_every_shipped_lesson_is_checked():
    assert {s.name for s in PRESETS} == CHECKED | CHECKED_ELSEWHERE


@pytest.mark.parametrize("scenario", PRESETS, ids=lambda s: s.name)
def test_lesson_is_short_plain_and_its_own(scenario):
    lesson = scenario.lesson
    assert 2 <= len(sentences(lesson.text)) <= 6, sentences(lesson.text)
    assert "press r" in lesson.text.lower() or "Press r" in lesson.text
    assert 0 < len(lesson.watch) <= 70 and "\n" not in lesson.watch
    assert lesson.focus
    others = [s.lesson.text for s in PRESETS if s is not scenario]
    last = sentences(lesson.text)[-1]
    assert not any(other.endswith(last) for other in others), "a shared suffix"


@pytest.mark.parametrize("scenario", PRESETS, ids=lambda s: s.name)
def test_story_takes_five_to_twenty_seconds_at_its_pace(scenario):
    pace = scenario.lesson.pace
    assert pace is not None
    assert 5 <= scenario.settings.epochs / pace <= 20


# --- grades, slope-two, negative-feature, plane, sum-to-one --------------------------------------

SHARES = np.array([0.2, 0.2, 0.5, 0.05, 0.05])


@lesson("grades")
def test_grades(seed):
    r = run("grades", seed)
    best, _ = optimum(r)
    # Σw within 0.03 of 1 from the first second (epoch) on; the single weights not yet sorted
    assert all(abs(f.readouts.sum - 1) < 0.03 for f in r.frames[1:])
    assert np.abs(weights_of(r.frames[1]) - best).max() > 0.1
    # by epoch 12 each within 0.01 of its optimum and of its share; Σw is 1
    w = weights_of(r.end)
    assert r.end.epoch == 12
    assert np.abs(w - best).max() < 0.01 and np.abs(w - SHARES).max() < 0.01
    assert abs(r.end.readouts.sum - 1) < 0.01


@lesson("slope-two")
def test_slope_two(seed):
    r = run("slope-two", seed)
    w = [weights_of(f)[0] for f in r.frames]
    assert w[0] == 0 and at(r, 1, "slope-two").weights[0][0, 0] > 1.2  # past 1, still going
    assert all(abs(v - 2) < 0.01 for v in w[round(5 * 2):])           # 2.00 from 5 s on
    best, _ = optimum(r)
    assert abs(best[0] - 2) < 0.005 and abs(r.end.readouts.sum - 2) < 0.005


@lesson("negative-feature")
def test_negative_feature(seed):
    r = run("negative-feature", seed)
    w = weights_of(r.end)
    assert weights_of(r.frames[1])[1] < 0
    assert abs(w[1] + 2.01) < 0.01 and abs(w[0] - 1.49) < 0.01
    assert abs(r.end.readouts.sum + 0.52) < 0.005 and abs(r.end.readouts.abs_sum - 3.51) < 0.005
    assert r.end.evaluation.train_loss < 0.0095  # "0.009"
    # s, constraint = nonnegative, Apply, r: the weight on x2 is held at 0, the loss stays above 1
    epochs = load_scenario("negative-feature").settings.epochs
    trainer = load_scenario("negative-feature").build(seed=seed)
    trainer.run(epochs=epochs)
    trainer.apply(ChangeSettings(constraint="nonnegative"))
    held = train(trainer, epochs)
    assert all(f.weights[0][1, 0] == 0 and f.evaluation.train_loss > 1 for f in held.frames)


@lesson("plane")
def test_plane(seed):
    r = run("plane", seed)
    best, best_bias = optimum(r)
    w, b = weights_of(r.end), r.end.biases[0][0]
    assert np.abs(w - best).max() < 0.005 and abs(b - best_bias) < 0.005   # to two decimals
    assert np.allclose(np.round(w, 2), [2.80, 2.02]) and round(b, 2) == 4.10
    assert abs(r.end.readouts.sum - 4.83) < 0.01 and abs(r.end.readouts.sum + b - 8.93) < 0.01
    # climbing for about five seconds, then matching
    gap = [np.abs(weights_of(f) - best).max() for f in r.frames]
    assert gap[round(3 * 4)] > 0.05 and max(gap[round(6 * 4):]) < 0.02


@lesson("sum-to-one")
def test_sum_to_one(seed):
    a, b = runs("sum-to-one", seed)
    scenario = load_scenario("sum-to-one")
    assert scenario.network == load_scenario("plane").network.replace(seed=scenario.network.seed)
    assert scenario.compare.network == scenario.network.replace(constraint="simplex")
    assert a.end.epoch == b.end.epoch == 40
    # A: the learned column meets the optimum; Σw about 4.83, 8.93 with the bias
    best, best_bias = optimum(a)
    assert abs(best.sum() - 4.83) < 0.01
    w, bias = weights_of(a.end), a.end.biases[0][0]
    assert np.abs(w - best).max() < 0.005 and abs(bias - best_bias) < 0.005
    assert abs(a.end.readouts.sum - 4.83) < 0.01 and abs(a.end.readouts.sum + bias - 8.93) < 0.01
    # B: Σw 1.000 at every step, x1 about 0.98, x2 almost none, the bias about 4.4
    assert all(abs(f.readouts.sum - 1) < 1e-9 and (f.weights[0] >= 0).all() for f in b.frames)
    w, bias = weights_of(b.end), b.end.biases[0][0]
    assert abs(w[0] - 0.98) < 0.01 and w[1] < 0.03 and abs(bias - 4.4) < 0.05
    # the loss curves part within two seconds; B's stalls near 2.26, over 200 times A's 0.0095
    loss_a = [f.evaluation.train_loss for f in a.frames]
    loss_b = [f.evaluation.train_loss for f in b.frames]
    assert loss_b[2 * 4] > 10 * loss_a[2 * 4]
    assert all(abs(v - 2.26) < 0.02 for v in loss_b[5 * 4:])  # stalled from five seconds on
    assert abs(loss_b[-1] - 2.26) < 0.01 and abs(loss_a[-1] - 0.0095) < 0.0005
    assert loss_b[-1] > 200 * loss_a[-1]


# --- house-prices, standardize --------------------------------------------------------------------


@lesson("house-prices")
def test_house_prices(seed):
    r = run("house-prices", seed)
    best, _ = optimum(r)
    assert abs(best[0] - 62_716) < 1
    w = [weights_of(f)[0] for f in r.frames]
    assert abs(w[-1] - best[0]) < 0.005 * best[0]
    assert abs(w[round(2 * 3)] - best[0]) > 0.05 * best[0]                   # climbing
    assert all(abs(v - best[0]) < 0.02 * best[0] for v in w[round(7 * 3):])  # settled
    t = r.trainer
    assert len(t.raw_train) == 60 and len(t.raw_test) == 20 and t.settings.standardize
    assert abs(t.std[0] - 0.99) < 0.005 and abs(best[0] / t.std[0] - 63_000) < 1_000


@lesson("standardize")
def test_standardize(seed):
    scenario = load_scenario("standardize")
    assert scenario.compare.settings == scenario.settings.changed(standardize=True)
    r, fixed = runs("standardize", seed)
    # A, raw: one step, then "diverged at step 2"
    t = r.trainer
    assert t.diverged and t.step_count == 1 and t.status.startswith("diverged at step 2")
    x = np.vstack([t.raw_train.x, t.raw_test.x])
    assert x.min(axis=0).tolist() == [1, 450] and x.max(axis=0).tolist() == [4, 2210]
    assert x[:, 1].mean() > 100 * x[:, 0].mean()
    best, _ = optimum(r)
    square_feet = t.network.weights[0][1, 0]
    assert abs(best[1] - 103) < 1 and square_feet > 10_000_000 and square_feet > 1e5 * best[1]
    assert t.readouts().layers[0].grad_norm > 1e13
    # B, standardized: the same learning rate trains to the end of the run
    assert not fixed.trainer.diverged and fixed.trainer.settings.learning_rate == 0.05
    assert fixed.end.epoch == scenario.settings.epochs
    loss = [f.evaluation.train_loss for f in fixed.frames]  # 5.5e10 to 1.9e8 in four seconds
    assert loss[0] > 200 * loss[4 * 2] and loss[4 * 2] < 1.05 * min(loss)
    assert round(loss[0] / 1e10, 1) == 5.5 and round(loss[4 * 2] / 1e8, 1) == 1.9
    best, _ = optimum(fixed)
    assert np.all(np.abs(weights_of(fixed.end) - best) < 0.06 * best)


def test_side_by_side_epoch_by_epoch_is_one_run():
    """The lesson tests' frames come from the steps `gradstep train` takes, also once A stops."""
    for name in ("standardize", "sum-to-one"):
        scenario = load_scenario(name)
        trainers = scenario.build_all()
        Lockstep(trainers).run(epochs=scenario.settings.epochs)
        for whole, by_epoch in zip(trainers, runs(name, None)):
            assert whole.step_count == by_epoch.trainer.step_count
            np.testing.assert_array_equal(whole.network.params, by_epoch.trainer.network.params)


# --- l1-sparsity -------------------------------------------------------------------------------

USELESS, USEFUL = [1, 3, 4], [0, 2, 5]  # x2, x4, x5 and x1, x3, x6


@lesson("l1-sparsity")
def test_l1_sparsity(seed):
    scenario = load_scenario("l1-sparsity")
    assert scenario.compare.settings == scenario.settings.changed(l1=0.0, l2=0.3)
    a, b = runs("l1-sparsity", seed)
    best, _ = optimum(a)
    assert abs(best[0] - 3.02) < 0.005 and np.array_equal(best, optimum(b)[0])
    # A (L1): x2, x4, x5 exactly 0 from five seconds on; x1 near 2.53; the penalty about 1.40
    assert all((f.weights[0][USELESS, 0] == 0).all() for f in a.frames[round(5 * 3):])
    w = weights_of(a.end)
    assert abs(w[0] - 2.53) < 0.03
    assert abs(a.trainer.penalty() - 1.40) < 0.015
    # B (L2): never exactly 0; x2, x4, x5 near -0.10, +0.07, +0.01; each useful weight about
    # half its optimum, x1 near 1.59; the penalty about 1.19
    assert all((f.weights[0] != 0).all() for f in b.frames)
    w = weights_of(b.end)
    assert np.all(np.abs(w[USEFUL] / best[USEFUL] - 0.5) < 0.05)
    assert abs(w[0] - 1.59) < 0.01
    assert abs(w[1] + 0.10) < 0.01 and abs(w[3] - 0.07) < 0.01 and abs(w[4] - 0.01) < 0.005
    assert abs(b.trainer.penalty() - 1.19) < 0.01


# --- two-three-one, xor, circle, softmax-outputs, init-zoo ----------------------------------------


@lesson("two-three-one")
def test_two_three_one(seed):
    r = run("two-three-one", seed)
    net = r.trainer.network
    assert [w.size for w in net.weights] == [6, 3] and sum(b.size for b in net.biases) == 4
    assert r.end.evaluation.test_loss < 0.05
    if seed is None:
        assert abs(r.end.readouts.sum + 1.17) < 0.01
    # x, then r again: as good a fit, another Σw
    trainer = load_scenario("two-three-one").build(seed=seed)
    trainer.run(epochs=30)
    trainer.apply(Reinitialize())
    second = train(trainer, 30)
    assert second.end.evaluation.test_loss < 0.05
    assert abs(second.end.readouts.sum - r.end.readouts.sum) > 0.1
    # h1's signs flipped (in, bias, out): the same outputs, another Σw
    weights, biases = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    weights[0][:, 0] *= -1
    biases[0][0] *= -1
    weights[1][0, :] *= -1
    x = r.trainer.x_test
    same = full_activations(net, weights, biases, x)[-1]
    assert np.allclose(same, net.forward(x), rtol=0, atol=1e-12)
    assert sum(w.sum() for w in weights) != pytest.approx(r.end.readouts.sum)


def test_two_three_one_five_other_starts():
    sums = [run("two-three-one", seed).end.readouts.sum for seed in SEEDS[1:]]
    assert -2.4 < min(sums) < -2.25 and 0.55 < max(sums) < 0.65


@lesson("xor")
def test_xor(seed):
    r = run("xor", seed)
    assert r.trainer.network.sizes == [2, 8, 1]
    assert at(r, 5, "xor").evaluation.accuracy == 1 and r.end.evaluation.accuracy == 1
    assert 5 <= r.frames[0].readouts.layers[0].abs_sum <= 8
    assert 15 <= r.end.readouts.layers[0].abs_sum <= 20
    w0 = r.end.weights[0]
    assert np.abs(r.frames[0].weights[0]).max() < 0.8 and w0.min() < -1 and w0.max() > 1
    # no hidden layer: one straight line, at most three quadrants of four
    scenario = load_scenario("xor")
    flat = dataclasses.replace(scenario, network=scenario.network.replace(layers=[2, 1],
                                                                          activation=[]))
    line = train(flat.build(seed=seed), scenario.settings.epochs)
    assert line.end.evaluation.accuracy <= 0.8


@lesson("circle")
def test_circle(seed):
    scenario = load_scenario("circle")
    assert scenario.network.layers == (2, 4, 2, 1) and scenario.network.init == "uniform"
    assert scenario.network.activation == ("tanh", "tanh") and scenario.network.output == "tanh"
    assert scenario.settings.learning_rate == 0.03 and scenario.settings.batch_size == 10
    assert scenario.settings.loss == "mse"
    assert scenario.data["noise"] == 0 and scenario.data["test_fraction"] == 0.5
    r = run("circle", seed)
    assert at(r, 5, "circle").evaluation.accuracy >= 0.99 and r.end.evaluation.accuracy >= 0.99
    assert r.frames[0].readouts.layers[2].abs_sum < 1
    assert 3 <= r.end.readouts.layers[2].abs_sum <= 5
    # x and r again: other weights, another Σw in every layer
    again = circle_again(seed)
    for first, second in zip(r.end.readouts.layers, again.end.readouts.layers):
        assert abs(first.sum - second.sum) > 0.01


@functools.cache
def circle_again(seed) -> Run:
    """circle trained, then x and r again."""
    scenario = load_scenario("circle")
    trainer = scenario.build(seed=seed)
    trainer.run(epochs=scenario.settings.epochs)
    trainer.apply(Reinitialize())
    return train(trainer, scenario.settings.epochs)


def test_circle_again_most_starts_draw_the_boundary():
    accuracy = [circle_again(seed).end.evaluation.accuracy for seed in SEEDS]
    assert sum(a >= 0.98 for a in accuracy) > len(SEEDS) / 2


@lesson("softmax-outputs")
def test_softmax_outputs(seed):
    r = run("softmax-outputs", seed)
    assert all(f.readouts.output_probability_sum == pytest.approx(1, abs=1e-9)
               for f in r.frames[1:])
    t = r.trainer
    assert np.allclose(t.network.forward(t.x_train).sum(axis=1), 1)
    assert -7 < r.end.readouts.layers[2].sum < -1
    assert -190 < r.end.readouts.sum < -120
    assert r.end.evaluation.accuracy > 0.9


def identical_neurons(f: Frame):
    hidden = f.weights[:-1]
    return all(np.all(w == w[:, :1]) for w in hidden) and np.all(f.weights[-1] == f.weights[-1][:1])


def straight_bands(trainer) -> bool:
    """Whether the output over the input plane is a monotone function of one straight
    projection: the heatmap shows straight bands, and its decision line is straight."""
    net = trainer.network
    g = np.linspace(-6, 6, 61)
    x = np.array([(u, v) for u in g for v in g])
    along = x @ net.weights[0][:, 0] + net.biases[0][0]
    y = net.forward(x)[:, 0][np.argsort(along, kind="stable")]
    steps = np.diff(y)
    return bool((steps >= -1e-12).all() or (steps <= 1e-12).all())


@lesson("init-zoo")
def test_init_zoo(seed):
    scenario = load_scenario("init-zoo")
    assert scenario.compare.network == scenario.network.replace(init="xavier")
    a, b = runs("init-zoo", seed)
    # A: identical neurons at every step, one value four times in Σ in, straight bands, < 75%
    assert all(identical_neurons(f) for f in a.frames)
    assert all(np.all(layer.neuron_sums == layer.neuron_sums[0])
               for f in a.frames for layer in f.readouts.layers[:-1])
    assert a.end.weights[0].any()  # identical, but they did move
    assert straight_bands(a.trainer)
    assert all(f.evaluation.accuracy < 0.75 for f in a.frames)
    assert 0.60 <= a.end.evaluation.accuracy
    # B: its neurons differ from the start, its boundary is not straight, past 90% at the end
    assert not identical_neurons(b.frames[0]) and not identical_neurons(b.end)
    assert not straight_bands(b.trainer)
    assert b.end.epoch == 30 and b.end.evaluation.accuracy > 0.9


# --- deep-normalized -----------------------------------------------------------------------------


@lesson("deep-normalized")
def test_deep_normalized(seed):
    scenario = load_scenario("deep-normalized")
    assert scenario.compare.network == scenario.network.replace(constraint="none")
    assert scenario.network.constraint == "layer-simplex" and scenario.network.init == "xavier"
    long, free = runs("deep-normalized", seed, 120)  # its 40 epochs, and long after
    end, b = long.frames[40], free.frames[40]
    # A: Σw 1 in every layer, accuracy 49-51% throughout
    assert all(abs(layer.sum - 1) < 1e-9 for f in long.frames for layer in f.readouts.layers)
    assert all(0.485 <= f.evaluation.accuracy <= 0.515 for f in long.frames[1:])
    # the screen's mean|a| (last batch): about 0.2, 0.02, below 0.005, below 0.001 for W3-W5
    a = [layer.mean_abs_activation for layer in end.readouts.layers]
    assert 0.1 <= a[0] <= 0.3 and 0.005 <= a[1] <= 0.05 and a[2] < 0.005
    assert max(a[3:6]) < 0.001
    # all the data: each hidden layer's spread over the points shrinks at least threefold
    net = long.trainer.network
    acts = full_activations(net, end.weights, end.biases, long.trainer.x_train)
    spread = [float(h.std(axis=0).mean()) for h in acts[:-1]]
    assert all(later < earlier / 3 for earlier, later in zip(spread, spread[1:]))
    mean = [float(np.abs(h).mean()) for h in acts[:-1]]
    assert spread[6] < 0.05 * mean[6] and spread[7] < 0.05 * mean[7]  # only the biases left
    # the gradient fades toward W0: a thousand times below W8's, ten thousand below B's W0
    g = [layer.grad_norm for layer in end.readouts.layers]
    assert g[0] * 1000 < g[8] and g[0] * 10_000 < b.readouts.layers[0].grad_norm
    moved = [np.abs(after - before).max()
             for after, before in zip(end.weights, long.frames[0].weights)]
    assert max(moved[:6]) < 1e-5 and moved[8] > 0.01  # the first layers hardly move
    # B, the same network with free weights: mean|a| 0.25-0.7 after every hidden layer, the
    # gradient as large at W0 as at W8, 95% within six seconds and at the end
    layers = b.readouts.layers
    assert all(0.25 <= layer.mean_abs_activation <= 0.7 for layer in layers[:-1])
    assert layers[0].grad_norm >= layers[8].grad_norm
    accuracy = [f.evaluation.accuracy for f in free.frames[:41]]
    assert max(accuracy[:6 * 4 + 1]) >= 0.95 and accuracy[40] >= 0.95
    assert all(-7 <= layer.sum <= 7 and 15 <= layer.abs_sum <= 25 for layer in layers[1:8])

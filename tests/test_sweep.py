"""The sweep: copies trained together end where single trainers end, copy for copy.

Every optimizer, constraint, loss and output, hidden activation, L1 (with its exact zeros), L2,
standardize, bias on and off, float64 and float32; the batches of each seed in lockstep with
its own trainer; divergence of some copies while the others go on; the command line (text,
--json, one-line refusals); and the lessons it exists for, across 50 seeds.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from gradstep import cli
from gradstep.model import Network
from gradstep import sweep as sweep_module
from gradstep.sweep import MAX_BYTES, MAX_COPIES, Sweep, check_size, estimate_bytes, train
from gradstep.training import Trainer, TrainingSettings
from helpers import classes, regression

SEEDS = 3
STEPS = 100


def split(data, test=10):
    n = len(data)
    return data.subset(np.arange(n - test)), data.subset(np.arange(n - test, n))


DATA = {
    "regression": split(regression(n=40, d=3, k=1)),
    "other-regression": split(regression(n=40, d=3, k=1, seed=1)),
    "two-outputs": split(regression(n=40, d=3, k=2)),
    "two-classes": split(classes(n=40, d=3, k=2)),
    "three-classes": split(classes(n=40, d=3, k=3)),
}


def build(seed, data="regression", sizes=(3, 5, 4, 1), activation="tanh", output="linear",
          bias=True, constraint="none", dtype="float64", init="xavier", weights=None,
          **settings):
    """A trainer on small data: 30 training rows in batches of 7 (the last one of 2), 10 test
    rows. The seed draws the weights and the batch order, as Scenario.build(seed=) does."""
    train, test = DATA[data]
    settings = {"learning_rate": 0.05, "batch_size": 7, **settings}
    net = Network(list(sizes), activation, output, bias=bias, init=init, seed=seed,
                  constraint=constraint, dtype=dtype, weights=weights)
    return Trainer(net, train, test, TrainingSettings(**settings), seed=seed)


def assert_same_trainer(got, want, tol, rtol=0.0):
    """Two trainers in the same state: weights within tol (and rtol of their size), counters,
    place in the epoch, generator, optimizer state, divergence and every history row."""
    assert got.network.params.dtype == want.network.params.dtype
    np.testing.assert_allclose(got.network.params, want.network.params, rtol=rtol, atol=tol)
    assert (got.step_count, got.epoch_count, got.diverged, got.status) == \
        (want.step_count, want.epoch_count, want.diverged, want.status)
    a, b = got.snapshot(), want.snapshot()
    assert a.position == b.position and a.rng_state == b.rng_state
    assert (a.order is None and b.order is None) or np.array_equal(a.order, b.order)
    state_a, state_b = a.optimizer[1], b.optimizer[1]
    if state_b is None:
        assert state_a is None
    elif isinstance(state_b, tuple):  # Adam: m, v and the step count
        assert state_a[2] == state_b[2]
        for x, y in zip(state_a[:2], state_b[:2]):
            np.testing.assert_allclose(x, y, rtol=1e-6, atol=tol)
    else:
        np.testing.assert_allclose(state_a, state_b, rtol=1e-6, atol=tol)
    assert got.last_loss == pytest.approx(want.last_loss, rel=1e3 * tol, abs=tol, nan_ok=True)
    assert len(got.history) == len(want.history)
    for name in got.history.COLUMNS:
        np.testing.assert_allclose(got.history.column(name), want.history.column(name),
                                   rtol=1e3 * tol, atol=tol, equal_nan=True)


def swept_and_single(seeds=SEEDS, steps=STEPS, **case):
    """(trainers after a sweep of `steps`, the same seeds each run alone for `steps`)."""
    sweep = Sweep([build(seed, **case) for seed in range(seeds)])
    assert sweep.run(steps=steps) == steps
    singles = [build(seed, **case) for seed in range(seeds)]
    for trainer in singles:
        trainer.run(steps=steps)
    return sweep.write_back(), singles


CASES = {
    **{f"{optimizer}-{constraint}": {"optimizer": optimizer, "constraint": constraint,
                                     "learning_rate": 0.01 if optimizer == "adam" else 0.05}
       for optimizer in ("sgd", "momentum", "adam")
       for constraint in ("none", "nonnegative", "sum-to-one", "simplex", "layer-simplex")},
    **{f"hidden-{name}": {"activation": name}
       for name in ("linear", "relu", "leaky-relu", "tanh", "sigmoid")},
    "mse-linear-two-outputs": {"data": "two-outputs", "sizes": (3, 5, 4, 2)},
    "mae-linear": {"loss": "mae"},
    "mse-tanh-classes": {"data": "two-classes", "output": "tanh", "activation": "relu"},
    "mse-sigmoid-classes": {"data": "two-classes", "output": "sigmoid"},
    "bce-sigmoid": {"data": "two-classes", "output": "sigmoid", "loss": "bce"},
    "bce-sigmoid-two-outputs": {"data": "two-classes", "output": "sigmoid", "loss": "bce",
                                "sizes": (3, 5, 4, 2)},
    "cross-entropy-softmax": {"data": "three-classes", "output": "softmax",
                              "loss": "cross-entropy", "sizes": (3, 5, 4, 3)},
    "mse-softmax": {"data": "three-classes", "output": "softmax", "sizes": (3, 5, 4, 3),
                    "activation": "sigmoid"},
    "l1": {"l1": 0.02},
    "l2": {"l2": 0.01},
    "l1-l2-momentum": {"l1": 0.01, "l2": 0.01, "optimizer": "momentum"},
    "l1-adam-nonnegative": {"l1": 0.01, "optimizer": "adam", "learning_rate": 0.01,
                            "constraint": "nonnegative"},
    "standardize": {"standardize": True},
    "no-bias": {"bias": False},
    "no-bias-softmax": {"bias": False, "data": "three-classes", "output": "softmax",
                        "loss": "cross-entropy", "sizes": (3, 4, 3)},
    "no-hidden-layer": {"sizes": (3, 1), "init": "zeros"},
    "deep": {"sizes": (3, 4, 4, 4, 4, 1), "activation": ["relu", "tanh", "leaky-relu",
                                                         "sigmoid"]},
    "whole-split-batch": {"batch_size": 64},
    "batch-of-one": {"batch_size": 1},
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_each_copy_ends_where_its_single_trainer_ends(case):
    swept, singles = swept_and_single(**case)
    for got, want in zip(swept, singles):
        assert_same_trainer(got, want, 1e-9)
        assert not got.diverged and got.step_count == STEPS


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("loss", ["mse", "cross-entropy"])
def test_float32_copies_stay_float32_and_close(optimizer, loss):
    case = {"dtype": "float32", "optimizer": optimizer,
            "learning_rate": 0.01 if optimizer == "adam" else 0.05}
    if loss == "cross-entropy":
        case.update(data="three-classes", output="softmax", loss=loss, sizes=(3, 5, 4, 3))
    swept, singles = swept_and_single(**case)
    for got, want in zip(swept, singles):
        assert got.network.params.dtype == np.float32
        assert_same_trainer(got, want, 1e-4)


def test_l1_exact_zeros_fall_in_the_same_places():
    swept, singles = swept_and_single(seeds=4, l1=0.02)
    zeros = 0
    for got, want in zip(swept, singles):
        w_got = got.network.params[:got.network.n_weights]
        w_want = want.network.params[:want.network.n_weights]
        assert np.array_equal(w_got == 0, w_want == 0)
        zeros += int(np.sum(w_want == 0))
    assert zeros > 0  # the rule was exercised


@pytest.mark.parametrize("steps", [1, 3, 4, 5, 37])
def test_batches_in_lockstep_per_seed_and_the_run_goes_on_alone(steps):
    """After any number of steps (mid-epoch or at its end) each copy holds its own seed's
    shuffle, place and generator, so it continues alone exactly as its single trainer."""
    case = {"optimizer": "adam", "learning_rate": 0.01}
    swept, singles = swept_and_single(seeds=4, steps=steps, **case)
    for got, want in zip(swept, singles):
        assert_same_trainer(got, want, 1e-9)
        got.run(steps=STEPS - steps)
        want.run(steps=STEPS - steps)
        assert_same_trainer(got, want, 1e-9)
    orders = [t.snapshot().order for t in swept]
    assert not np.array_equal(orders[0], orders[1])  # each seed its own shuffle


def test_a_sweep_takes_trainers_mid_run():
    trainers = [build(seed, optimizer="momentum") for seed in range(3)]
    for trainer in trainers:
        trainer.run(steps=9)  # mid-epoch, with optimizer state
    sweep = Sweep(trainers)
    sweep.run(epochs=2)
    singles = [build(seed, optimizer="momentum") for seed in range(3)]
    for trainer in singles:
        trainer.run(steps=9)
        trainer.run(epochs=2)
    for got, want in zip(sweep.write_back(), singles):
        assert_same_trainer(got, want, 1e-9)
    assert singles[0].epoch_count == 4  # the one under way, then two whole ones


def test_epochs_and_history_rows_match_the_single_trainer():
    swept, singles = swept_and_single(steps=0)
    sweep = Sweep(swept)
    sweep.run(epochs=3)
    for got, want in zip(sweep.write_back(), singles):
        want.run(epochs=3)
        assert got.epoch_count == 3 and got.step_count == 3 * 5
        assert list(got.history.column("step")) == [0, 5, 10, 15]
        assert_same_trainer(got, want, 1e-9)


DIVERGING_SCALES = (1, 5, 3, 30, 8)  # initial weights ×: the larger, the sooner it runs away


def diverging(seed, optimizer="sgd", learning_rate=0.05):
    """A linear 2-3-1 network whose initial weights are scaled up: the larger the scale, the
    sooner training at this learning rate runs away (the weights grow past MAX_NORM)."""
    base = Network([2, 3, 1], "linear", "linear", seed=0)
    weights = [w * DIVERGING_SCALES[seed] for w in base.weights]
    train, test = split(regression(n=40, d=2, k=1))
    net = Network([2, 3, 1], "linear", "linear", seed=0, weights=weights)
    settings = TrainingSettings(optimizer=optimizer, learning_rate=learning_rate, batch_size=7)
    return Trainer(net, train, test, settings, seed=seed)


@pytest.mark.parametrize("optimizer, learning_rate, stopped", [
    ("sgd", 0.05, {1: 7, 3: 2, 4: 3}),          # copy: the steps it took before it ran away
    ("momentum", 0.05, {1: 12, 2: 16, 3: 2, 4: 3}),  # its state leaves the stack with it
])
def test_diverging_copies_stop_alone_and_the_others_go_on(optimizer, learning_rate, stopped):
    """Weights that run away grow tenfold in a few steps, and so does any rounding difference:
    theirs compare relatively (observed within 2e-14)."""
    seeds = range(len(DIVERGING_SCALES))
    sweep = Sweep([diverging(seed, optimizer, learning_rate) for seed in seeds])
    sweep.run(steps=STEPS)
    assert sweep.live == [k for k in seeds if k not in stopped]
    swept = sweep.write_back()
    singles = [diverging(seed, optimizer, learning_rate) for seed in seeds]
    for trainer in singles:
        trainer.run(steps=STEPS)
    assert {k: t.step_count for k, t in enumerate(singles) if t.diverged} == stopped
    for got, want in zip(swept, singles):
        assert_same_trainer(got, want, 1e-9, rtol=1e-12)
    assert swept[1].status.startswith(f"diverged at step {stopped[1] + 1}:")
    # a diverged copy keeps its last good weights, finite, and stepping it changes nothing
    before = swept[3].network.params.copy()
    assert np.all(np.isfinite(before)) and not swept[3].step()
    assert np.array_equal(swept[3].network.params, before)


def test_every_copy_diverged_ends_the_run():
    sweep = Sweep([diverging(1), diverging(3)])
    assert sweep.run(steps=STEPS) < 10 and sweep.live == []
    assert sweep.run(steps=5) == 0
    assert all(t.diverged for t in sweep.write_back())


def test_params_reads_every_copy_live_or_stopped():
    sweep = Sweep([diverging(seed) for seed in range(len(DIVERGING_SCALES))])
    sweep.run(steps=20)
    params = sweep.params()
    for row, trainer in zip(params, sweep.write_back()):
        assert np.array_equal(row, trainer.network.params)


def test_train_in_blocks_gives_what_one_sweep_gives(monkeypatch):
    case = {"optimizer": "adam", "learning_rate": 0.01}
    assert sweep_module.block_size(build(0, **case)) >= 1_000  # a small network: one block
    one = Sweep([build(seed, **case) for seed in range(5)])
    one.run(epochs=4)
    monkeypatch.setattr(sweep_module, "BLOCK_BYTES", 2 * 8 * build(0).network.params.size)
    assert sweep_module.block_size(build(0, **case)) == 2
    blocks = train([build(seed, **case) for seed in range(5)], epochs=4)
    for got, want in zip(blocks, one.write_back()):
        assert_same_trainer(got, want, 0.0)  # blocks of 2, 2 and 1 copies: the same numbers
    assert train([]) == []


def test_trainers_that_differ_in_more_than_their_seed_are_refused():
    with pytest.raises(ValueError, match="shape"):
        Sweep([build(0), build(1, sizes=(3, 6, 4, 1))])
    with pytest.raises(ValueError, match="settings"):
        Sweep([build(0), build(1, learning_rate=0.1)])
    with pytest.raises(ValueError, match="data"):
        Sweep([build(0), build(1, data="other-regression")])
    ahead = build(1)
    ahead.run(steps=2)
    with pytest.raises(ValueError, match="same step"):
        Sweep([build(0), ahead])
    frozen = build(1)
    frozen.network.set_frozen(0, 0, 0)
    with pytest.raises(ValueError, match="frozen"):
        Sweep([build(0), frozen])
    with pytest.raises(ValueError):
        Sweep([])


def test_size_check_counts_copies_and_memory():
    trainer = build(0)
    check_size(trainer, 1)
    check_size(trainer, MAX_COPIES)
    for bad in (0, -3, MAX_COPIES + 1, 2.5, True):
        with pytest.raises(Exception, match="1 to 1,000"):
            check_size(trainer, bad)
    assert estimate_bytes(trainer, 10) < estimate_bytes(trainer, 20) < MAX_BYTES


# --- the command line ----------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def one_error_line(status: int, out: str, err: str) -> str:
    assert status == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradstep: error: "), err
    return lines[0]


def sweep_json(capsys, *argv: str) -> dict:
    status, out, err = run(capsys, "sweep", *argv, "--json")
    assert status == 0 and err == ""
    return json.loads(out)


def test_json_holds_each_seed_as_train_prints_it_and_the_summary(capsys):
    result = sweep_json(capsys, "xor", "--seeds", "3", "--steps", "60")
    assert list(result) == ["seeds", "summary"] and len(result["seeds"]) == 3
    for seed, swept in enumerate(result["seeds"]):
        status, out, _ = run(capsys, "train", "xor", "--seed", str(seed), "--steps", "60",
                             "--json")
        single = json.loads(out)
        assert list(swept) == list(single)
        assert [list(layer) for layer in swept["layers"]] == \
            [list(layer) for layer in single["layers"]]
        assert json.dumps(swept) != json.dumps(result["seeds"][(seed + 1) % 3])
        assert_close_json(swept, single)
    summary = result["summary"]
    assert list(summary) == ["layers", "train_loss", "test_loss", "accuracy", "diverged"]
    assert summary["diverged"] == 0 and len(summary["layers"]) == 2
    assert list(summary["layers"][0]) == ["sum", "abs_sum"]
    assert list(summary["train_loss"]) == ["min", "median", "max"]


def assert_close_json(got, want):
    if isinstance(want, dict):
        assert list(got) == list(want)
        for key in want:
            assert_close_json(got[key], want[key])
    elif isinstance(want, list):
        assert len(got) == len(want)
        for a, b in zip(got, want):
            assert_close_json(a, b)
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
    else:
        assert got == want


def test_summary_is_numpy_on_the_seeds_and_the_table_prints_it(capsys):
    argv = ("circle", "--seeds", "7", "--steps", "120")
    result = sweep_json(capsys, *argv)
    seeds, summary = result["seeds"], result["summary"]

    def spread(values):
        return {"min": np.min(values), "median": np.median(values), "max": np.max(values)}

    expected = {"train_loss": spread([r["train_loss"] for r in seeds]),
                "test_loss": spread([r["test_loss"] for r in seeds]),
                "accuracy": spread([r["accuracy"] for r in seeds])}
    for l, layer in enumerate(summary["layers"]):
        for key in ("sum", "abs_sum"):
            assert layer[key] == spread([r["layers"][l][key] for r in seeds])
    for key, want in expected.items():
        assert summary[key] == want
    status, out, err = run(capsys, "sweep", *argv)
    assert status == 0 and err == "" and "\x1b" not in out  # no colour when not a terminal
    printed = table_rows(out)
    for l, layer in enumerate(summary["layers"]):
        assert printed[f"layer {l}"]["Σw"] == pytest.approx(list(layer["sum"].values()),
                                                           rel=1e-5)
        assert printed[f"layer {l}"]["Σ|w|"] == pytest.approx(list(layer["abs_sum"].values()),
                                                             rel=1e-5)
    for key, label in (("train_loss", "train loss"), ("test_loss", "test loss")):
        assert printed[None][label] == pytest.approx(list(summary[key].values()), rel=1e-5)
    assert printed[None]["accuracy"] == pytest.approx(
        [100 * v for v in summary["accuracy"].values()], abs=0.051)


def table_rows(text: str) -> dict:
    """{layer heading or None: {row label: [min, median, max]}} from the sweep's table."""
    rows: dict = {None: {}}
    section = None
    for line in text.splitlines():
        heading = re.match(r"  (layer \d+) \(", line)
        if heading:
            section = heading.group(1)
            rows[section] = {}
            continue
        label = r"(Σw|Σ\|w\||train loss|test loss|accuracy)"
        match = re.match(r"  (  )?" + label + r"\s+(\S+)\s+(\S+)\s+(\S+)$", line)
        if match:
            values = [float(v.rstrip("%")) for v in match.groups()[2:]]
            rows[section if match.group(1) else None][match.group(2)] = values
    return rows


def test_table_shows_every_layer_a_histogram_each_and_the_divergences(capsys):
    status, out, _ = run(capsys, "sweep", "two-three-one", "--seeds", "4", "--epochs", "2")
    assert status == 0
    assert out.startswith("two-three-one: Two-three-one") and "diverged: 0 of 4" in out
    assert "layer 0 (2×3)" in out and "layer 1 (3×1)" in out and "40 steps (2 epochs)" in out
    # Σw and Σ|w| for each layer, train and test loss; no accuracy for regression
    assert out.count("┌") == 6 and re.search(r"accuracy\s+—\s+—\s+—", out)
    widths = {len(line) for line in out.splitlines() if "┌" in line}
    assert max(widths) <= 80
    status, out, _ = run(capsys, "sweep", "standardize", "--seeds", "2")
    assert status == 0 and "diverged: 2 of 2 (seeds 0, 1)" in out


def test_histogram_is_small_and_plain_unless_asked_for_colour():
    plain = cli.histogram([0.5, 1.0, 1.0, 1.5])
    lines = plain.splitlines()
    assert len(lines) == cli.HISTOGRAM_SIZE[1] and max(map(len, lines)) <= cli.HISTOGRAM_SIZE[0]
    assert "\x1b" not in plain and "█" in plain and "0.5" in plain and "1.5" in plain
    assert "\x1b[" in cli.histogram([0.5, 1.0], color=True)
    assert "█" in cli.histogram([2.0, 2.0, 2.0])  # one value: a bar, not an error


def big_scenario(tmp_path) -> str:
    path = tmp_path / "big.toml"
    path.write_text('[data]\nkind = "circle"\nsamples = 100000\n\n[network]\n'
                    'layers = [2, 64, 1]\n')
    return str(path)


@pytest.mark.parametrize("argv, words", [
    (["sweep", "no-such-scenario", "--seeds", "3"], "unknown scenario"),
    (["sweep", "grades", "--seeds", "0"], "from 1 to 1,000, got 0"),
    (["sweep", "grades", "--seeds", "-3"], "from 1 to 1,000, got -3"),
    (["sweep", "grades", "--seeds", "abc"], "from 1 to 1,000, got 'abc'"),
    (["sweep", "grades", "--seeds", "1001"], "from 1 to 1,000, got 1001"),
    (["sweep", "grades", "--seeds", "1e3"], "got '1e3'"),
    (["sweep", "grades"], "--seeds"),
    (["sweep", "grades", "--seeds", "3", "--steps", "0"], "--steps"),
    (["sweep", "grades", "--seeds", "3", "--steps", "4", "--epochs", "2"], "not allowed"),
    (["sweep", "saved.npz", "--seeds", "3"], "give a scenario"),
    (["sweep", "BIG", "--seeds", "1000"], "GB (the limit is 2 GB): use fewer seeds"),
])
def test_bad_input_is_one_line(capsys, tmp_path, argv, words):
    argv = [big_scenario(tmp_path) if word == "BIG" else word for word in argv]
    line = one_error_line(*run(capsys, *argv))
    assert words in line


# --- the lessons across 50 seeds ----------------------------------------------------------------


def test_lesson_grades_weights_sum_to_one_for_every_seed(capsys):
    """The target is a weighted average, so the shares the neuron learns sum to 1: from each
    of 50 batch orders (the weights all start at zero)."""
    result = sweep_json(capsys, "grades", "--seeds", "50")
    sums = np.array([seed["layers"][0]["sum"] for seed in result["seeds"]])
    assert result["summary"]["diverged"] == 0
    assert np.all(np.abs(sums - 1) < 0.02), sums


def test_lesson_two_three_one_weight_sums_wander_across_seeds(capsys):
    """Nothing holds a hidden network's weights to 1: across 50 seeds each layer's Σw spreads
    over several units, on both sides of 0, while every seed fits the plane."""
    result = sweep_json(capsys, "two-three-one", "--seeds", "50")
    assert result["summary"]["diverged"] == 0
    for l in range(2):
        sums = np.array([seed["layers"][l]["sum"] for seed in result["seeds"]])
        assert sums.max() - sums.min() > 2 and sums.min() < 0 < sums.max()
        assert np.mean(np.abs(sums - 1) < 0.1) < 0.2  # most seeds end nowhere near 1
    assert result["summary"]["test_loss"]["max"] < 0.1

"""`gradstep bench`: optimizer steps per second, measured against a minimal numpy loop.

Machines here are shared and noisy, so every figure that matters is a ratio measured in one
run: the trainer and a hand-written loop doing the same arithmetic take turns, several rounds
each, and the best round of each is compared.
"""

import time
from dataclasses import dataclass

import numpy as np

from gradstep.model import Network
from gradstep.scenarios.data import Dataset, load_data
from gradstep.training import Trainer, TrainingSettings


@dataclass(frozen=True)
class Case:
    name: str
    sizes: tuple
    batch: int
    constraint: str = "none"
    readouts_every: int = 0  # read the readouts every k steps, as a screen would


CASES = (
    Case("circle 2-4-2-1, batch 10", (2, 4, 2, 1), 10),
    Case("circle + nonnegative + readouts", (2, 4, 2, 1), 10, "nonnegative", 100),
    Case("deep narrow 2-8x8-1, batch 10", (2,) + (8,) * 8 + (1,), 10),
    Case("wide 400-64-1, batch 32", (400, 64, 1), 32),
)


def _data(case, seed=0):
    if case.sizes[0] == 2:
        train, test = load_data({"kind": "circle", "seed": seed}, None, "bench")
        return train, test
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(500, case.sizes[0]))
    y = np.tanh(x[:, :1])
    data = Dataset(x, y, "regression", 0, tuple(f"x{i}" for i in range(case.sizes[0])), ("y",))
    return data.subset(np.arange(250)), data.subset(np.arange(250, 500))


def make_trainer(case, seed=0):
    train, test = _data(case, seed)
    net = Network(list(case.sizes), "tanh", "tanh", init="uniform", seed=seed,
                  constraint=case.constraint)
    settings = TrainingSettings(learning_rate=0.03, batch_size=case.batch)
    return Trainer(net, train, test, settings, seed=seed)


def hand_loop(trainer, steps, nonnegative=False):
    """The same arithmetic written out plainly: tanh layers, mse, sgd, shuffled mini-batches,
    and a full evaluation of train and test loss at the end of every epoch."""
    ws = [w.copy() for w in trainer.network.weights]
    bs = [b.copy() for b in trainer.network.biases]
    x, y, xt, yt = trainer.x_train, trainer.y_train, trainer.x_test, trainer.y_test
    batch, lr, n = trainer.settings.batch_size, trainer.settings.learning_rate, len(x)
    rng = np.random.default_rng(0)
    position = n
    for _ in range(steps):
        if position >= n:
            order = rng.permutation(n)
            xe, ye, position = x[order], y[order], 0
        acts = [xe[position:position + batch]]
        target = ye[position:position + batch]
        position += batch
        for w, b in zip(ws, bs):
            acts.append(np.tanh(acts[-1] @ w + b))
        diff = acts[-1] - target
        dz = diff * (2.0 / diff.size) * (1 - acts[-1] ** 2)
        for l in range(len(ws) - 1, -1, -1):
            gw, gb = acts[l].T @ dz, dz.sum(axis=0)
            if l:
                dz = (dz @ ws[l].T) * (1 - acts[l] ** 2)
            ws[l] = ws[l] - lr * gw
            if nonnegative:
                ws[l] = np.maximum(ws[l], 0)
            bs[l] = bs[l] - lr * gb
        if position >= n:
            for data, target in ((x, y), (xt, yt)):
                a = data
                for w, b in zip(ws, bs):
                    a = np.tanh(a @ w + b)
                np.mean((a - target) ** 2)
    return ws


def _rate(run, steps):
    start = time.perf_counter()
    run(steps)
    return steps / (time.perf_counter() - start)


def _trainer_run(trainer, case):
    def run(steps):
        if not case.readouts_every:
            trainer.run(steps=steps)
            return
        for _ in range(steps // case.readouts_every):
            trainer.run(steps=case.readouts_every)
            trainer.readouts()
    return run


def bench_case(case, seconds=2.0, rounds=5):
    """Steps/s of the trainer and of the hand loop, best of `rounds` alternating rounds."""
    trainer = make_trainer(case)
    steps = 100
    while True:  # size a round to about seconds / (2 * rounds)
        elapsed = steps / _rate(lambda s: trainer.run(steps=s), steps)
        if elapsed > seconds / (4 * rounds) or steps >= 1_000_000:
            break
        steps *= 2
    ours, hand = [], []
    for _ in range(rounds):
        trainer = make_trainer(case)
        ours.append(_rate(_trainer_run(trainer, case), steps))
        hand.append(_rate(lambda s: hand_loop(trainer, s, case.constraint == "nonnegative"),
                          steps))
    best_ours, best_hand = max(ours), max(hand)
    return {"case": case.name, "steps_per_s": best_ours, "hand_loop_steps_per_s": best_hand,
            "ratio": best_hand / best_ours, "steps_per_round": steps, "rounds": rounds}


def run_bench(seconds=2.0):
    return {"engine": [bench_case(case, seconds) for case in CASES]}


def format_table(results):
    lines = [f"{'engine case':36} {'steps/s':>10} {'hand loop':>10} {'slower by':>10}"]
    for row in results["engine"]:
        lines.append(f"{row['case']:36} {row['steps_per_s']:10,.0f} "
                     f"{row['hand_loop_steps_per_s']:10,.0f} {row['ratio']:9.2f}×")
    lines.append("slower by = hand-loop steps/s ÷ gradstep steps/s, best of alternating rounds "
                 "(target ≤ 1.5×)")
    return "\n".join(lines)

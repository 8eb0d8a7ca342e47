"""Small datasets and trainers for tests, built directly (no scenario file)."""

import numpy as np

from gradstep.model import Network
from gradstep.scenarios.data import Dataset
from gradstep.training import Trainer, TrainingSettings


def regression(n=40, d=3, k=1, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = x @ rng.normal(size=(d, k)) + 0.1 * rng.normal(size=(n, k))
    return Dataset(x, y, "regression", 0, tuple(f"x{i}" for i in range(d)),
                   tuple(f"y{i}" for i in range(k)))


def classes(n=40, d=3, k=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)
    return Dataset(x, y, "classification", k, tuple(f"x{i}" for i in range(d)),
                   tuple(str(c) for c in range(k)))


def empty_like(data):
    return data.subset(np.zeros(len(data), bool))


def trainer(sizes=(3, 4, 1), data=None, *, activations="tanh", output="linear", seed=0,
            test=None, network=None, **settings):
    data = data if data is not None else regression(d=sizes[0], k=sizes[-1])
    net = network or Network(list(sizes), activations, output, seed=seed)
    return Trainer(net, data, test if test is not None else empty_like(data),
                   TrainingSettings(**settings), seed=seed)

"""The digits data and the two digits lessons, trained to the end for seeds 0–4."""

import numpy as np
import pytest

from gradstep.scenarios import load_scenario
from gradstep.scenarios.data import load_data

_trained = {}


def trained(name, seed):
    if (name, seed) not in _trained:
        scenario = load_scenario(name)
        trainer = scenario.build(seed=seed)
        trainer.run(epochs=scenario.settings.epochs)
        _trained[name, seed] = trainer
    return _trained[name, seed]


def test_the_digits_file_loads_whole():
    train, test = load_data({"kind": "digits", "seed": 0}, None, "t")
    assert len(train) + len(test) == 1797 and train.x.shape[1] == 64
    assert train.image == (8, 8) and train.n_classes == 10
    x = np.concatenate([train.x, test.x])
    assert x.min() == 0 and x.max() == 16 and np.allclose(x, np.round(x))
    assert sorted(set(np.concatenate([train.y, test.y]).tolist())) == list(range(10))
    assert train.feature_names[:2] == ("r0c0", "r0c1") and train.feature_names[-1] == "r7c7"


@pytest.mark.parametrize("seed", range(5))
def test_digits_learns_templates_whose_pixel_sums_stay_zero(seed):
    t = trained("digits", seed)
    assert t.evaluate().accuracy >= 0.90
    w = t.network.weights[0]
    assert np.abs(w.sum(axis=1)).max() < 1e-9       # each pixel's ten weights add up to 0
    assert abs(float(w.sum())) < 1e-9                # and so does the whole layer
    assert np.abs(w).max(axis=1).max() > 0.3         # yet some pixels carry large weights
    assert (w > 0).any(axis=0).all() and (w < 0).any(axis=0).all()  # every template has both


@pytest.mark.parametrize("seed", range(5))
def test_digits_hidden_reaches_96_percent_with_sums_far_below_zero(seed):
    t = trained("digits-hidden", seed)
    assert t.evaluate().accuracy >= 0.95
    r = t.readouts()
    assert all(-35 < layer.sum < -8 for layer in r.layers)
    assert r.layers[0].abs_sum > 100

"""Confusion matrix, R² and RMSE against values worked out by hand."""

import json
import math

import numpy as np
import pytest

from gradstep import cli
from gradstep.metrics import confusion, r2, rmse
from gradstep.scenarios import load_scenario


def test_confusion_counts_by_hand():
    truth = [0, 0, 1, 1, 1, 2]
    predicted = [0, 1, 1, 1, 2, 2]
    assert confusion(truth, predicted, 3).tolist() == [[1, 1, 0], [0, 2, 1], [0, 0, 1]]


def test_r2_and_rmse_by_hand():
    truth = np.array([[1.0], [2.0], [3.0], [4.0]])
    predicted = np.array([[1.5], [2.0], [2.5], [4.0]])
    # SS_res = 0.25 + 0 + 0.25 + 0 = 0.5; mean 2.5, SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5
    assert r2(truth, predicted) == pytest.approx(1 - 0.5 / 5)
    assert rmse(truth, predicted) == pytest.approx(math.sqrt(0.5 / 4))
    assert math.isnan(r2(np.ones((3, 1)), np.zeros((3, 1))))


def test_trainer_metrics_follow_the_network_and_use_the_test_split():
    t = load_scenario("circle").build()
    t.run(epochs=5)
    m = t.metrics()
    assert m.split == "test" and m.confusion.sum() == len(t.raw_test)
    assert np.trace(m.confusion) / m.confusion.sum() == pytest.approx(t.evaluate().accuracy)
    assert t.metrics() is m  # cached until something changes
    t.step()
    assert t.metrics() is not m


def test_regression_metrics_on_the_training_split_when_there_is_no_test_split():
    t = load_scenario("plane").build()
    t.run(epochs=10)
    m = t.metrics()
    out = t.predict(t.raw_train.x)
    y = t.raw_train.y
    assert m.split == "train" and m.confusion is None
    assert m.rmse == pytest.approx(float(np.sqrt(np.mean((out - y) ** 2))))
    assert m.r2 == pytest.approx(1 - np.sum((out - y) ** 2) / np.sum((y - y.mean()) ** 2))
    assert m.r2 > 0.99


def test_train_json_has_the_metrics(capsys):
    assert cli.main(["train", "xor", "--epochs", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["confusion"]) == 2 and result["r2"] is None and result["rmse"] is None
    assert cli.main(["train", "plane", "--epochs", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["confusion"] is None and 0 < result["rmse"] and result["r2"] <= 1

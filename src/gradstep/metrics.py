"""The figures people expect beside the loss: a confusion matrix for classes, R² and RMSE for
regression. Pure functions of the true and predicted values (numpy only)."""

from __future__ import annotations

import math

import numpy as np


def confusion(truth: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """(k, k) counts: row i, column j is how many points of class i were predicted j."""
    matrix = np.zeros((k, k), np.int64)
    np.add.at(matrix, (np.asarray(truth, np.int64), np.asarray(predicted, np.int64)), 1)
    return matrix


def r2(truth: np.ndarray, predicted: np.ndarray) -> float:
    """1 − SS_res / SS_tot over every target column; nan when the targets do not vary."""
    truth, predicted = np.asarray(truth, float), np.asarray(predicted, float)
    total = float(np.sum((truth - truth.mean(axis=0)) ** 2))
    if not total > 0:
        return math.nan
    return 1.0 - float(np.sum((truth - predicted) ** 2)) / total


def rmse(truth: np.ndarray, predicted: np.ndarray) -> float:
    """The root of the mean squared error over every target."""
    truth, predicted = np.asarray(truth, float), np.asarray(predicted, float)
    return math.sqrt(float(np.mean((truth - predicted) ** 2))) if truth.size else math.nan

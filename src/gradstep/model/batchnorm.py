"""Batch normalization as torch.nn.BatchNorm1d(n, eps=1e-5, momentum=0.1) computes it.

A normalised layer takes its pre-activation z = a @ W + b and, over the mini-batch (training),
gives the activation y = γ·ẑ + β with ẑ = (z - mean) / sqrt(var + eps): the batch's mean and
biased variance. The running mean and variance move by momentum 0.1 towards the batch's mean
and *unbiased* variance, and evaluation uses them instead of the batch's: ŷ = γ·(z - running
mean) / sqrt(running var + eps) + β, as torch's model.eval() does.

Every function takes a batch (rows, neurons) or a stack of batches (copies, rows, neurons), as
the sweep (gradstep.sweep) steps them: the batch is always axis -2, and γ, β and the statistics
broadcast against it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

EPS = 1e-5
MOMENTUM = 0.1


class Norm(NamedTuple):
    """One hidden layer's batch normalization: scale γ and shift β (parameters, trained), the
    running mean and variance (state, moved by each committed step), and how many training
    batches it has seen (torch's num_batches_tracked)."""

    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    tracked: int = 0

    @classmethod
    def fresh(cls, n: int, dtype) -> Norm:
        """A new layer's, as torch starts one: γ 1, β 0, running mean 0, running variance 1."""
        return cls(np.ones(n, dtype), np.zeros(n, dtype), np.zeros(n, dtype), np.ones(n, dtype))

    def resized(self, n: int, dtype) -> Norm:
        """Surviving neurons keep theirs; new neurons start fresh."""
        keep = min(n, len(self.gamma))
        fresh = Norm.fresh(n, dtype)
        for new, old in zip(fresh[:4], self[:4]):
            new[:keep] = old[:keep]
        return fresh._replace(tracked=self.tracked)

    def astype(self, dtype) -> Norm:
        return Norm(*(np.array(a, dtype) for a in self[:4]), self.tracked)


def normalize(z, gamma, beta):
    """Training form: (y, ẑ, 1/sqrt(var + eps), batch mean, batch biased variance), the
    statistics with the batch axis kept (length 1)."""
    mean = z.mean(axis=-2, keepdims=True)
    centred = z - mean
    var = (centred * centred).mean(axis=-2, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + EPS)
    xhat = centred * inv_std
    return xhat * gamma + beta, xhat, inv_std, mean, var


def running(old_mean, old_var, mean, var, n):
    """The running statistics after a batch of n rows with this mean and biased variance."""
    return ((1 - MOMENTUM) * old_mean + MOMENTUM * mean,
            (1 - MOMENTUM) * old_var + MOMENTUM * (var * (n / (n - 1))))


def evaluate(z, gamma, beta, mean, var):
    """Evaluation form: normalised by the running statistics."""
    return (z - mean) * (gamma / np.sqrt(var + EPS)) + beta


def backward(dy, xhat, inv_std, gamma):
    """(dL/dz, dL/dγ, dL/dβ) from dL/dy of the training form; the gradients of γ and β summed
    over the batch axis."""
    dgamma = (dy * xhat).sum(axis=-2)
    dbeta = dy.sum(axis=-2)
    dxhat = dy * gamma
    dz = inv_std * (dxhat - dxhat.mean(axis=-2, keepdims=True)
                    - xhat * (dxhat * xhat).mean(axis=-2, keepdims=True))
    return dz, dgamma, dbeta

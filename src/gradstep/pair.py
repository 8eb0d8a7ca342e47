"""Two networks learning side by side: A from a scenario, B with some settings changed.

They train in lockstep: the same data, the same batches in the same order (their trainers
share the data and the seed of the shuffle), one step each per step. A pair offers what the
live trainer drives (`run`, `epoch`, `steps_per_epoch`, `diverged`), so a run steps both under
one lock. One that diverges stops as a lone trainer would; the other goes on, and epochs are
then counted by the one still going (its epoch ends where a lone run's would).
"""

from __future__ import annotations

import numpy as np

from gradstep.training import Trainer


class Lockstep:
    def __init__(self, trainers):
        self.trainers = list(trainers)

    @property
    def diverged(self) -> bool:
        """Both stopped: nothing left to step."""
        return all(t.diverged for t in self.trainers)

    @property
    def lead(self) -> Trainer:
        """The trainer that counts the epochs: the first still going (the first when none is)."""
        return next((t for t in self.trainers if not t.diverged), self.trainers[0])

    @property
    def steps_per_epoch(self) -> int:
        return self.lead.steps_per_epoch

    @property
    def step_count(self) -> int:
        return self.lead.step_count

    def run(self, steps=None, epochs=None, stop=None) -> int:
        """As Trainer.run, each step a step of every trainer still going; the steps done."""
        if epochs is not None:
            first = self.lead
            steps = epochs * first.steps_per_epoch
            if first.position < len(first.x_train):
                steps += first.steps_to_epoch_end()
        done = 0
        with np.errstate(all="ignore"):
            for _ in range(steps or 0):
                stepped = [t.step_in_errstate() for t in self.trainers if not t.diverged]
                if not any(stepped):
                    break
                done += 1
                if stop is not None and stop():
                    break
        return done

    def epoch(self) -> int:
        return self.run(steps=self.lead.steps_to_epoch_end())


def copy_of(trainer) -> Trainer:
    """A second trainer in the same state as `trainer`: the same weights, settings, counters
    and history, on the same data (which is never changed in place)."""
    twin = Trainer(trainer.network.spec().build(), trainer.raw_train, trainer.raw_test,
                   trainer.settings, seed=trainer.seed)
    twin.restore(trainer.snapshot())
    return twin

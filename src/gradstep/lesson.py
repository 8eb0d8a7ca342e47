"""A lesson: what a scenario (or a session) is called and what it teaches.

One small value instead of a (name, title, description) triple: the workspace holds it, the
app shows it, session files keep it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gradstep.live import DEFAULT_PACE


@dataclass(frozen=True)
class Lesson:
    name: str = ""       # one word: the scenario's name, used for file names
    title: str = ""      # one line
    text: str = ""       # what to watch and why
    watch: str = ""      # one line: what to watch, shown when there is no room for the text
    pace: float | None = DEFAULT_PACE  # epochs per second `r` plays at; None: as fast as it goes
    focus: tuple[str, ...] = ()  # readout columns the lesson is about, shown first

    @property
    def heading(self) -> str:
        return self.title or self.name or "gradstep"

    @property
    def stem(self) -> str:
        """A file name stem for saves and exports: the name's letters, digits, dots, dashes
        and underscores (a name read from a session may hold anything)."""
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", self.name[:64]).strip(".-")
        return stem or "gradstep"


FOCUS = ("sum", "abs_sum", "sq_sum", "bias_sum", "grad_norm", "mean_abs_activation",
         "signal_mean", "signal_var", "gamma_mean", "beta_mean")
"""The readout columns a lesson may put first: Σw, Σ|w|, Σw², Σb, ‖∇‖, mean|a|, and the signal
each activation takes in (its mean and variance over the last batch), γ and β of batch norm."""

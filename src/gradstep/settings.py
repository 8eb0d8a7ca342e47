"""Training settings: the [training] table of a scenario, the settings form, a session's meta.

Every rule about a setting lives here, once: a scenario file, the settings form and the command
line's --lr all ask `TrainingSettings.checked`, and each error names its field, so a scenario
file can say `[training] learning_rate: ...` without re-reading the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from gradstep.errors import SettingError, field_error
from gradstep.model.losses import LOSSES
from gradstep.model.optimizers import OPTIMIZERS
from gradstep.model.spec import describe, finite, is_whole

MAX_LEARNING_RATE = 1e6
MAX_EPOCHS = 1_000_000
MAX_BATCH = 1_000_000


def _fail(key: str, reason: str) -> SettingError:
    return field_error(SettingError, f"training.{key}", reason)


@dataclass(frozen=True)
class TrainingSettings:
    loss: str = "mse"
    optimizer: str = "sgd"
    learning_rate: float = 0.03
    batch_size: int = 10
    l1: float = 0.0
    l2: float = 0.0
    standardize: bool = False
    epochs: int = 100  # the length of a headless run when none is given

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_mapping(cls, table: Any) -> TrainingSettings:
        """A [training] table (defaults filled in) or a session's settings, checked."""
        if not isinstance(table, Mapping) or not all(isinstance(k, str) for k in table):
            raise field_error(SettingError, "training", f"must be a table of key = value lines, "
                                                        f"got {describe(table)}")
        unknown = [k for k in table if k not in cls.names()]
        if unknown:
            raise SettingError(f"unknown key {describe(unknown[0])}; allowed keys: "
                               f"{', '.join(cls.names())}", field="training")
        return cls(**table).checked()

    def checked(self) -> TrainingSettings:
        """These settings, or SettingError naming the first bad one."""
        for key, allowed in (("loss", LOSSES), ("optimizer", OPTIMIZERS)):
            value = getattr(self, key)
            if not isinstance(value, str) or value not in allowed:
                names = ", ".join(repr(a) for a in allowed)
                raise _fail(key, f"must be one of {names}, got {describe(value)}")
        check_learning_rate(self.learning_rate)
        for key in ("l1", "l2"):
            value = getattr(self, key)
            if finite(value) is None or value < 0:
                raise _fail(key, f"must be a number of at least 0, got {describe(value)}")
        for key, most in (("batch_size", MAX_BATCH), ("epochs", MAX_EPOCHS)):
            value = getattr(self, key)
            if not is_whole(value) or not 1 <= value <= most:
                raise _fail(key, f"must be a whole number from 1 to {most:,}, got {describe(value)}")
        if not isinstance(self.standardize, bool):
            raise _fail("standardize", f"must be true or false, got {describe(self.standardize)}")
        return self

    def changed(self, **changes) -> TrainingSettings:
        """New settings with some changed, checked; SettingError for an unknown or bad one."""
        unknown = sorted(set(changes) - set(self.names()))
        if unknown:
            raise SettingError(f"unknown setting {unknown[0]!r}")
        return replace(self, **changes).checked()

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.names()}


def check_learning_rate(value: Any) -> float:
    """A learning rate above 0 and at most MAX_LEARNING_RATE, as a float."""
    number = finite(value)
    if number is None or not 0 < number <= MAX_LEARNING_RATE:
        raise _fail("learning_rate", f"must be a number above 0 and at most "
                                     f"{MAX_LEARNING_RATE:g}, got {describe(value)}")
    return number

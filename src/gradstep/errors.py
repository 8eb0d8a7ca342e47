"""Errors a person can cause. Each message is one line, shown as it is.

An error may name the field it concerns ("network.layers", "training.learning_rate"), so a
scenario file can point at the key a person wrote without re-reading the message text.
"""


class GradstepError(Exception):
    """Bad input from a person: the message says what is wrong and what is allowed.

    field: "table.key" the error concerns, or None. reason: the message without the field's
    name, phrased to follow "key: " (a scenario file prints `[table] key: reason`)."""

    def __init__(self, message: str, *, field: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.field = field
        self.reason = reason if reason is not None else message


class ScenarioError(GradstepError):
    """A scenario file, its data or a CSV file is not usable."""


class EditError(GradstepError):
    """An edit of the network that cannot be made; nothing was changed."""


class SettingError(GradstepError):
    """A training setting out of range or of the wrong kind; nothing was changed."""


def field_error(cls, field: str, reason: str):
    """An error of type cls about one field: "key reason" alone, `[table] key: reason` in a file."""
    key = field.rsplit(".", 1)[-1]
    return cls(f"{key} {reason}", field=field, reason=reason)

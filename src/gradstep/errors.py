"""Errors a person can cause. Each message is one line, shown as it is."""


class GradstepError(Exception):
    """Bad input from a person: the message says what is wrong and what is allowed."""


class ScenarioError(GradstepError):
    """A scenario file, its data or a CSV file is not usable."""


class EditError(GradstepError):
    """An edit of the network that cannot be made; nothing was changed."""


class SettingError(GradstepError):
    """A training setting out of range or of the wrong kind; nothing was changed."""

"""App-wide messages."""

from textual.message import Message


class TrainerChanged(Message):
    """The network or the settings changed by a person's hand: redraw everything now."""


class TrainingStopped(Message):
    """The continuous-training worker stopped (paused, or the network diverged)."""

    def __init__(self, diverged: bool, worker) -> None:
        super().__init__()
        self.diverged = diverged
        self.worker = worker

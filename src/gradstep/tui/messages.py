"""App-wide messages."""

from textual.message import Message


class TrainingStopped(Message):
    """A run ended by itself (the network diverged); posted from the training thread."""

    def __init__(self, diverged: bool) -> None:
        super().__init__()
        self.diverged = diverged

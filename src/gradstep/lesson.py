"""A lesson: what a scenario (or a session) is called and what it teaches.

One small value instead of a (name, title, description) triple: the workspace holds it, the
app shows it, session files keep it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Lesson:
    name: str = ""       # one word: the scenario's name, used for file names
    title: str = ""      # one line
    text: str = ""       # what to watch and why

    @property
    def heading(self) -> str:
        return self.title or self.name or "gradstep"

    @property
    def stem(self) -> str:
        """A file name stem for saves and exports: the name's letters, digits, dots, dashes
        and underscores (a name read from a session may hold anything)."""
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", self.name[:64]).strip(".-")
        return stem or "gradstep"

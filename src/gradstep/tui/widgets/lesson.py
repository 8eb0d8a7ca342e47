"""The scenario's title and description: what to try and what to notice."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

TAKEAWAY = ("Weights need not add up to 1 like grade percentages: watch Σw move freely. "
            "Only softmax outputs sum to 1.")


class Lesson(Static):
    DEFAULT_CSS = """
    Lesson {
        height: auto;
        max-height: 12;
        padding: 0 1;
        border: round $accent;
        border-title-color: $accent;
    }
    """

    def show(self, lesson) -> None:
        """Show a Lesson (gradstep/lesson.py): its title above, its text inside."""
        self.border_title = f"lesson: {lesson.heading}"
        self.border_subtitle = "l hides or shows this"
        text = Text(lesson.text.strip() or lesson.heading)
        text.append("\n")
        text.append(TAKEAWAY, style="italic dim")
        self.update(text)

"""The scenario's title and description: what to try and what to notice.

Both came from a file: shown as plain text (never markup), control characters visible."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from gradstep.text import printable

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
        heading = printable(lesson.heading, 200)
        self.border_title = Text(f"lesson: {heading}")  # a Text: a title is not markup
        self.border_subtitle = "l hides or shows this"
        text = Text(printable(lesson.text.strip(), 20_000, lines=True) or heading)
        text.append("\n")
        text.append(TAKEAWAY, style="italic dim")
        self.update(text)

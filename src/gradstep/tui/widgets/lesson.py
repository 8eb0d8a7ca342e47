"""The open lesson: its title and text in a box, or, when room is short, one line saying what
to watch (`l` switches). Everything here came from a file: shown as plain text, never markup,
control characters made visible (text.py).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from gradstep.text import printable


class Lesson(Static):
    DEFAULT_CSS = """
    Lesson {
        height: auto;
        padding: 0 1;
        border: round $accent;
        border-title-color: $accent;
    }
    Lesson.-short {
        border: none;
        height: 1;
        padding: 0 1;
        background: $accent 20%;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lesson = None
        self.short = False

    def show(self, lesson, short: bool | None = None) -> None:
        """Show a Lesson (gradstep/lesson.py); short: one line only (None keeps the mode)."""
        self.lesson = lesson
        if short is not None:
            self.short = short
        self.set_class(self.short, "-short")
        if self.short:
            self.border_title = None
            self.border_subtitle = None
            self.update(self._one_line())
            return
        self.border_title = Text(f"lesson: {printable(lesson.heading, 200)}")
        self.border_subtitle = "l: one line"
        self.update(self._full())

    def _watch(self) -> str:
        lesson = self.lesson
        watch = lesson.watch or (lesson.text.split(". ")[0].strip() if lesson.text else "")
        return printable(watch, 300)

    def _one_line(self) -> Text:
        """What to watch first (a narrow screen cuts the end), then the title."""
        text = Text(no_wrap=True, overflow="ellipsis")
        watch = self._watch()
        if watch:
            text.append("watch: ", style="dim")
            text.append(watch, style="bold")
            text.append("  ·  ", style="dim")
        text.append(self.lesson.heading)
        text.append("  (l: the whole lesson)", style="dim")
        return text

    def _full(self) -> Text:
        lesson = self.lesson
        text = Text(printable(lesson.text.strip(), 20_000, lines=True)
                    or printable(lesson.heading, 200))
        if lesson.watch:
            text.append("\nwatch: ", style="bold")
            text.append(printable(lesson.watch, 300), style="bold")
        return text

    def rows_needed(self, width: int) -> int:
        """Rows the whole lesson takes at this width, border included."""
        if self.lesson is None:
            return 3
        inner = max(10, width - 4)
        lines = 0
        for paragraph in self._full().plain.split("\n"):
            words, line = paragraph.split(), 0
            lines += 1
            for word in words:
                if line and line + 1 + len(word) > inner:
                    lines += 1
                    line = len(word)
                else:
                    line += (1 if line else 0) + len(word)
        return lines + 2

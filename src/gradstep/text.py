"""Text that came from a file, made safe to show: on a terminal, in the app, in an error.

A scenario's title, a session's status, a CSV file's column names: anything read from a file
may hold control characters (an escape sequence that retitles or clears the terminal, writes
the clipboard), lone surrogates (which cannot be encoded to print) or Rich markup. `printable`
makes control characters visible as escapes (`\\x1b`), so nothing reaches the terminal as a
command, and cuts long text to a limit. Markup is the caller's to switch off (`markup=False`,
`rich.text.Text`): the brackets themselves are harmless text.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

# C0 and C1 controls, DEL, bidirectional overrides and isolates, line and paragraph
# separators, and lone surrogates (text decoded from JSON may hold them).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
                     "\u2028\u2029\ud800-\udfff]")
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e"
                                "\u2066-\u2069\u2028\u2029\ud800-\udfff]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: object, limit: int | None = None, *, lines: bool = False) -> str:
    """`text` with every control character shown as an escape (`\\x1b`), cut to `limit`
    characters with an ellipsis. With lines=True, newlines and tabs are kept (a lesson's
    paragraphs); otherwise they are escaped too, so the result is one line."""
    text = text if isinstance(text, str) else str(text)
    if limit is not None and len(text) > limit:
        text = text[:max(limit - 1, 0)]
        cut = True
    else:
        cut = False
    pattern = _UNSAFE_KEEP_LINES if lines else _UNSAFE
    shown = pattern.sub(_visible, text)
    if limit is not None and len(shown) > limit:
        shown = shown[:max(limit - 1, 0)]
        cut = True
    return shown + ELLIPSIS if cut else shown


def quoted(text: object, limit: int = 40) -> str:
    """A short excerpt of file-borne text for an error message: printable, cut, in quotes."""
    return "'" + printable(text, limit) + "'"


def one_line(text: object, limit: int | None = None) -> str:
    """Whitespace runs (newlines included) as one space, then printable: an error message."""
    text = text if isinstance(text, str) else str(text)
    return printable(" ".join(text.split()), limit)

"""TOML and JSON parsed within bounds: nesting depth and number length are checked by a cheap
scan before the parser runs, so a crafted file meets a one-line error instead of Python's
recursion limit (a RecursionError thousands of lines long) or its limit on converting long
digit strings to int (a ValueError at 4,300 digits).

The scan blanks out strings and comments with one regular expression, then counts brackets
and looks for long number-like tokens in what is left; it runs at C speed on files of tens of
megabytes. Each refusal is a ParseLimit (a ValueError) whose message follows "file: ".
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

MAX_DEPTH = 32           # nested arrays and tables; gradstep's own files nest 4 deep at most
MAX_NUMBER_CHARS = 64    # characters in one number (a float64 needs 25)

_JSON_STRING = r'"(?:[^"\\]|\\[\s\S])*"'
_TOML_STRINGS = (r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""' r"|'''[\s\S]*?'''"
                 r'|"(?:[^"\\\n]|\\.)*"' r"|'[^'\n]*'" r"|#[^\n]*")
_JSON_BLANK = re.compile(_JSON_STRING)
_TOML_BLANK = re.compile(_TOML_STRINGS)
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_.+\-:]{%d,}" % MAX_NUMBER_CHARS)
_BRACKETS = re.compile(r"[^\[\]{}]+")


class ParseLimit(ValueError):
    """A file beyond the parsing bounds; the message follows "file: "."""


def _check(stripped: str, max_depth: int) -> None:
    number = _NUMBER.search(stripped)
    if number:
        raise ParseLimit(f"holds a number of more than {MAX_NUMBER_CHARS} characters "
                         f"(at most {MAX_NUMBER_CHARS} are read)")
    brackets = _BRACKETS.sub("", stripped).encode("ascii")
    if not brackets:
        return
    codes = np.frombuffer(brackets, np.uint8)
    depth = np.cumsum(np.where((codes == ord("[")) | (codes == ord("{")), 1, -1),
                      dtype=np.int64)
    if int(depth.max()) > max_depth:
        raise ParseLimit(f"nests arrays or tables more than {max_depth} deep (at most "
                         f"{max_depth} are read)")


def check_toml(text: str, max_depth: int = MAX_DEPTH) -> None:
    """ParseLimit when a TOML text nests too deep or holds an overlong number."""
    _check(_TOML_BLANK.sub('""', text), max_depth)


def check_json(text: str, max_depth: int = MAX_DEPTH) -> None:
    """ParseLimit when a JSON text nests too deep or holds an overlong number."""
    _check(_JSON_BLANK.sub('""', text), max_depth)


def loads_json(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads within the bounds; ValueError (one line) for anything it cannot read."""
    check_json(text, max_depth)
    try:
        return json.loads(text)
    except RecursionError:  # not reached after the scan; kept as the last line of defence
        raise ParseLimit(f"nests more than {max_depth} deep") from None
    except ValueError as error:  # JSONDecodeError, and int conversion past its limit
        raise ValueError(" ".join(str(error).split())[:200]) from None


def loads_toml(text: str, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """tomllib.loads within the bounds; tomllib.TOMLDecodeError or ParseLimit otherwise."""
    import tomllib
    check_toml(text, max_depth)
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ParseLimit(f"nests more than {max_depth} deep") from None
    except tomllib.TOMLDecodeError:
        raise
    except ValueError as error:  # int conversion past its limit
        raise ParseLimit(" ".join(str(error).split())[:200]) from None

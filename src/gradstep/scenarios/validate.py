"""Checks for the tables of a scenario file, each failing with a one-line ScenarioError.

Every helper reads one key of one table (a dict parsed by tomllib) and either returns a
clean Python value or raises ScenarioError with a message of the form

    presets/x.toml: [data] noise: must be a number of at least 0, got 'abc'

naming the place (`where`, usually the scenario file path), the table (`section`), the key,
what is allowed and what was found. Leave `default` out to make a key required.
bools are never accepted as numbers, and numbers must be finite (TOML allows nan and inf).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from gradstep.errors import ScenarioError

__all__ = [
    "REQUIRED",
    "describe",
    "fail",
    "check_keys",
    "require_table",
    "require_int",
    "require_number",
    "require_str",
    "require_choice",
    "require_number_list",
    "require_str_list",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""The default of a key that must be given."""


def describe(value: Any, limit: int = 40) -> str:
    """A short one-line rendering of a value for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fail(where: str, section: str, key: str | None, message: str) -> ScenarioError:
    """Build (not raise) the error `where: [section] key: message` on one line."""
    place = f"{where}: [{section}]" + (f" {key}" if key else "")
    return ScenarioError(" ".join(f"{place}: {message}".splitlines()))


def check_keys(table: Mapping[str, Any], allowed: Iterable[str], where: str, section: str) -> None:
    """Reject any key of `table` not in `allowed`, listing the allowed keys."""
    allowed = list(allowed)
    unknown = [key for key in table if key not in allowed]
    if unknown:
        names = ", ".join(describe(key) for key in unknown)
        raise fail(where, section, None, f"unknown key {names}; allowed keys: {', '.join(allowed)}")


def require_table(value: Any, where: str, section: str) -> Mapping[str, Any]:
    """The table itself: a mapping with string keys."""
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise fail(where, section, None, f"must be a table of key = value lines, got {describe(value)}")
    return value


def _range_text(noun: str, minimum: float | None, maximum: float | None, below: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"must be {noun} from {minimum} to {maximum}"
    if minimum is not None and below is not None:
        return f"must be {noun} from {minimum} up to but not including {below}"
    if minimum is not None:
        return f"must be {noun} of at least {minimum}"
    if maximum is not None:
        return f"must be {noun} of at most {maximum}"
    if below is not None:
        return f"must be {noun} below {below}"
    return f"must be {noun}"


def _in_range(value: float, minimum: float | None, maximum: float | None, below: float | None) -> bool:
    return (
        (minimum is None or value >= minimum)
        and (maximum is None or value <= maximum)
        and (below is None or value < below)
    )


def _get(table: Mapping[str, Any], key: str, where: str, section: str, default: Any) -> Any:
    if key in table:
        return table[key]
    if default is REQUIRED:
        raise fail(where, section, key, "is required")
    return default


def require_int(
    table: Mapping[str, Any],
    key: str,
    where: str,
    section: str,
    default: Any = REQUIRED,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """An integer (not a bool, not a float) within [minimum, maximum]."""
    value = _get(table, key, where, section, default)
    if isinstance(value, bool) or not isinstance(value, int) or not _in_range(value, minimum, maximum, None):
        allowed = _range_text("an integer", minimum, maximum, None)
        raise fail(where, section, key, f"{allowed}, got {describe(value)}")
    return value


def _number(value: Any) -> float | None:
    """value as a finite float, or None if it is not a finite int or float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return number if math.isfinite(number) else None


def require_number(
    table: Mapping[str, Any],
    key: str,
    where: str,
    section: str,
    default: Any = REQUIRED,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    below: float | None = None,
) -> float:
    """A finite int or float, returned as float, within [minimum, maximum] and < below."""
    value = _get(table, key, where, section, default)
    number = _number(value)
    if number is None or not _in_range(number, minimum, maximum, below):
        allowed = _range_text("a number", minimum, maximum, below)
        raise fail(where, section, key, f"{allowed}, got {describe(value)}")
    return number


def require_str(
    table: Mapping[str, Any], key: str, where: str, section: str, default: Any = REQUIRED
) -> str:
    """A non-empty string."""
    value = _get(table, key, where, section, default)
    if not isinstance(value, str) or not value.strip():
        raise fail(where, section, key, f"must be a non-empty string, got {describe(value)}")
    return value


def require_choice(
    table: Mapping[str, Any],
    key: str,
    where: str,
    section: str,
    choices: Iterable[str],
    default: Any = REQUIRED,
) -> str:
    """One of the strings in `choices`."""
    choices = list(choices)
    value = _get(table, key, where, section, default)
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise fail(where, section, key, f"must be one of {allowed}, got {describe(value)}")
    return value


def _length_text(min_length: int, max_length: int | None) -> str:
    if max_length is None:
        return f"at least {min_length}"
    if max_length == min_length:
        return f"exactly {min_length}"
    return f"{min_length} to {max_length}"


def require_number_list(
    table: Mapping[str, Any],
    key: str,
    where: str,
    section: str,
    default: Any = REQUIRED,
    *,
    min_length: int = 1,
    max_length: int | None = None,
) -> list[float]:
    """A list of finite numbers (as floats) with min_length..max_length items."""
    value = _get(table, key, where, section, default)
    numbers = [_number(item) for item in value] if isinstance(value, list) else None
    if (
        numbers is None
        or None in numbers
        or len(numbers) < min_length
        or (max_length is not None and len(numbers) > max_length)
    ):
        count = _length_text(min_length, max_length)
        raise fail(where, section, key, f"must be a list of {count} numbers, got {describe(value)}")
    return numbers  # type: ignore[return-value]


def require_str_list(
    table: Mapping[str, Any],
    key: str,
    where: str,
    section: str,
    default: Any = REQUIRED,
    *,
    min_length: int = 1,
    max_length: int | None = None,
    unique: bool = True,
) -> list[str]:
    """A list of non-empty strings with min_length..max_length items, no repeats if unique."""
    value = _get(table, key, where, section, default)
    count = _length_text(min_length, max_length)
    if (
        not isinstance(value, list)
        or not all(isinstance(item, str) and item.strip() for item in value)
        or len(value) < min_length
        or (max_length is not None and len(value) > max_length)
    ):
        raise fail(where, section, key, f"must be a list of {count} non-empty strings, got {describe(value)}")
    if unique and len(set(value)) != len(value):
        repeated = next(item for item in value if value.count(item) > 1)
        raise fail(where, section, key, f"names {repeated!r} more than once")
    return list(value)

import pytest

from hostile_tools import one_error_line, run_cli


@pytest.fixture
def refuse(capsys):
    """refuse(*argv) -> the one error line of a refused command (exit 2, nothing on stdout)."""
    return lambda *argv: one_error_line(*run_cli(capsys, *argv))

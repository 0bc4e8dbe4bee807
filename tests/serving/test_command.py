"""`timeline serve` on the command line: its help, its options, and the line that says how to
install the server when it is missing. (tests/test_wheel.py runs the installed command.)"""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from timeline.cli import main


def test_help_names_the_options_and_the_extra() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--db", "--root-path", "timeline[serve]"):
        assert option in result.output


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_bad_port_is_a_usage_error(port: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--port", port])
    assert result.exit_code == 2
    assert "--port" in result.output


@pytest.mark.parametrize("missing", ["uvicorn", "starlette"])
def test_without_the_extra_it_says_how_to_install_it(
    missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 4
    assert result.output == (
        f"Error: serving needs {missing}, which is not installed: pip install 'timeline[serve]'\n"
    )

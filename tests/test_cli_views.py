"""Commands that only read run inside one read-only view of the store; the others do not."""

from __future__ import annotations

import click
import pytest

from cli.app import READ_ONLY_COMMANDS, AppContext
from tests.store.helpers import note
from timeline.cli import main
from timeline.store import EventQuery


@pytest.mark.parametrize("read_only", [True, False])
def test_a_command_that_only_reads_gets_a_view(db_url: str, read_only: bool) -> None:
    with click.Context(main) as ctx:
        app = AppContext(db_url, read_only=read_only, hold=ctx.with_resource)
        app.store.catalog.names()  # the first read: the view's state is now fixed
        writer = AppContext(db_url)
        writer.store.catalog.create("libya", "UTC")
        writer.store.log.append([note("libya", "2020", "meanwhile")])
        seen = list(app.store.log.select(EventQuery()))
        if read_only:
            assert seen == []
            assert app.store.catalog.names() == []
            with pytest.raises(RuntimeError, match="read-only view"):
                app.store.log.append([note("libya", "2020", "refused")])
        else:
            assert len(seen) == 1


def test_the_commands_that_only_read_are_commands() -> None:
    assert READ_ONLY_COMMANDS.issubset(main.commands)

"""The errors the library raises for bad input and failed operations.

The CLI maps each class to an exit code in one place; the message of every error is one line
that names the value and where it was (file:row, field), so it can be shown as it is.
"""

from __future__ import annotations


class TimelineError(Exception):
    """Base of every error meant for the person at the terminal (exit 1).

    `subject` names the argument of the call the error is about ("timeline", "at",
    "as_known", "entity", ...) when it is about one: the message names the value, and a
    client (the CLI, a web server) says which of its own parameters carried it.
    """

    exit_code = 1

    def __init__(self, message: str = "", *, subject: str | None = None) -> None:
        # However long the value it quotes, a message stays a line a person reads.
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 3] + "..."
        super().__init__(message)
        self.subject = subject


# The longest message an error carries (timeline.limits shortens the values it quotes first).
MAX_MESSAGE = 1000


class InvalidInput(TimelineError):
    """A value the user gave or a document they imported is malformed (exit 2 from the CLI)."""

    exit_code = 2


class ValidationError(InvalidInput):
    """An event does not fit its kind's schema; names the field and the value."""

    def __init__(self, message: str, *, field: str | None = None, where: str | None = None):
        self.field = field
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class NotFound(TimelineError):
    """An event, timeline or entity that was named does not exist (the name given was
    wrong, so exit 2 like any other bad argument)."""

    exit_code = 2


class UnknownEntity(InvalidInput):
    """A name that matches no actor or place, or more than one."""


class NoTimeline(InvalidInput):
    """The database holds no timeline at all, so there is none to pick (exit 2)."""


class LockTimeout(TimelineError):
    """Another writer held the database longer than we were willing to wait (exit 3)."""

    exit_code = 3


class SourceUnavailable(TimelineError):
    """A source file or URL could not be read at all (exit 3 for imports)."""

    exit_code = 3


class ImportFailed(TimelineError):
    """An import stopped part-way on a fault of neither its input nor its options (the
    database refused a write): exit 5, never 1, which says the good records went in."""

    exit_code = 5


class IntegrityError(TimelineError):
    """The hash chain does not verify."""


class SchemaMismatch(TimelineError):
    """The database's schema is not the one this version of timeline uses, and it was not
    changed on its own (exit 4: an operator has to act, which no retry will do)."""

    exit_code = 4


class SchemaUpgradeRequired(SchemaMismatch):
    """The schema is older than this version's, on a backend upgraded only on purpose
    (PostgreSQL): `timeline db upgrade` brings it to the head."""


class SchemaTooNew(SchemaMismatch):
    """The schema is at a revision this version does not know: a newer version upgraded it."""

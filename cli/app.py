"""The `timeline` group, its shared options, and the one place errors become exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import click

from timeline import __version__
from timeline.errors import NoTimeline, TimelineError

if TYPE_CHECKING:
    from timeline.store import Store

# Nothing here or in the command modules imports the library at start-up (SQLAlchemy, rich,
# the projections...): each command imports what it uses in its body, so that `--version`,
# `--help` and mistyped options answer at the cost of importing click (see bench/startup.py).

EXIT_FAILED = 1
EXIT_USAGE = 2


# Commands that only read: pointed at a SQLite file that does not exist, they say so and
# create nothing (the default database excepted: the first `timeline at` makes and seeds it).
READ_ONLY_COMMANDS = frozenset(
    {"at", "diff", "history", "timelines", "events", "show", "export", "imports", "verify"}
    | {"map", "chart", "report"}
)


class AppContext:
    """What every command shares: the database, opened on first use."""

    def __init__(
        self,
        db: str | None,
        *,
        read_only: bool = False,
        hold: Callable[[AbstractContextManager[Store]], Store] | None = None,
    ) -> None:
        self.db = db
        self.read_only = read_only
        # Keeps a context open until the command ends (click's `Context.with_resource`).
        self._hold = hold
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The store, opened (and migrated, and seeded if it is the new default) on first use."""
        if self._store is None:
            from timeline import api

            store = api.open_store(
                self.db,
                announce=lambda line: click.echo(line, err=True),
                must_exist=self.read_only,
            )
            if self.read_only and self._hold is not None:
                # Every read of a command that only reads sees one state of the database,
                # whatever an import commits meanwhile (and on PostgreSQL its reads share one
                # transaction instead of opening one each).
                store = self._hold(store.reading())
            self._store = store
        return self._store


class TimelineCommand(click.Command):
    """A command that leaves itself in the context's shared `meta`, so that an error raised
    while it ran can name the command's own parameter (see `TimelineGroup.invoke`)."""

    def invoke(self, ctx: click.Context) -> Any:
        ctx.meta[_COMMAND_KEY] = self
        return super().invoke(ctx)

    def make_parser(self, ctx: click.Context) -> Any:
        """Click's parser, made to refuse an option given twice that takes one value: left
        alone, `events -e sirte -e derna` would silently keep only the last."""
        parser = super().make_parser(ctx)
        parse = parser.parse_args

        def parse_args(args: list[str]) -> Any:
            opts, rest, order = parse(args)
            seen: set[str] = set()
            for param in order:
                if not isinstance(param, click.Option) or param.multiple or param.count:
                    continue
                if param.is_flag or param.name is None:
                    continue
                if param.name in seen:
                    label = max(param.opts, key=len)
                    raise click.UsageError(
                        f"{label} is given more than once; it takes one value", ctx
                    )
                seen.add(param.name)
            return opts, rest, order

        parser.parse_args = parse_args  # type: ignore[method-assign]
        return parser


class TimelineGroup(click.Group):
    """A group that turns library errors into one line on stderr and a documented exit code."""

    command_class = TimelineCommand
    # Subgroups (`timeline db`) are of this class too.
    group_class = type

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; usage errors too are one line (click's own are four)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as err:
            hint = f" (see '{err.ctx.command_path} --help')" if err.ctx is not None else ""
            _fail(f"{err.format_message()}{hint}", err.exit_code)
        except click.ClickException as err:
            _fail(err.format_message(), err.exit_code)
        except click.exceptions.Abort:
            _fail("aborted", 1)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NoTimeline as err:
            # What to type next is the command line's to say.
            message = _with_parameter(str(err), err.subject, ctx.meta.get(_COMMAND_KEY))
            _fail(
                f"{message}; create one with `timeline create NAME --zone ZONE` or load the "
                "shipped ones with `timeline seed`",
                err.exit_code,
            )
        except TimelineError as err:
            _fail(_with_parameter(str(err), err.subject, ctx.meta.get(_COMMAND_KEY)), err.exit_code)
        except OSError as err:
            if isinstance(err, BrokenPipeError):
                _closed_pipe()
            name = f" {err.filename!r}" if getattr(err, "filename", None) else ""
            _fail(f"{err.strerror or err}{':' if name else ''}{name}", EXIT_FAILED)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as err:
            if not _is_database_error(err):
                raise
            _fail(f"database error: {_first_line(err)}", EXIT_FAILED)


_COMMAND_KEY = "timeline.command"


def _with_parameter(message: str, subject: str | None, command: click.Command | None) -> str:
    """The library names the value and which argument of its call carried it (`subject`);
    the command line names its own parameter for it: `--as-known: ...`, `DATE: ...`."""
    if subject is None:
        return message
    # The command's own parameters first, then the options every command shares (`--db`).
    for param in [*(command.params if command is not None else ()), *main.params]:
        names = {param.name, *(opt.lstrip("-") for opt in param.opts)}
        if names & {subject, f"{subject}s"} or subject in (param.metavar or "").lower():
            if isinstance(param, click.Option):
                label = max(param.opts, key=len)
            else:
                label = (param.metavar or (param.name or subject).upper()).rstrip(".")
            return f"{label}: {message}"
    return message


def _closed_pipe() -> None:
    """The reader of stdout went away (`timeline at DATE | head -3`): stop quietly with 0, as
    other tools do. stdout is pointed at /dev/null first, or Python's flush of it at exit would
    fail again and print a traceback."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test's capture): nothing will flush it at exit
    sys.exit(0)


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _is_database_error(err: BaseException) -> bool:
    """Whether `err` is one of SQLAlchemy's errors, without importing SQLAlchemy: a command
    that never imported it cannot have raised one."""
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(err, exc.SQLAlchemyError)


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__


class DatabaseOption(click.Option):
    """--db, whose help names the default database's path: worked out only when help is
    shown, so that no other command pays for platformdirs."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        """The option's help, with the default file's path where it lives on this machine."""
        record = super().get_help_record(ctx)
        if record is None:
            return None
        import platformdirs

        # The same path as timeline.database.default_path, which imports SQLAlchemy.
        path = f"{platformdirs.user_data_dir('timeline', appauthor=False)}/timeline.db"
        return record[0], record[1].replace("DEFAULT_PATH", path)


@click.group(cls=TimelineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    cls=DatabaseOption,
    metavar="URL",
    envvar="TIMELINE_DB",
    help="Database URL: sqlite:///PATH or postgresql://USER@HOST/DB; env TIMELINE_DB "
    "(default: the SQLite file DEFAULT_PATH; `timeline db current` says which is in use).",
)
@click.version_option(__version__, prog_name="timeline", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """An event-sourced database of armed-conflict timelines.

    Every fact is an immutable event with a fuzzy date and sources; `timeline at DATE` folds
    them into the state of the conflict at that date, and `--as-known` replays what the
    database knew at an earlier time.
    """
    ctx.obj = AppContext(
        db, read_only=ctx.invoked_subcommand in READ_ONLY_COMMANDS, hold=ctx.with_resource
    )


pass_app = click.make_pass_decorator(AppContext)

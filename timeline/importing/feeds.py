"""Named live feeds: a dataset API URL and the timeline it feeds, stored without credentials,
so that the nightly job is one line (`timeline feeds run --quiet`).

Each feed runs as its own import (recorded in the imports ledger under the feed's name, with
its own high-water mark); a feed that fails does not stop the others, and the outcome of the
whole is the worst of theirs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from timeline import lookups
from timeline.errors import InvalidInput, TimelineError
from timeline.importers.http import clean_url
from timeline.importers.sources import Rejection
from timeline.importing.run import (
    ImportOptions,
    ImportReport,
    ProgressHandler,
    RejectHandler,
    run_import,
)
from timeline.importing.sources import is_url
from timeline.store import Feed, Store

__all__ = ["FEED_FORMATS", "FeedOutcome", "add_feed", "check_feed_url", "run_feeds"]

FEED_FORMATS = ("acled", "ucdp")
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
# Exit codes of a feed's run, as `timeline import` has them.
EXIT_OK, EXIT_REJECTED, EXIT_FAILED = 0, 1, 5


def check_feed_url(fmt: str, url: str) -> None:
    """Refuse a URL that is not the dataset's API, or that carries credentials (a feed is
    stored, and credentials belong in the environment of the run)."""
    if fmt not in FEED_FORMATS:
        raise InvalidInput(f"{fmt!r} is not one of {', '.join(FEED_FORMATS)}", subject="fmt")
    if not is_url(url):
        raise InvalidInput(f"{clean_url(url)!r} is not an http(s) URL", subject="url")
    if fmt == "ucdp":
        from timeline.importers.ucdp_api import parse_ucdp_url

        parse_ucdp_url(url)
        return
    from timeline.importers.acled_api import api_url_params, parse_api_url

    parse_api_url(url)
    api_url_params(url)
    if "/api/" not in clean_url(url):
        raise InvalidInput(
            f"{clean_url(url)}: not a URL of ACLED's API (…/api/acled/read?...)", subject="url"
        )


def add_feed(store: Store, name: str, fmt: str, url: str, timeline: str | None) -> Feed:
    """Store a feed named `name` reading `url` (ACLED's or UCDP's API) into `timeline`."""
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"{name!r} is not a feed name (lower-case letters, digits, '-', '_' or '.', "
            "at most 64)",
            subject="name",
        )
    check_feed_url(fmt, url)
    info = lookups.pick_timeline(store, timeline)
    return store.feeds.add(name, info.name, fmt, url.strip())


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """How one feed's run went: its report, or the error that stopped it, and its exit code
    (0 imported, 1 some records rejected, 5 every record rejected, 2 or more as the error
    says)."""

    feed: str
    exit_code: int
    report: ImportReport | None = None
    error: str | None = None

    def line(self, dry_run: bool = False) -> str:
        """One line: ``libya-acled: imported 3 new, ...`` or ``libya-acled: failed: ...``."""
        if self.report is not None:
            return f"{self.feed}: {self.report.summary(dry_run=dry_run)}"
        return f"{self.feed}: failed: {self.error}"


def run_feeds(
    store: Store,
    names: Sequence[str],
    options: ImportOptions,
    *,
    on_reject: RejectHandler | None = None,
    on_progress: ProgressHandler | None = None,
) -> list[FeedOutcome]:
    """Run the feeds named (every feed when none is), one after the other; a feed that fails
    is reported and the others still run. Unknown names are refused before any runs."""
    feeds = [store.feeds.get(name) for name in dict.fromkeys(names)] or store.feeds.all()
    outcomes: list[FeedOutcome] = []
    for feed in feeds:
        rejected = 0

        def count(rejection: Rejection, _handler: RejectHandler | None = on_reject) -> None:
            nonlocal rejected
            rejected += 1
            if _handler is not None:
                _handler(rejection)

        feed_options = replace(options, fmt=feed.format, timeline=feed.timeline, feed=feed.name)
        try:
            report = run_import(
                store, [feed.url], feed_options, on_reject=count, on_progress=on_progress
            )
        except TimelineError as err:
            outcomes.append(FeedOutcome(feed.name, err.exit_code, error=str(err)))
            continue
        # As `timeline import`: 5 when nothing of the feed went in for every record was
        # rejected, 1 when some were and the rest went in.
        code = EXIT_FAILED if report.all_rejected else EXIT_REJECTED if rejected else EXIT_OK
        outcomes.append(FeedOutcome(feed.name, code, report=report))
    return outcomes

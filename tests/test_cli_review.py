"""Names valid in a period and the review of imported entities, through the command line:
UCDP and ACLED rows of 2011 and 2016 resolved at their dates, `timeline actors review`,
`merge` and `accept` (and the same for places), answers before and after a merge, and
imports after one. The logic runs on the in-memory store; what touches the database runs on
SQLite and PostgreSQL too, every refusal among it."""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import BACKENDS
from timeline.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
DEFINITIONS = FIXTURES / "names-definitions.yaml"
UCDP = FIXTURES / "ucdp_government_of_libya.csv"
UCDP_LATER = FIXTURES / "ucdp_government_of_libya_later.csv"
ACLED = FIXTURES / "acled_government_names.csv"
UCDP_GOVERNMENT = "Government of Libya"


@pytest.fixture(params=["memory"])
def backend(request: pytest.FixtureRequest) -> str:
    """The in-memory store, unless a test is marked to run on every store."""
    return str(request.param)


ON_EVERY_STORE = pytest.mark.parametrize("backend", ["memory", *BACKENDS])


class Cli:
    """`timeline --db URL ...` through CliRunner; never lets a traceback through."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url

    def __call__(self, *args: str) -> Result:
        result = CliRunner().invoke(main, ["--db", self.db_url, *args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            shown = "".join(traceback.format_exception(result.exception))
            raise AssertionError(f"`timeline {' '.join(args)}` raised:\n{shown}")
        assert "Traceback" not in result.output
        return result

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, result.output
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--format", "json"))

    def refused(self, *args: str) -> str:
        """The one line of a refusal (exit 2), the log left as it was."""
        before = self.ok("verify", "--print-head")
        result = self(*args)
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("Error: ")
        assert self.ok("verify", "--print-head") == before
        return lines[0]

    def actors_of(self) -> dict[str, list[str]]:
        """The actors each imported event names, by origin, as stored."""
        return {
            e["origin"]: e["fields"].get("actors")
            for e in self.json("events")
            if e["origin"] is not None
        }

    def fatalities(self, date: str, *args: str) -> dict[str, int]:
        answer = self.json("at", date, "--section", "fatalities", *args)
        by_actor: dict[str, int] = answer["fatalities"]["by_actor"]
        return by_actor

    def last_recorded(self) -> str:
        return str(max(e["recorded_at"] for e in self.json("events")))

    def review(self, kind: str = "actors") -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in self.json(kind, "review")}


@pytest.fixture
def cli(db_url: str) -> Cli:
    """A database holding the fixtures' governments and the UCDP and ACLED rows."""
    cli = Cli(db_url)
    cli.ok("import", str(DEFINITIONS), str(UCDP), str(ACLED))
    return cli


# -- names resolved at the rows' dates -----------------------------------------------------------


@ON_EVERY_STORE
def test_ucdp_and_acled_names_resolve_at_their_rows_dates(cli: Cli) -> None:
    assert cli.actors_of() == {
        # UCDP's "Government of Libya": Gaddafi's until 23 August 2011, the GNA from 2016.
        "ucdp:60001": ["gaddafi-government", "ntc"],
        "ucdp:60002": ["gaddafi-government", "ntc"],
        # In between, a name the registry does not know then: defined for review.
        "ucdp:60003": ["government-of-libya", "forces-of-muammar-gaddafi"],
        "ucdp:60004": ["government-of-libya", "asl"],
        "ucdp:60005": ["gna", "is"],
        # ACLED's names carry their period in their text.
        "acled:LBY6001": ["gaddafi-government", "libyan-rebel-forces"],
        "acled:LBY6002": ["gna", "islamic-state-libya"],
        "acled:LBY6003": ["lna", "benghazi-revolutionaries-shura-council"],
    }
    by_actor = cli.fatalities("2011-10-31")
    # The GNA, formed in 2016, is credited with none of 2011's deaths.
    assert "gna" not in by_actor
    assert by_actor["gaddafi-government"] == 17 + 3 + 30
    assert by_actor["government-of-libya"] == 20
    # UCDP's row of 2016: where UCDP covers, the fatality policy leaves ACLED's 5 out of the
    # total (they are ACLED's own figures, by_dataset).
    assert cli.fatalities("2016-12-31")["gna"] == 12


def test_in_between_the_name_means_the_actor_the_import_defined(cli: Cli) -> None:
    added = cli.ok(
        "add", "clash", "2013-11-26", "Clashes", "--field", f"actors={UCDP_GOVERNMENT},NTC"
    )
    assert cli.json("show", added.strip())["fields"]["actors"] == ["government-of-libya", "ntc"]


def test_a_document_names_the_government_of_its_date(db_url: str) -> None:
    cli = Cli(db_url)
    cli.ok("import", str(DEFINITIONS))
    added = cli.ok(
        "add", "clash", "2011-04-17", "Fighting", "--field", f"actors={UCDP_GOVERNMENT},NTC"
    )
    assert cli.json("show", added.strip())["fields"]["actors"] == ["gaddafi-government", "ntc"]
    line = cli.refused(
        "add", "clash", "2013-11-25", "Fighting", "--field", f"actors={UCDP_GOVERNMENT}"
    )
    assert line.startswith(
        "Error: actors: actor 'Government of Libya' names no actor at 2013-11-24T22:00:00Z: "
        "it names gaddafi-government (Gaddafi government and loyalist forces) until "
        "2011-08-23, gna (Government of National Accord) from 2016-03-30"
    )


# -- review --------------------------------------------------------------------------------------


def test_review_lists_what_imports_defined_with_what_a_person_needs(cli: Cli) -> None:
    review = cli.review()
    assert set(review) == {
        "government-of-libya",
        "forces-of-muammar-gaddafi",
        "asl",
        "is",
        "libyan-rebel-forces",
        "islamic-state-libya",
        "benghazi-revolutionaries-shura-council",
    }
    government = review["government-of-libya"]
    assert government == {
        "id": "government-of-libya",
        "name": UCDP_GOVERNMENT,
        "type": "actor",
        "datasets": ["ucdp"],
        "events": 2,
        "from": "2011-09-15",
        "to": "2013-11-25",
        "closest": government["closest"],
        "merged": [],
    }
    # The entities that go by the same name at other times come closest.
    assert [c["id"] for c in government["closest"][:2]] == ["gaddafi-government", "gna"]
    assert review["forces-of-muammar-gaddafi"]["closest"][0] == {
        "id": "gaddafi-government",
        "name": "Gaddafi government and loyalist forces",
    }
    assert review["libyan-rebel-forces"]["datasets"] == ["acled"]
    # Most events first.
    assert next(iter(review)) == "government-of-libya"


def test_review_as_a_table(cli: Cli) -> None:
    result = cli("actors", "review")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [c.strip() for c in lines[1].strip("┃").split("┃")] == [
        "Id",
        "Name",
        "Dataset",
        "Events",
        "From",
        "To",
        "Closest",
    ]
    cells = [c.strip() for c in lines[3].strip("│").split("│")]
    assert cells[0].startswith("governme")
    assert cells[2:4] == ["ucdp", "2"]
    assert result.stderr == "7 actors to review\n"


def test_places_review_lists_the_places_imports_defined(cli: Cli) -> None:
    review = cli.review("places")
    assert set(review) == {"misrata-town", "sirte-town", "benghazi-town", "benghazi"}
    assert review["sirte-town"]["events"] == 2
    assert review["sirte-town"]["closest"][0]["id"] in ("sirte", "misrata-town")
    assert "sirte" in [c["id"] for c in review["sirte-town"]["closest"]]


# -- merges --------------------------------------------------------------------------------------


@ON_EVERY_STORE
def test_a_merge_changes_every_answer_and_not_what_was_known_before_it(cli: Cli) -> None:
    before = cli.last_recorded()
    old = cli.json("at", "2011-10-31")
    merge_id = cli.ok("actors", "merge", "forces-of-muammar-gaddafi", "INTO", "gaddafi-government")
    by_actor = cli.fatalities("2011-10-31")
    assert by_actor["gaddafi-government"] == 50 + 20
    assert "forces-of-muammar-gaddafi" not in by_actor
    # As known before the merge was recorded: the old answer, whole.
    assert cli.json("at", "2011-10-31", "--as-known", before) == {**old, "as_known": before}
    # The log is as it was recorded, the merge an event of its own.
    assert cli.actors_of()["ucdp:60003"] == ["government-of-libya", "forces-of-muammar-gaddafi"]
    [recorded] = cli.json("events", "--kind", "actor.merged")
    assert recorded["id"] == merge_id.strip()
    assert recorded["fields"] == {
        "actor": "forces-of-muammar-gaddafi",
        "into": "gaddafi-government",
    }
    assert recorded["date"] == "../.."
    # Merged for good, it has left the review list.
    assert "forces-of-muammar-gaddafi" not in cli.review()
    # Snapshots written again from the log answer the same.
    answer = cli.json("at", "2011-10-31")
    cli.ok("rebuild")
    assert cli.json("at", "2011-10-31") == answer
    assert cli.ok("verify", "--deep").startswith("ok: ")
    # The same merge again is the same event.
    again = cli("actors", "merge", "forces-of-muammar-gaddafi", "into", "gaddafi-government")
    assert again.stdout == merge_id
    assert again.stderr == "this merge is already recorded, unchanged\n"


@ON_EVERY_STORE
def test_a_merge_for_a_period_attributes_only_the_events_within_it(cli: Cli) -> None:
    cli.ok(
        "actors",
        "merge",
        "government-of-libya",
        "INTO",
        "ntc",
        "--from",
        "2011-08-24",
        "--until",
        "2012-08-08",
    )
    assert cli.fatalities("2011-10-31")["ntc"] == 17 + 3 + 20
    after = cli.fatalities("2014-01-01")
    assert after["government-of-libya"] == 9
    assert after["ntc"] == 17 + 3 + 20
    government = cli.review()["government-of-libya"]
    # Still to review, with the events left outside the period.
    assert (government["events"], government["from"], government["to"]) == (
        1,
        "2013-11-25",
        "2013-11-25",
    )
    assert government["merged"] == [
        {
            "into": {"id": "ntc", "name": "National Transitional Council"},
            "period": "2011-08-24/2012-08-08",
        }
    ]
    history = cli.json("diff", "2011-09-01", "2011-10-01")
    assert history["fatalities"]["by_actor"].get("government-of-libya") is None


@ON_EVERY_STORE
def test_imports_after_a_merge_resolve_the_name_to_its_target(cli: Cli) -> None:
    cli.ok("actors", "merge", "forces-of-muammar-gaddafi", "INTO", "gaddafi-government")
    cli.ok("actors", "merge", "government-of-libya", "INTO", "ntc", "--from", "2011-08-24")
    definitions = len(cli.json("events", "--kind", "actor.defined"))
    cli.ok("import", str(UCDP_LATER))
    assert cli.actors_of()["ucdp:60006"] == ["ntc", "gaddafi-government"]
    assert len(cli.json("events", "--kind", "actor.defined")) == definitions
    # Importing the first file again adds nothing: its rows are stored as they were.
    summary = cli.ok("import", str(UCDP))
    assert " 0 new, 0 corrected," in summary


def test_a_document_after_a_merge_names_the_target(cli: Cli) -> None:
    cli.ok("actors", "merge", "asl", "INTO", "ntc", "--until", "2014")
    early = cli.ok("add", "clash", "2013-12-01", "A", "--field", "actors=ASL")
    late = cli.ok("add", "clash", "2015-12-01", "B", "--field", "actors=ASL")
    assert cli.json("show", early.strip())["fields"]["actors"] == ["ntc"]
    assert cli.json("show", late.strip())["fields"]["actors"] == ["asl"]


def test_merges_chain(cli: Cli) -> None:
    cli.ok("actors", "merge", "is", "INTO", "islamic-state-libya")
    cli.ok("actors", "merge", "islamic-state-libya", "INTO", "lna", "--from", "2016")
    by_actor = cli.fatalities("2016-12-31")
    # UCDP counts where it covers (the fatality policy): its 12 and 2, not ACLED's 5 as well.
    assert by_actor["lna"] == 12 + 2
    assert "is" not in by_actor
    assert "islamic-state-libya" not in by_actor


def test_a_place_merge_moves_what_happened_there(cli: Cli) -> None:
    cli.ok("add", "control", "2011-05-15", "NTC holds", "-f", "place=Misrata town", "-f", "by=NTC")
    cli.ok("add", "control", "2011-05-16", "NTC holds", "-f", "place=misrata", "-f", "by=NTC")
    before = cli.last_recorded()
    cli.ok("places", "merge", "misrata-town", "INTO", "misrata")
    assert "misrata-town" not in cli.review("places")
    control = cli.json("at", "2011-06-01", "--section", "control")["control"]
    assert [c["place"]["id"] for c in control] == ["misrata"]
    known = cli.json("at", "2011-06-01", "--section", "control", "--as-known", before)
    assert sorted(c["place"]["id"] for c in known["control"]) == ["misrata", "misrata-town"]


# -- accept --------------------------------------------------------------------------------------


@ON_EVERY_STORE
def test_accepting_takes_an_entity_off_the_review_list(cli: Cli) -> None:
    before = cli.last_recorded()
    accepted = cli.ok("actors", "accept", "asl")
    assert "asl" not in cli.review()
    [event] = cli.json("events", "--kind", "actor.accepted")
    assert (event["id"], event["fields"]) == (accepted.strip(), {"actor": "asl"})
    # Nothing else changes: the answers and the timeline's count of facts.
    assert (
        cli.json("at", "2016-12-31", "--as-known", before)["fatalities"]
        == (cli.json("at", "2016-12-31")["fatalities"])
    )
    [libya] = cli.json("timelines")
    assert libya["events"] == 8
    assert cli.refused("actors", "accept", "asl") == (
        "Error: ID: actor 'asl' is not awaiting review (an import did not define it, or it "
        "was accepted or merged for good already)"
    )
    cli.ok("places", "accept", "benghazi-town")
    assert "benghazi-town" not in cli.review("places")


# -- refusals ------------------------------------------------------------------------------------


@ON_EVERY_STORE
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("actors", "merge", "nobody", "INTO", "ntc"),
            "Error: SOURCE: unknown actor 'nobody'",
        ),
        (
            ("actors", "merge", "asl", "INTO", "misrata"),
            "Error: TARGET: unknown actor 'misrata'",
        ),
        (
            ("actors", "merge", "asl", "INTO", "ASL"),
            "Error: TARGET: actor 'asl' cannot be merged into itself",
        ),
        (
            ("actors", "merge", "asl", "INTO", "ntc", "--from", "2011-13"),
            "Error: --from: '2011-13' is not a date: month must be 1-12",
        ),
        (
            ("actors", "merge", "asl", "INTO", "ntc", "--from", "2016", "--until", "2015-06"),
            "Error: --until: '2015-06' ends before '2016' begins: the period is empty",
        ),
        (
            ("actors", "merge", "asl", "onto", "ntc"),
            "Error: expected SOURCE INTO TARGET, not asl onto ntc (see '",
        ),
        (("actors", "accept", "nobody"), "Error: ID: unknown actor 'nobody'"),
        (("actors", "accept", "ntc"), "Error: ID: actor 'ntc' is not awaiting review"),
        (("places", "accept", "asl"), "Error: ID: unknown place 'asl'"),
        (("actors", "review", "--timeline", "syria"), "Error: --timeline: no timeline 'syria'"),
    ],
)
def test_a_bad_decision_is_one_line_and_changes_nothing(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    assert cli.refused(*args).startswith(message)


def test_a_merge_that_would_close_a_cycle_is_refused(cli: Cli) -> None:
    cli.ok("actors", "merge", "is", "INTO", "islamic-state-libya", "--from", "2016")
    assert cli.refused(
        "actors", "merge", "islamic-state-libya", "INTO", "is", "--until", "2017"
    ) == (
        "Error: TARGET: 'is' is merged into 'islamic-state-libya' over that period already; "
        "merging 'islamic-state-libya' into it would make a cycle"
    )
    # Over another period, it is no cycle.
    cli.ok("actors", "merge", "islamic-state-libya", "INTO", "is", "--until", "2015")


def test_an_ambiguous_name_is_refused_naming_each_meaning(cli: Cli) -> None:
    line = cli.refused("actors", "merge", UCDP_GOVERNMENT, "INTO", "ntc")
    assert line == (
        "Error: SOURCE: 'Government of Libya' is ambiguous: it names gaddafi-government "
        "(Gaddafi government and loyalist forces) until 2011-08-23, gna (Government of "
        "National Accord) from 2016-03-30, government-of-libya (Government of Libya)"
    )


def test_merges_and_acceptances_travel_with_an_export(cli: Cli, make_db_url: Any) -> None:
    cli.ok("actors", "merge", "government-of-libya", "INTO", "ntc", "--from", "2011-08-24")
    cli.ok("actors", "accept", "asl")
    exported = cli.ok("export", "--format", "jsonl")
    copy = Cli(make_db_url())
    result = CliRunner().invoke(main, ["--db", copy.db_url, "import", "-"], input=exported)
    assert result.exit_code == 0, result.output
    for args in (("at", "2016-12-31"), ("actors", "review")):
        assert copy.json(*args) == cli.json(*args)


SHARED_UCDP = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "ucdp_libya_ceciliatrasi.csv"
)


@pytest.mark.skipif(not SHARED_UCDP.is_file(), reason=f"{SHARED_UCDP} is not present")
def test_on_the_real_ucdp_export_the_gna_has_no_deaths_of_2011(db_url: str) -> None:
    cli = Cli(db_url)
    cli.ok("seed")
    cli.ok("import", str(SHARED_UCDP))
    by_actor = cli.fatalities("2011-12-31")
    assert "gna" not in by_actor
    assert by_actor["gaddafi-government"] > 3000
    # From 2016 on, UCDP's "Government of Libya" is the GNA's.
    later = cli.fatalities("2019-12-31")
    assert later["gna"] > 0
    government = cli.review()["government-of-libya"]
    assert (government["from"], government["to"]) == ("2011-08-24", "2016-03-09")

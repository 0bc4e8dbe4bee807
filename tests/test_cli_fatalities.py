"""Fatalities by dataset through the command line, on SQLite and PostgreSQL: a timeline fed
with ACLED and UCDP GED exports that both cover 2011 (tests/fixtures), its policy chosen at
`timeline create` or changed by an event, `--entity`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from timeline.cli import main

Invoke = Callable[..., Result]

FIXTURES = Path(__file__).parent / "fixtures"
UCDP = FIXTURES / "ucdp_libya_2011.csv"
ACLED = FIXTURES / "acled_libya_2011.csv"
# What the fixtures hold, 2011-10-31 (end of day, Tripoli) and before: UCDP GED from
# 2011-03-19 and on into 2012 (232 deaths by then), ACLED from 2011-02-17 (390).
UCDP_BY_OCTOBER = 40 + 45 + 7 + 100 + 40
ACLED_BY_OCTOBER = 50 + 60 + 70 + 150 + 60


@pytest.fixture
def cli(db_url: str) -> Invoke:
    runner = CliRunner(env={"COLUMNS": "160"})

    def invoke(*args: str) -> Result:
        result = runner.invoke(main, ["--db", db_url, *args])
        assert "Traceback" not in result.output
        return result

    return invoke


def fed(cli: Invoke, *create: str) -> Invoke:
    """The timeline `libya` created (with `create` options), both exports imported."""
    result = cli("create", "libya", "--zone", "Africa/Tripoli", *create)
    assert result.exit_code == 0, result.output
    result = cli("import", str(UCDP), str(ACLED), "--timeline", "libya")
    assert result.exit_code == 0, result.output
    return cli


def fatalities(cli: Invoke, date: str, *more: str) -> dict[str, Any]:
    result = cli("at", date, "--section", "fatalities", "--format", "json", *more)
    assert result.exit_code == 0, result.output
    figures: dict[str, Any] = json.loads(result.stdout)["fatalities"]
    return figures


def test_two_datasets_over_one_year_are_given_apart_and_never_added_up(cli: Invoke) -> None:
    figures = fatalities(fed(cli), "2011-10-31")
    ucdp, acled = figures["by_dataset"]["ucdp"], figures["by_dataset"]["acled"]
    assert (ucdp["total"], acled["total"]) == (UCDP_BY_OCTOBER, ACLED_BY_OCTOBER)
    # UCDP GED counts from its first event on; ACLED only for the protests before it.
    assert (ucdp["counted"], acled["counted"]) == (UCDP_BY_OCTOBER, 50)
    assert figures["total"] == UCDP_BY_OCTOBER + 50
    assert ucdp["coverage"] == {"from": "2011-03-19", "to": "2011-10-20", "continues": True}
    assert acled["coverage"]["from"] == "2011-02-17"
    assert figures["policy"]["prefer"] == ["ucdp", "acled", "timeline"]
    assert figures["policy"]["default"] is True
    # The timeline's own events: none, so no data rather than 0.
    assert figures["by_dataset"]["timeline"]["total"] is None


def test_after_the_latest_ucdp_event_acled_counts(cli: Invoke) -> None:
    figures = fatalities(fed(cli), "2012-03-31")
    assert figures["by_dataset"]["ucdp"]["coverage"]["continues"] is False
    # ACLED's 2011-11-15 clash falls in UCDP's coverage; its 2012-02-10 one after it.
    assert figures["by_dataset"]["acled"]["counted"] == 50 + 20
    assert figures["total"] == UCDP_BY_OCTOBER + 8 + 50 + 20
    assert [p["dataset"] for p in figures["periods"]] == ["acled", "ucdp", "acled", None]


def test_deaths_among_a_side_are_not_deaths_in_its_events(cli: Invoke) -> None:
    figures = fatalities(fed(cli), "2011-10-31")
    names = {name: actor for actor, name in figures["actors"].items()}
    ntc = names["NTC"]
    assert figures["among"][ntc] == 20 + 12 + 40 + 15
    assert figures["in_events_of"][ntc] == 40 + 45 + 100 + 40
    assert figures["by_actor"] == figures["in_events_of"]
    assert (figures["civilians"], figures["unknown"]) == (5 + 3 + 7 + 10, 5)
    assert figures["by_dataset"]["acled"]["described"] == 0


def test_entity_takes_the_figures_of_its_events_alone(cli: Invoke) -> None:
    figures = fatalities(fed(cli), "2011-10-31", "--entity", "NTC")
    assert [e["name"] for e in figures["entities"]] == ["NTC"]
    assert figures["total"] == 40 + 45 + 100 + 40
    assert figures["by_dataset"]["acled"]["total"] == 0  # ACLED names no NTC
    ntc = next(a for a, name in figures["actors"].items() if name == "NTC")
    # Whoever else took part in its events is listed beside it.
    assert len(figures["by_actor"]) == 2
    assert figures["among"][ntc] == 87
    place = fatalities(cli, "2011-10-31", "--entity", "Sirte")
    assert place["total"] == 0  # ACLED's Sirte: after UCDP began, so not in the total
    assert place["by_dataset"]["acled"]["total"] == 60


def test_create_chooses_the_policy(cli: Invoke) -> None:
    result = cli("create", "libya", "--zone", "Africa/Tripoli", "--fatalities", "acled,ucdp")
    assert result.exit_code == 0, result.output
    assert "fatality totals: acled, else ucdp" in result.stdout
    result = cli("import", str(UCDP), str(ACLED), "--timeline", "libya")
    assert result.exit_code == 0, result.output
    figures = fatalities(cli, "2011-10-31")
    assert figures["total"] == ACLED_BY_OCTOBER
    assert figures["policy"]["prefer"] == ["acled", "ucdp"]
    assert figures["policy"]["default"] is False
    # The timeline's own events, out of the policy and with no data, are not listed.
    assert "timeline" not in figures["by_dataset"]


def test_a_policy_event_changes_it_from_its_date(cli: Invoke) -> None:
    fed(cli)
    result = cli(
        "add",
        "fatalities.policy",
        "2011-08",
        "From August 2011, ACLED first",
        "--field",
        "prefer=acled,ucdp",
        "--timeline",
        "libya",
    )
    assert result.exit_code == 0, result.output
    figures = fatalities(cli, "2011-10-31")
    assert figures["total"] == 50 + 40 + 45 + 7 + 150 + 60
    assert figures["policy"]["since"] == "2011-08"


def test_a_bad_policy_exits_2_and_creates_nothing(cli: Invoke) -> None:
    result = cli("create", "libya", "--zone", "Africa/Tripoli", "--fatalities", "ucdp,a b")
    assert result.exit_code == 2
    assert "--fatalities: 'a b' is not a dataset name" in result.output
    assert cli("timelines", "--format", "json").stdout.strip() == "[]"


def test_the_briefing_says_which_dataset_each_figure_comes_from(cli: Invoke) -> None:
    result = fed(cli)("at", "2011-10-31", "--section", "fatalities")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert f"total {UCDP_BY_OCTOBER + 50:,} (certain)" in text
    assert f"from UCDP GED {UCDP_BY_OCTOBER:,}, ACLED 50" in text
    assert "policy (the default) UCDP GED where its data reaches, else ACLED" in text
    assert "Fatalities by dataset, each on its own (never added together)" in text
    assert "Among its own" in text
    markdown = cli("at", "2011-10-31", "--section", "fatalities", "--format", "markdown").stdout
    assert "### Fatalities by dataset, each on its own (never added together)" in markdown
    assert "| ACLED | 390 | 0 |" in markdown


def test_the_briefing_of_an_entity_gives_its_figures_in_each_dataset(cli: Invoke) -> None:
    result = fed(cli)("at", "2011-10-31", "--section", "fatalities", "--entity", "NTC")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "in the events of NTC only" in text
    assert "Fatalities of the actors asked about, by dataset" in text
    row = next(line for line in text.splitlines() if "│ NTC " in line and "UCDP GED" in line)
    assert [cell.strip() for cell in row.split("│")[3:5]] == ["87", "225"]

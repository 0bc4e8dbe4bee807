"""Fatality totals: certain, uncertain, the last 30 days, by actor."""

from __future__ import annotations

from .helpers import answer, fold, make


def test_every_kind_with_an_integer_fatalities_field_counts() -> None:
    events = [
        make(1, "clash", "2020-01-05", actors=["gna", "lna"], fatalities=3),
        make(2, "strike", "2020-01-06", by="turkey", actors=["lna"], fatalities=4),
        make(3, "note", "2020-01-07", fatalities=5),
        make(4, "control", "2020-01-08", place="sirte", by="lna", fatalities=1),
        make(5, "clash", "2020-01-09", fatalities=True),  # not an integer
        make(6, "clash", "2020-01-09", fatalities="7"),  # not an integer
    ]
    result = answer(events, "2020-01-20").fatalities
    assert {k: result[k] for k in ("total", "uncertain", "last_30_days", "by_actor")} == {
        "total": 13,
        "uncertain": 0,
        "last_30_days": 13,
        "by_actor": {"gna": 3, "lna": 8, "turkey": 4},
    }
    assert result["actors"] == {
        "gna": "Government of National Accord",
        "lna": "Libyan National Army",
        "turkey": "Turkey",
    }


def test_straddling_events_are_uncertain_not_counted() -> None:
    events = [
        make(1, "clash", "2019-04-04", actors=["lna"], fatalities=10),
        make(2, "clash", "2019-04", actors=["lna"], fatalities=100),
    ]
    mid = answer(events, "2019-04-15").fatalities
    assert (mid["total"], mid["uncertain"], mid["by_actor"]) == (10, 100, {"lna": 10})
    end = answer(events, "2019-04-30").fatalities
    assert (end["total"], end["uncertain"], end["by_actor"]) == (110, 0, {"lna": 110})


def test_year_event_is_certain_at_the_last_day_of_the_year() -> None:
    events = [make(1, "clash", "2019", fatalities=40)]
    assert answer(events, "2019-12-31").fatalities["total"] == 40
    assert answer(events, "2019-12-30").fatalities["uncertain"] == 40


def test_last_30_days_window() -> None:
    events = [
        make(1, "clash", "2020-01-01", fatalities=1),
        make(2, "clash", "2020-02-01", fatalities=2),
        make(3, "clash", "2020-02-20", fatalities=4),
        make(4, "clash", "2020-03", fatalities=8),  # straddles: not in the window's sum
    ]
    # At 2020-03-02T00:00Z the window starts on 2020-01-31: both February clashes count.
    result = answer(events, "2020-03-01").fatalities
    assert (result["total"], result["uncertain"], result["last_30_days"]) == (7, 8, 6)
    # A day later it starts on 2020-02-02: the 2020-02-01 clash is out.
    assert answer(events, "2020-03-02").fatalities["last_30_days"] == 4
    assert answer(events, "2020-02-29").fatalities["last_30_days"] == 6
    # At 2020-04-01 the March clash is certain but started before the window (2020-03-02).
    result = answer(events, "2020-03-31").fatalities
    assert (result["total"], result["last_30_days"]) == (15, 0)


def test_state_settles_and_stays_small() -> None:
    events = [
        make(i, "clash", f"2020-01-{i:02d}", actors=["lna"], fatalities=1) for i in range(1, 32)
    ]
    events += [make(100 + i, "clash", f"2020-03-{i:02d}", fatalities=1) for i in range(1, 32)]
    projector = fold(events)
    assert projector.fatalities.total == 61  # everything but the last day's clash settled
    assert len(projector.fatalities.open) == 1
    assert len(projector.fatalities.window) <= 31

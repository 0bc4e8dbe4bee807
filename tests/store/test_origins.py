"""The origin index: the latest stored version of each imported record."""

from __future__ import annotations

from timeline.events import Origin
from timeline.store import Store

from .helpers import new_event, note


def test_latest_origins(libya: Store) -> None:
    libya.catalog.create("syria", "UTC")
    first = note("libya", "2019", origin=Origin("acled:1", 1, "a" * 64, 100))
    other = note("libya", "2019", origin=Origin("acled:2", 1, "b" * 64, 250))
    elsewhere = note("syria", "2019", origin=Origin("acled:1", 1, "c" * 64, 999))
    ucdp = note("libya", "2019", origin=Origin("ucdp:1", 1, None, 5000))
    libya.log.append([first, other, elsewhere, ucdp])
    revised = new_event(
        "libya",
        "correction",
        "2019",
        origin=Origin("acled:1", 2, "d" * 64, 300),
        target=first.id,
        text="revised",
    )
    libya.log.append([revised])

    latest = libya.origins.latest("libya", ["acled:1", "acled:2", "acled:3", "acled:1"])
    assert set(latest) == {"acled:1", "acled:2"}
    one = latest["acled:1"]
    assert (one.event_id, one.kind, one.version, one.content_hash, one.stamp, one.root_id) == (
        revised.id,
        "correction",
        2,
        "d" * 64,
        300,
        first.id,
    )
    two = latest["acled:2"]
    assert (two.event_id, two.version, two.root_id, two.stamp) == (other.id, 1, other.id, 250)
    assert libya.origins.latest("syria", ["acled:1"])["acled:1"].event_id == elsewhere.id
    assert libya.origins.latest("libya", []) == {}

    # The hashes alone (what every record of an import is compared with first): the latest
    # version's, per timeline; a key never stored is absent.
    hashes = libya.origins.latest_hashes("libya", ["acled:1", "acled:2", "acled:3", "ucdp:1"])
    assert hashes == {"acled:1": "d" * 64, "acled:2": "b" * 64, "ucdp:1": None}
    assert libya.origins.latest_hashes("syria", ["acled:1", "acled:2"]) == {"acled:1": "c" * 64}
    with libya.writing() as writer:
        assert writer.origins.latest_hashes("libya", ["acled:2"]) == {"acled:2": "b" * 64}


def test_origin_lookups_take_more_keys_than_one_statement_can(libya: Store) -> None:
    # SQLite builds of old bind at most 999 parameters per statement.
    events = [
        note("libya", "2019", origin=Origin(f"acled:{n}", 1, f"{n:064d}", n)) for n in range(2500)
    ]
    libya.log.append(events)
    keys = [f"acled:{n}" for n in range(-10, 2510)]
    hashes = libya.origins.latest_hashes("libya", keys)
    assert hashes == {f"acled:{n}": f"{n:064d}" for n in range(2500)}
    latest = libya.origins.latest("libya", keys)
    assert {key: v.event_id for key, v in latest.items()} == {
        f"acled:{n}": e.id for n, e in enumerate(events)
    }


def test_the_highest_version_is_the_latest_whatever_order_it_was_recorded_in(
    libya: Store,
) -> None:
    first = note("libya", "2019", origin=Origin("acled:1", 1, "a" * 64, 10))
    libya.log.append([first])
    third = new_event(
        "libya",
        "retraction",
        "2019",
        origin=Origin("acled:1", 3, "deleted", 30),  # deleted at the source
        target=first.id,
        reason="deleted at the source",
    )
    libya.log.append([third])
    second = new_event(
        "libya",
        "correction",
        "2019",
        origin=Origin("acled:1", 2, "b" * 64, 20),  # recorded last, but an older version
        target=first.id,
        text="revised",
    )
    libya.log.append([second])

    latest = libya.origins.latest("libya", ["acled:1"])["acled:1"]
    assert (latest.event_id, latest.kind, latest.version, latest.root_id) == (
        third.id,
        "retraction",
        3,
        first.id,
    )
    assert (latest.content_hash, latest.stamp) == ("deleted", 30)
    assert libya.origins.latest_hashes("libya", ["acled:1"]) == {"acled:1": "deleted"}


def test_a_transaction_sees_the_versions_it_wrote(libya: Store) -> None:
    with libya.writing() as tx:
        tx.log.append([note("libya", "2019", origin=Origin("acled:9", 1, "9" * 64, 9))])
        assert tx.origins.latest_hashes("libya", ["acled:9"]) == {"acled:9": "9" * 64}
        assert tx.origins.latest("libya", ["acled:9"])["acled:9"].version == 1
    assert libya.origins.latest_hashes("libya", ["acled:9"]) == {"acled:9": "9" * 64}

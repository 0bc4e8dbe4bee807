"""Alembic owns the schema: migrations go up and down on both backends and match the models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from timeline import database, schema
from timeline.dates import parse_fuzzy, parse_instant
from timeline.errors import InvalidInput
from timeline.events import NewEvent, Source, stable_id
from timeline.store import EventQuery
from timeline.store.sql import SqlStore

TABLES = {"timelines", "imports", "events", "snapshots", "feeds", "heads", "anchors"}


@pytest.fixture
def db_url(empty_db_url: str) -> str:
    """A new empty database: these tests are about what making its schema does, so it does
    not come from the template at the head that other tests start from."""
    return empty_db_url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on an empty database: no schema yet."""
    engine = database.create(db_url)
    yield engine
    engine.dispose()


def tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def use(store: SqlStore) -> None:
    """Write and read through the store, as a user would after the migration."""
    store.catalog.create("libya", "Africa/Tripoli")
    event = NewEvent(
        id=stable_id("libya", "watiya"),
        timeline="libya",
        kind="note",
        title="Al Watiya captured",
        date=parse_fuzzy("2020-05-18", "Africa/Tripoli"),
        fields={"text": "GNA"},
    )
    assert len(store.log.append([event]).added) == 1
    assert store.log.get(event.id).title == "Al Watiya captured"
    assert store.log.verify().ok
    # The append-only triggers came back with the tables.
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events"))
    assert store.log.count() == 1


def test_upgrade_downgrade_upgrade(engine: Engine) -> None:
    assert database.current_revision(engine) is None
    database.upgrade(engine)
    assert database.current_revision(engine) == database.head_revision()
    assert tables(engine) == TABLES
    use(SqlStore(engine))

    database.downgrade(engine, "base")
    assert database.current_revision(engine) is None
    assert tables(engine) == set()

    database.upgrade(engine)
    assert database.current_revision(engine) == database.head_revision()
    assert tables(engine) == TABLES
    store = SqlStore(engine)
    assert store.log.count() == 0
    use(store)


def test_models_match_migrations(engine: Engine) -> None:
    database.upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, schema.metadata)
    assert differences == []


def test_schema_revision_is_the_head() -> None:
    assert database.head_revision() == schema.SCHEMA_REVISION


def test_a_new_database_is_brought_to_head_on_first_use(db_url: str) -> None:
    engine = database.open_engine(db_url)
    try:
        assert database.current_revision(engine) == database.head_revision()
        assert tables(engine) == TABLES
        assert database.ensure_schema(engine) is False  # nothing left to do
        use(SqlStore(engine))
    finally:
        engine.dispose()


def test_an_old_database_is_brought_to_head_on_first_use(engine: Engine, db_url: str) -> None:
    database.upgrade(engine)
    database.downgrade(engine, "base")  # a database an older release left behind
    engine.dispose()

    reopened = database.open_engine(db_url)
    try:
        assert database.current_revision(reopened) == database.head_revision()
        assert tables(reopened) == TABLES
        use(SqlStore(reopened))
    finally:
        reopened.dispose()


def test_an_unknown_revision_is_invalid_input(engine: Engine) -> None:
    with pytest.raises(InvalidInput, match="9999"):
        database.upgrade(engine, "9999")
    assert database.current_revision(engine) is None


def test_the_snapshot_migration_keeps_the_log_both_ways(engine: Engine) -> None:
    from tests import answering
    from timeline import folding

    database.upgrade(engine)
    store = SqlStore(engine)
    use(store)
    folding.rebuild(store, "libya", every=1)

    database.downgrade(engine, "0001")  # the release before superseded snapshots
    assert database.current_revision(engine) == "0001"
    assert tables(engine) == TABLES - {"feeds", "heads", "anchors"}  # all came later
    database.upgrade(engine)
    assert database.current_revision(engine) == database.head_revision()
    assert store.log.count() == 1
    assert store.log.verify().ok
    answer = answering.state_at(store, store.catalog.get("libya"), "2020-05-31")
    assert [item["id"] for item in answer.to_json()["recent"]] == [stable_id("libya", "watiya")]


PARTIAL = {
    "ix_events_timeline_origin_origin_version": "origin IS NOT NULL",
    "ix_events_timeline_origin_origin_version_origin_hash": "origin IS NOT NULL",
    "ix_events_target": "target IS NOT NULL",
    "ix_events_timeline_entity": "entity IS NOT NULL",
}


def test_the_origin_and_target_indexes_are_partial(engine: Engine) -> None:
    # timeline/schema.py leaves their WHERE clauses to the migrations (see the comment
    # there), and Alembic's comparison of the two does not read them: checked here.
    database.upgrade(engine)
    if engine.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events'"
    with engine.connect() as conn:
        definitions = {name: sql for name, sql in conn.execute(sa.text(query)) if sql}
    for name, where in PARTIAL.items():
        assert where in definitions[name].replace("(", "").replace(")", ""), definitions[name]


def test_the_publication_migration_fills_in_the_events_stored_before_it(engine: Engine) -> None:
    database.upgrade(engine)
    store = SqlStore(engine)
    store.catalog.create("libya", "Africa/Tripoli")
    dated = NewEvent(
        id=stable_id("libya", "dated"),
        timeline="libya",
        kind="note",
        title="Al Watiya captured",
        date=parse_fuzzy("2020-05-18", "Africa/Tripoli"),
        sources=(Source("Reuters", published="2020-05-19"), Source("AA", published="2020-05-18")),
    )
    undated = NewEvent(
        id=stable_id("libya", "undated"),
        timeline="libya",
        kind="note",
        title="A rumour",
        date=parse_fuzzy("2020-05-18", "Africa/Tripoli"),
        sources=(Source("Somebody"),),
    )
    store.log.append([dated, undated])
    published = {e.id: e.published_at for e in store.log.select(EventQuery("libya"))}
    # The end of 18 May in Tripoli, the earlier of the two sources.
    assert published == {dated.id: parse_instant("2020-05-18", "Africa/Tripoli"), undated.id: None}

    database.downgrade(engine, "0003")  # the release before publication dates
    database.upgrade(engine)
    assert {e.id: e.published_at for e in store.log.select(EventQuery("libya"))} == published
    assert store.log.verify().ok
    # The triggers lifted for the fill are back.
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE events SET title = 'x'"))


def test_the_entity_migration_fills_in_the_definitions_stored_before_it(engine: Engine) -> None:
    database.upgrade(engine)
    store = SqlStore(engine)
    store.catalog.create("libya", "Africa/Tripoli")
    timeless = parse_fuzzy("..")
    defined = [
        NewEvent(
            id=stable_id("libya", key),
            timeline="libya",
            kind=kind,
            title=f"{name} defined",
            date=timeless,
            fields={kind.split(".")[0]: key, "name": name},
        )
        for key, kind, name in [
            ("gna", "actor.defined", "GNA"),
            ("watiya", "place.defined", "Al Watiya"),
        ]
    ]
    store.log.append([*defined, use_note()])
    database.downgrade(engine, "0007_timeline_chains")
    with engine.connect() as conn:
        assert "entity" not in {c["name"] for c in sa.inspect(conn).get_columns("events")}
    database.upgrade(engine)
    found = store.log.definitions("libya", entities=["watiya", "gna", "nobody"])
    assert [(event_id, fields["name"]) for event_id, _, fields in found] == [
        (defined[0].id, "GNA"),
        (defined[1].id, "Al Watiya"),
    ]
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT kind, entity FROM events ORDER BY seq")).all()
    assert [tuple(row) for row in rows] == [
        ("actor.defined", "gna"),
        ("place.defined", "watiya"),
        ("note", None),
    ]
    assert store.log.verify().ok
    # The triggers lifted for the fill are back.
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE events SET entity = 'x'"))


def use_note() -> NewEvent:
    return NewEvent(
        id=stable_id("libya", "note"),
        timeline="libya",
        kind="note",
        title="A note",
        date=parse_fuzzy("2020-05-18", "Africa/Tripoli"),
    )


def test_the_heads_migration_records_the_head_of_an_existing_log(engine: Engine) -> None:
    database.upgrade(engine)
    store = SqlStore(engine)
    use(store)
    database.downgrade(engine, "0003")  # a log written before heads were recorded
    database.upgrade(engine)
    result = store.log.verify()
    assert result.ok
    with engine.connect() as conn:
        heads = conn.exec_driver_sql("SELECT seq, hash FROM heads").all()
    assert [tuple(h) for h in heads] == [result.head]

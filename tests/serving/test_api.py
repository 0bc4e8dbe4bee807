"""The HTTP API through Starlette's test client, on SQLite and PostgreSQL: the same JSON as the
command line, 400s that name the parameter, 404s, no writes, ETags and compression."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from timeline.cli import main
from timeline.errors import TimelineError
from timeline.events import NewEvent
from timeline.serving.app import AnswerCache, create_app
from timeline.store.sql import SqlStore

from .conftest import FIRST_RECORDED, url_of


def cli_json(store: SqlStore, *args: str) -> Any:
    """What `timeline --db URL ARGS` prints, parsed."""
    result = CliRunner().invoke(main, ["--db", url_of(store), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


SAME_QUESTIONS = [
    ("/api/timelines", ["timelines", "--format", "json"]),
    ("/api/at?date=2020-05-26", ["at", "2020-05-26", "--format", "json"]),
    (
        "/api/at?date=2019-06-01&entity=Gharyan&entity=lna&section=control&section=offensives"
        "&recent=5",
        [
            "at",
            "2019-06-01",
            "--entity",
            "Gharyan",
            "--entity",
            "lna",
            "--section",
            "control",
            "--section",
            "offensives",
            "--recent",
            "5",
            "--format",
            "json",
        ],
    ),
    ("/api/state.geojson?date=2020-05-26", ["at", "2020-05-26", "--format", "geojson"]),
    (
        "/api/diff?from=2020-04-01&to=2020-06-30",
        ["diff", "2020-04-01", "2020-06-30", "--format", "json"],
    ),
    (
        "/api/diff?from=2019-04-01&to=2019-06-30&net=true",
        ["diff", "2019-04-01", "2019-06-30", "--net", "--format", "json"],
    ),
    (
        "/api/diff?from=2019-04-01&to=2019-06-30&net=false",
        ["diff", "2019-04-01", "2019-06-30", "--format", "json"],
    ),
    ("/api/history?entity=al-watiya", ["history", "al-watiya", "--format", "json"]),
    ("/api/history?entity=GNA", ["history", "GNA", "--format", "json"]),
    (
        "/api/events?kind=control&from=2020-04&to=2020-06",
        ["events", "--kind", "control", "--between", "2020-04", "2020-06", "--format", "json"],
    ),
    # What had been published by 20 May 2020: Al Watiya's fall (18 May) was, Tarhuna's (5 June)
    # was not.
    (
        "/api/at?date=2020-06-10&as_published=2020-05-20",
        ["at", "2020-06-10", "--as-published", "2020-05-20", "--format", "json"],
    ),
    (
        "/api/diff?from=2020-05-01&to=2020-06-10&as_published=2020-05-20",
        ["diff", "2020-05-01", "2020-06-10", "--as-published", "2020-05-20", "--format", "json"],
    ),
    (
        "/api/history?entity=tarhuna&as_published=2020-05-20",
        ["history", "tarhuna", "--as-published", "2020-05-20", "--format", "json"],
    ),
    (
        "/api/events?kind=control&from=2020-05&to=2020-06&as_published=2020-05-20",
        [
            "events",
            "--kind",
            "control",
            "--between",
            "2020-05",
            "2020-06",
            "--as-published",
            "2020-05-20",
            "--format",
            "json",
        ],
    ),
]


# Every question on SQLite; PostgreSQL answers the knowledge-time question and the bad input
# below, and answers as SQLite does (tests/test_memory_end_to_end.py).
@pytest.mark.parametrize("libya_store", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("url", "args"), SAME_QUESTIONS, ids=[u for u, _ in SAME_QUESTIONS])
def test_each_answer_is_the_json_the_command_line_prints(
    client: TestClient, libya_store: SqlStore, url: str, args: list[str]
) -> None:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.json() == cli_json(libya_store, *args)


def test_knowledge_time_asks_the_same_question_as_the_command_line(
    libya_two_steps: SqlStore,
) -> None:
    known = "2024-03-01T00:00:00Z"
    with TestClient(create_app(libya_two_steps)) as client:
        answer = client.get("/api/at", params={"date": "2020-05-26", "as_known": known}).json()
        now = client.get("/api/at", params={"date": "2020-05-26"}).json()
        history = client.get("/api/history", params={"entity": "al-watiya", "as_known": known})
        diff = client.get(
            "/api/diff", params={"from": "2020-05-10", "to": "2020-05-26", "as_known": known}
        )
    expected = cli_json(
        libya_two_steps, "at", "2020-05-26", "--as-known", known, "--format", "json"
    )
    assert answer == expected
    held = {c["place"]["id"]: c["controller"]["id"] for c in answer["control"]}
    held_now = {c["place"]["id"]: c["controller"]["id"] for c in now["control"]}
    assert (held["al-watiya"], held_now["al-watiya"]) == ("lna", "gna")
    assert history.json() == cli_json(
        libya_two_steps, "history", "al-watiya", "--as-known", known, "--format", "json"
    )
    # Al Watiya's capture is not in it (Zintan's declaration for the GNA, recorded with the
    # rest, is).
    assert [c["place"]["id"] for c in diff.json()["control"]] == ["zintan"]
    # Nor any transition of it: the capture was recorded after the knowledge time.
    moves = diff.json()["transitions"]
    assert "al-watiya" not in {t["place"]["id"] for t in moves if t["kind"] == "control"}


def test_range_spans_the_days_and_the_recording_times(libya_two_steps: SqlStore) -> None:
    with TestClient(create_app(libya_two_steps)) as client:
        found = client.get("/api/range").json()
    assert found["days"] == {"first": "2011-02-01", "last": "2020-10-23"}
    assert found["known"] == {"first": "2024-01-10T09:00:00Z", "last": "2024-06-01T09:00:00Z"}
    assert FIRST_RECORDED.isoformat().startswith(found["known"]["first"][:19])


def test_map_json_is_the_scene_map_svg_draws(client: TestClient) -> None:
    scene = client.get("/api/map.json", params={"date": "2020-05-26"}).json()
    markers = {m["place"]: m for m in scene["markers"]}
    assert markers["al-watiya"]["controller"] == "gna"
    assert scene["legend"]
    assert scene["outline"]
    svg = client.get("/api/map.svg", params={"date": "2020-05-26"})
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert 'id="place-al-watiya"' in svg.text


def test_map_svg_without_matplotlib_says_how_to_install_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from timeline.pictures import drawing

    def missing() -> None:
        raise drawing.PicturesNotInstalled("drawing needs matplotlib: " + drawing.INSTALL_HINT)

    monkeypatch.setattr(drawing, "require_matplotlib", missing)
    response = client.get("/api/map.svg", params={"date": "2020-05-26"})
    assert response.status_code == 501
    assert "timeline[pictures]" in response.json()["error"]


def _all_pages(client: TestClient, url: str) -> Iterator[list[dict[str, Any]]]:
    while True:
        response = client.get(url)
        assert response.status_code == 200, response.text
        yield response.json()
        link = response.links.get("next")
        if link is None:
            return
        url = "/api/events" + link["url"]


def test_events_come_in_pages_that_add_up_to_the_whole_log(
    client: TestClient, libya_store: SqlStore
) -> None:
    pages = list(_all_pages(client, "/api/events?limit=40"))
    everything = cli_json(libya_store, "events", "--format", "json")
    assert len(pages) == -(-len(everything) // 40)
    assert all(len(page) == 40 for page in pages[:-1])
    assert [e for page in pages for e in page] == everything


def test_later_pages_keep_the_knowledge_of_the_first(store: SqlStore) -> None:
    from tests.store.helpers import note

    store.catalog.create("t", "UTC")
    store.log.append([note("t", f"2020-01-{day:02d}", f"n{day}") for day in range(1, 11)])
    with TestClient(create_app(store)) as client:
        first = client.get("/api/events", params={"limit": 4})
        # An import adds events before and after the page boundary.
        store.log.append([note("t", "2020-01-02T12:00", "early"), note("t", "2020-02", "late")])
        rest = list(_all_pages(client, "/api/events" + first.links["next"]["url"]))
        fresh = client.get("/api/events", params={"limit": 100}).json()
    listed = [e["id"] for e in first.json()] + [e["id"] for page in rest for e in page]
    assert len(listed) == 10 == len(set(listed))
    assert len(fresh) == 12


BAD_INPUT = [
    ("/api/at?date=2020-13-45", "date", "2020-13-45"),
    ("/api/at", "date", None),
    ("/api/at?date=2020&date=2021", "date", "2021"),
    ("/api/at?date=2020&timeline=nowhere", "timeline", "nowhere"),
    ("/api/at?date=2020&entity=lna&entity=Atlantis", "entity", "Atlantis"),
    ("/api/at?date=2020&section=weather", "section", "weather"),
    ("/api/at?date=2020&recent=-1", "recent", "-1"),
    ("/api/at?date=2020&recent=many", "recent", "many"),
    ("/api/at?date=2020&as_known=soon", "as_known", "soon"),
    ("/api/at?date=2020&as_published=later", "as_published", "later"),
    ("/api/at?date=2020&as-known=2021", "as-known", "2021"),
    ("/api/state.geojson?date=2019/..", "date", "2019/.."),
    ("/api/diff?from=2020-06&to=2020-04", "to", "2020-04"),
    ("/api/diff?from=2020-06", "to", None),
    ("/api/diff?from=2020-04&to=2020-06&net=perhaps", "net", "perhaps"),
    ("/api/history?entity=Atlantis", "entity", "Atlantis"),
    ("/api/history", "entity", None),
    ("/api/events?kind=weather", "kind", "weather"),
    ("/api/events?from=2020", "to", None),
    ("/api/events?from=2020-06&to=2020-04", "from", "2020-06"),
    ("/api/events?limit=0", "limit", "0"),
    ("/api/events?cursor=zzz", "cursor", "zzz"),
    ("/api/events?entity=Atlantis", "entity", "Atlantis"),
    ("/api/map.json?date=yesterday", "date", "yesterday"),
    ("/api/timelines?format=csv", "format", "csv"),
]


@pytest.mark.parametrize(("url", "parameter", "value"), BAD_INPUT, ids=[u for u, _, _ in BAD_INPUT])
def test_bad_input_is_a_400_naming_the_parameter_and_value(
    client: TestClient, url: str, parameter: str, value: str | None
) -> None:
    response = client.get(url)
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["parameter"], body["value"]) == (parameter, value)
    assert body["error"]
    assert "\n" not in body["error"]
    if value is not None:
        assert value in body["error"]
    assert "etag" not in response.headers


@pytest.mark.parametrize("path", ["/api/nothing", "/nothing", "/static/nothing.js", "/api/"])
def test_unknown_paths_are_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": f"no such path: {path}"}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/", "/api/at", "/api/events", "/openapi.json"])
def test_nothing_can_be_written(
    client: TestClient, libya_store: SqlStore, method: str, path: str
) -> None:
    before = libya_store.log.last_seq()
    response = client.request(method, path, json=[{"kind": "note", "date": "2020"}])
    assert response.status_code == 405
    assert libya_store.log.last_seq() == before


def test_answers_carry_an_etag_of_the_log_head(store: SqlStore) -> None:
    from tests.store.helpers import note

    store.catalog.create("t", "UTC")
    store.log.append([note("t", "2020-01-01", "a")])
    with TestClient(create_app(store)) as client:
        first = client.get("/api/events?limit=10")
        tag = first.headers["etag"]
        assert tag.startswith('W/"1-')
        assert first.headers["cache-control"] == "no-cache"
        again = client.get("/api/events?limit=10", headers={"if-none-match": tag})
        assert (again.status_code, again.content) == (304, b"")
        # The same question with its parameters in another order is the same answer.
        other = client.get("/api/events?limit=10&timeline=t")
        assert other.headers["etag"] != tag
        assert (
            client.get("/api/events?timeline=t&limit=10").headers["etag"] == other.headers["etag"]
        )
        store.log.append([note("t", "2020-01-02", "b")])
        changed = client.get("/api/events?limit=10", headers={"if-none-match": tag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != tag
        assert len(changed.json()) == 2
        # "now" moves with the clock: never cached.
        moving = client.get("/api/at", params={"date": "now"})
        assert moving.status_code == 200
        assert "etag" not in moving.headers
        assert moving.headers["cache-control"] == "no-store"


def test_the_cache_keeps_the_latest_answers_within_its_limits() -> None:
    from timeline.serving.app import Answered

    cache = AnswerCache(entries=2, size=8000)
    for name in "abc":
        cache.put(name, Answered(200, name.encode() * 100, {}))
    assert cache.get("a") is None
    assert cache.get("b") is not None
    assert cache.get("c") is not None
    cache.put("big", Answered(200, b"x" * 1001, {}))  # more than an eighth of the bytes
    assert cache.get("big") is None
    cache.put("d", Answered(200, b"d" * 900, {}))
    cache.put("e", Answered(200, b"e" * 900, {}))
    assert cache.get("c") is None  # dropped to keep two entries


def test_large_answers_are_compressed(client: TestClient) -> None:
    response = client.get(
        "/api/at", params={"date": "2020-05-26"}, headers={"accept-encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    raw = client.get(
        "/api/at", params={"date": "2020-05-26"}, headers={"accept-encoding": "identity"}
    )
    assert "content-encoding" not in raw.headers
    assert response.json() == raw.json()
    assert int(response.headers["content-length"]) < len(raw.content) / 3


def test_the_page_and_its_files_come_from_the_server_alone(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert 'src="static/app.js"' in page.text
    for name, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
        assert "http://" not in response.text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in response.text


def test_answers_stay_whole_while_an_import_writes(store: SqlStore) -> None:
    """Requests during appends of batches: every one a 200, and each answer one state of the
    log (its count of notes is a whole number of batches)."""
    from tests.store.helpers import note

    store.catalog.create("t", "UTC")
    batches, size = 15, 40
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for b in range(batches):
                with store.writing(lock_timeout=30) as tx:
                    tx.log.append([note("t", "2020-01-01", f"{b}-{i}") for i in range(size)])
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    writer = threading.Thread(target=write)
    seen: list[int] = []
    with TestClient(create_app(store, cache=AnswerCache())) as client:
        writer.start()
        while writer.is_alive() or not seen:
            response = client.get("/api/events", params={"limit": 1000})
            assert response.status_code == 200, response.text
            seen.append(len(response.json()))
            at = client.get("/api/at", params={"date": "2020-02"})
            assert at.status_code == 200, at.text
        writer.join()
    assert errors == []
    assert all(count % size == 0 for count in seen)
    assert seen == sorted(seen)


def test_library_errors_without_a_parameter_are_still_400s(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from timeline import api

    def broken(*args: object, **kwargs: object) -> NewEvent:
        raise TimelineError("the timeline cannot say")

    monkeypatch.setattr(api, "timeline_records", broken)
    response = client.get("/api/timelines")
    assert response.status_code == 400
    assert response.json() == {"error": "the timeline cannot say", "parameter": None, "value": None}


def test_a_database_that_cannot_answer_is_a_503(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from timeline import api
    from timeline.errors import SchemaUpgradeRequired

    def refused(*args: object, **kwargs: object) -> NewEvent:
        raise SchemaUpgradeRequired("the schema is at 0002: run `timeline db upgrade`")

    monkeypatch.setattr(api, "timeline_records", refused)
    response = client.get("/api/timelines")
    assert response.status_code == 503
    assert response.json()["error"] == "the schema is at 0002: run `timeline db upgrade`"


def test_any_etag_matches_a_star_and_a_memory_store_is_served_too() -> None:
    from tests.store.helpers import note
    from timeline.store.memory import MemoryStore

    store = MemoryStore()
    store.catalog.create("t", "UTC")
    store.log.append([note("t", "2020-01-01", "a")])
    with TestClient(create_app(store)) as client:
        assert client.get("/api/events").status_code == 200
        assert client.get("/api/events", headers={"if-none-match": "*"}).status_code == 304
        assert client.get("/api/events", headers={"if-none-match": '"other"'}).status_code == 200


def test_answers_at_an_instant_follow_an_append_that_reaches_back(store: SqlStore) -> None:
    """The fold states the server keeps belong to the log's head: an import that adds an
    event before instants already answered changes their answers, at once."""
    from tests.store.helpers import note

    store.catalog.create("t", "UTC")
    store.log.append([note("t", f"2020-01-{day:02d}", f"n{day}") for day in range(1, 20, 2)])

    dates = ("2020-01-15", "2020-01-05", "2020-01-09")

    def answers(client: TestClient) -> dict[str, Any]:
        return {d: client.get("/api/at", params={"date": d}).json() for d in dates}

    late = "note 2020-01-06"
    with TestClient(create_app(store)) as client:
        before = answers(client)
        store.log.append([note("t", "2020-01-06", "late")])
        after = answers(client)
    with TestClient(create_app(store)) as fresh:
        assert after == answers(fresh)
    for date in dates:
        titles = [item["title"] for item in after[date]["recent"]]
        assert late not in [item["title"] for item in before[date]["recent"]]
        assert (late in titles) == (date > "2020-01-06")

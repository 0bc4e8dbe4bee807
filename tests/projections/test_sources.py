"""Sources as answers cite them: one article cited as news by one event and as a later account
by another is two citations, and an answer shows each as its event gave it, in any order."""

from __future__ import annotations

import itertools

from timeline.events import Event, Source

from .helpers import answer, make, taken_from

ARTICLE: dict[str, str] = {
    "name": "Libya Herald",
    "published": "2018-03-15",
    "url": "https://example.org/kufra",
}
CITED = Source("Libya Herald", "https://example.org/kufra", "2018-03-15")
LOOKING_BACK = Source("Libya Herald", "https://example.org/kufra", "2018-03-15", retrospective=True)


def events_citing_the_article_both_ways() -> list[Event]:
    """Kufra taken in 2011, attested by a 2018 article looking back; taken again in 2018,
    attested by the same article as news."""
    return [
        make(
            1,
            "control",
            "2011-05-05",
            place="kufra",
            by="ntc",
            sources=[LOOKING_BACK],
        ),
        make(
            2,
            "control",
            "2018-03-15",
            place="kufra",
            by="lna",
            **taken_from("ntc"),
            sources=[CITED],
        ),
        make(3, "control", "2018-03-16", place="tazirbu", by="lna", sources=[CITED]),
    ]


def test_one_article_cited_two_ways_stays_two_citations() -> None:
    events = events_citing_the_article_both_ways()
    early = answer(events, "2012-01-01")
    assert early.control[0]["sources"] == [{**ARTICLE, "retrospective": True}]
    late = {i["place"]["id"]: i["sources"] for i in answer(events, "2019-01-01").control}
    assert late == {"kufra": [ARTICLE], "tazirbu": [ARTICLE]}


def test_the_citations_do_not_depend_on_the_order_facts_are_made_in() -> None:
    events = events_citing_the_article_both_ways()
    shown = answer(events, "2019-01-01").to_json()["control"]
    # The same answer from every order of recording (the fold puts them in date order; the
    # interning of sources met along the way must not carry one's flag to the other).
    for order in itertools.permutations(events):
        assert answer(list(order), "2019-01-01").to_json()["control"] == shown

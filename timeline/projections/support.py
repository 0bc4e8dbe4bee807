"""Support relations: which backer supports which side, and how.

Per (backer, backed): `support.started` adds its kinds (a union; `since` stays with the first
start); `support.ended` with kinds removes those kinds, without kinds it ends the relation,
and a relation whose kinds are all removed ends too. A removal whose event has not certainly
happened by the answer's instant leaves the kind (or the relation) shown, uncertain, and
listed under `ending`; once the fold has passed that event's end the removal is made final.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from timeline.dates import to_micros
from timeline.events import Event
from timeline.projections.basis import (
    Deadlines,
    Handler,
    Ledger,
    Section,
    View,
    key_of,
    list_field,
    text_field,
    unique,
)


@dataclass(slots=True)
class Relation:
    """One backer's support of one side."""

    backer: str
    backed: str
    since: str
    opened: str  # the first `support.started`
    # kind -> [id of the start that added it, id of a pending `support.ended` or None]
    kinds: dict[str, list[str | None]] = field(default_factory=dict)
    ended_by: str | None = None  # a pending `support.ended` without kinds
    renewed_by: str | None = None  # a start that cancelled a pending end of the relation

    def basis(self) -> list[str]:
        """The events the relation's current state rests on."""
        ids: list[str | None] = [self.opened]
        for added, removing in self.kinds.values():
            ids += [added, removing]
        ids += [self.ended_by, self.renewed_by]
        return unique(ids)

    def to_json(self) -> list[Any]:
        """The relation as JSON-ready data."""
        return [
            self.backer,
            self.backed,
            self.since,
            self.opened,
            [[k, *v] for k, v in self.kinds.items()],
            self.ended_by,
            self.renewed_by,
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> Relation:
        """Read what `to_json` wrote."""
        backer, backed, since, opened, kinds, ended_by, renewed_by = data
        return cls(
            backer,
            backed,
            since,
            opened,
            {k: [added, removing] for k, added, removing in kinds},
            ended_by,
            renewed_by,
        )


class Support(Section):
    """Backer → backed relations with their kinds."""

    name = "support"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.relations: dict[str, Relation] = {}
        self.deadlines = Deadlines()

    def handlers(self) -> dict[str, Handler]:
        """The event kinds this section folds, and how."""
        return {"support.started": self.on_started, "support.ended": self.on_ended}

    def get(self, backer: str, backed: str) -> Relation | None:
        """`backer`'s support of `backed`, if any."""
        return self.relations.get(key_of(backer, backed))

    def on_started(self, event: Event) -> None:
        """Support begins, or gains kinds."""
        backer = text_field(event.fields, "backer")
        backed = text_field(event.fields, "backed")
        if backer is None or backed is None:
            return
        key = key_of(backer, backed)
        relation = self.relations.get(key)
        if relation is None:
            relation = Relation(backer, backed, event.date.text, event.id)
            self.relations[key] = relation
            before: list[str] = []
        else:
            before = relation.basis()
            if relation.ended_by is not None:
                # The relation goes on after all (whatever that end turns out to be).
                relation.ended_by = None
                relation.renewed_by = event.id
        for kind in list_field(event.fields, "kinds"):
            held = relation.kinds.get(kind)
            if held is None or held[1] is not None:
                relation.kinds[kind] = [event.id, None]
        self.ledger.rebase(before, relation.basis(), event)

    def on_ended(self, event: Event) -> None:
        """Support ends, wholly or for some kinds."""
        backer = text_field(event.fields, "backer")
        backed = text_field(event.fields, "backed")
        if backer is None or backed is None:
            return
        key = key_of(backer, backed)
        relation = self.relations.get(key)
        if relation is None:
            return
        before = relation.basis()
        kinds = list_field(event.fields, "kinds")
        if kinds:
            for kind in kinds:
                if kind in relation.kinds and relation.kinds[kind][1] is None:
                    relation.kinds[kind][1] = event.id
        elif relation.ended_by is None:
            relation.ended_by = event.id
            relation.renewed_by = None
        after = relation.basis()
        if after != before:
            self.ledger.rebase(before, after, event)
            self.deadlines.add(to_micros(event.date.end), key)

    def advance(self, now: int) -> None:
        """Make final the removals whose events are over by `now`."""
        for key in self.deadlines.due(now):
            relation = self.relations.get(key)
            if relation is None:
                continue
            before = relation.basis()
            removal = self.removed_by(relation)
            if removal is not None and self._over(removal, now):
                del self.relations[key]
                self.ledger.rebase(before, [], None)
                continue
            # Some kind goes on (removal is None or not over): only the kinds over go.
            for kind, (_, removing) in list(relation.kinds.items()):
                if removing is not None and self._over(removing, now):
                    del relation.kinds[kind]
            self.ledger.rebase(before, relation.basis(), None)

    def removed_by(self, relation: Relation) -> str | None:
        """The event that ends the relation once it is over, if nothing else happens (None
        while the relation goes on): its pending end without kinds, or, when every kind it
        has is being removed, the removal over last; of the two, the one over first (its own
        end on a tie; on equal ends among kinds, the first kind's). Answers, pruning and
        histories all end a relation by this."""
        best: str | None = relation.ended_by
        best_end = self.ledger.entries[best].end if best is not None else None
        if relation.kinds:
            last: str | None = None
            last_end = 0
            for _, removing in relation.kinds.values():
                if removing is None:
                    return best  # this kind goes on, and with it the relation
                end = self.ledger.entries[removing].end
                if last is None or end > last_end:
                    last, last_end = removing, end
            if best_end is None or last_end < best_end:
                return last
        return best

    def _over(self, event_id: str, now: int) -> bool:
        return self.ledger.entries[event_id].end <= now

    def render(self, view: View) -> Iterator[dict[str, Any]]:
        """The relations in effect, by backer name, then backed name, each made as it is
        read."""
        # Sorted before any is made: the order the relations' names give (stable, so that
        # relations of the same two actors keep the order they were folded in).
        ordered = sorted(
            self.relations.values(),
            key=lambda r: (view.sort_name(r.backer), view.sort_name(r.backed)),
        )
        for relation in ordered:
            removal = self.removed_by(relation)
            if removal is not None and view.ended(removal):
                continue  # ended, or every kind it had is over
            kinds = sorted(
                k
                for k, (_, removing) in relation.kinds.items()
                if removing is None or not view.ended(removing)
            )
            ending = [k for k in kinds if relation.kinds[k][1] is not None]
            if relation.ended_by is not None:
                ending = kinds
            # The whole relation is ending when nothing of it is certain to go on.
            whole = relation.ended_by is not None or (bool(kinds) and ending == kinds)
            basis = unique(
                [relation.opened]
                + [i for k in kinds for i in relation.kinds[k]]
                + [relation.ended_by, relation.renewed_by]
            )
            yield (
                {
                    "backer": view.ref(relation.backer, "actor"),
                    "backed": view.ref(relation.backed, "actor"),
                    "kinds": kinds,
                    "ending": ending,
                    "status": "ending" if whole else "active",
                    "since": relation.since,
                    **view.cite(basis),
                }
            )

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return {
            "relations": [r.to_json() for r in self.relations.values()],
            "deadlines": self.deadlines.to_json(),
        }

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.relations = {}
        for item in data["relations"]:
            relation = Relation.from_json(item)
            self.relations[key_of(relation.backer, relation.backed)] = relation
        self.deadlines = Deadlines(data["deadlines"])

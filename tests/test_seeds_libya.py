"""The shipped Libya timeline answers what the public record says.

Each row of `RECORD` asks `timeline at DATE --timeline libya` one question and gives the
answer the public record supports, with the reason in words, so that a reader can check every
line against the history of the war. The answers are read at the end of DATE (Africa/Tripoli);
the dates are chosen a day or more away from each change, where the record is certain.

Checks:
- `controller`: who holds the place (an actor id; of a divided place, the side that last
  took a part of it).
- `status`: `held`, `partial`, `divided` or `contested`.
- `holders`: every side holding the place or part of it (ids, sorted).
- `contested by`: the parties fighting for it (ids, sorted; None when no contest is on).
- `partial`: whether the controller holds only part of it.
- `single source`: whether the controller's holding rests on one outlet.
- `backs`: whether "backer -> backed" support is in effect.
- `presence`: the actor's forces: "present", "withdrawing" or "absent".
- `presence at`: the same, at one place ("actor: place").
- `on behalf of`: whom the actor's forces are there for.
- `contested`: whether the actor's presence rests on an event someone denies.
- `materiel`: how many of an item are at a place ("place: item").
- `materiel of`: how many of an item one holder has at a place ("place: item: holder"; the
  place `-` for none named).
- `lost`: how many of that stock are known lost (destroyed, captured, lost or withdrawn).
- `losses`: how many losses of that stock are on record, whatever their counts.
- `offensive`: whether the offensive ("actor: name") is under way.
- `ceasefire`: the status of the ceasefire of that name (None: not yet heard of).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from timeline.dates import FuzzyDate, Precision, parse_fuzzy
from timeline.entities import DEFINITION_KINDS
from timeline.events import Event, Source
from timeline.store import EventQuery, Store
from timeline.store.query import mentions

Answer = dict[str, Any]
LibyaAt = Callable[..., dict[str, Any]]
Expected = str | int | bool | None


def control_of(answer: Answer, place: str) -> dict[str, Any] | None:
    """The control fact of `place`, or None when the answer has none."""
    for item in answer["control"]:
        if item["place"]["id"] == place:
            return dict(item)
    return None


def controller_of(answer: Answer, place: str) -> str | None:
    """The id of the actor holding `place`, or None when the answer has no controller for it."""
    item = control_of(answer, place)
    return str(item["controller"]["id"]) if item and item["controller"] else None


def place_control(answer: Answer, check: str, place: str) -> Expected:
    """The status, holders, contesting parties, partial or single-source flag of a place."""
    item = control_of(answer, place)
    if item is None:
        return None
    if check == "status":
        return str(item["status"])
    if check == "holders":
        return ", ".join(sorted(h["actor"]["id"] for h in item["holders"]))
    if check == "contested by":
        contest = item["contest"]
        return ", ".join(sorted(p["id"] for p in contest["parties"])) if contest else None
    if check == "partial":
        return bool(item["partial"])
    return bool(item["corroboration"]["single_source"])


def backers_of(answer: Answer, actor: str) -> set[str]:
    """The ids of every actor backing `actor`."""
    return {str(s["backer"]["id"]) for s in answer["support"] if s["backed"]["id"] == actor}


def present(answer: Answer, actor: str) -> list[dict[str, Any]]:
    """The presence entries (forces in the country) of `actor`."""
    return [p for p in answer["presence"] if p["actor"]["id"] == actor]


def presence_status(answer: Answer, actor: str) -> str:
    """ "present" or "withdrawing" (several deployments: comma-separated), or "absent"."""
    statuses = sorted({str(p["status"]) for p in present(answer, actor)})
    return ", ".join(statuses) or "absent"


def on_behalf_of(answer: Answer, actor: str) -> str | None:
    """The id of the side the actor's forces are there for (None when not said)."""
    sides = sorted({p["on_behalf_of"]["id"] for p in present(answer, actor) if p["on_behalf_of"]})
    return ", ".join(sides) or None


def materiel_at(answer: Answer, place: str) -> dict[str, int]:
    """Item -> how many are known to be at `place` (an unknown count counts as 0)."""
    counts: dict[str, int] = {}
    for m in answer["materiel"]:
        if (m["place"] or {}).get("id") == place:
            counts[m["item"]] = counts.get(m["item"], 0) + int(m["count"] or 0)
    return counts


def stocks_of(answer: Answer, subject: str) -> list[dict[str, Any]]:
    """The stocks "place: item: holder" names (place `-`: none named)."""
    place, item, holder = (s.strip() for s in subject.split(":"))
    return [
        m
        for m in answer["materiel"]
        if (m["place"] or {}).get("id", "-") == place
        and m["item"] == item
        and (m["holder"] or {}).get("id") == holder
    ]


def offensives_of(answer: Answer, actor: str) -> set[str]:
    """The names of the offensives `actor` has under way."""
    return {str(o["name"]) for o in answer["offensives"] if o["actor"]["id"] == actor}


def ceasefire_status(answer: Answer, name: str) -> str | None:
    """The status of the ceasefire called `name`, or None when the answer does not list it."""
    for c in answer["ceasefires"]:
        if c["name"] == name:
            return str(c["status"])
    return None


def observe(answer: Answer, check: str, subject: str) -> Expected:
    """What the answer says for one row of the table."""
    if check == "controller":
        return controller_of(answer, subject)
    if check in ("status", "holders", "contested by", "partial", "single source"):
        return place_control(answer, check, subject)
    if check == "backs":
        backer, backed = (s.strip() for s in subject.split("->"))
        return backer in backers_of(answer, backed)
    if check == "presence":
        return presence_status(answer, subject)
    if check == "on behalf of":
        return on_behalf_of(answer, subject)
    if check == "contested":
        return any(p["contested"] for p in present(answer, subject))
    if check == "materiel":
        place, item = (s.strip() for s in subject.split(":"))
        return materiel_at(answer, place).get(item, 0)
    if check == "materiel of":
        return sum(int(m["count"] or 0) for m in stocks_of(answer, subject))
    if check == "lost":
        return sum(int(m["lost"]) for m in stocks_of(answer, subject))
    if check == "losses":
        return sum(len(m["losses"]) for m in stocks_of(answer, subject))
    if check == "presence at":
        actor, place = subject.split(": ")
        statuses = sorted(
            {
                str(p["status"])
                for p in present(answer, actor)
                if (p["place"] or {}).get("id") == place
            }
        )
        return ", ".join(statuses) or "absent"
    if check == "offensive":
        actor, name = (s.strip() for s in subject.split(":", 1))
        return name in offensives_of(answer, actor)
    if check == "ceasefire":
        return ceasefire_status(answer, subject)
    raise AssertionError(f"unknown check {check!r}")


# (date, check, subject, expected, why)
# fmt: off
RECORD: list[tuple[str, str, str, Expected, str]] = [
    # --- control: Tripoli ---
    ("2011-06-01", "controller", "tripoli", "gaddafi-government",
     "Tripoli stayed Gaddafi's until the rebels took Bab al-Aziziya on 2011-08-23"),
    ("2011-09-01", "controller", "tripoli", "ntc", "The NTC took Tripoli on 2011-08-23"),
    ("2013-06-01", "controller", "tripoli", "gnc",
     "The NTC handed power to the elected General National Congress on 2012-08-08"),
    ("2015-06-01", "controller", "tripoli", "libya-dawn",
     "Libya Dawn drove the Zintani brigades out of Tripoli on 2014-08-23"),
    ("2017-01-01", "controller", "tripoli", "gna",
     "The GNA's Presidency Council arrived in Tripoli on 2016-03-30"),
    ("2020-05-26", "controller", "tripoli", "gna",
     "Tripoli held out through the LNA's offensive of 2019-2020"),
    # --- control: Benghazi ---
    ("2011-03-01", "controller", "benghazi", "ntc",
     "The uprising took Benghazi when the Katiba barracks fell on 2011-02-20"),
    ("2014-05-15", "status", "benghazi", "held",
     "Benghazi was under the authorities in Tripoli until Operation Dignity"),
    ("2014-06-01", "contested by", "benghazi", "ansar-al-sharia, lna",
     "Reuters, 2014-05-16: Haftar's forces shelled the bases of Ansar al-Sharia in Benghazi"),
    ("2014-09-01", "controller", "benghazi", "bensc",
     "The Benghazi Revolutionaries Shura Council overran the special forces' base in July 2014"),
    ("2014-09-01", "contested by", "benghazi", "bensc, lna",
     "Los Angeles Times, 2014-07-30: Benghazi the epicenter of fighting between the special "
     "forces with Haftar's troops and the Shura Council"),
    ("2014-10-01", "holders", "benghazi", "bensc",
     "Haftar's assault on the city began on 2014-10-15"),
    ("2015-06-01", "holders", "benghazi", "bensc, lna",
     "Reuters, 2015-02-09: the special forces held central parts of the city and the airport"),
    ("2015-06-01", "status", "benghazi", "contested",
     "The battle for Benghazi went on from May 2014 to December 2017"),
    ("2016-06-01", "holders", "benghazi", "bensc, lna",
     "Deutsche Welle, 2016-02-23: the LNA took Laithi; Islamists held other districts"),
    ("2017-03-01", "holders", "benghazi", "bensc, lna",
     "Libya Security Monitor, 2017-01-31: Sabri and Souq al-Hout the last enclaves after Ganfouda"),
    ("2017-08-01", "controller", "benghazi", "lna", "Haftar declared Benghazi taken on 2017-07-05"),
    ("2017-08-01", "holders", "benghazi", "bensc, lna",
     "Libyan Express, 2017-11-07: Shura Council fighters still held out in Sidi Khreibish"),
    ("2017-08-01", "partial", "benghazi", True,
     "Modern Ghana (AFP), 2017-07-09: fighting went on in Benghazi after the declaration"),
    ("2018-01-01", "status", "benghazi", "held",
     "Egypt Today (Reuters), 2017-12-28: the LNA took Khreibish, the last district"),
    ("2018-01-01", "contested by", "benghazi", None, "The battle for Benghazi was over"),
    ("2018-01-01", "single source", "benghazi", True,
     "The LNA's holding of all Benghazi rests on one report, Reuters' of 2017-12-28"),
    ("2016-06-01", "single source", "benghazi", False,
     "The LNA's part of Benghazi is reported by Libya Security Monitor and Deutsche Welle"),
    # --- control: Ajdabiya in the see-saw of March 2011 ---
    ("2011-03-20", "controller", "ajdabiya", "gaddafi-government",
     "Gaddafi's forces took Ajdabiya around 2011-03-16 on their way to Benghazi"),
    ("2011-04-01", "controller", "ajdabiya", "ntc", "The rebels retook Ajdabiya on 2011-03-26"),
    # --- control: Sirte ---
    ("2011-09-01", "controller", "sirte", "gaddafi-government",
     "Sirte was the last loyalist stronghold, until 2011-10-20"),
    ("2011-11-01", "controller", "sirte", "ntc", "Sirte fell to the NTC on 2011-10-20"),
    ("2016-01-01", "controller", "sirte", "isis-libya",
     "The Islamic State held Sirte from May-June 2015"),
    ("2017-01-01", "controller", "sirte", "gna",
     "Bunyan al-Marsous declared Sirte retaken on 2016-12-06"),
    ("2020-01-05", "controller", "sirte", "gna", "Sirte was the GNA's until 2020-01-06"),
    ("2020-01-07", "controller", "sirte", "lna", "The LNA took Sirte on 2020-01-06"),
    ("2020-10-24", "controller", "sirte", "lna",
     "Sirte stayed with the LNA behind the Sirte-Jufra line until the permanent ceasefire"),
    # --- control: Gharyan ---
    ("2019-04-03", "controller", "gharyan", "gna", "Gharyan was the GNA's before the offensive"),
    ("2019-04-10", "controller", "gharyan", "lna",
     "Gharyan fell to the LNA on 2019-04-04 at the start of the Tripoli offensive"),
    ("2019-06-25", "controller", "gharyan", "lna", "The LNA's forward base until 2019-06-26"),
    ("2019-06-27", "controller", "gharyan", "gna", "The GNA retook Gharyan on 2019-06-26"),
    # --- control: Tarhuna, Al Watiya, Sabratha, Surman, Tripoli's airport ---
    ("2020-06-04", "controller", "tarhuna", "lna",
     "Tarhuna was the LNA's last stronghold in the west until 2020-06-05"),
    ("2020-06-06", "controller", "tarhuna", "gna", "The GNA entered Tarhuna on 2020-06-05"),
    ("2020-05-17", "controller", "al-watiya", "lna",
     "Al Watiya was the LNA's main air base in the west until 2020-05-18"),
    ("2020-05-19", "controller", "al-watiya", "gna",
     "The GNA took Al Watiya on 2020-05-18 with Turkish support"),
    ("2020-04-12", "controller", "sabratha", "lna", "Sabratha sided with the LNA in 2019"),
    ("2020-04-14", "controller", "sabratha", "gna", "The GNA took Sabratha on 2020-04-13"),
    ("2020-04-12", "controller", "surman", "lna", "Surman sided with the LNA in 2019"),
    ("2020-04-14", "controller", "surman", "gna", "The GNA took Surman on 2020-04-13"),
    ("2014-08-01", "controller", "tripoli-airport", "zintan-brigades",
     "Zintani brigades held Tripoli's airport from August 2011 to August 2014"),
    ("2014-09-01", "controller", "tripoli-airport", "libya-dawn",
     "Libya Dawn captured the airport on 2014-08-23"),
    ("2016-06-01", "controller", "tripoli-airport", "libya-dawn",
     "Reuters, 2017-06-01: groups loyal to the rival Tripoli government held it until May 2017"),
    ("2017-06-02", "controller", "tripoli-airport", "gna",
     "Reuters, 2017-06-01: the GNA's Presidential Guard was securing the airport"),
    ("2020-06-02", "controller", "tripoli-airport", "lna",
     "The LNA held the old airport from April 2019 until 2020-06-03"),
    ("2020-06-04", "controller", "tripoli-airport", "gna",
     "The GNA retook Tripoli International Airport on 2020-06-03"),
    # --- control: the west and the Nafusa mountains ---
    ("2011-02-28", "controller", "nalut", "ntc",
     "Raw Story (AFP), 2011-02-27: Nalut run by a revolutionary committee since 19 February"),
    ("2011-03-01", "controller", "zintan", "ntc",
     "Raw Story (AFP), 2011-02-27: Zintan, Yefren and Kikla 'free for days'"),
    ("2011-03-10", "controller", "zuwara", "ntc",
     "Reuters, 2011-03-14: a quiet rebel town since the insurrection began in February"),
    ("2011-03-15", "controller", "zuwara", "gaddafi-government",
     "Reuters, 2011-03-14: Gaddafi's forces retook Zuwara that Monday"),
    ("2011-08-26", "controller", "zuwara", "ntc",
     "The Weekly Standard, 2011-08-25: Zuwara in the revolutionaries' hands"),
    ("2011-04-01", "contested by", "misrata", "gaddafi-government, ntc",
     "Ahram Online (AFP), 2011-03-06: Gaddafi's tanks shelled rebel-held Misrata"),
    ("2011-04-24", "contested by", "misrata", None,
     "Al Jazeera, 2011-04-23: the rebels declared Misrata free as the troops withdrew"),
    ("2011-05-01", "controller", "misrata-airport", "gaddafi-government",
     "BBC News, 2011-05-11: the airport was the base of Gaddafi's forces in the siege"),
    ("2011-05-12", "controller", "misrata-airport", "ntc",
     "BBC News, 2011-05-11: rebels captured Misrata airport"),
    ("2011-05-15", "holders", "yefren", "gaddafi-government, ntc",
     "Reuters, 2011-06-06: the lower town held by Gaddafi's forces for more than a month"),
    ("2011-06-07", "status", "yefren", "held", "Reuters, 2011-06-06: rebels seized all of Yafran"),
    ("2011-08-15", "controller", "surman", "ntc",
     "Eurasia Review (RIA Novosti), 2011-08-15: rebels entered Surman on the 14th"),
    ("2011-08-21", "controller", "zliten", "ntc",
     "Naharnet (AFP), 2011-08-20: Misratan rebels said they had seized Zliten"),
    ("2011-09-10", "contested by", "bani-walid", "gaddafi-government, ntc",
     "Southeast Missourian (AP), 2011-09-04: rebels besieging Bani Walid ready to attack"),
    ("2012-10-20", "contested by", "bani-walid", "bani-walid-local, gnc",
     "Libya Herald, 2012-10-18: Bani Walid attacked from three fronts"),
    ("2012-11-01", "contested by", "bani-walid", None,
     "Reuters, 2012-10-24: GNC-backed forces took Bani Walid"),
    ("2014-09-01", "controller", "zintan", "zintan-brigades",
     "Libya Herald, 2014-07-21: Zintan's military council declared for the new parliament"),
    ("2014-10-20", "contested by", "kikla", "libya-dawn, zintan-brigades",
     "Libya Security Monitor, 2014-10-12: the Zintani brigades attacked Dawn-held Kikla"),
    ("2016-02-25", "status", "sabratha", "held",
     "Reuters, 2016-02-24: the Islamic State driven out of Sabratha's centre"),
    ("2018-02-01", "controller", "mitiga", "gna",
     "Libya Herald, 2018-01-15: GNA-aligned forces repelled the attack on Mitiga"),
    ("2020-05-19", "controller", "zintan", "zintan-brigades",
     "Zintan's notables declared for the GNA on 2020-05-20"),
    ("2020-05-22", "controller", "zintan", "gna",
     "Middle East Monitor, 2020-05-21: Zintan's council of elders declared for the GNA"),
    # --- control: the seats of the east, the oil crescent's terminals, Tamanhint ---
    ("2014-10-01", "controller", "tobruk", "hor",
     "Libya Herald, 2014-09-28: the House of Representatives has sat in Tobruk since August"),
    ("2014-10-01", "controller", "bayda", "hor",
     "Libya Herald, 2014-09-28: al-Thinni's government will operate out of Bayda"),
    ("2016-09-13", "controller", "zueitina", "lna",
     "Reuters: the LNA took Es Sider, Ras Lanuf, Zueitina and Brega on 11-12 September 2016"),
    ("2016-09-20", "controller", "es-sider", "lna",
     "Reuters, 2016-09-19: Jadhran's counter-attack of the 18th was driven out the same day"),
    ("2017-05-26", "controller", "tamanhint", "lna",
     "Reuters, 2017-05-25: LNA forces drove into the empty base that morning"),
    # --- control: the south, Derna, Al Jufra, the oil crescent ---
    ("2011-09-01", "controller", "sebha", "gaddafi-government",
     "Sebha held out for Gaddafi until 2011-09-21"),
    ("2011-10-01", "controller", "sebha", "ntc", "NTC fighters took Sebha on 2011-09-21"),
    ("2018-06-01", "controller", "sebha", "gna", "Sebha was nominally the GNA's from 2016"),
    ("2019-03-01", "controller", "sebha", "lna",
     "The LNA took Sebha in its southern campaign of January 2019"),
    ("2015-01-01", "controller", "derna", "isis-libya",
     "Derna's jihadists pledged allegiance to the Islamic State in October 2014"),
    ("2016-01-01", "controller", "derna", "derna-shura-council",
     "The Derna Mujahideen Shura Council drove the Islamic State out in June 2015"),
    ("2018-07-01", "controller", "derna", "lna", "Haftar declared Derna taken on 2018-06-28"),
    ("2017-07-01", "controller", "al-jufra", "lna", "The LNA took Al Jufra on 2017-06-03"),
    ("2017-03-10", "controller", "ras-lanuf", "bdb",
     "The Benghazi Defence Brigades held Ras Lanuf from 3 to 14 March 2017"),
    ("2017-03-15", "controller", "ras-lanuf", "lna", "The LNA retook Ras Lanuf on 2017-03-14"),
    # --- control: the east, the centre and the south, town by town ---
    ("2011-03-01", "controller", "tobruk", "ntc",
     "Reuters, 2011-02-23: Tobruk had been in the people's hands for about three days"),
    ("2011-03-01", "controller", "bayda", "ntc",
     "Reuters, 2011-02-18: protesters joined by local police took over al-Bayda"),
    ("2011-10-01", "contested by", "sirte", "gaddafi-government, ntc",
     "Reuters, 2011-09-26: NTC fighters fought street battles in Sirte's eastern outskirts"),
    ("2011-10-21", "contested by", "sirte", None, "Sirte fell to the NTC on 2011-10-20"),
    ("2012-05-01", "controller", "kufra", "ntc",
     "Libya Herald, 2012-04-26: an army-controlled Libya Shield brigade kept the peace in Kufra"),
    ("2014-01-25", "controller", "tamanhint", "gaddafi-loyalists",
     "AFP, 2014-01-29: Gaddafi loyalists had occupied the base for two weeks"),
    ("2014-02-01", "controller", "tamanhint", "third-force",
     "Naharnet (AFP), 2014-01-29: the base was retaken that Wednesday"),
    ("2014-09-15", "controller", "benina", "lna",
     "Libya Security Monitor, 2014-09-08: the Shura Council tried once again to take Benina"),
    ("2014-12-01", "status", "ubari", "contested",
     "Libya Prospect, 2016-01-13: Tebu and Tuareg had fought for Ubari since mid-September 2014"),
    ("2014-12-01", "presence at", "third-force: sharara", "present",
     "Libya Herald, 2014-11-08: the Third Force took over El Sharara on 7 November"),
    ("2017-06-01", "presence at", "third-force: sharara", "absent",
     "Reuters, 2017-05-25: the Third Force had withdrawn from El Sharara"),
    ("2014-12-01", "controller", "zueitina", "pfg",
     "Libya Herald, 2014-07-01: Jadhran's forces closed Zueitina in August 2013"),
    ("2016-08-25", "controller", "zueitina", "pfg",
     "Libya Herald, 2016-08-23: the PFG still held the Zueitina terminal itself"),
    ("2016-01-01", "ceasefire", "Ubari ceasefire of November 2015", "in_force",
     "The Peninsula, 2015-11-24: Tuareg and Tebu signed a permanent ceasefire in Doha"),
    ("2016-01-14", "ceasefire", "Ubari ceasefire of November 2015", "violated",
     "Libya Prospect, 2016-01-13: at least 14 killed in new Tuareg-Tebu clashes in Ubari"),
    ("2016-07-01", "contested by", "sirte", "gna, isis-libya",
     "Libya Herald, 2016-07-10: heavy fighting in central Sirte"),
    ("2016-09-01", "holders", "sirte", "gna, isis-libya",
     "Libya's Channel, 2016-08-10: the GNA took the Ouagadougou centre; IS kept districts 1-3"),
    ("2017-03-01", "controller", "brak-al-shati", "lna",
     "Libyan Express, 2017-01-02: Ben Nayel's pro-Haftar forces took the base in December 2016"),
    ("2018-03-16", "controller", "kufra", "lna",
     "Libya Herald, 2018-03-15: the first LNA units arrived in Kufra"),
    ("2018-06-26", "controller", "hariga", "lna",
     "Reuters, 2018-06-25: Hariga, Brega and Zueitina were under Haftar's control"),
    ("2019-01-01", "controller", "sharara", "fezzan-anger-movement",
     "Reuters, 2019-02-06: tribesmen, protesters and guards had held El Sharara since 8 December"),
    ("2019-02-22", "controller", "el-feel", "lna",
     "Al Marsad, 2019-02-21: the LNA took El Feel that evening"),
    ("2019-03-02", "controller", "ghat", "lna",
     "Libya Security Monitor, 2019-03-05: the LNA entered Ghat peacefully on 28 February"),
    ("2019-08-12", "contested by", "murzuq", "gna, lna",
     "Libya Security Monitor, 2019-08-14: LNA battalions entered Murzuq on 10 August"),
    ("2019-08-20", "controller", "murzuq", "gna",
     "Libya Observer, 2019-08-18: the South Protection Force expelled Haftar's forces"),
    ("2011-10-01", "controller", "ubari", "ntc",
     "CNN, 2011-09-22: revolutionaries chased the loyalists from Ubari"),
    ("2019-01-01", "contested by", "ubari", "tebu-forces, tuareg-forces",
     "Tuareg and Tebu had fought for Ubari since September 2014"),
    ("2020-06-11", "controller", "ubari", "lna",
     "Middle East Monitor, 2020-12-07: the town is controlled by Haftar's forces"),
    ("2011-09-20", "holders", "sebha", "gaddafi-government, ntc",
     "Reuters, 2011-09-20: the NTC held Sebha's airport and fort"),
    ("2015-03-01", "holders", "sirte", "gnc, isis-libya",
     "Xinhua, 2015-02-13: Islamic State gunmen took Radio Sirte and the city council"),
    ("2016-01-01", "contested by", "ajdabiya", "ajdabiya-shura-council, lna",
     "Libya Prospect, 2015-12-21: more than 30 killed in clashes from 16 December"),
    ("2016-03-01", "controller", "ajdabiya", "lna",
     "Libya Herald, 2016-02-22: residents confirmed the LNA controlled the town"),
    ("2016-03-01", "contested by", "ajdabiya", None,
     "The Shura Council had pulled out of Ajdabiya"),
    ("2018-08-01", "contested by", "derna", "derna-shura-council, lna",
     "218 News, 2019-02-11: fighting went on in Derna's old city after the LNA's declaration"),
    ("2019-03-01", "contested by", "derna", None,
     "218 News, 2019-02-11: the LNA had entirely liberated Derna by 9 February"),
    ("2017-03-10", "presence at", "chadian-armed-groups: es-sider", "present",
     "UN Panel of Experts (Libya Herald, 2018-03-09): Chadians took part in the BDB attack"),
    ("2017-04-01", "presence at", "chadian-armed-groups: es-sider", "absent",
     "The LNA retook the oil crescent on 2017-03-14"),
    ("2018-06-18", "on behalf of", "chadian-armed-groups", "pfg",
     "Reuters, 2018-06-25: the LNA says fighters from Chad helped Jadhran"),
    # --- who backs whom ---
    ("2011-06-01", "backs", "nato -> ntc", True,
     "NATO's Operation Unified Protector, 31 March to 31 October 2011"),
    ("2011-12-01", "backs", "nato -> ntc", False, "NATO's mission ended on 2011-10-31"),
    ("2011-06-01", "backs", "qatar -> ntc", True, "Qatar recognised and armed the NTC in 2011"),
    ("2011-06-01", "backs", "france -> ntc", True,
     "France recognised the NTC on 2011-03-10 and struck from 2011-03-19"),
    ("2020-05-26", "backs", "uae -> lna", True, "The LNA is backed by the UAE (Daily Sabah)"),
    ("2020-05-26", "backs", "egypt -> lna", True, "The LNA is backed by Egypt (Daily Sabah)"),
    ("2020-05-26", "backs", "russia -> lna", True, "The LNA is backed by Russia (Daily Sabah)"),
    ("2020-05-26", "backs", "turkey -> gna", True,
     "Turkey is the GNA's primary and most important ally (Daily Sabah)"),
    ("2020-05-26", "backs", "qatar -> gna", True, "Qatar backs the GNA, with Turkey"),
    ("2019-06-01", "backs", "turkey -> gna", True,
     "Turkish armoured vehicles and drones reached the GNA from May 2019"),
    ("2011-06-01", "backs", "uk -> ntc", True,
     "BBC News, 2011-03-19: British forces in action over Libya"),
    ("2011-12-01", "backs", "uk -> ntc", True,
     "The Guardian, 2011-07-27: Britain recognised the NTC, until the handover of 2012"),
    ("2012-09-01", "backs", "uk -> ntc", False, "The NTC was dissolved on 2012-08-08"),
    ("2011-06-01", "backs", "uae -> ntc", True,
     "MEED, 2011-03-27: the UAE committed twelve warplanes to the no-fly zone"),
    ("2011-12-01", "backs", "uae -> ntc", False,
     "The air operations ended with NATO's on 2011-10-31"),
    ("2011-05-01", "backs", "jordan -> ntc", True,
     "WorldTribune, 2011-04-07: Jordanian jets supporting the no-fly zone from 3 April"),
    # --- forces present ---
    ("2019-06-01", "presence", "wagner", "absent",
     "Wagner's contractors reached the Tripoli front in September 2019"),
    ("2019-12-15", "presence", "wagner", "present",
     "Wagner contractors fought with the LNA south of Tripoli in late 2019"),
    ("2019-12-15", "on behalf of", "wagner", "lna", "Wagner fought for Haftar's LNA"),
    ("2020-05-26", "presence at", "wagner: tripoli-front", "withdrawing",
     "GNA-aligned forces said on 2020-05-25 that Wagner was evacuating the front"),
    ("2020-06-20", "presence at", "wagner: tripoli-front", "absent",
     "The GNA declared all of Greater Tripoli retaken on 2020-06-04: the front was gone"),
    ("2020-06-20", "presence at", "syrian-mercenaries-lna: tripoli-front", "absent",
     "Likewise the LNA's Syrian fighters"),
    ("2020-06-20", "presence at", "syrian-mercenaries-gna: tripoli-front", "absent",
     "Likewise the GNA's Syrian fighters (where they went is not recorded)"),
    ("2020-06-24", "presence at", "wagner: sharara", "absent",
     "The NOC: the convoy entered El Sharara on the evening of 2020-06-25"),
    ("2020-06-27", "presence at", "wagner: sharara", "present",
     "Libya Herald and Libyan Express, 2020-06-27: Wagner at El Sharara"),
    ("2019-07-01", "presence", "rsf-sudan", "absent",
     "The UN Panel of Experts on Libya dates the RSF's deployment to 2019-07-25"),
    ("2019-12-15", "on behalf of", "rsf-sudan", "lna",
     "The Libya panel: Hemeti sent the RSF troops for Haftar's LNA"),
    ("2020-01-10", "contested", "rsf-sudan", False,
     "Only the Libya panel's report of December 2019 spoke of the deployment"),
    ("2020-01-20", "contested", "rsf-sudan", True,
     "The UN Panel of Experts on the Sudan found no credible evidence of it (2020-01-14)"),
    ("2020-05-26", "contested", "wagner", True,
     "The Kremlin has consistently denied the presence of Russian troops"),
    ("2020-05-26", "presence", "syrian-mercenaries-lna", "withdrawing",
     "Syrian mercenaries of the LNA left the front with the Russians (GNA claim)"),
    ("2020-03-01", "presence", "syrian-mercenaries-gna", "present",
     "Turkey flew Syrian National Army fighters to Tripoli from December 2019"),
    ("2019-06-01", "presence", "turkey", "absent",
     "Turkish troops were sent only after the parliament's vote of 2020-01-02"),
    ("2020-02-01", "presence", "turkey", "present",
     "Turkish troops began deploying to Libya on 2020-01-05"),
    ("2020-05-26", "on behalf of", "turkey", "gna", "Turkey's troops are there for the GNA"),
    ("2016-09-01", "presence", "italy", "absent",
     "AGI, 2016-09-13: Italy announced its Misrata field hospital that day"),
    ("2016-10-15", "presence at", "italy: misrata-airport", "present",
     "AGI, 2016-09-13: about 300 Italian personnel for the hospital near Misrata airport"),
    ("2016-10-15", "on behalf of", "italy", "gna", "The GNA requested the hospital in August 2016"),
    ("2020-05-22", "presence at", "wagner: al-jufra", "absent",
     "Wagner reached Al Jufra from Bani Walid on 2020-05-24"),
    ("2020-05-26", "presence at", "wagner: al-jufra", "present",
     "TRT World, 2020-05-25: the Russians were flown from Bani Walid to Al Jufra"),
    ("2020-07-30", "presence at", "wagner: sirte", "present",
     "Al-Masdar News, 2020-07-24: AFRICOM imagery of Russian equipment at Sirte"),
    ("2020-07-30", "presence at", "turkey: al-watiya", "present",
     "AP, 2020-07-05: air-defence systems Turkey had just brought to Al Watiya"),
    # --- materiel ---
    ("2020-04-01", "materiel", "al-jufra: MiG-29", 0,
     "The MiG-29s arrived from Syria in May 2020, after the fall of Al Watiya"),
    ("2020-05-26", "materiel", "al-jufra: MiG-29", 6,
     "Russia transferred 6 MiG-29s to Al Jufra (Libyan interior minister, via Daily Sabah)"),
    ("2020-05-26", "materiel", "al-jufra: Su-24", 2,
     "Russia transferred 2 Su-24s to Al Jufra (Libyan interior minister, via Daily Sabah)"),
    # --- materiel lost, and captured ---
    ("2019-06-29", "lost", "mitiga: Turkish drone: gna", 0,
     "AFP, 2019-07-01: the LNA said it destroyed a Turkish drone at Mitiga on Sunday 30 June"),
    ("2019-07-01", "lost", "mitiga: Turkish drone: gna", 1, "The LNA's claim of 30 June"),
    ("2020-04-20", "lost", "misrata: Wing Loong drone: lna", 1,
     "Al Marsad, 2020-04-19: the GNA said it shot down an Emirati drone south of Misrata"),
    ("2020-05-09", "lost", "al-watiya: Turkish drone: gna", 1,
     "Al-Masdar News, 2020-05-08: the LNA said it shot down a Turkish drone over Al Watiya"),
    ("2020-05-15", "lost", "al-watiya: Pantsir-S1: lna", 0,
     "The first Pantsir the GNA reported destroyed at Al Watiya went on 2020-05-16"),
    ("2020-05-17", "lost", "al-watiya: Pantsir-S1: lna", 1,
     "Arabi Post, 2020-05-16: the GNA said it destroyed a Pantsir as it arrived at Al Watiya"),
    ("2020-05-19", "lost", "al-watiya: Pantsir-S1: lna", 2,
     "Al-Masdar News, 2020-05-18: a Pantsir-S1 left behind at Al Watiya was captured"),
    ("2020-05-19", "materiel of", "al-watiya: Pantsir-S1: lna", 0,
     "No delivery of a Pantsir is on record: the count stays at zero, never below"),
    ("2020-05-17", "materiel of", "al-watiya: Pantsir-S1: gna", 0,
     "The GNA had no Pantsir before it took Al Watiya on 2020-05-18"),
    ("2020-05-19", "materiel of", "al-watiya: Pantsir-S1: gna", 1,
     "The New Arab, 2020-05-22: the Pantsir paraded in Tripoli was found at Al Watiya"),
    ("2020-05-19", "lost", "sirte: Pantsir-S1: lna", 1,
     "Agenzia Nova, 2020-05-18: the GNA said it destroyed a Pantsir south of Sirte at dawn"),
    ("2020-05-21", "lost", "-: Pantsir-S1: lna", 4,
     "The New Arab, 2020-05-22: the GNA said four Pantsir were destroyed in less than 24 hours"),
    ("2020-07-03", "losses", "al-watiya: air-defence system: turkey", 0,
     "Turkey's air defences at Al Watiya were struck on the night of 4-5 July 2020"),
    ("2020-07-06", "losses", "al-watiya: air-defence system: turkey", 1,
     "AP, 2020-07-05: the strikes destroyed air-defence systems Turkey had just brought in"),
    ("2020-07-06", "lost", "al-watiya: air-defence system: turkey", 0,
     "How many systems were destroyed was not said: no count is known lost"),
    ("2019-10-01", "lost", "mitiga: Turkish drone: gna", 2,
     "UrduPoint (Sputnik), 2019-09-26: the LNA claimed a second Turkish drone at Mitiga"),
    # --- offensives under way ---
    ("2011-06-01", "offensive", "nato: Operation Unified Protector", True,
     "NATO's air campaign ran from 2011-03-31 to 2011-10-31"),
    ("2014-06-01", "offensive", "lna: Operation Dignity", True,
     "Haftar launched Operation Dignity in Benghazi on 2014-05-16"),
    ("2016-09-01", "offensive", "gna: Bunyan al-Marsous", True,
     "The GNA's campaign against the Islamic State in Sirte, May-December 2016"),
    ("2017-01-01", "offensive", "gna: Bunyan al-Marsous", False,
     "The Sirte campaign was declared over on 2016-12-17"),
    ("2019-06-01", "offensive", "lna: Operation Flood of Dignity", True,
     "The LNA's offensive on Tripoli began on 2019-04-04"),
    ("2020-05-26", "offensive", "lna: Operation Flood of Dignity", True,
     "The LNA's offensive was still on when Wagner pulled back from the front"),
    ("2020-06-10", "offensive", "lna: Operation Flood of Dignity", False,
     "The offensive ended in defeat with the loss of Tarhuna on 2020-06-05"),
    ("2020-03-01", "offensive", "gna: Operation Peace Storm", False,
     "Peace Storm was launched on 2020-03-25"),
    ("2020-05-10", "offensive", "gna: Operation Peace Storm", True,
     "Peace Storm took Sabratha, Surman and Al Watiya in April-May 2020"),
    # --- ceasefires ---
    ("2018-09-03", "ceasefire", "Tripoli ceasefire of September 2018", None,
     "The UN brokered the Tripoli ceasefire on 2018-09-04"),
    ("2018-09-04", "ceasefire", "Tripoli ceasefire of September 2018", "in_force",
     "Crisis24, 2018-09-04: UNSMIL announced the ceasefire signed that day"),
    ("2018-09-27", "ceasefire", "Tripoli ceasefire of September 2018", "violated",
     "AGI, 2018-09-26: the ceasefire was violated several times by its signatories"),
    ("2019-08-01", "ceasefire", "UN humanitarian truce for Eid al-Adha 2019", "proposed",
     "APP, 2019-07-30: the UN envoy called for an Eid truce around 10 August"),
    ("2019-08-10", "ceasefire", "UN humanitarian truce for Eid al-Adha 2019", "in_force",
     "France 24, 2019-08-10: the LNA's halt took effect at 15:00 that day"),
    ("2019-08-11", "ceasefire", "UN humanitarian truce for Eid al-Adha 2019", "violated",
     "UNSMIL, 2019-08-14: rockets hit Mitiga airport on the morning of 11 August"),
    ("2019-08-14", "ceasefire", "UN humanitarian truce for Eid al-Adha 2019", "ended",
     "The New Arab, 2019-08-13: fighting resumed as the two-day truce ended"),
    ("2015-01-17", "ceasefire", "Geneva talks ceasefire of January 2015", "proposed",
     "The New Arab, 2015-01-17: Libya Dawn announced a conditional ceasefire on the 16th"),
    ("2015-01-20", "ceasefire", "Geneva talks ceasefire of January 2015", "in_force",
     "Al Jazeera, 2015-01-18: the LNA declared a ceasefire from midnight"),
    ("2015-03-15", "ceasefire", "Geneva talks ceasefire of January 2015", "violated",
     "Al Marsad, 2015-03-12: Libya Dawn took the Um Shawisha camp from the Zintanis"),
    ("2020-01-10", "ceasefire", "January 2020 ceasefire", "proposed",
     "Erdogan and Putin called for a ceasefire on 2020-01-08"),
    ("2020-01-13", "ceasefire", "January 2020 ceasefire", "in_force",
     "The Russian-Turkish truce took effect on 2020-01-12"),
    ("2020-01-27", "ceasefire", "January 2020 ceasefire", "violated",
     "The LNA attacked near Abu Grein on 2020-01-26"),
    ("2020-02-20", "ceasefire", "January 2020 ceasefire", "violated",
     "LNA rockets hit Tripoli's port on 2020-02-18"),
    ("2020-04-01", "ceasefire", "January 2020 ceasefire", "collapsed",
     "The truce collapsed with Operation Peace Storm on 2020-03-25"),
    ("2020-06-07", "ceasefire", "Cairo Declaration ceasefire", "proposed",
     "Egypt's Cairo Declaration of 2020-06-06 proposed a ceasefire from 8 June"),
    ("2020-10-22", "ceasefire", "October 2020 permanent ceasefire", None,
     "The permanent ceasefire was signed in Geneva on 2020-10-23"),
    ("2020-10-24", "ceasefire", "October 2020 permanent ceasefire", "in_force",
     "The 5+5 Joint Military Commission's permanent ceasefire took effect on 2020-10-23"),
    # --- Brega's August 2011, the old airport in 2019, the coast west of Sabratha in 2020 ---
    ("2011-08-11", "status", "brega", "divided",
     "Al Jazeera (Reuters), 2011-08-11: rebels held the residential districts, Gaddafi the west"),
    ("2011-08-11", "holders", "brega", "gaddafi-government, ntc",
     "Al Jazeera (Reuters), 2011-08-11: the oil facilities in the west were still Gaddafi's"),
    ("2011-09-01", "controller", "brega", "ntc", "Reuters, 2011-08-22: Brega reported taken"),
    ("2011-09-01", "partial", "brega", False, "Reuters, 2011-08-22: all of Brega, not a part"),
    ("2019-04-07", "contested by", "tripoli-airport", None,
     "Reuters, 2019-04-06: the LNA announced it had taken the old airport"),
    ("2019-04-10", "contested by", "tripoli-airport", "gna, lna",
     "MITV (Reuters), 2019-04-09: GNA-allied forces were seen inside the airport on 8 April"),
    ("2020-04-12", "controller", "ajaylat", None,
     "No holder of Al Ajaylat is recorded before the GNA's advance"),
    ("2020-04-14", "controller", "ajaylat", "gna",
     "Anews (Anadolu Agency), 2020-04-13: GNA forces retook al-Ajaylat, al-Jamil and Riqdalin"),
    ("2020-05-26", "controller", "jumayl", "gna",
     "Anews (Anadolu Agency), 2020-04-13: GNA forces retook al-Jamil"),
    # --- local truces of the south and of Tripoli ---
    ("2012-03-29", "ceasefire", "Sebha ceasefire of March 2012", "proposed",
     "Libya Herald, 2012-03-30: a deal was negotiated on Wednesday 28 March"),
    ("2012-03-31", "ceasefire", "Sebha ceasefire of March 2012", "in_force",
     "Libya Herald, 2012-03-30: the fresh ceasefire was to take effect at 09:00 on Friday"),
    ("2014-01-12", "ceasefire", "Sebha ceasefire of March 2012", "collapsed",
     "Naharnet (AFP), 2014-01-29: the Awlad Suleiman and the Tebu fought again from 11 January"),
    ("2014-01-13", "ceasefire", "Sebha ceasefire of January 2014", "in_force",
     "Al-Sharq, 2014-01-14: elders announced a ceasefire from 15:30 on 13 January"),
    ("2014-02-01", "ceasefire", "Sebha ceasefire of January 2014", "collapsed",
     "Naharnet (AFP), 2014-01-29: 107 killed in the fighting since 11 January"),
    ("2014-03-06", "ceasefire", "Kufra truce of March 2014", "proposed",
     "Libya Herald, 2014-03-05: a truce brokered, in full effect once the 319 Brigade deployed"),
    ("2015-07-26", "ceasefire", "Kufra truce of March 2014", "collapsed",
     "Libya Herald, 2015-07-28: the clashes re-erupted into full-scale violence on Friday 24 July"),
    ("2015-07-29", "ceasefire", "Kufra ceasefire of July 2015", "collapsed",
     "Libya Herald, 2015-07-28: heavy fighting for a third day despite the ceasefire"),
    ("2015-07-26", "ceasefire", "Sebha Tebu-Tuareg truce of July 2015", "in_force",
     "Libya Herald, 2015-07-25: a truce signed that evening in Sebha"),
    ("2015-10-12", "ceasefire", "Kufra ceasefire of October 2015", "in_force",
     "Libya Herald, 2015-10-11: the ceasefire came into effect that morning"),
    ("2018-08-29", "ceasefire", "Tripoli truce of August 2018", "collapsed",
     "Minbar Libya, 2018-09-01: the truce of 28 August was violated within hours"),
    ("2019-01-18", "ceasefire", "Tripoli ceasefire of September 2018", "collapsed",
     "Reuters, 2019-01-16: the 7th Brigade and the Tripoli Protection Force fought again"),
    ("2019-05-06", "ceasefire", "UN humanitarian truce for Ramadan 2019", "proposed",
     "Libya Security Monitor, 2019-05-07: UNSMIL called for a truce from 6 May"),
    ("2019-05-08", "ceasefire", "UN humanitarian truce for Ramadan 2019", "ended",
     "Libya Security Monitor, 2019-05-07: neither side responded"),
    ("2014-07-16", "ceasefire", "Tripoli airport truce of July 2014", None,
     "Reuters, 2014-07-18: the truce at the airport was announced on the night of 17 July"),
    ("2014-07-19", "ceasefire", "Tripoli airport truce of July 2014", "collapsed",
     "Arab News (AFP), 2014-07-19: fighting broke out again hours after the truce"),
    ("2016-02-01", "controller", "kikla", "kikla-neutral-force",
     "Libya Business News, 2016-01-26: Zintanis to leave Kikla to forces from Zawiya and Mtrad"),
    ("2016-02-01", "contested by", "kikla", None,
     "Libya Business News, 2016-01-26: Zintan and Kikla signed a peace agreement"),
    ("2017-05-01", "ceasefire", "Sebha truce of April 2017", "in_force",
     "Libya Herald, 2017-04-29: an uneasy truce between the Tebu and the Awlad Suleiman"),
    ("2018-02-10", "ceasefire", "Sebha truce of April 2017", "collapsed",
     "Libyan Gazette, 2018-04-23: clashes in Sebha from 4 February 2018"),
    ("2014-10-21", "controller", "nalut", "gnc",
     "Nalut passed to the GNC's authority with the handover of 2012-08-08"),
    ("2014-10-23", "controller", "nalut", "libya-dawn",
     "Al-Masry Al-Youm (Anadolu), 2014-10-22: Nalut's revolutionaries are part of Libya Dawn"),
    ("2014-10-23", "controller", "yefren", "libya-dawn",
     "Al-Masry Al-Youm (Anadolu), 2014-10-22: Libya Dawn says it fully controls Yefren"),
    ("2020-05-26", "controller", "nalut", "gna",
     "Al Marsad, 2020-04-09: Nalut's military council is part of the GNA's forces"),
    # --- Khoms, and the GNA's Syrian fighters after the Tripoli front ---
    ("2019-09-20", "controller", "khoms", "gna",
     "AFP, 2019-09-16: the GNA's forces control the coastline between Tripoli and Sirte"),
    ("2020-06-20", "presence", "syrian-mercenaries-gna", "absent",
     "No Syrian fighter of the GNA is recorded anywhere between the front's closing and July"),
    ("2020-08-01", "presence", "syrian-mercenaries-gna", "present",
     "SOHR, 2020-07-12: more than 10,000 Syrian fighters remain in Libya"),
]
# fmt: on


# The record is the seeds' content, not a backend's: it is checked on SQLite (each date's
# answer folded once, see `libya_at`); the answers of PostgreSQL and of the in-memory store
# are held equal to SQLite's elsewhere (tests/test_memory_end_to_end.py, the store contract).
@pytest.mark.parametrize("libya_store", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("date", "check", "subject", "expected", "why"),
    RECORD,
    ids=[f"{date}-{check}-{subject}" for date, check, subject, _, _ in RECORD],
)
def test_the_libya_timeline_matches_the_record(
    libya_at: LibyaAt, date: str, check: str, subject: str, expected: Expected, why: str
) -> None:
    answer = libya_at(date)
    assert observe(answer, check, subject) == expected, f"at {date}, {check} {subject}: {why}"


def test_the_kremlin_denial_makes_the_wagner_claim_contested(libya_at: LibyaAt) -> None:
    # Daily Sabah, late May 2020: "The Kremlin has consistently denied the presence of its
    # troops in the country."
    claims = libya_at("2020-05-26")["claims"]
    denied = [c for c in claims if "kremlin" in {d["id"] for d in c["denied_by"]}]
    assert denied, "no claim of the 90 days before 2020-05-26 is denied by the Kremlin"
    assert all(c["status"] == "contested" for c in denied)


def test_the_gna_claims_of_the_withdrawal_are_listed(libya_at: LibyaAt) -> None:
    # Daily Sabah: the withdrawal was reported "according to statements from forces backing
    # the unity government on Monday" (2020-05-25).
    claims = libya_at("2020-05-26")["claims"]
    assert any(c["by"]["id"] == "gna" for c in claims)
    assert any(c["by"]["id"] == "us-africom" for c in claims)
    assert any(c["by"]["id"] == "libyan-interior-minister" for c in claims)


def test_the_other_count_of_the_pantsir_lost_at_al_watiya_is_a_claim(libya_at: LibyaAt) -> None:
    # Arabi Post (2020-05-16) reported one Pantsir destroyed at Al Watiya that Saturday,
    # Agenzia Nova (2020-05-18) two: the loss keeps the first count, the claim the second.
    answer = libya_at("2020-05-26")
    (stock,) = [
        m
        for m in answer["materiel"]
        if (m["place"] or {}).get("id") == "al-watiya" and m["holder"]["id"] == "lna"
        if m["item"] == "Pantsir-S1"
    ]
    destroyed = [loss for loss in stock["losses"] if loss["how"] == "destroyed"]
    assert [loss["count"] for loss in destroyed] == [1]
    claims = [c for c in answer["claims"] if "two Russian-made Pantsir" in c["text"]]
    assert [c["by"]["id"] for c in claims] == ["gna"]


# -- the sources ----------------------------------------------------------------------------------

# A source published this long after the end of the event it attests is a later account
# looking back, and says so (`retrospective: true`).
RETROSPECTIVE_AFTER = timedelta(days=60)
# Periodic reports (a monthly or yearly publication) may give only their month or year.
PERIODIC_REPORTS: frozenset[str] = frozenset()


def seed_events(store: Store) -> list[Event]:
    """Every event of the shipped timeline but the definitions of actors and places."""
    return [
        e
        for e in store.log.select(EventQuery("libya", exclude_kinds=sorted(DEFINITION_KINDS)))
        if e.kind not in DEFINITION_KINDS
    ]


def publication(source: Source) -> FuzzyDate:
    assert source.published is not None
    return parse_fuzzy(source.published, "Africa/Tripoli")


def test_every_event_has_a_source_dated_to_the_day(libya_store: Store) -> None:
    undated = [e.title for e in seed_events(libya_store) if not any(s.published for s in e.sources)]
    assert undated == []
    vague = [
        (e.title, s.name, s.published)
        for e in seed_events(libya_store)
        for s in e.sources
        if s.published
        and s.name not in PERIODIC_REPORTS
        and publication(s).precision not in (Precision.DAY, Precision.MINUTE)
    ]
    assert vague == []


def test_no_source_is_dated_before_the_event_it_attests(libya_store: Store) -> None:
    early = [
        (e.date.text, e.title, s.name, s.published)
        for e in seed_events(libya_store)
        for s in e.sources
        if s.published and publication(s).end <= e.date.start
    ]
    assert early == []


def test_a_late_account_says_it_is_retrospective(libya_store: Store) -> None:
    late = [
        (e.date.text, e.title, s.name, s.published)
        for e in seed_events(libya_store)
        for s in e.sources
        if s.published
        and not s.retrospective
        and publication(s).start - e.date.end > RETROSPECTIVE_AFTER
    ]
    assert late == []


def test_every_defined_entity_is_referenced(libya_store: Store) -> None:
    # By an event, or by another definition (a spokesman `speaks_for` an organisation).
    definitions = [fields for _, _, fields in libya_store.log.definitions("libya")]
    defined = {str(fields.get("actor") or fields.get("place")) for fields in definitions}
    referring = [e.fields for e in seed_events(libya_store)] + [
        {k: v for k, v in fields.items() if k not in ("actor", "place")} for fields in definitions
    ]
    unused = sorted(d for d in defined if not any(mentions(f, d) for f in referring))
    assert unused == []


def test_every_event_is_public_from_its_sources(libya_store: Store) -> None:
    # What `--as-published` rests on: each event's first publication is its earliest source.
    for event in seed_events(libya_store):
        first = min(publication(s).end for s in event.sources if s.published)
        assert event.published_at == first, event.title

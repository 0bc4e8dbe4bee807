// The page of `timeline serve`: a map, a date slider, a knowledge slider, the briefing, the
// events of the surrounding days, and a place's history on a click. Everything comes from
// this server's /api/ (relative URLs, so that it works under a reverse proxy's prefix), and
// every text from the data is set as text, never parsed as HTML.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const KNOWN_STEPS = 1000; // the knowledge slider's resolution; its last step is "everything"
const NEARBY_DAYS = 3; // the events listed run from this many days before the date to after it
const DEFINITIONS = new Set(["actor.defined", "place.defined"]);
const DAY_MS = 86400000;

const $ = (id) => document.getElementById(id);
const state = { timeline: null, range: null, chosenPlace: null, asked: 0 };

function element(tag, attributes, ...children) {
  const node = tag.startsWith("svg:")
    ? document.createElementNS(SVG, tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function ask(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) query.append(key, one);
  }
  const response = await fetch(`api/${path}?${query}`);
  const body = await response.json();
  if (!response.ok) {
    const where = body.parameter ? `${body.parameter}: ` : "";
    throw new Error(where + body.error);
  }
  return body;
}

// -- the sliders -------------------------------------------------------------------------------

function dayOf(index) {
  const first = Date.parse(state.range.days.first + "T00:00:00Z");
  return new Date(first + index * DAY_MS).toISOString().slice(0, 10);
}

function indexOfDay(day) {
  const first = Date.parse(state.range.days.first + "T00:00:00Z");
  return Math.round((Date.parse(day + "T00:00:00Z") - first) / DAY_MS);
}

function chosenDate() {
  return dayOf(Number($("date").value));
}

// What the database is asked "as of": what it had recorded by an instant (the recording
// times span the slider), or what had been published by then (the timeline's days span it).
function knowledgeSpan(kind) {
  if (kind === "as_known") return state.range.known;
  const days = state.range.days;
  return days && { first: `${days.first}T00:00:00Z`, last: `${days.last}T23:59:59Z` };
}

function knowledge() {
  const kind = $("knowledge-kind").value;
  const position = Number($("known").value);
  const span = knowledgeSpan(kind);
  if (!span || position >= KNOWN_STEPS) return {};
  if (position <= 0) return { [kind]: span.first };
  const first = Date.parse(span.first), last = Date.parse(span.last);
  return { [kind]: new Date(first + ((last - first) * position) / KNOWN_STEPS).toISOString() };
}

function knowledgeText(bounds) {
  if (bounds.as_known) return `as known at ${bounds.as_known}`;
  if (bounds.as_published) return `as published by ${bounds.as_published}`;
  return "with everything recorded";
}

function showSliders() {
  $("date-label").textContent = chosenDate();
  $("known-label").textContent = knowledgeText(knowledge());
}

// -- the map -----------------------------------------------------------------------------------

function drawMap(scene) {
  const height = scene.height;
  const flip = (y) => height - y;
  const svg = element("svg:svg", {
    viewBox: `0 0 ${scene.width} ${height}`,
    role: "img",
    "aria-label": `${scene.title}: ${scene.subtitle}`,
  });
  for (const ring of scene.outline) {
    const points = ring.map(([x, y]) => `${x.toFixed(1)},${flip(y).toFixed(1)}`).join(" ");
    svg.append(element("svg:polygon", { class: "outline", points }));
  }
  for (const marker of scene.markers) {
    const x = marker.x, y = flip(marker.y);
    const classes = ["place", marker.certain ? "" : "uncertain", marker.contested ? "contested" : ""];
    if (marker.place === state.chosenPlace) classes.push("chosen");
    const held = marker.controller_name
      ? `held by ${marker.controller_name}${marker.certain ? "" : " (possibly)"}`
      : "no controller known";
    const group = element("svg:g", {
      class: classes.filter(Boolean).join(" "),
      id: `place-${marker.place}`,
      "data-place": marker.place,
      "data-controller": marker.controller || "",
      tabindex: 0,
      role: "button",
      "aria-label": `${marker.name}, ${held}`,
    }, element("svg:title", {}, `${marker.name}: ${held}`));
    if (marker.contested) group.append(element("svg:circle", { class: "contested", cx: x, cy: y, r: 7 }));
    group.append(element("svg:circle", { class: "dot", cx: x, cy: y, r: 4.5, fill: marker.colour }));
    if (marker.targeted_by.length) {
      const d = `M${x - 3},${y - 3}L${x + 3},${y + 3}M${x - 3},${y + 3}L${x + 3},${y - 3}`;
      group.append(element("svg:path", { class: "target", d }));
    }
    group.addEventListener("click", () => showHistory(marker.place));
    group.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") showHistory(marker.place);
    });
    svg.append(group);
  }
  for (const label of scene.labels) {
    const [x0, y0] = label.box;
    svg.append(element("svg:text", { class: "label", x: x0, y: flip(y0) - 1.5 }, label.text));
  }
  svg.append(element("svg:text", { class: "subtitle", x: 6, y: 10 }, scene.subtitle));
  $("map").replaceChildren(svg);
  $("legend").replaceChildren(
    ...scene.legend.map(([name, colour]) =>
      element("li", {},
        element("svg:svg", { width: 10, height: 10, "aria-hidden": "true" },
          element("svg:circle", { cx: 5, cy: 5, r: 4.5, fill: colour })),
        name)),
  );
}

// -- the briefing ------------------------------------------------------------------------------

const nameOf = (entity) => (entity ? entity.name : "");
const maybe = (fact) => (fact.certain === false ? "?" : "");

// Every side holding a place, "(part)" after those holding part of it, "*" after a holding
// that rests on a single source, as the terminal briefing writes them.
const heldBy = (f) => (f.holders
  ? f.holders.map((h) => nameOf(h.actor) + (h.partial ? " (part)" : "")
    + (h.corroboration && h.corroboration.single_source ? " *" : "")).join("; ")
  : nameOf(f.controller));
// Whether a holding in the answer rests on a single source: the briefing then explains "*".
const singleSourced = (answer) => (answer.control || []).some((f) => (f.holders || [])
  .some((h) => h.corroboration && h.corroboration.single_source));
const contestedBy = (f) => (f.contest
  ? `${f.contest.parties.map(nameOf).join(", ")} (since ${f.contest.since})` : "");
// How many of a stock were lost (destroyed, captured, lost, withdrawn), and how many of those
// the holding on record could not cover.
function lostText(f) {
  if (!f.losses || !f.losses.length) return "";
  const beyond = f.lost_beyond_holding ? ` (${f.lost_beyond_holding} beyond the known holding)` : "";
  return `${f.lost}${beyond}`;
}

const SECTIONS = [
  ["control", "Control of places", ["Place", "Held by", "Taken from", "Contested by", "Since"],
    (f) => [nameOf(f.place), heldBy(f), nameOf(f.from), contestedBy(f), f.since + maybe(f)]],
  ["offensives", "Offensives under way", ["Offensive", "By", "Target", "Since"],
    (f) => [f.name, nameOf(f.actor), nameOf(f.target), f.since + maybe(f)]],
  ["support", "Who backs whom", ["Backer", "Backs", "How", "Since"],
    (f) => [nameOf(f.backer), nameOf(f.backed), f.kinds.join(", "), f.since + maybe(f)]],
  ["presence", "Forces present", ["Force", "Where", "For", "Status"],
    (f) => [nameOf(f.actor), nameOf(f.place), nameOf(f.on_behalf_of),
      f.status + (f.contested ? " (contested)" : "")]],
  ["materiel", "Materiel", ["Item", "Count", "Lost", "Where", "Held by"],
    (f) => [f.item, f.count ?? "", lostText(f), nameOf(f.place), nameOf(f.holder)]],
  ["ceasefires", "Ceasefires", ["Ceasefire", "Status", "Since"],
    (f) => [f.name, f.status, f.since || ""]],
  ["claims", "Claims of the last 90 days", ["Claim", "By", "Status"],
    (f) => [f.text, nameOf(f.by), f.status || ""]],
  ["recent", "Latest events", ["Date", "Kind", "Title"],
    (f) => [f.date, f.kind, f.title || ""]],
];

function drawBriefing(answer) {
  const parts = [element("h2", {}, `${answer.timeline} at ${answer.at}`),
    element("p", { class: "maybe" },
      knowledgeText(answer),
      "; ? = possibly, not certainly, in effect",
      singleSourced(answer) ? "; * = the holding rests on a single source (one outlet, or none)" : "")];
  for (const [key, title, headings, row] of SECTIONS) {
    const facts = answer[key] || [];
    parts.push(element("h2", {}, `${title} (${facts.length})`));
    if (!facts.length) continue;
    const table = element("table", { "data-section": key },
      element("thead", {}, element("tr", {}, ...headings.map((h) => element("th", {}, h)))));
    const body = element("tbody");
    for (const fact of facts) body.append(element("tr", {}, ...row(fact).map((c) => element("td", {}, c))));
    table.append(body);
    parts.push(table);
  }
  const dead = answer.fatalities;
  if (dead) {
    parts.push(element("h2", {}, "Fatalities"),
      element("p", {}, `${dead.total} in all (and ${dead.uncertain} possibly); ${dead.last_30_days} in the last 30 days`));
  }
  $("briefing").replaceChildren(...parts);
}

// -- events of the surrounding days, and a place's history -------------------------------------

function sourceLinks(sources) {
  return element("span", { class: "sources" }, ...sources.map((source) => {
    const text = [source.name, source.published].filter(Boolean).join(" ");
    // Only web links become links: a source's URL is data, not something to run.
    if (source.url && /^https?:\/\//i.test(source.url)) {
      return element("a", { href: source.url, rel: "noopener noreferrer", target: "_blank" }, text);
    }
    return element("span", {}, text);
  }));
}

function drawNearby(events, from, to) {
  $("nearby-title").textContent = `Events from ${from} to ${to}`;
  const shown = events.filter((e) => !DEFINITIONS.has(e.kind));
  $("nearby-list").replaceChildren(...(shown.length ? shown.map((e) =>
    element("li", { "data-event": e.id },
      element("span", { class: "kind" }, `${e.date} ${e.kind}`),
      e.title || "",
      sourceLinks(e.sources))) : [element("li", { class: "maybe" }, "none recorded")]));
}

async function showHistory(place) {
  state.chosenPlace = place;
  for (const node of document.querySelectorAll(".place.chosen")) node.classList.remove("chosen");
  const marker = document.getElementById(`place-${place}`);
  if (marker) marker.classList.add("chosen");
  try {
    const history = await ask("history", { timeline: state.timeline, entity: place, ...knowledge() });
    $("history-title").textContent = `History of ${history.entity.name}`;
    $("history-list").replaceChildren(...(history.control.length ? history.control.map((span) =>
      element("li", {}, `${span.from} .. ${span.until || "now"}${span.certain ? "" : " ?"}: `,
        `held by ${nameOf(span.controller)}`,
        span.taken_from ? ` (taken from ${nameOf(span.taken_from)})` : "")) :
      [element("li", { class: "maybe" }, "no control recorded")]));
    $("history").hidden = false;
  } catch (error) {
    $("status").textContent = error.message;
  }
}

// -- putting it together -----------------------------------------------------------------------

async function update() {
  showSliders();
  const asked = ++state.asked;
  const date = chosenDate();
  const known = knowledge();
  const from = dayOf(Math.max(0, Number($("date").value) - NEARBY_DAYS));
  const to = dayOf(Number($("date").value) + NEARBY_DAYS);
  const base = { timeline: state.timeline, ...known };
  $("map").dataset.state = "loading";
  location.replace(`#${new URLSearchParams({
    timeline: state.timeline, date, known: $("known").value, by: $("knowledge-kind").value })}`);
  try {
    const [scene, answer, events] = await Promise.all([
      ask("map.json", { ...base, date }),
      ask("at", { ...base, date }),
      ask("events", { ...base, from, to, limit: 200 }),
    ]);
    if (asked !== state.asked) return; // a later move of a slider has taken over
    drawMap(scene);
    drawBriefing(answer);
    drawNearby(events, from, to);
    $("status").textContent = "";
    $("map").dataset.date = date;
    $("map").dataset.asKnown = known.as_known || "";
    $("map").dataset.asPublished = known.as_published || "";
    $("map").dataset.state = "ready";
    if (state.chosenPlace) showHistory(state.chosenPlace);
  } catch (error) {
    if (asked === state.asked) $("status").textContent = error.message;
  }
}

let pending = null;
function soon() {
  showSliders();
  clearTimeout(pending);
  pending = setTimeout(update, 120);
}

async function choose(timeline, wanted) {
  state.timeline = timeline;
  state.range = await ask("range", { timeline });
  document.title = $("title").textContent = state.range.title || timeline;
  if (!state.range.days) throw new Error(`${timeline} has no events yet`);
  const last = indexOfDay(state.range.days.last);
  $("date").max = last;
  const day = wanted.get("date");
  const index = day && /^\d{4}-\d{2}-\d{2}$/.test(day) ? indexOfDay(day) : last;
  $("date").value = Math.min(Math.max(index, 0), last);
  $("known").max = KNOWN_STEPS;
  $("known").value = wanted.get("known") ?? KNOWN_STEPS;
  $("knowledge-kind").value = wanted.get("by") === "as_published" ? "as_published" : "as_known";
  $("known").disabled = !knowledgeSpan($("knowledge-kind").value);
  await update();
}

async function start() {
  const wanted = new URLSearchParams(location.hash.slice(1));
  try {
    const timelines = await ask("timelines", {});
    if (!timelines.length) throw new Error("the database has no timeline yet");
    const select = $("timeline");
    select.replaceChildren(...timelines.map((t) => element("option", { value: t.name }, t.title || t.name)));
    $("timeline-choice").hidden = timelines.length < 2;
    const name = timelines.some((t) => t.name === wanted.get("timeline")) ? wanted.get("timeline") : timelines[0].name;
    select.value = name;
    select.addEventListener("change", () => choose(select.value, new URLSearchParams()));
    $("date").addEventListener("input", soon);
    $("known").addEventListener("input", soon);
    $("knowledge-kind").addEventListener("change", () => {
      $("known").disabled = !knowledgeSpan($("knowledge-kind").value);
      soon();
    });
    await choose(name, wanted);
  } catch (error) {
    $("status").textContent = error.message;
  }
}

document.addEventListener("DOMContentLoaded", start);

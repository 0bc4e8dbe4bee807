"""Pictures of a timeline: GeoJSON of a state, maps, charts, TimelineJS and HTML reports.

The modules here compute values (features, projected points, label boxes, colours, the
series of a chart) from answers and events: pure, and tested on their own. Only `drawing`
turns those values into PNG or SVG, with matplotlib, imported inside its functions so that
nothing else pays for it.
"""

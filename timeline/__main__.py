"""`python -m timeline` runs the command line."""

from timeline.cli.entry import run

run()

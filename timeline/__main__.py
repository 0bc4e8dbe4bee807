"""`python -m timeline` runs the command line."""

from timeline.cli import main

# Named as the installed command is, in usage lines and in the completion variable
# (_TIMELINE_COMPLETE) that click reads.
main(prog_name="timeline")

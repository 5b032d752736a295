#!/bin/sh
# Alternate between exit 0 (prints 0 on stdout) and exit 1 (prints 1 on stderr) on successive runs.
# State: $TASKER_EXAMPLE_STATE (default ~/.tasker_example)_toggle.
state="${TASKER_EXAMPLE_STATE:-$HOME/.tasker_example}_toggle"
v=$(cat "$state" 2>/dev/null || echo 1)
if [ "$v" = 1 ]; then v=0; else v=1; fi
echo "$v" > "$state"
if [ "$v" = 1 ]; then echo 1 >&2; exit 1; fi
echo 0
exit 0

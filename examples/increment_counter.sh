#!/bin/sh
# Print 1, 2, 3, 1, … on successive runs. State: $TASKER_EXAMPLE_STATE (default ~/.tasker_example_counter).
state="${TASKER_EXAMPLE_STATE:-$HOME/.tasker_example}_counter"
n=$(cat "$state" 2>/dev/null || echo 0)
n=$(( n % 3 + 1 ))
echo "$n" > "$state"
echo "$n"

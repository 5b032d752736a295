#!/usr/bin/env bash
# Build the process launcher (native/tasker-launch.c) into dist/native/. Optional: without a C
# compiler the runner uses Node's own spawn (~2 ms more per command, and double-forked daemons of a killed
# task are not found: docs/task-files.md, "Processes a task leaves").
set -u
cd "$(dirname "$0")/.."
cc=""
for c in "${CC:-}" cc gcc clang; do
  if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then cc="$c"; break; fi
done
if [ -z "$cc" ]; then
  echo "note: no C compiler found (install gcc for faster process starts); using Node's spawn" >&2
  exit 0
fi
mkdir -p dist/native
# Static where the C library allows it, so the package runs on other machines of this architecture.
if ! "$cc" -O2 -Wall -static -o dist/native/tasker-launch.tmp native/tasker-launch.c native/start-program.c native/process-tree.c 2>/dev/null &&
   ! "$cc" -O2 -Wall -o dist/native/tasker-launch.tmp native/tasker-launch.c native/start-program.c native/process-tree.c; then
  rm -f dist/native/tasker-launch.tmp
  echo "note: building native/tasker-launch.c failed; using Node's spawn" >&2
  exit 0
fi
mv -f dist/native/tasker-launch.tmp dist/native/tasker-launch

#!/usr/bin/env bash
# `npm test` runs ava through this: TMPDIR is a directory of the test run's own, removed when ava
# ends, so what the tests leave in their temporary directories (task files, logs, sockets, server
# stores) goes with it instead of piling up in /tmp run after run. Sticky and world-writable like
# /tmp, for the tests that run a command as another user. HOME is a directory inside it too: tasker
# and the agents a test starts write their logs under ~/TASKER unless told otherwise, and a test run
# must leave nothing in the home of whoever runs `npm test`. Exits with ava's code.
set -uo pipefail
root=$(mktemp -d "${TMPDIR:-/tmp}/tasker-tests-XXXXXX") || exit 1
chmod 1777 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -m 700 "$root/home" || exit 1
TMPDIR="$root" HOME="$root/home" ./node_modules/.bin/ava "$@"

#!/usr/bin/env bash
# `npm test` runs ava through this: TMPDIR is a directory of the test run's own, removed when ava
# ends, so what the tests leave in their temporary directories (task files, logs, sockets, server
# stores) goes with it instead of piling up in /tmp run after run. Sticky and world-writable like
# /tmp, for the tests that run a command as another user. Exits with ava's code.
set -uo pipefail
root=$(mktemp -d "${TMPDIR:-/tmp}/tasker-tests-XXXXXX") || exit 1
chmod 1777 "$root"
trap 'rm -rf "$root"' EXIT
TMPDIR="$root" npx ava "$@"

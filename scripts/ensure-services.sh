#!/usr/bin/env bash
# Make sure the real services the tests use are installed: nats-server and OpenSSH's sshd (Debian
# packages), plus ping, Graphviz and GNU parallel used by a few tests and benchmarks, and Chromium for
# the web console's browser tests. The tests start
# their own instances on free loopback ports; nothing is started here.
set -euo pipefail
need=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v ip >/dev/null 2>&1 || need+=(iproute2)     # network namespaces for the multi-host agent test
command -v cc >/dev/null 2>&1 || need+=(gcc)          # builds the process launcher (native/tasker-launch.c)
command -v parallel >/dev/null 2>&1 || need+=(parallel) # GNU parallel, a baseline of bench/parallelr.mjs
[ -x /usr/bin/chromium ] || need+=(chromium)          # headless browser of the console tests (puppeteer-core drives it)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-services: installing ${need[*]} (Debian packages)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "ensure-services: the tests need these Debian packages: ${need[*]}" >&2
  echo "install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi

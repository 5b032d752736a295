#!/usr/bin/env bash
# Regenerates the TypeScript of proto/*.proto into shared/proto/generated/ (or into $1).
# Run from anywhere: `bash scripts/gen-proto.sh` (npm script `gen:proto`).
# test/shared/proto/generated-code.test.ts (run by `npm test`) generates into a temporary
# directory and fails when the checked-in files differ: run this after changing a .proto file.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-shared/proto/generated}"
rm -rf "$out"
mkdir -p "$out"
node_modules/.bin/proto-loader-gen-types \
  --keepCase --longs=Number --enums=String --defaults --oneofs --includeComments \
  --grpcLib=@grpc/grpc-js --importFileExtension=.js --outDir="$out" \
  proto/agent.proto proto/health.proto

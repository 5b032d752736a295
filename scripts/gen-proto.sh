#!/usr/bin/env bash
# Regenerates the TypeScript types for proto/*.proto into shared/proto/generated/.
# Run from anywhere: `bash scripts/gen-proto.sh` (npm script `gen:proto`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="shared/proto/generated"
rm -rf "$out"
mkdir -p "$out"
node_modules/.bin/proto-loader-gen-types \
  --keepCase --longs=Number --enums=String --defaults --oneofs --includeComments \
  --grpcLib=@grpc/grpc-js --importFileExtension=.js --outDir="$out" \
  proto/agent.proto proto/health.proto

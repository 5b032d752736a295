import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GrpcObject } from '@grpc/grpc-js';
import type { ProtoGrpcType as AgentProto } from './generated/agent.js';
import type { ProtoGrpcType as HealthProto } from './generated/health.js';

export type { AgentProto, HealthProto };

/** proto-loader options; they must match scripts/gen-proto.sh so the generated types are true. */
export const PROTO_LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;

/**
 * The package root: the nearest directory above this file holding our package.json. Works from
 * source (shared/proto/) and from the build (dist/shared/proto/, which has no proto/ of its own).
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'proto', 'agent.proto'))) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tasker') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the tasker package root (proto/agent.proto) above ${from}`);
    dir = parent;
  }
}

export interface LoadedProtos {
  agent: AgentProto;
  health: HealthProto;
}

let cached: Promise<LoadedProtos> | undefined;

/** Load proto/agent.proto and proto/health.proto once (gRPC is imported lazily, here). */
export function loadProtos(): Promise<LoadedProtos> {
  cached ??= (async () => {
    const [grpc, loader] = await Promise.all([import('@grpc/grpc-js'), import('@grpc/proto-loader')]);
    const root = packageRoot();
    const load = (file: string): GrpcObject =>
      grpc.loadPackageDefinition(loader.loadSync(join(root, 'proto', file), PROTO_LOADER_OPTIONS));
    return {
      agent: load('agent.proto') as unknown as AgentProto,
      health: load('health.proto') as unknown as HealthProto,
    };
  })();
  return cached;
}

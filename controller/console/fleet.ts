/**
 * The fleet: agents from the config (asked Health and Info over gRPC, at most every few seconds)
 * and NATS workers (their heartbeats, and the started/result notices of the jobs they run).
 */
import { homedir } from 'node:os';
import { loadConfig } from '../../shared/config/index.js';
import { addSecretNames } from '../../shared/taskfile/secret-names.js';
import { secretNamesFromConfig } from '../../shared/config/index.js';
import { describeAgent, openAgentConnection, parseAgentsConfig, type AgentSpec } from '../agents/index.js';
import type { LiveState } from './live-progress.js';
import { NatsActivity } from './nats-activity.js';

export interface AgentRow {
  name: string;
  address: string;
  state: string;
  version?: string;
  hostname?: string;
  running?: number;
  maxConcurrent?: number;
  load?: number[];
  execTypes?: string[];
  error?: string;
}

const DEADLINE_MS = 3000;
const CACHE_MS = 5000;

async function askAgent(spec: AgentSpec): Promise<AgentRow> {
  const row: AgentRow = { name: spec.name, address: describeAgent(spec), state: 'unreachable' };
  let conn;
  try {
    conn = await openAgentConnection(spec);
    const health = await conn.client.unary(conn.methods.health, { service: '' }, Date.now() + DEADLINE_MS);
    row.state = health.status;
    const info = await conn.client.unary(conn.methods.info, {}, Date.now() + DEADLINE_MS);
    Object.assign(row, {
      state: info.draining ? 'DRAINING' : row.state, version: info.version, hostname: info.hostname, running: info.running,
      maxConcurrent: info.max_concurrent, load: info.load_average, execTypes: info.exec_types,
    });
  } catch (error) {
    row.error = (error as Error).message;
  } finally {
    await conn?.close().catch(() => undefined);
  }
  return row;
}

export class FleetView {
  private agentsCache: { at: number; rows: Promise<AgentRow[]> } | undefined;
  readonly problems: string[] = [];

  private constructor(private readonly specs: AgentSpec[], readonly nats: NatsActivity | undefined) {}

  /** Reads the config (agents, secret names) and connects to NATS when asked. */
  static async open(opts: { config?: string; nats?: string; cwd: string; env: NodeJS.ProcessEnv }): Promise<FleetView> {
    const found = loadConfig({ explicitPath: opts.config, env: opts.env, cwd: opts.cwd, home: opts.env.HOME || homedir() });
    const problems = found.diagnostics.filter((d) => d.severity === 'error').map((d) => `${found.path ?? opts.config}:${d.line}:${d.col}: ${d.message}`);
    addSecretNames(secretNamesFromConfig(found.data, found.positionOf).names);
    const agents = parseAgentsConfig(found.data, found.path);
    const nats = opts.nats ? await NatsActivity.connect(opts.nats) : undefined;
    const view = new FleetView([...agents.agents.values()], nats);
    view.problems.push(...problems, ...agents.problems);
    return view;
  }

  agents(): Promise<AgentRow[]> {
    const now = Date.now();
    if (!this.agentsCache || now - this.agentsCache.at > CACHE_MS) {
      this.agentsCache = { at: now, rows: Promise.all(this.specs.map(askAgent)) };
    }
    return this.agentsCache.rows;
  }

  /** Adds the per-agent slots NATS reported to a distributed run's live state. */
  decorate(state: LiveState, natsRunId: string | undefined): LiveState {
    return this.nats ? this.nats.decorate(state, natsRunId) : state;
  }

  async close(): Promise<void> {
    await this.nats?.close();
  }
}

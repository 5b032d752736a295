/** What the cluster tests share: who leads what, moving leaders onto one member, parallelr as its own process. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { killWithTestProcess } from '../helpers/child-cleanup.js';
import { JOBS_STREAM, RESULTS_STREAM, poolConsumer } from '../../shared/nats/subjects.js';
import { ROOT, sleep } from './fleet.js';

const PARALLELR_CLI = join(ROOT, 'controller/cli/parallelr.ts');

/** Who leads the jobs stream, the results stream and the pool's consumer (JetStream `cluster.leader`). */
export async function leaders(jsm: JetStreamManager, pool: string): Promise<{ jobs: string; results: string; consumer: string }> {
  const [jobs, results, consumer] = await Promise.all([
    jsm.streams.info(JOBS_STREAM), jsm.streams.info(RESULTS_STREAM), jsm.consumers.info(JOBS_STREAM, poolConsumer(pool)),
  ]);
  return { jobs: jobs.cluster?.leader ?? '', results: results.cluster?.leader ?? '', consumer: consumer.cluster?.leader ?? '' };
}

/** The member holding the controller's reader of the results (an ephemeral consumer on TASKER_RESULTS: R1, on one member). */
export async function readerHost(jsm: JetStreamManager): Promise<string> {
  for (;;) {
    for await (const c of jsm.consumers.list(RESULTS_STREAM)) if (c.cluster?.leader) return c.cluster.leader;
    await sleep(100);
  }
}

/**
 * Move the leaders of both streams and the pool consumer onto `target` (stepping down whichever
 * leads elsewhere), so killing it takes them all at once, with the controller's reader: the worst case.
 */
export async function gatherLeaders(nc: NatsConnection, jsm: JetStreamManager, pool: string, target: string): Promise<void> {
  const stepDown = (api: string) => nc.request(`$JS.API.${api}`, undefined, { timeout: 5000 }).catch(() => undefined);
  for (let round = 0; round < 100; round++) {
    const l = await leaders(jsm, pool).catch(() => undefined);
    if (l && l.jobs === target && l.results === target && l.consumer === target) return;
    if (l?.jobs && l.jobs !== target) await stepDown(`STREAM.LEADER.STEPDOWN.${JOBS_STREAM}`);
    if (l?.results && l.results !== target) await stepDown(`STREAM.LEADER.STEPDOWN.${RESULTS_STREAM}`);
    if (l?.consumer && l.consumer !== target) await stepDown(`CONSUMER.LEADER.STEPDOWN.${JOBS_STREAM}.${poolConsumer(pool)}`);
    await sleep(300);
  }
  throw new Error(`could not gather the leaders on ${target}`);
}

/** The parallelr CLI as its own process; SIGKILLed by `kill()` (and when the test process exits). */
export function runParallelr(args: string[], env: NodeJS.ProcessEnv): { done: Promise<{ code: number | null; out: string; err: string }>; out(): string; err(): string; kill(): void } {
  const child = spawn(process.execPath, ['--import', 'tsx', PARALLELR_CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  killWithTestProcess(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.once('exit', (code) => resolve({ code, out, err })));
  return { done, out: () => out, err: () => err, kill: () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL') };
}

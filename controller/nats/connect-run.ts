/** Connect a run's controller to NATS and make sure the run's streams exist. */
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { connectNats, ensureRecordsStream, ensureStreams, setUpJetStream, type NatsSettings } from '../../shared/nats/index.js';
import type { CliIo } from '../../shared/cli-io.js';
import { SetupError } from '../../shared/errors/index.js';
import type { RunState } from './run-state.js';
import { askRunController, formatStatus } from './watch-run.js';

/**
 * Connect and make sure the run's streams exist; the message to print when that fails.
 * `onConnected` is called as soon as the connection is up (what can start before the streams are checked).
 * A JetStream that does not answer yet (a member restarting, a leader election) is waited for, saying so on `io.stderr`, until `io.signal` aborts (setup-patience.ts).
 * A resume (`o.resume`) is refused while the run's controller still answers, wherever it runs: two
 * controllers of one run would write every row twice and take each other's records.
 */
export async function connectRun(
  state: RunState, o: { settings: NatsSettings; resume?: boolean }, where: string, io: Pick<CliIo, 'stderr' | 'signal'>, onConnected?: (nc: NatsConnection) => void,
): Promise<{ nc: NatsConnection; jsm: JetStreamManager; js: JetStreamClient } | { error: string }> {
  try {
    const nc = await connectNats({ servers: o.settings.servers, auth: o.settings.auth, tls: o.settings.tls, name: `parallelr ${state.runId}` });
    const owner = o.resume ? await askRunController(nc, state.runId) : undefined;
    if (owner && owner.state !== 'ended') {
      await nc.close().catch(() => undefined);
      throw new SetupError(
        `run ${state.runId} still has a controller (${formatStatus(owner)}): --resume is for a run whose controller is gone. ` +
          `Follow this one with: parallelr --watch ${state.runId}; stop it with parallelr -k PID on its host (see parallelr --list-workers there)`,
      );
    }
    onConnected?.(nc);
    let jsm: JetStreamManager;
    try {
      jsm = await setUpJetStream(nc, where, async (m) => {
        await ensureStreams(m, {
          pool: state.pool, ackWaitMs: o.settings.ackWaitSec * 1000, updateAckWait: true, replicas: o.settings.replicas, updateReplicas: true,
        });
        await ensureRecordsStream(m, { replicas: o.settings.replicas });
        return m;
      }, { note: (text) => io.stderr.write(`parallelr: ${text}\n`), signal: io.signal });
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw e;
    }
    const { jetstream } = await import('@nats-io/jetstream');
    return { nc, jsm, js: jetstream(nc) };
  } catch (e) {
    if (e instanceof SetupError) return { error: e.message };
    return { error: `NATS at ${where}: ${(e as Error).message}` };
  }
}

/**
 * Tells the operator when JetStream stops answering during a run, and when it answers again.
 *
 * Without a quorum (a cluster with fewer than a majority of its members up) or with no server
 * reachable, no job can be claimed and no result stored or read: the run can only wait, and
 * without this it would wait in silence. Nothing is decided here: the run keeps waiting (agents
 * hold their jobs and retry storing finished results); an operator who cannot bring a member back
 * stops it (Ctrl-C, `parallelr -k`) and finishes it later with `--resume`.
 *
 * The probe is the results stream's info: it must come, and name a leader. A member left without a
 * quorum first does not answer, then answers from its own replica with no leader.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { RESULTS_STREAM } from '../../shared/nats/index.js';

export interface JetStreamWatchOptions {
  /** Between probes. Default 2 s. */
  probeMs?: number;
  /** No answer for this long: say so. Default 10 s. */
  quietMs?: number;
  /** Said again this often while it lasts. Default 60 s. */
  repeatMs?: number;
}

export interface JetStreamWatch {
  /**
   * JetStream just delivered something the run needed (a result read): it answers. Said back at
   * once, not at the next probe, which may still be waiting out a request sent during the outage;
   * the run may even finish before that probe returns.
   */
  answered(): void;
  /**
   * JetStream does not answer now: its last answer is more than two probes old (or it was said to
   * be unavailable). Other watches keep quiet then: nothing can be claimed or stored meanwhile.
   */
  readonly down: boolean;
  stop(): void;
}

/** Probe JetStream until `stop()`; `note` gets one line when it goes quiet (repeated while it stays so) and one when it is back. */
export function watchJetStream(jsm: JetStreamManager, note: (text: string) => void, o: JetStreamWatchOptions = {}): JetStreamWatch {
  const probeMs = o.probeMs ?? 2000;
  const quietMs = o.quietMs ?? 10_000;
  const repeatMs = o.repeatMs ?? 60_000;
  let lastAnswer = Date.now();
  let lastNote = 0;
  let quiet = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const answered = (now: number) => {
    if (quiet) note(`parallelr: NATS JetStream available again after ${seconds(now - lastAnswer)} s: the run carries on`);
    quiet = false;
    lastAnswer = now;
  };
  const probe = async () => {
    let error: string | undefined;
    try {
      // A member without a quorum still answers, from its replica, with no leader named.
      const info = await jsm.streams.info(RESULTS_STREAM);
      if (info.cluster && !info.cluster.leader) error = `${RESULTS_STREAM} has no leader`;
    } catch (e) {
      error = (e as Error).message;
    }
    if (stopped) return;
    const now = Date.now();
    if (error === undefined) {
      answered(now);
    } else if (now - lastAnswer >= quietMs && (!quiet || now - lastNote >= repeatMs)) {
      quiet = true;
      lastNote = now;
      note(
        `parallelr: NATS JetStream unavailable for ${seconds(now - lastAnswer)} s (${error}): no quorum (fewer than a majority of ` +
          `the cluster's members up) or no server reachable. No job is claimed and no result stored or read meanwhile; the run waits ` +
          'and carries on when JetStream is back (stop it with Ctrl-C or parallelr -k, finish it later with --resume)',
      );
    }
    timer = setTimeout(() => void probe(), probeMs);
    timer.unref();
  };
  timer = setTimeout(() => void probe(), probeMs);
  timer.unref();
  return {
    answered() {
      if (!stopped) answered(Date.now());
    },
    get down() {
      return quiet || Date.now() - lastAnswer > 2 * probeMs + 500;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}

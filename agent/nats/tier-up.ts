import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a long-running NATS worker: hot code is optimized after about a twelfth of the
 * work V8 waits for by default (a quarter of the interrupt budget, one tick instead of three).
 *
 * An agent runs the same per-job code (its messages, the launcher, an in-process tasker file)
 * thousands of times, but each function only a few times per job, so with V8's defaults a just
 * started agent runs mostly unoptimized code for its first thousand jobs or more. Sooner, its first
 * few hundred jobs cost more CPU (more functions compiled, on V8's background threads) and every
 * later job less. The measured reason and the figures: docs/benchmarks.md, "Warmed agents, and agents that optimize sooner".
 *
 * Process-wide and set once, when the worker starts; the flags only move when V8 optimizes, never
 * what the code does.
 */
export function tierUpSooner(): void {
  setFlagsFromString('--interrupt-budget=16384');
  setFlagsFromString('--ticks-before-optimization=1');
}

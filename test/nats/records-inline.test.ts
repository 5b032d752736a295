/**
 * Records back without files on the agent (docs/nats.md "Records back"): an in-process tasker job
 * hands its records over in memory (no records directory, no JSON file), a small bundle travels
 * inline in the result (no chunk messages), a large one in chunks under the cap; a file handed back
 * to a started tasker still ships through its records directory. Real nats-server, real workers,
 * a real gRPC agent; what travels is watched on the wire (core subscriptions on the subjects).
 */
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { connectNats, parseResult, RECORDS_STREAM, type ResultMessage } from '../../shared/nats/index.js';
import { freshSocket, startAgent, type AgentProcess } from '../helpers/agent-process.js';
import { ROOT, readResults, runParallelrBin, startWorker, useNatsFleet } from './fleet.js';

const fleet = useNatsFleet(test);
const TASKER = join(ROOT, 'dist/controller/cli/tasker.cjs');

let grpcAgent: AgentProcess;
test.before(async () => {
  grpcAgent = await startAgent(['--listen', await freshSocket()]);
});
test.after.always(async () => {
  await grpcAgent?.stop();
});

/** A controller home, an agent home and workdir, the task files. */
function sandbox(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'tasker-records-inline-'));
  const s = { root, home: join(root, 'home'), agentHome: join(root, 'agent-home'), workdir: join(root, 'agent-work'), tasks: join(root, 'tasks') };
  for (const d of [s.home, s.agentHome, s.workdir, s.tasks]) mkdirSync(d);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(s.tasks, name), body);
  const env = { HOME: s.home, PARALLELR_HOME: join(s.home, 'parallelr'), TASKER_NATS_STATE_DIR: join(s.home, 'runs'), TASK_EXECUTOR_LOG: '' };
  return { ...s, env, agentEnv: { HOME: s.agentHome, TASK_EXECUTOR_LOG: '' } };
}

/** Every entry created (or removed) in `dir` but the slots' workspaces (job-slotN-…), as the kernel reports them. */
function watchCreated(dir: string): { names: string[]; watcher: FSWatcher } {
  const names: string[] = [];
  const watcher = watch(dir, (event, name) => {
    // The directory's own name comes with events on itself (the worker tightens its mode).
    if (event === 'rename' && name && name !== basename(dir) && !name.startsWith('job-slot') && !names.includes(name)) names.push(name);
  });
  return { names, watcher };
}

/** The results and record chunks published from now on, seen on the wire. */
async function watchWire(url: string) {
  const nc = await connectNats({ servers: url, name: 'records-inline-test' });
  const results = new Map<string, ResultMessage>();
  const chunks = new Map<number, number>();
  nc.subscribe('tasker.results.>', {
    callback: (_e, m) => {
      const r = parseResult(m.data);
      if (r.ok) results.set(basename(r.value.task_file), r.value);
    },
  });
  nc.subscribe('tasker.records.>', { callback: (_e, m) => chunks.set(Number(m.subject.split('.')[3]), (chunks.get(Number(m.subject.split('.')[3])) ?? 0) + 1) });
  await nc.flush();
  return { results, chunks, close: () => nc.close() };
}

async function storedRecords(url: string): Promise<number> {
  const nc = await connectNats({ servers: url, name: 'records-inline-test' });
  try {
    const { jetstreamManager } = await import('@nats-io/jetstream');
    return (await (await jetstreamManager(nc)).streams.info(RECORDS_STREAM)).state.messages;
  } finally {
    await nc.close();
  }
}

/** The one file under BASE/SUB whose name starts with `stem_` and ends with `ext`. */
function oneFile(base: string, sub: string, stem: string, ext: string): string {
  const names = readdirSync(join(base, sub)).filter((n) => n.startsWith(`${stem}_`) && n.endsWith(ext));
  if (names.length !== 1) throw new Error(`expected one ${stem}_*${ext} in ${join(base, sub)}, got ${names.join(', ')}`);
  return join(base, sub, names[0]!);
}

/** The controller's summary rows by task file name. */
function summaryRows(home: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of readFileSync(join(home, 'TASKER', 'logs', 'project_proj_summary.log'), 'utf8').split('\n')) {
    if (line && !line.startsWith('#')) rows.set(basename(line.split('\t')[1]!), line.split('\t'));
  }
  return rows;
}

const OK = 'task=0\nhostname=localhost\ncommand=echo\narguments=hello ok\nexec=local\n';
const FAIL = 'task=0\nhostname=localhost\ncommand=echo\narguments=first\nexec=local\n\ntask=1\nhostname=localhost\ncommand=sh\narguments=-c "echo oops >&2; exit 3"\nexec=local\n';
// Its log (~400 KB) is above the 100 KiB cap set below; even capped, its bundle is above the inline bound.
const BIG = 'task=0\nhostname=localhost\ncommand=seq\narguments=1 60000\nexec=local\n';

test.serial('in-process jobs: no records directory; small bundles inline in the result, a big one in capped chunks; all land as the agent wrote them', async (t) => {
  const sb = sandbox({ 'ok.txt': OK, 'fail.txt': FAIL, 'big.txt': BIG });
  const wire = await watchWire(fleet.server.url);
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'rec-inline', pool: 'records-inline', max: 2, workdir: sb.workdir, env: sb.agentEnv }));
  // From the start of the run on (the worker made and removed a probe when it checked its workdir).
  const created = watchCreated(sb.workdir);
  const r = await runParallelrBin(
    ['-T', sb.tasks, '-C', `node ${TASKER} -r @TASK@ -p proj`, '-r', '--nats', fleet.server.url, '--pool', 'records-inline', '--results', join(sb.home, 'results.jsonl')],
    { ...sb.env, TASKER_NATS_RECORDS_MAX_MB: '0.1' },
  );
  t.is(r.code, 1, r.err + r.out);
  for (const w of fleet.workers.splice(0)) await w.stop();
  await wire.close();
  created.watcher.close();

  // On the wire: ok and fail inline (no chunk), big in chunks.
  const paths = (name: string) => wire.results.get(name)!.records!.files.map((f) => f.path.replace(/_\d{8}_\d{6}_\d{3}(?:_\d+)?/, '_TS'));
  t.deepEqual(paths('ok.txt'), ['logs/ok_TS.log', 'tasks/ok_TS.txt', 'logs/project_proj_summary.log']);
  t.deepEqual(paths('fail.txt'), ['logs/fail_TS.log', 'tasks/fail_TS.txt', 'logs/project_proj_summary.log', 'result.json']);
  for (const name of ['ok.txt', 'fail.txt']) {
    const res = wire.results.get(name)!;
    t.is(res.records!.chunks, 0, name);
    t.is(Buffer.from(res.records!.inline ?? '', 'base64').length, res.records!.files.reduce((n, f) => n + f.shipped, 0), name);
    t.is(wire.chunks.get(res.seq), undefined, `${name}: no chunk published`);
  }
  const big = wire.results.get('big.txt')!;
  t.is(big.records!.inline, undefined);
  t.true(big.records!.chunks >= 1);
  t.is(wire.chunks.get(big.seq), big.records!.chunks);
  t.like(big.records!.files[0], { capped: true });

  // An in-process job makes no records directory next to the slots' workspaces.
  t.deepEqual(created.names, []);

  // Landed: the agent's log and task copy byte for byte, the summary row naming the landed log, the failing task's own code.
  const rows = new Map(readResults(join(sb.home, 'results.jsonl')).map((x) => [basename(x.task_file ?? ''), x]));
  const summary = summaryRows(sb.home);
  for (const stem of ['ok', 'fail']) {
    const landedLog = oneFile(join(sb.home, 'TASKER'), 'logs', stem, '.log');
    t.is(rows.get(`${stem}.txt`)!.log_file, landedLog);
    t.is(readFileSync(landedLog, 'utf8'), readFileSync(oneFile(join(sb.agentHome, 'TASKER'), 'logs', stem, '.log'), 'utf8'), stem);
    t.is(readFileSync(oneFile(join(sb.home, 'TASKER'), 'tasks', stem, '.txt'), 'utf8'), readFileSync(join(sb.tasks, `${stem}.txt`), 'utf8'));
    t.is(summary.get(`${stem}.txt`)![7], landedLog);
    t.is(rows.get(`${stem}.txt`)!.records_note, undefined, stem);
  }
  t.deepEqual(summary.get('fail.txt')!.slice(2, 7), ['1', 'localhost', 'sh -c "echo oops >&2; exit 3"', '10', 'FAILURE']);
  t.like(rows.get('fail.txt'), { status: 'FAILED', exit_code: 10, failed_task: '1', task_exit_code: 3, error_message: 'Exit code 10: task 1 exited 3' });
  t.like(rows.get('ok.txt'), { status: 'SUCCESS', exit_code: 0 });

  // The big log: capped to the cap, its note in the record; nothing left in the store.
  const bigLog = rows.get('big.txt')!.log_file!;
  t.true(statSync(bigLog).size <= 104858 + 400, `landed ${statSync(bigLog).size} bytes`);
  t.regex(readFileSync(bigLog, 'utf8'), /\n\[tasker-agent: \d+ bytes of this file omitted here: it has \d+ bytes, above the 104858-byte records cap/);
  t.regex(rows.get('big.txt')!.records_note ?? '', /logs\/big_\S+\.log capped/);
  t.is(await storedRecords(fleet.server.url), 0);
});

test.serial('a file handed back to a started tasker ships its records through its records directory, removed after', async (t) => {
  const sb = sandbox({ 'agent.txt': 'task=0\nhostname=localhost\ncommand=echo\narguments=on the grpc agent\nexec=local\nagent=jump1\n', 'ok.txt': OK });
  const config = join(sb.root, 'tasker.yaml');
  writeFileSync(config, `agents:\n  jump1:\n    address: "${grpcAgent.address}"\n`);
  const wire = await watchWire(fleet.server.url);
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'rec-proc', pool: 'records-proc', max: 1, workdir: sb.workdir, env: sb.agentEnv }));
  const created = watchCreated(sb.workdir);
  const r = await runParallelrBin(
    ['-T', sb.tasks, '-C', `node ${TASKER} -r --config ${config} @TASK@ -p proj`, '-r', '--nats', fleet.server.url, '--pool', 'records-proc', '--results', join(sb.home, 'results.jsonl')],
    sb.env,
  );
  t.is(r.code, 0, r.err + r.out);
  for (const w of fleet.workers.splice(0)) await w.stop();
  await wire.close();
  created.watcher.close();

  // The started tasker made its records directory (job-RUN-SEQ-pPID-rN) for its JSON; the in-process one made none.
  const agentSeq = wire.results.get('agent.txt')!.seq;
  t.deepEqual(created.names.map((n) => n.replace(/^job-.+-(\d+)-p\d+-r\d+$/, 'records dir of seq $1')), [`records dir of seq ${agentSeq}`]);
  t.deepEqual(readdirSync(sb.workdir).filter((n) => !n.startsWith('job-slot')), [], 'removed after shipping');
  t.is(wire.results.get('agent.txt')!.records!.chunks, 0, 'a small bundle goes inline from the file path too');

  const rec = readResults(join(sb.home, 'results.jsonl')).find((x) => basename(x.task_file ?? '') === 'agent.txt')!;
  t.like(rec, { status: 'SUCCESS', exit_code: 0 });
  const log = readFileSync(rec.log_file!, 'utf8');
  t.is(log, readFileSync(oneFile(join(sb.agentHome, 'TASKER'), 'logs', 'agent', '.log'), 'utf8'));
  t.regex(log, /jump1/);
  t.true(existsSync(oneFile(join(sb.home, 'TASKER'), 'tasks', 'agent', '.txt')));
  t.is(summaryRows(sb.home).get('agent.txt')![7], rec.log_file);
  t.is(await storedRecords(fleet.server.url), 0);
});
